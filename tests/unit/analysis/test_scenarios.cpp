// Tests analysis/report.cpp + detect.cpp end to end on synthetic runs with known truth and on
// replays of real sbc-bench throttling traces (Pi 3 B thermal capping, Pi 3 B+ under-voltage).
#include "analysis/figures.hpp"
#include "analysis/html.hpp"
#include "analysis/report.hpp"
#include "analysis/report_output.hpp"
#include "run_source.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace es::analysis {
namespace {

using testing::open_run;

/// Analyses `run`; with ES_ANALYSIS_REPORT_DIR set, also writes its HTML report and figures to
/// $ES_ANALYSIS_REPORT_DIR/<run name>/ for a human to look at.
RunReport analyse(const testing::SyntheticRun& run) {
  auto reader = open_run(run);
  auto rep = analyze_run(*reader, 1);
  EXPECT_TRUE(rep.ok()) << (rep.ok() ? "" : rep.error().message);
  if (const char* dir = std::getenv("ES_ANALYSIS_REPORT_DIR"); dir != nullptr && rep.ok()) {
    const auto out = std::filesystem::path(dir) / run.run.info.name;
    std::filesystem::create_directories(out);
    const auto charts = build_figures(rep.value());
    EXPECT_TRUE(write_figures(charts, out).ok());
    std::ofstream(out / "report.html") << render_html(rep.value(), charts);
    std::ofstream txt(out / "report.txt");
    write_report_text(rep.value(), txt);
  }
  return std::move(rep).value();
}

TEST(Scenario, ThermalRampWithFrequencyCap) {
  const auto rep = analyse(testing::thermal_ramp_with_cap(1800, 3600));
  ASSERT_EQ(rep.throttle_events.size(), 1U);
  const ThrottleEvent& t = rep.throttle_events[0];
  EXPECT_NEAR(static_cast<double>(t.start_ns) / 1e9, 1800, 1.0);
  EXPECT_EQ(t.cause, ThrottleCause::kFrequencyCap);
  EXPECT_NEAR(t.freq_reduction_pct, (1.8 - 1.4) / 1.8 * 100, 0.5);
  EXPECT_NEAR(t.latency_delta_pct, (1.8 / 1.4 - 1) * 100, 1.5);
  EXPECT_NEAR(rep.time_to_first_throttle_s, 1800 - 60, 1.0);
  EXPECT_NE(t.detail.find("hottest=thermal.cpu-thermal"), std::string::npos);

  ASSERT_EQ(rep.change_points.size(), 1U);
  const ChangePoint& cp = rep.change_points[0];
  EXPECT_NEAR(static_cast<double>(cp.t_ns) / 1e9, 1800, static_cast<double>(rep.window_ns) / 1e9);
  EXPECT_NEAR(cp.before_ms, 10.0, 0.1);
  EXPECT_NEAR(cp.after_ms, 10.0 * 1.8 / 1.4, 0.15);
  EXPECT_EQ(cp.attributed_to.rfind("cpufreq.policy0.", 0), 0U) << cp.attributed_to;
  EXPECT_NE(cp.detail.find("frequency_cap"), std::string::npos) << cp.detail;
}

TEST(Scenario, PowerCapStep) {
  const auto run = testing::power_cap_step(1200, 2400);
  const auto rep = analyse(run);
  ASSERT_EQ(rep.throttle_events.size(), 1U);
  EXPECT_EQ(rep.throttle_events[0].cause, ThrottleCause::kFrequencyCap);
  EXPECT_NEAR(static_cast<double>(rep.throttle_events[0].start_ns) / 1e9, 1200, 1.0);
  ASSERT_EQ(rep.change_points.size(), 1U);
  EXPECT_NEAR(rep.change_points[0].delta_pct, (2.0 / 1.5 - 1) * 100, 1.5);
  EXPECT_NE(rep.change_points[0].detail.find("ina219.board.power"), std::string::npos)
      << rep.change_points[0].detail;

  // Energy: idle 2 W; load 6 W for 1080 s then 4 W for 1080 s; one inference per 40 ms.
  ASSERT_TRUE(rep.energy.has_value());
  const EnergyReport& e = *rep.energy;
  EXPECT_EQ(e.sensor, "ina219.board.power");
  EXPECT_NEAR(e.idle_power_w, 2.0, 0.02);
  EXPECT_NEAR(e.load_power_w, 5.0, 0.02);
  const double inferences = static_cast<double>(run.inferences.size());
  const double expected_mj = 5.0 * 2160.0 / inferences * 1e3;
  EXPECT_NEAR(e.energy_per_inference_mj, expected_mj, expected_mj * 0.01);
  EXPECT_NEAR(e.inferences_per_joule, 1e3 / expected_mj, 1e3 / expected_mj * 0.01);
  EXPECT_NEAR(e.incremental_energy_per_inference_mj, 3.0 * 2160.0 / inferences * 1e3,
              expected_mj * 0.01);
  EXPECT_GT(e.coverage, 0.99);
}

TEST(Scenario, FourFrequencyLevelsGiveFourModes) {
  const auto rep = analyse(testing::four_level_stepping());
  ASSERT_EQ(rep.modes.size(), 4U);
  const double centers[] = {8.0, 10.0, 12.0, 15.0};
  const double levels[] = {1.5e9, 1.2e9, 1.0e9, 0.8e9};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(rep.modes[i].center_ms, centers[i], centers[i] * 0.02);
    EXPECT_NEAR(rep.modes[i].share, 0.25, 0.03);
    EXPECT_DOUBLE_EQ(rep.modes[i].freq_hz, levels[i]);
  }
  // Residency: a quarter of the time at each level.
  const SensorReport* cur = nullptr;
  for (const auto& s : rep.sensors) {
    if (s.spec.name == "cpufreq.policy0.cur") {
      cur = &s;
    }
  }
  ASSERT_NE(cur, nullptr);
  ASSERT_EQ(cur->residency.size(), 4U);
  for (const auto& e : cur->residency) {
    EXPECT_NEAR(e.share, 0.25, 0.02);
  }
}

