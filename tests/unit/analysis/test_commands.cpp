// Tests analysis/commands.cpp: `report`, `export` and `compare` against real SQLite files
// written through es_storage, including exit codes and error messages.
#include "analysis/commands.hpp"
#include "daemon/core/exit_codes.hpp"
#include "db_fixture.hpp"

#include <boost/property_tree/json_parser.hpp>
#include <sqlite3.h>
#include <boost/property_tree/ptree.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace es::analysis {
namespace {

namespace fs = std::filesystem;

struct Output {
  int code = 0;
  std::string out;
  std::string err;
};

Output run_cmd(int (*fn)(const std::vector<std::string>&, std::ostream&, std::ostream&),
               std::vector<std::string> args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = fn(args, out, err);
  return Output{code, out.str(), err.str()};
}

class Commands : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    s_db = new fs::path(testing::write_sqlite(testing::thermal_ramp_with_cap(600, 1200), "cmd"));
    s_db2 = new fs::path(testing::write_sqlite(testing::power_cap_step(600, 1200), "cmd2"));
  }
  static void TearDownTestSuite() {
    delete s_db;
    delete s_db2;
  }
  static fs::path* s_db;
  static fs::path* s_db2;
};
fs::path* Commands::s_db = nullptr;
fs::path* Commands::s_db2 = nullptr;

TEST_F(Commands, ReportTextByDefault) {
  const auto r = run_cmd(cmd_report, {"--db", s_db->string()});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("latency ms"), std::string::npos);
  EXPECT_NE(r.out.find("frequency_cap"), std::string::npos);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(Commands, ReportJsonLatestAndById) {
  const auto latest = run_cmd(cmd_report, {"--db", s_db->string(), "--json"});
  ASSERT_EQ(latest.code, kExitOk) << latest.err;
  const auto by_id = run_cmd(cmd_report, {"--db", s_db->string(), "--run", "1", "--json"});
  ASSERT_EQ(by_id.code, kExitOk) << by_id.err;
  EXPECT_EQ(latest.out, by_id.out);
  boost::property_tree::ptree j;
  std::istringstream in(latest.out);
  boost::property_tree::read_json(in, j);
  EXPECT_EQ(j.get<std::string>("run.name"), "thermal-ramp");
  int events = 0;
  for (const auto& [_, t] : j.get_child("throttle_events")) {
    ++events;
    EXPECT_EQ(t.get<std::string>("cause"), "frequency_cap");
    EXPECT_NEAR(t.get<double>("start_s"), 600, 1);
  }
  EXPECT_EQ(events, 1);
}

