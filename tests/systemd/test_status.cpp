// `edgesoak status` against a database written with the storage Writer: two segments with a
// gap, phases, sensors, inferences; text and JSON output, run selection, errors.

#include "daemon/core/exit_codes.hpp"
#include "daemon/core/time.hpp"
#include "daemon/service/status.hpp"
#include "daemon/storage/writer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace es::service {
namespace {

class StatusTest : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = std::filesystem::temp_directory_path() /
            ("edgesoak-status-" + std::to_string(mono_now_ns()));
    std::filesystem::create_directories(m_dir);
    m_db = m_dir / "edgesoak.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }

  static storage::RunInfo info(const std::string& name) {
    storage::RunInfo i;
    i.name = name;
    i.board = "Raspberry Pi 5 Model B Rev 1.0";
    i.model = "mobilenet_v2";
    i.isa = "neondot";
    i.config_text = "run: {name: " + name + "}\n";
    i.planned_duration_ns = 100'000'000'000; // 100 s
    return i;
  }

  /// One segment: sensors, 10 inferences (latency 10..19 ms), samples, events.
  static void record_segment(storage::Writer& w, double temp_c, bool with_phase) {
    const auto temp = w.register_sensor(
        {"thermal.cpu-thermal", SensorKind::kTemperature, "C", "sysfs:/class/thermal/tz0/temp"});
    const auto cold = w.register_sensor(
        {"thermal.gpu", SensorKind::kTemperature, "C", "sysfs:/class/thermal/tz1/temp"});
    const auto freq = w.register_sensor(
        {"cpufreq.policy0.cur", SensorKind::kFrequency, "Hz", "sysfs:/devices/system/cpu"});
    const auto power =
        w.register_sensor({"board.power", SensorKind::kPower, "W", "ina219:1:0x40"});
    ASSERT_TRUE(temp && cold && freq && power);
    ASSERT_TRUE(w.set_run_meta("phases", "baseline:0:10:idle:0;load:10:80:load:0;cool:90:10:idle:0;"));
    ASSERT_TRUE(w.set_run_meta("schedule_skip_ns", "0"));
    storage::InferenceSink& inf = w.make_inference_sink();
    storage::SampleSink& probe = w.make_sample_sink();
    w.start();
    const std::int64_t t0 = w.segment_start_mono_ns();
    if (with_phase) {
      w.push_event({t0 + 1, "phase_start", "name=baseline index=0 load=0 rate=0 duration_s=10"});
      w.push_event({t0 + 2, "phase_start", "name=load index=1 load=1 rate=0 duration_s=80"});
    }
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(inf.push({t0 + 1000 * (i + 1), (10 + i) * 1'000'000LL, 0, InferenceStatus::kOk}));
    }
    ASSERT_TRUE(probe.push({t0 + 100, temp_c, *temp, SampleStatus::kOk}));
    ASSERT_TRUE(probe.push({t0 + 200, 40.0, *cold, SampleStatus::kOk}));
    ASSERT_TRUE(probe.push({t0 + 300, 1.8e9, *freq, SampleStatus::kOk}));
    ASSERT_TRUE(probe.push({t0 + 400, 4.25, *power, SampleStatus::kOk}));
    // A failed read after the good one never shows up as a number.
    ASSERT_TRUE(probe.push({t0 + 500, 0.0, *power, SampleStatus::kUnavailable}));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  /// Run "svc": segment 1 dies (abandon), segment 2 resumes and keeps running.
  void make_two_segment_run() {
    storage::WriterOptions o;
    o.boot_id = "boot-a";
    o.commit_interval = std::chrono::milliseconds(10);
    {
      auto w = storage::Writer::open(m_db, o);
      ASSERT_TRUE(w);
      ASSERT_TRUE((*w)->begin_run(info("svc")));
      record_segment(**w, 55.5, true);
      (*w)->abandon(); // what kill -9 leaves behind
      m_run = (*w)->run_id();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto w = storage::Writer::open(m_db, o);
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->resume_run(m_run));
    record_segment(**w, 61.25, false);
    (*w)->abandon();
  }

  int status(const std::vector<std::string>& args) {
    m_out.str("");
    m_err.str("");
    return cmd_status(args, m_out, m_err);
  }

  std::filesystem::path m_dir;
  std::filesystem::path m_db;
  std::int64_t m_run = 0;
  std::ostringstream m_out;
  std::ostringstream m_err;
};

