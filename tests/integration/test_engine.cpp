// End-to-end tests of the run engine through the real programs: `edgesoak run` and `edgesoakd`
// as child processes, against the node_exporter fixture sysfs tree, recording into real SQLite
// files that are then checked through the storage Reader and raw SQL.

#include "daemon/storage/reader.hpp"
#include "tests/integration/process.hpp"

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <sstream>
#include <thread>

namespace es::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kEdgesoak = ES_EDGESOAK_BIN;
const std::string kEdgesoakd = ES_EDGESOAKD_BIN;
/// A Raspberry Pi 4 sysfs/procfs tree (tests/fixtures/probes/rpi4): cpufreq with time_in_state,
/// one thermal zone at 81.8 C, hwmon, throttle flags.
const fs::path kFixtureRoot = fs::path(ES_TEST_FIXTURES_DIR) / "probes" / "rpi4";
const fs::path kFixtureSys = kFixtureRoot / "sys";
const fs::path kFixtureProc = kFixtureRoot / "proc";
/// The model the end-to-end tests run: small enough for a tight rate grid on any ISA.
const std::string kModel = "mobilenet_v2";

std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

/// Writes the test config with substitutions and returns its path.
fs::path make_config(const fs::path& dir, const std::string& rate = "max",
                     const std::string& limit = "off", const std::string& model = kModel) {
  std::string text = read_file(fs::path(ES_TEST_FIXTURES_DIR) / "integration" / "short.yaml");
  auto replace = [&](const std::string& key, const std::string& value) {
    for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key)) {
      text.replace(pos, key.size(), value);
    }
  };
  replace("@MODEL@", model);
  replace("@RATE@", rate);
  replace("@LIMIT@", limit);
  const fs::path path = dir / "config.yaml";
  write_file(path, text);
  return path;
}

std::vector<std::string> run_args(const fs::path& config, const fs::path& db,
                                  const std::string& duration) {
  return {kEdgesoak,    "run",
          config,       "--duration",
          duration,     "--db",
          db,           "--sysfs-root",
          kFixtureSys,  "--procfs-root",
          kFixtureProc, "--devfs-root",
          kFixtureRoot / "dev"};
}