TEST_F(Commands, ReportOutWritesHtmlJsonAndFigures) {
  const fs::path dir = testing::fresh_dir("out") / "report";
  const auto r = run_cmd(cmd_report, {"--db", s_db->string(), "--out", dir.string()});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  for (const char* f : {"report.html", "report.json", "report.txt", "latency_histogram.svg",
                        "latency_histogram.png", "latency_timeseries.png", "latency_scatter.png",
                        "temperature_timeseries.png", "frequency_timeseries.svg"}) {
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  }
  EXPECT_GT(fs::file_size(dir / "report.html"), 20'000U);
}

TEST_F(Commands, ErrorsAndExitCodes) {
  auto r = run_cmd(cmd_report, {});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--db is required"), std::string::npos);
  r = run_cmd(cmd_report, {"--db", s_db->string(), "--bogus"});
  EXPECT_EQ(r.code, kExitUsage);
  r = run_cmd(cmd_report, {"--db", s_db->string(), "--run", "abc"});
  EXPECT_EQ(r.code, kExitUsage);
  r = run_cmd(cmd_report, {"--db"});
  EXPECT_EQ(r.code, kExitUsage);
  r = run_cmd(cmd_report, {"--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_NE(r.out.find("usage: edgesoak report"), std::string::npos);

  r = run_cmd(cmd_report, {"--db", "/nonexistent/edgesoak.db"});
  EXPECT_EQ(r.code, kExitRuntime);
  EXPECT_NE(r.err.find("database not found"), std::string::npos) << r.err;
  r = run_cmd(cmd_report, {"--db", s_db->string(), "--run", "42"});
  EXPECT_EQ(r.code, kExitRuntime);
  EXPECT_NE(r.err.find("no run 42"), std::string::npos) << r.err;

  const fs::path junk = testing::fresh_dir("junk") / "not.db";
  std::ofstream(junk) << "this is not a database, just text\n";
  r = run_cmd(cmd_report, {"--db", junk.string()});
  EXPECT_EQ(r.code, kExitRuntime);
  EXPECT_NE(r.err.find("edgesoak report: error:"), std::string::npos) << r.err;
}

TEST_F(Commands, ForeignSqliteDatabaseAndEmptyDatabase) {
  const fs::path dir = testing::fresh_dir("foreign");
  const fs::path foreign = dir / "other.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto r = run_cmd(cmd_report, {"--db", foreign.string()});
  EXPECT_EQ(r.code, kExitRuntime);
  EXPECT_NE(r.err.find("edgesoak database"), std::string::npos) << r.err;

  // A valid edgesoak database without runs.
  const fs::path empty = dir / "empty.db";
  {
    auto w = storage::Writer::open(empty);
    ASSERT_TRUE(w.ok());
  }
  r = run_cmd(cmd_report, {"--db", empty.string()});
  EXPECT_EQ(r.code, kExitRuntime);
  EXPECT_NE(r.err.find("no runs"), std::string::npos) << r.err;
}

TEST_F(Commands, RunWithoutInferencesOrSamples) {
  testing::SyntheticRun run;
  run.run.info.name = "empty-run";
  run.finish(0);
  const fs::path db = testing::write_sqlite(run, "emptyrun");
  auto r = run_cmd(cmd_report, {"--db", db.string(), "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  boost::property_tree::ptree j;
  std::istringstream in(r.out);
  boost::property_tree::read_json(in, j);
  EXPECT_EQ(j.get<std::uint64_t>("inferences"), 0U);
  EXPECT_EQ(j.get<std::string>("latency_ms.p50"), "null");
  const fs::path out = testing::fresh_dir("emptyout");
  r = run_cmd(cmd_report, {"--db", db.string(), "--out", out.string()});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(fs::exists(out / "report.html"));
  r = run_cmd(cmd_report, {"--db", db.string()});
  EXPECT_EQ(r.code, kExitOk) << r.err;
}

TEST_F(Commands, ResumedRunHasTwoSegmentsAndARestartMarker) {
  const fs::path path = testing::fresh_dir("resume") / "run.db";
  std::int64_t run_id = 0;
  const auto push_some = [](storage::Writer& w, double from_s) {
    auto& sink = w.make_inference_sink();
    w.start();
    const std::int64_t base = w.segment_start_mono_ns();
    for (int i = 0; i < 500; ++i) {
      while (!sink.push(InferenceRecord{base + static_cast<std::int64_t>((from_s + i * 0.01) * 1e9),
                                        5'000'000, 0, InferenceStatus::kOk})) {
      }
    }
  };
  {
    storage::WriterOptions o;
    o.boot_id = "boot-a";
    auto w = storage::Writer::open(path, o);
    ASSERT_TRUE(w.ok());
    storage::RunInfo info;
    info.name = "resumed";
    run_id = w.value()->begin_run(info).value();
    push_some(*w.value(), 0);
    w.value()->abandon(); // what a crash looks like
  }
  {
    storage::WriterOptions o;
    o.boot_id = "boot-b";
    auto w = storage::Writer::open(path, o);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w.value()->resume_run(run_id).ok());
    push_some(*w.value(), 0);
    ASSERT_TRUE(w.value()->finish_run(storage::RunStatus::kCompleted).ok());
  }
  const auto r = run_cmd(cmd_report, {"--db", path.string(), "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  boost::property_tree::ptree j;
  std::istringstream in(r.out);
  boost::property_tree::read_json(in, j);
  EXPECT_EQ(j.get<int>("run.segments"), 2);
  EXPECT_EQ(j.get<std::uint64_t>("inferences"), 1000U);
  bool gap = false;
  for (const auto& [_, e] : j.get_child("events")) {
    gap = gap || e.get<std::string>("kind") == "segment_gap";
  }
  EXPECT_TRUE(gap);
}

TEST_F(Commands, ExportWritesCsvTables) {
  const fs::path dir = testing::fresh_dir("csv");
  const auto r = run_cmd(cmd_export, {"--db", s_db->string(), "--out", dir.string()});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  for (const char* f : {"latency_histogram.csv", "windows.csv", "sensor_histograms.csv",
                        "frequency_residency.csv", "throttle_events.csv", "change_points.csv"}) {
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  }
  const auto one = run_cmd(cmd_export, {"--db", s_db->string(), "--table", "throttle_events"});
  ASSERT_EQ(one.code, kExitOk);
  EXPECT_NE(one.out.find("frequency_cap"), std::string::npos);
  EXPECT_EQ(run_cmd(cmd_export, {"--db", s_db->string(), "--table", "nope"}).code, kExitUsage);
}

TEST_F(Commands, CompareSideBySide) {
  const fs::path dir = testing::fresh_dir("cmp");
  const auto r = run_cmd(cmd_compare, {s_db->string() + ":1", s_db2->string(), "--out", dir.string()});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("thermal-ramp"), std::string::npos);
  EXPECT_NE(r.out.find("power-cap"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "compare.html"));
  EXPECT_TRUE(fs::exists(dir / "compare_latency_histogram.png"));
  const auto j = run_cmd(cmd_compare, {s_db->string(), s_db2->string(), "--json"});
  ASSERT_EQ(j.code, kExitOk);
  boost::property_tree::ptree t;
  std::istringstream in(j.out);
  boost::property_tree::read_json(in, t);
  EXPECT_EQ(t.get_child("runs").size(), 2U);
  EXPECT_EQ(run_cmd(cmd_compare, {}).code, kExitUsage);
  EXPECT_EQ(run_cmd(cmd_compare, {"/nonexistent.db"}).code, kExitRuntime);
}

} // namespace
} // namespace es::analysis
