// Crash safety: a child process writes continuously with 1 s commits and is killed with
// SIGKILL; every inference older than (kill time - 1.2 s) must be in the database, and the
// file must pass PRAGMA integrity_check.
//
// The child is this test binary re-executed (fork + exec) with --gtest_filter on the helper
// test StorageCrashChild.WriteUntilKilled, so it starts as a fresh single-threaded process. It
// reports every accepted push (index, monotonic t) through a pipe; latency_ns carries the
// index so the parent can match rows exactly.

#include "daemon/core/time.hpp"
#include "daemon/storage/reader.hpp"
#include "daemon/storage/writer.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace es::storage {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDbEnv = "ES_STORAGE_CRASH_DB";
constexpr const char* kFdEnv = "ES_STORAGE_CRASH_FD";

struct Pushed {
  std::int64_t index;
  std::int64_t t_ns;
};

bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// The child side. Skipped unless started by the parent test below.
TEST(StorageCrashChild, WriteUntilKilled) {
  const char* db = std::getenv(kDbEnv);
  const char* fd_text = std::getenv(kFdEnv);
  if (db == nullptr || fd_text == nullptr) {
    GTEST_SKIP() << "helper for StorageCrash.KillNineLosesAtMostTheLastCommitInterval";
  }
  const int fd = std::atoi(fd_text);
  WriterOptions options;
  options.boot_id = "crash-child";
  options.commit_interval = 1s;
  auto writer = Writer::open(db, options);
  ASSERT_TRUE(writer) << writer.error().message;
  ASSERT_TRUE((*writer)->begin_run(test::test_run_info("crash")));
  auto sensor = (*writer)->register_sensor({"thermal.cpu", SensorKind::kTemperature, "C", ""});
  ASSERT_TRUE(sensor);
  InferenceSink& sink = (*writer)->make_inference_sink();
  SampleSink& probe = (*writer)->make_sample_sink();
  (*writer)->start();
  for (std::int64_t i = 0;; ++i) {
    const std::int64_t t = mono_now_ns();
    if (sink.push({t, i, 0, InferenceStatus::kOk})) {
      const Pushed p{i, t};
      if (!write_all(fd, &p, sizeof p)) {
        break;
      }
    }
    if (i % 10 == 0) {
      (void)probe.push({t, 40.0, *sensor, SampleStatus::kOk});
    }
    std::this_thread::sleep_for(1ms);
  }
}

TEST(StorageCrash, KillNineLosesAtMostTheLastCommitInterval) {
  test::TempDir dir;
  const auto db = dir.file("crash.db");
  int fds[2] = {-1, -1};
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::setenv(kDbEnv, db.c_str(), 1);
    ::setenv(kFdEnv, std::to_string(fds[1]).c_str(), 1);
    const char* argv[] = {"/proc/self/exe", "--gtest_filter=StorageCrashChild.WriteUntilKilled",
                          nullptr};
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(fds[1]);

  std::vector<Pushed> pushed;
  std::vector<char> buffer;
  auto read_some = [&](int timeout_ms) {
    pollfd pfd{fds[0], POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0) {
      return true;
    }
    char chunk[4096];
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) {
      return false; // EOF
    }
    buffer.insert(buffer.end(), chunk, chunk + n);
    std::size_t whole = buffer.size() / sizeof(Pushed);
    for (std::size_t i = 0; i < whole; ++i) {
      Pushed p{};
      std::memcpy(&p, buffer.data() + i * sizeof(Pushed), sizeof(Pushed));
      pushed.push_back(p);
    }
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(whole * sizeof(Pushed)));
    return true;
  };

  // Wait for the child's first push (start-up under sanitizers can be slow), then 2.5 s more.
  const auto start_deadline = std::chrono::steady_clock::now() + 30s;
  while (pushed.empty() && std::chrono::steady_clock::now() < start_deadline) {
    if (!read_some(100)) {
      break;
    }
  }
  ASSERT_FALSE(pushed.empty()) << "child never started writing";
  const auto kill_at = std::chrono::steady_clock::now() + 2500ms;
  while (std::chrono::steady_clock::now() < kill_at) {
    if (!read_some(20)) {
      break;
    }
  }
  const std::int64_t kill_mono_ns = mono_now_ns();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  while (read_some(100)) {
  }
  ::close(fds[0]);
  ASSERT_GT(pushed.size(), 100U);

  auto reader = Reader::open(db);
  ASSERT_TRUE(reader) << reader.error().message;
  auto integrity = (*reader)->integrity_check();
  ASSERT_TRUE(integrity);
  EXPECT_EQ(*integrity, "ok");
  auto run_id = (*reader)->latest_run_id();
  ASSERT_TRUE(run_id);
  auto run = (*reader)->run(*run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, RunStatus::kRunning);
  auto segs = (*reader)->segments(*run_id);
  ASSERT_TRUE(segs);
  ASSERT_EQ(segs->size(), 1U);
  const std::int64_t base = segs->at(0).start_mono_ns;
  EXPECT_EQ(segs->at(0).end_reason, "");
  EXPECT_GT(segs->at(0).end_mono_ns, base); // at least one commit refreshed it

  std::map<std::int64_t, std::int64_t> stored; // index -> t on the run timeline
  ASSERT_TRUE((*reader)->for_each_inference(
      *run_id, [&](const InferenceRow& r) { stored.emplace(r.latency_ns, r.t_ns); }));
  const std::int64_t must_have_before = kill_mono_ns - 1'200'000'000;
  std::size_t required = 0;
  std::size_t missing = 0;
  for (const Pushed& p : pushed) {
    auto it = stored.find(p.index);
    if (it != stored.end()) {
      EXPECT_EQ(it->second, p.t_ns - base) << "index " << p.index;
    }
    if (p.t_ns < must_have_before) {
      ++required;
      if (it == stored.end()) {
        ++missing;
      }
    }
  }
  EXPECT_GT(required, 100U) << "child pushed too little before the kill to test anything";
  EXPECT_EQ(missing, 0U) << "of " << required << " rows older than kill - 1.2 s";
  // Nothing was stored that the child did not push.
  EXPECT_LE(stored.size(), pushed.size() + 1); // +1: killed between push and pipe write
  RecordProperty("pushed", static_cast<int>(pushed.size()));
  RecordProperty("stored", static_cast<int>(stored.size()));
}

} // namespace
} // namespace es::storage