/// One integer from raw SQL (independent of the Reader).
std::int64_t sql_int(const fs::path& db, const std::string& query) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, query.c_str(), -1, &st, nullptr), SQLITE_OK)
      << sqlite3_errmsg(h) << " in " << query;
  std::int64_t v = -1;
  if (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

std::unique_ptr<storage::Reader> open_reader(const fs::path& db) {
  auto r = storage::Reader::open(db);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(*r) : nullptr;
}

std::uint64_t count_inferences(const fs::path& db) {
  auto reader = storage::Reader::open(db);
  if (!reader) {
    return 0;
  }
  auto id = (*reader)->latest_run_id();
  if (!id) {
    return 0;
  }
  return (*reader)->inference_count(*id).value_or(0);
}

/// Polls until the database shows at least `n` inferences (or the deadline passes).
bool wait_for_inferences(const fs::path& db, std::uint64_t n, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(db) && count_inferences(db) >= n) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(Engine, FiveSecondRunRecordsInferencesSamplesAndEvents) {
  TempDir dir("engine-5s");
  const fs::path db = dir.path() / "run.db";
  const auto config = make_config(dir.path());
  const RunResult r = run(run_args(config, db, "5s"), dir.path(), 120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto reader = open_reader(db);
  ASSERT_NE(reader, nullptr);
  const auto id = reader->latest_run_id();
  ASSERT_TRUE(id.ok());
  const auto run_row = reader->run(*id);
  ASSERT_TRUE(run_row.ok());
  EXPECT_EQ(run_row->status, storage::RunStatus::kCompleted);
  EXPECT_EQ(run_row->info.name, "itest");
  EXPECT_EQ(run_row->info.board, "test-fixture");
  EXPECT_EQ(run_row->info.model, kModel);
  EXPECT_FALSE(run_row->info.config_text.empty());
  EXPECT_FALSE(run_row->info.isa.empty());
  EXPECT_EQ(run_row->segments, 1);

  // Inferences: only in the load phase (t >= 1 s), all ok, latencies positive.
  const auto count = reader->inference_count(*id);
  ASSERT_TRUE(count.ok());
  EXPECT_GT(*count, 0U);
  std::uint64_t seen = 0;
  std::int64_t last_t = -1;
  ASSERT_TRUE(reader
                  ->for_each_inference(*id,
                                       [&](const storage::InferenceRow& row) {
                                         ++seen;
                                         EXPECT_GE(row.t_ns, 900'000'000);
                                         EXPECT_LE(row.t_ns, 5'200'000'000);
                                         EXPECT_GT(row.latency_ns, 0);
                                         EXPECT_EQ(row.status, InferenceStatus::kOk);
                                         EXPECT_GE(row.t_ns, last_t);
                                         last_t = row.t_ns;
                                       })
                  .ok());
  EXPECT_EQ(seen, *count);

  // Sensors from the fixture tree: the thermal zone and cpufreq policies.
  const double zone_c =
      std::stod(read_file(kFixtureSys / "class" / "thermal" / "thermal_zone0" / "temp")) / 1000.0;
  const auto sensors = reader->sensors(*id);
  ASSERT_TRUE(sensors.ok());
  const auto thermal = std::find_if(sensors->begin(), sensors->end(), [](const auto& s) {
    return s.spec.kind == SensorKind::kTemperature && s.spec.source.find("thermal_zone0") !=
                                                          std::string::npos;
  });
  ASSERT_NE(thermal, sensors->end()) << "no thermal_zone0 sensor";
  std::vector<storage::SampleRow> samples;
  ASSERT_TRUE(reader
                  ->for_each_sample(*id, thermal->id,
                                    [&](const storage::SampleRow& s) { samples.push_back(s); })
                  .ok());
  // 100 ms on absolute deadlines: every sample sits at the start of its own 100 ms slot (a
  // drifting schedule would spread the offsets over the whole slot), slots never repeat, and
  // few are missed (a heavily loaded machine may delay a wake-up past a slot; those are skipped).
  const auto slots = static_cast<std::size_t>(run_row->duration_ns / 100'000'000) + 1;
  EXPECT_LE(samples.size(), slots);
  EXPECT_GE(samples.size() * 10, slots * 8) << "more than 20 % of the sampling slots missed";
  std::size_t on_time = 0;
  std::int64_t last_slot = -1;
  for (const auto& s : samples) {
    const std::int64_t slot = s.t_ns / 100'000'000;
    EXPECT_GT(slot, last_slot) << "two samples in one slot at t=" << s.t_ns;
    last_slot = slot;
    on_time += (s.t_ns % 100'000'000) < 20'000'000 ? 1 : 0;
  }
  EXPECT_GE(on_time * 10, samples.size() * 8) << "samples drift off their absolute deadlines";
  for (const auto& s : samples) {
    ASSERT_EQ(s.status, SampleStatus::kOk);
    EXPECT_NEAR(s.value, zone_c, 1e-9);
  }

  const auto events = reader->events(*id);
  ASSERT_TRUE(events.ok());
  int phase_starts = 0;
  bool run_end = false;
  for (const auto& e : *events) {
    phase_starts += e.kind == "phase_start" ? 1 : 0;
    run_end = run_end || e.kind == "run_end";
  }
  EXPECT_EQ(phase_starts, 2);
  EXPECT_TRUE(run_end);

  // The summary printed at the end of `edgesoak run`.
  EXPECT_NE(r.out.find("p50"), std::string::npos) << r.out;
}

TEST(Engine, ReportJsonAgreesWithTheRows) {
  TempDir dir("engine-report");
  const fs::path db = dir.path() / "run.db";
  const auto config = make_config(dir.path());
  ASSERT_EQ(run(run_args(config, db, "3s"), dir.path(), 120s).exit_code, 0);

  const RunResult rep =
      run({kEdgesoak, "report", "--db", db, "--run", "latest", "--json"}, dir.path(), 60s);
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  boost::property_tree::ptree json;
  std::istringstream in(rep.out);
  ASSERT_NO_THROW(boost::property_tree::read_json(in, json)) << rep.out;

  const auto n = sql_int(db, "SELECT count(*) FROM inferences");
  EXPECT_EQ(json.get<std::int64_t>("inferences"), n);
  EXPECT_EQ(json.get<std::string>("run.status"), "completed");
  EXPECT_EQ(json.get<int>("run.segments"), 1);
  const auto min_ns = sql_int(db, "SELECT min(lat) FROM inferences");
  const auto max_ns = sql_int(db, "SELECT max(lat) FROM inferences");
  if (min_ns >= 0 && max_ns >= 0) {
    EXPECT_NEAR(json.get<double>("latency_ms.min"), static_cast<double>(min_ns) / 1e6, 0.01);
    EXPECT_NEAR(json.get<double>("latency_ms.max"), static_cast<double>(max_ns) / 1e6, 0.01);
  }
  const double p50 = json.get<double>("latency_ms.p50");
  EXPECT_LE(json.get<double>("latency_ms.min"), p50);
  EXPECT_LE(p50, json.get<double>("latency_ms.p99"));
  EXPECT_GT(json.get_child("sensors").size(), 0U);
  bool has_phase = false;
  for (const auto& [key, e] : json.get_child("events")) {
    has_phase = has_phase || e.get<std::string>("kind") == "phase_start";
  }
  EXPECT_TRUE(has_phase);
}

TEST(Engine, SigtermStopsCleanlyWithStatusStopped) {
  TempDir dir("engine-term");
  const fs::path db = dir.path() / "run.db";
  const auto config = make_config(dir.path());
  Child child(run_args(config, db, "120s"), dir.path(), "term");
  ASSERT_TRUE(wait_for_inferences(db, 3, 60s)) << child.err();
  child.signal(SIGTERM);
  const auto code = child.wait(15s);
  ASSERT_TRUE(code.has_value()) << "did not stop within 15 s after SIGTERM";
  EXPECT_EQ(*code, 0) << child.err();

  auto reader = open_reader(db);
  ASSERT_NE(reader, nullptr);
  const auto id = reader->latest_run_id();
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(reader->run(*id)->status, storage::RunStatus::kStopped);
  EXPECT_EQ(reader->integrity_check().value_or("failed"), "ok");
  const auto events = reader->events(*id);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(std::any_of(events->begin(), events->end(),
                          [](const auto& e) { return e.kind == "run_end"; }));
}

TEST(Engine, Kill9KeepsEveryInferenceOlderThanOneSecond) {
  TempDir dir("engine-kill");
  const fs::path db = dir.path() / "run.db";
  // A fixed rate puts inference starts on an exact 500 ms grid,
  // so a lost row shows as a hole.
  const auto config = make_config(dir.path(), "2");
  Child child(run_args(config, db, "120s"), dir.path(), "kill");
  ASSERT_TRUE(wait_for_inferences(db, 6, 60s)) << child.err();
  std::this_thread::sleep_for(1500ms);
  const std::int64_t kill_mono = mono_ns();
  child.signal(SIGKILL);
  ASSERT_TRUE(child.wait(10s).has_value());

  auto reader = open_reader(db);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->integrity_check().value_or("failed"), "ok");
  const auto id = reader->latest_run_id();
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(reader->run(*id)->status, storage::RunStatus::kRunning);
  const auto segments = reader->segments(*id);
  ASSERT_TRUE(segments.ok());
  ASSERT_EQ(segments->size(), 1U);
  // Run-timeline time of the kill.
  const std::int64_t kill_t = kill_mono - segments->front().start_mono_ns;

  std::vector<storage::InferenceRow> rows;
  ASSERT_TRUE(reader
                  ->for_each_inference(*id,
                                       [&](const storage::InferenceRow& row) {
                                         rows.push_back(row);
                                       })
                  .ok());
  ASSERT_GE(rows.size(), 6U); // the test waited for 6 committed rows
  // No hole from the first inference to the last: each start follows the previous one by one
  // period, or by the previous inference's latency when it overran (a slow, loaded machine).
  // A lost row would leave a gap of at least one extra period (500 ms).
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::int64_t expected_gap = std::max<std::int64_t>(500'000'000, rows[i - 1].latency_ns);
    EXPECT_LT(rows[i].t_ns - rows[i - 1].t_ns - expected_gap, 400'000'000)
        << "hole in the recorded inferences after t=" << rows[i - 1].t_ns;
  }
  // The inference after the last recorded one would have finished at about
  // last start + max(period, latency) + latency; had that been more than 1 s before the kill,
  // it was committed and must be here.
  const auto& last = rows.back();
  const std::int64_t next_done =
      last.t_ns + std::max<std::int64_t>(500'000'000, last.latency_ns) + last.latency_ns;
  EXPECT_GE(next_done, kill_t - 1'000'000'000 - 300'000'000)
      << "inferences finished more than 1 s before the kill are missing (last start "
      << last.t_ns << ", kill at " << kill_t << ")";
}

TEST(Engine, SafetyLimitAbortsTheRunWithAnEvent) {
  TempDir dir("engine-safety");
  const fs::path db = dir.path() / "run.db";
  // The fixture zone reads 81.8 C; an 80 C limit held for 1 s must abort.
  const auto config = make_config(dir.path(), "max", "80");
  const RunResult r = run(run_args(config, db, "60s"), dir.path(), 60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto reader = open_reader(db);
  ASSERT_NE(reader, nullptr);
  const auto id = reader->latest_run_id();
  ASSERT_TRUE(id.ok());
  const auto row = reader->run(*id);
  EXPECT_EQ(row->status, storage::RunStatus::kAborted);
  EXPECT_LT(row->duration_ns, 10'000'000'000LL);
  const auto events = reader->events(*id);
  ASSERT_TRUE(events.ok());
  const auto abort = std::find_if(events->begin(), events->end(),
                                  [](const auto& e) { return e.kind == "safety_abort"; });
  ASSERT_NE(abort, events->end());
  EXPECT_NE(abort->detail.find("limit_c=80"), std::string::npos) << abort->detail;
}

TEST(Engine, TripPointsAreNotTemperaturesForTheSafetyLimit) {
  TempDir dir("engine-trips");
  const fs::path db = dir.path() / "run.db";
  // rpi5: the zone reads 55.6 C, its critical trip point is 110 C; a 100 C limit must not fire.
  const fs::path root = fs::path(ES_TEST_FIXTURES_DIR) / "probes" / "rpi5";
  ASSERT_TRUE(fs::exists(root / "sys/class/thermal/thermal_zone0/trip_point_0_temp"));
  const auto config = make_config(dir.path(), "max", "100");
  const RunResult r = run({kEdgesoak, "run", config, "--duration", "3s", "--db", db,
                           "--sysfs-root", root / "sys", "--procfs-root", root / "proc",
                           "--devfs-root", root / "dev"},
                          dir.path(), 60s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto reader = open_reader(db);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->run(*reader->latest_run_id())->status, storage::RunStatus::kCompleted);
}

TEST(Engine, ConfigurationErrorsExitWithTwoAndRecordNothing) {
  TempDir dir("engine-bad");
  const fs::path db = dir.path() / "run.db";
  // Unknown model: only the engine knows the model list.
  const auto config = make_config(dir.path(), "max", "off", "no_such_model");
  const RunResult r = run(run_args(config, db, "5s"), dir.path(), 60s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no_such_model"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(db));

  // A malformed file.
  write_file(dir.path() / "bad.yaml", "run:\n  duration: 5 minutes\n");
  const RunResult bad =
      run({kEdgesoak, "run", dir.path() / "bad.yaml", "--db", db}, dir.path(), 60s);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.yaml:2"), std::string::npos) << bad.err;

  // Usage errors.
  EXPECT_EQ(run({kEdgesoak, "run"}, dir.path(), 10s).exit_code, 2);
  EXPECT_EQ(run({kEdgesoak, "frobnicate"}, dir.path(), 10s).exit_code, 2);
  EXPECT_EQ(run({kEdgesoakd}, dir.path(), 10s).exit_code, 2);
}

TEST(Engine, UnwritableDatabaseIsARuntimeError) {
  TempDir dir("engine-db");
  const auto config = make_config(dir.path());
  write_file(dir.path() / "not-a-dir", "x");
  const RunResult r =
      run(run_args(config, dir.path() / "not-a-dir" / "run.db", "5s"), dir.path(), 60s);
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST(Engine, HelpAndVersionEverywhere) {
  TempDir dir("engine-help");
  for (const std::string cmd : {"run", "validate", "report", "bench", "models", "probe"}) {
    const RunResult r = run({kEdgesoak, cmd, "--help"}, dir.path(), 10s);
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
    EXPECT_FALSE(r.out.empty()) << cmd;
  }
  EXPECT_EQ(run({kEdgesoak, "--version"}, dir.path(), 10s).exit_code, 0);
  EXPECT_EQ(run({kEdgesoakd, "--version"}, dir.path(), 10s).exit_code, 0);
  EXPECT_EQ(run({kEdgesoakd, "--help"}, dir.path(), 10s).exit_code, 0);
}

/// Receives sd_notify datagrams on a socket the test owns.
class NotifySocket {
public:
  explicit NotifySocket(const fs::path& path) : m_path(path) {
    m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    timeval tv{0, 200'000};
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { ::close(m_fd); }
  /// Collects messages until one contains `needle` or the deadline passes.
  bool wait_for(const std::string& needle, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      char buf[4096];
      const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
      if (n > 0) {
        m_messages.emplace_back(buf, static_cast<std::size_t>(n));
      }
      for (const auto& m : m_messages) {
        if (m.find(needle) != std::string::npos) {
          return true;
        }
      }
    }
    return false;
  }
  std::string all() const {
    std::string s;
    for (const auto& m : m_messages) {
      s += m + "\n";
    }
    return s;
  }

private:
  fs::path m_path;
  int m_fd = -1;
  std::vector<std::string> m_messages;
};

TEST(Daemon, NotifiesReadyStatusAndStopping) {
  TempDir dir("daemon-notify");
  const fs::path db = dir.path() / "run.db";
  const auto config = make_config(dir.path());
  NotifySocket sock(dir.path() / "notify.sock");
  Child child({kEdgesoakd, "--config", config, "--db", db, "--duration", "120s", "--sysfs-root",
               kFixtureSys, "--procfs-root", kFixtureProc},
              dir.path(), "daemon", {{"NOTIFY_SOCKET", (dir.path() / "notify.sock").string()}});
  ASSERT_TRUE(sock.wait_for("READY=1", 60s)) << sock.all() << child.err();
  ASSERT_TRUE(sock.wait_for("STATUS=", 20s)) << sock.all();
  child.signal(SIGTERM);
  ASSERT_TRUE(sock.wait_for("STOPPING=1", 15s)) << sock.all();
  const auto code = child.wait(15s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << child.err();
  auto reader = open_reader(db);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->run(*reader->latest_run_id())->status, storage::RunStatus::kStopped);
}

} // namespace
} // namespace es::test