TEST_F(StatusTest, TextShowsPhaseProgressSamplesSegmentsAndGap) {
  make_two_segment_run();
  ASSERT_EQ(status({"--db", m_db.string()}), kExitOk) << m_err.str();
  const std::string out = m_out.str();
  EXPECT_NE(out.find("run " + std::to_string(m_run) + " 'svc': running"), std::string::npos) << out;
  EXPECT_NE(out.find("phase:      load 2/3"), std::string::npos) << out;
  EXPECT_NE(out.find("/ 00:01:40"), std::string::npos) << out;
  EXPECT_NE(out.find("inferences: 20, recent p50 1"), std::string::npos) << out;
  EXPECT_NE(out.find("hottest:    61.2 C (thermal.cpu-thermal"), std::string::npos) << out;
  EXPECT_NE(out.find("frequency:  1.80 GHz (cpufreq.policy0.cur"), std::string::npos) << out;
  EXPECT_NE(out.find("power:      4.25 W (board.power"), std::string::npos) << out;
  EXPECT_NE(out.find("segments:   2, gaps: 1"), std::string::npos) << out;
  EXPECT_NE(out.find("ended: died"), std::string::npos) << out;
  EXPECT_NE(out.find("ended: (current)"), std::string::npos) << out;
  EXPECT_NE(out.find("prev_end_reason=died"), std::string::npos) << out;
  EXPECT_NE(out.find("service:    "), std::string::npos) << out;
  if (!std::filesystem::exists("/run/systemd/system")) {
    EXPECT_NE(out.find("unknown (no systemd)"), std::string::npos) << out;
  }
}

TEST_F(StatusTest, JsonHasStableKeysInSiUnits) {
  make_two_segment_run();
  ASSERT_EQ(status({"--db", m_db.string(), "--json"}), kExitOk) << m_err.str();
  const std::string out = m_out.str();
  for (const char* key :
       {"\"database\"", "\"run\"", "\"status\": \"running\"", "\"service\"", "\"known\"",
        "\"phase\": {\"name\": \"load\", \"index\": 1, \"count\": 3}", "\"progress\"",
        "\"elapsed_s\"", "\"total_s\": 100", "\"inferences\": 20", "\"recent_p50_s\": 0.01",
        "\"value_c\": 61.25", "\"value_hz\": 1800000000", "\"value_w\": 4.25", "\"segments\"",
        "\"gaps\"", "\"end_reason\": \"\"", "same_boot=1"}) {
    EXPECT_NE(out.find(key), std::string::npos) << key << " in\n" << out;
  }
}

TEST_F(StatusTest, ConfigSelectsItsDatabaseAndRunName) {
  make_two_segment_run();
  {
    storage::WriterOptions o;
    o.boot_id = "boot-a";
    auto w = storage::Writer::open(m_db, o);
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->begin_run(info("other"))); // the latest run, but another name
    (*w)->start();
    ASSERT_TRUE((*w)->finish_run(storage::RunStatus::kCompleted));
  }
  ASSERT_EQ(status({"--db", m_db.string()}), kExitOk);
  EXPECT_NE(m_out.str().find("'other': completed"), std::string::npos) << m_out.str();

  const auto config = m_dir / "svc.yaml";
  std::ofstream(config) << "version: 1\nrun:\n  name: svc\nstorage:\n  database: " << m_db.string()
                        << "\n";
  ASSERT_EQ(status({"--config", config.string()}), kExitOk) << m_err.str();
  EXPECT_NE(m_out.str().find("'svc': running"), std::string::npos) << m_out.str();
}

TEST_F(StatusTest, ErrorsHaveDocumentedExitCodes) {
  EXPECT_EQ(status({"--db", (m_dir / "missing.db").string()}), kExitRuntime);
  EXPECT_NE(m_err.str().find("no database at"), std::string::npos) << m_err.str();
  EXPECT_EQ(status({"--frobnicate"}), kExitUsage);
  EXPECT_EQ(status({"--db"}), kExitUsage);
  EXPECT_EQ(status({"--unit", "evil; rm -rf /"}), kExitUsage);
  const auto bad = m_dir / "bad.yaml";
  std::ofstream(bad) << "version: 1\nrun:\n  duration: banana\n";
  EXPECT_EQ(status({"--config", bad.string()}), kExitUsage);
  EXPECT_EQ(status({"--help"}), kExitOk);
  EXPECT_NE(m_out.str().find("Usage: edgesoak status"), std::string::npos);
}

TEST(QueryService, DegradesWithoutSystemd) {
  const ServiceState st = query_service("edgesoak.service");
  if (!std::filesystem::exists("/run/systemd/system")) {
    EXPECT_FALSE(st.known);
    EXPECT_EQ(st.active_state, "unknown (no systemd)");
  } else {
    EXPECT_FALSE(st.active_state.empty());
  }
  EXPECT_FALSE(query_service("bad name").known);
}

} // namespace
} // namespace es::service
