// Reader: concurrent reads while the writer writes (WAL), and copied database files.

#include "daemon/core/time.hpp"
#include "daemon/storage/reader.hpp"
#include "daemon/storage/writer.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

namespace es::storage {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

TEST(StorageReader, ReadsWhileWriterWritesWithoutBusyErrors) {
  TempDir dir;
  const auto path = dir.file("concurrent.db");
  WriterOptions options;
  options.boot_id = "boot";
  options.commit_interval = 100ms;
  auto writer = Writer::open(path, options);
  ASSERT_TRUE(writer);
  auto run_id = (*writer)->begin_run(test::test_run_info());
  ASSERT_TRUE(run_id);
  auto sensor = (*writer)->register_sensor({"thermal.cpu", SensorKind::kTemperature, "C", ""});
  ASSERT_TRUE(sensor);
  InferenceSink& w0 = (*writer)->make_inference_sink();
  InferenceSink& w1 = (*writer)->make_inference_sink();
  SampleSink& probe = (*writer)->make_sample_sink();
  (*writer)->start();

  std::atomic<bool> stop{false};
  std::atomic<int> reader_errors{0};
  std::atomic<int> reads{0};
  std::atomic<bool> monotonic{true};
  std::thread reader_thread([&] {
    auto reader = Reader::open(path);
    if (!reader) {
      ++reader_errors;
      return;
    }
    std::uint64_t last = 0;
    while (!stop.load()) {
      auto count = (*reader)->inference_count(*run_id);
      if (!count) {
        ++reader_errors;
        ADD_FAILURE() << count.error().message;
        continue;
      }
      if (*count < last) {
        monotonic = false;
      }
      last = *count;
      std::int64_t prev_t = -1;
      bool ordered = true;
      auto streamed = (*reader)->for_each_inference(*run_id, [&](const InferenceRow& r) {
        ordered = ordered && r.t_ns >= prev_t;
        prev_t = r.t_ns;
      });
      if (!streamed || !ordered) {
        ++reader_errors;
      }
      auto segs = (*reader)->segments(*run_id);
      if (!segs) {
        ++reader_errors;
      }
      ++reads;
      std::this_thread::sleep_for(5ms);
    }
  });

  const std::int64_t base = (*writer)->segment_start_mono_ns();
  constexpr int kPerWorker = 3000;
  auto produce = [&](InferenceSink& sink, std::uint16_t worker) {
    for (int i = 0; i < kPerWorker; ++i) {
      while (!sink.push({base + 1'000'000LL * i, 3'000'000 + i, worker, InferenceStatus::kOk})) {
        std::this_thread::yield();
      }
      if (i % 100 == 0) {
        std::this_thread::sleep_for(10ms);
      }
    }
  };
  std::thread p0(produce, std::ref(w0), std::uint16_t{0});
  std::thread p1(produce, std::ref(w1), std::uint16_t{1});
  for (int i = 0; i < 300; ++i) {
    (void)probe.push({base + 1'000'000LL * i, 40.0 + i, *sensor, SampleStatus::kOk});
    if (i % 30 == 0) {
      (*writer)->push_event({base + i, "tick", "i=" + std::to_string(i)});
    }
  }
  p0.join();
  p1.join();
  // Let the reader see a few commits containing everything.
  ASSERT_TRUE(test::wait_until([&] { return (*writer)->stats().inferences_written == 2U * kPerWorker; },
                               5000ms));
  std::this_thread::sleep_for(200ms);
  stop = true;
  reader_thread.join();
  ASSERT_TRUE((*writer)->finish_run(RunStatus::kCompleted));

  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_TRUE(monotonic.load());
  EXPECT_GT(reads.load(), 5);
  auto reader = Reader::open(path);
  ASSERT_TRUE(reader);
  auto count = (*reader)->inference_count(*run_id);
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 2U * kPerWorker);
}

TEST(StorageReader, OpensCopiedDatabaseFile) {
  TempDir dir;
  const auto path = dir.file("board.db");
  std::int64_t run_id = 0;
  {
    auto writer = Writer::open(path, WriterOptions{.boot_id = "b"});
    ASSERT_TRUE(writer);
    auto id = (*writer)->begin_run(test::test_run_info());
    ASSERT_TRUE(id);
    run_id = *id;
    InferenceSink& sink = (*writer)->make_inference_sink();
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(sink.push({(*writer)->segment_start_mono_ns() + i, 5, 0, InferenceStatus::kOk}));
    }
    ASSERT_TRUE((*writer)->finish_run(RunStatus::kCompleted));
  }
  // Only the main file travels (scp board:/var/lib/edgesoak/edgesoak.db .).
  const auto copy_dir = dir.path() / "laptop";
  std::filesystem::create_directories(copy_dir);
  std::filesystem::copy_file(path, copy_dir / "copy.db");
  auto reader = Reader::open(copy_dir / "copy.db");
  ASSERT_TRUE(reader) << reader.error().message;
  auto count = (*reader)->inference_count(run_id);
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_EQ(*count, 100U);
  auto latest = (*reader)->latest_run_id();
  ASSERT_TRUE(latest);
  EXPECT_EQ(*latest, run_id);
  auto integrity = (*reader)->integrity_check();
  ASSERT_TRUE(integrity);
  EXPECT_EQ(*integrity, "ok");
}

TEST(StorageReader, OpensDatabaseInReadOnlyDirectory) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root ignores directory permissions";
  }
  TempDir dir;
  const auto sub = dir.path() / "state";
  std::filesystem::create_directories(sub);
  const auto path = sub / "edgesoak.db";
  {
    auto writer = Writer::open(path, WriterOptions{.boot_id = "b"});
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->begin_run(test::test_run_info()));
    ASSERT_TRUE((*writer)->finish_run(RunStatus::kCompleted));
  }
  ASSERT_FALSE(std::filesystem::exists(path.string() + "-wal"));
  std::filesystem::permissions(sub, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::remove);
  auto reader = Reader::open(path);
  std::filesystem::permissions(sub, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  ASSERT_TRUE(reader) << reader.error().message;
  auto runs = (*reader)->runs();
  ASSERT_TRUE(runs) << runs.error().message;
  EXPECT_EQ(runs->size(), 1U);
}

TEST(StorageReader, EmptyDatabaseHasNoLatestRun) {
  TempDir dir;
  const auto path = dir.file("empty.db");
  {
    auto writer = Writer::open(path);
    ASSERT_TRUE(writer);
  }
  auto reader = Reader::open(path);
  ASSERT_TRUE(reader);
  auto latest = (*reader)->latest_run_id();
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().code, ErrorCode::kNotFound);
  auto runs = (*reader)->runs();
  ASSERT_TRUE(runs);
  EXPECT_TRUE(runs->empty());
}

} // namespace
} // namespace es::storage