TEST(Scenario, SteadyNoisyControlHasNoEventNoChangePointOneMode) {
  const auto rep = analyse(testing::steady_noisy());
  EXPECT_TRUE(rep.throttle_events.empty());
  EXPECT_TRUE(std::isnan(rep.time_to_first_throttle_s));
  EXPECT_TRUE(rep.change_points.empty());
  ASSERT_EQ(rep.modes.size(), 1U);
  EXPECT_NEAR(rep.modes[0].center_ms, 10.0, 0.2);
  EXPECT_NEAR(rep.latency.p50, 10.0, 0.1);
  EXPECT_GT(rep.latency.within_10pct, 0.99);
  ASSERT_TRUE(rep.energy.has_value());
  EXPECT_NEAR(rep.energy->idle_power_w, 2.5, 0.02);
  EXPECT_NEAR(rep.energy->load_power_w, 5.5, 0.02);
}

std::string fixture(const char* name) {
  return std::string(ES_TEST_FIXTURES_DIR) + "/analysis/sbc-bench/" + name;
}

TEST(Replay, Pi3BThermalCapping4hOp) {
  const auto run = testing::sbc_bench_replay(fixture("4hOp.txt"), 0x20002, "pi3b-4hOp");
  ASSERT_GT(run.inferences.size(), 1000U) << "fixture not parsed";
  const auto rep = analyse(run);
  ASSERT_GE(rep.throttle_events.size(), 3U);
  // 17:45:22 is t=0; the first clock drop (1141 MHz) is at 17:59:38.
  EXPECT_NEAR(rep.time_to_first_throttle_s, 14 * 60 + 16, 1.0);
  double worst = 0;
  for (const auto& t : rep.throttle_events) {
    EXPECT_EQ(t.cause, ThrottleCause::kFirmwareFlag) << t.detail;
    worst = std::max(worst, t.freq_reduction_pct);
    EXPECT_GT(t.latency_delta_pct, 0) << t.detail;
  }
  EXPECT_NEAR(worst, (1200.0 - 657.0) / 1200.0 * 100, 0.1); // 657 MHz at 83.8 C
  // The last episode contains the get_throttled read (live bit 1: arm frequency capped).
  EXPECT_FALSE(rep.throttle_events.back().cause_inferred);
  EXPECT_NE(rep.throttle_events.back().detail.find("flags=0x20002"), std::string::npos);
  // Latency moves with the measured clock.
  ASSERT_FALSE(rep.change_points.empty());
  bool clock = false;
  for (const auto& cp : rep.change_points) {
    clock = clock || cp.attributed_to == "rpi.arm_clock_measured";
  }
  EXPECT_TRUE(clock);
}

TEST(Replay, Pi3BPlusUnderVoltage1iH0) {
  const auto run = testing::sbc_bench_replay(fixture("1iH0.txt"), 0x50005, "pi3bplus-1iH0");
  ASSERT_GT(run.inferences.size(), 1000U) << "fixture not parsed";
  const auto rep = analyse(run);
  ASSERT_GE(rep.throttle_events.size(), 2U);
  for (const auto& t : rep.throttle_events) {
    EXPECT_EQ(t.cause, ThrottleCause::kUnderVoltage) << t.detail;
    EXPECT_NEAR(t.freq_reduction_pct, 50.0, 0.1); // 1200 -> 600 MHz
    EXPECT_NEAR(t.latency_delta_pct, 100.0, 5.0);
  }
  EXPECT_FALSE(rep.throttle_events.back().cause_inferred); // live bit 0 at the end
  // 18:33:41 is t=0; the first 600 MHz sample is 18:48:39.
  EXPECT_NEAR(rep.time_to_first_throttle_s, 14 * 60 + 58, 1.0);
  // cpufreq claims 1400 MHz throughout; it must not hide the drop.
  ASSERT_EQ(rep.modes.size(), 2U);
  EXPECT_NEAR(rep.modes[0].center_ms, 20.0, 0.5);
  EXPECT_NEAR(rep.modes[1].center_ms, 40.0, 1.0);
  // Modes map to the firmware-measured clock, not to what cpufreq claims.
  EXPECT_DOUBLE_EQ(rep.modes[0].freq_hz, 1200e6);
  EXPECT_DOUBLE_EQ(rep.modes[1].freq_hz, 600e6);
}

} // namespace
} // namespace es::analysis
