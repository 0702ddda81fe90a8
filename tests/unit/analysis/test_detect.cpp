// Tests analysis/detect.cpp building blocks: PELT, robust noise, modes.
#include "analysis/detect.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace es::analysis {
namespace {

TEST(Pelt, FindsTwoStepsAtTheRightIndices) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> n(0, 0.01);
  std::vector<double> x;
  for (int i = 0; i < 300; ++i) {
    x.push_back((i < 100 ? 1.0 : i < 220 ? 1.3 : 1.1) + n(rng));
  }
  const double s = robust_sigma(x);
  EXPECT_NEAR(s, 0.01, 0.003);
  const auto cps = pelt_mean_changes(x, 6 * s * s * std::log(300.0), 3);
  ASSERT_EQ(cps.size(), 2U);
  EXPECT_EQ(cps[0], 100U);
  EXPECT_EQ(cps[1], 220U);
}

TEST(Pelt, NoChangeInPureNoise) {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> n(0, 0.02);
  std::vector<double> x;
  for (int i = 0; i < 1000; ++i) {
    x.push_back(n(rng));
  }
  const double s = robust_sigma(x);
  EXPECT_TRUE(pelt_mean_changes(x, 6 * s * s * std::log(1000.0), 3).empty());
}

TEST(Pelt, ShortSeries) {
  EXPECT_TRUE(pelt_mean_changes({}, 1, 3).empty());
  EXPECT_TRUE(pelt_mean_changes({1, 2, 3}, 1, 3).empty());
}

LatencyHistogram mixture(const std::vector<std::pair<double, double>>& centers_weights, double noise,
                         int n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(0, noise);
  std::vector<double> weights;
  for (const auto& cw : centers_weights) {
    weights.push_back(cw.second);
  }
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  LatencyHistogram h;
  for (int i = 0; i < n; ++i) {
    const auto& cw = centers_weights[static_cast<std::size_t>(pick(rng))];
    h.add(static_cast<std::int64_t>(cw.first * 1e6 * std::exp(d(rng))));
  }
  return h;
}

TEST(Modes, FourSeparatedModesWithShares) {
  const auto h = mixture({{8, 0.4}, {10, 0.3}, {12, 0.2}, {15, 0.1}}, 0.015, 200'000, 3);
  const auto modes = find_modes(h, DetectOptions{});
  ASSERT_EQ(modes.size(), 4U);
  const double centers[] = {8, 10, 12, 15};
  const double shares[] = {0.4, 0.3, 0.2, 0.1};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(modes[i].center_ms, centers[i], centers[i] * 0.02);
    EXPECT_NEAR(modes[i].share, shares[i], 0.01);
  }
}

TEST(Modes, UnimodalNoiseWithOutliersIsOneMode) {
  const auto h = mixture({{10, 0.999}, {30, 0.001}}, 0.03, 200'000, 4);
  const auto modes = find_modes(h, DetectOptions{});
  ASSERT_EQ(modes.size(), 1U);
  EXPECT_NEAR(modes[0].center_ms, 10, 0.2);
  EXPECT_GT(modes[0].share, 0.99);
}

TEST(Modes, MapToFrequencyLevels) {
  std::vector<LatencyMode> modes(2);
  modes[0].lo_ms = 9;
  modes[0].hi_ms = 11;
  modes[1].lo_ms = 11;
  modes[1].hi_ms = 13;
  ModeFrequencyTable t;
  t.levels_hz = {1.5e9, 1.2e9};
  t.counts.assign(2, std::vector<std::uint32_t>(LatencyHistogram::kBins / 5 + 2, 0));
  t.counts[0][LatencyHistogram::bin_index(10'000'000) / 5] = 100;
  t.counts[1][LatencyHistogram::bin_index(12'000'000) / 5] = 90;
  t.counts[0][LatencyHistogram::bin_index(12'000'000) / 5] = 10;
  map_modes_to_frequency(modes, t);
  EXPECT_DOUBLE_EQ(modes[0].freq_hz, 1.5e9);
  EXPECT_DOUBLE_EQ(modes[1].freq_hz, 1.2e9);
  EXPECT_NEAR(modes[1].freq_share, 0.9, 1e-9);
}

TEST(Throttle, CauseNames) {
  EXPECT_STREQ(to_string(ThrottleCause::kUnderVoltage), "under_voltage");
  EXPECT_STREQ(to_string(ThrottleCause::kThermalTrip), "thermal_trip");
  EXPECT_STREQ(to_string(ThrottleCause::kCoolingDevice), "cooling_device");
  EXPECT_STREQ(to_string(ThrottleCause::kFrequencyCap), "frequency_cap");
  EXPECT_STREQ(to_string(ThrottleCause::kFirmwareFlag), "firmware_flag");
  EXPECT_STREQ(to_string(ThrottleCause::kUnknown), "unknown");
}

RunData flags_run(const std::vector<std::pair<double, double>>& samples) {
  RunData d;
  SensorSeries s;
  s.spec = SensorSpec{"rpi.throttled", SensorKind::kThrottle, "flags", ""};
  for (auto [t, v] : samples) {
    s.t_ns.push_back(static_cast<std::int64_t>(t * 1e9));
    s.value.push_back(v);
  }
  d.sensors.push_back(s);
  d.duration_ns = 100'000'000'000;
  d.phases = phases_from_events({}, d.duration_ns);
  return d;
}

TEST(Throttle, LiveFlagBitsGiveEventsWithCauses) {
  const auto ev = detect_throttling(
      flags_run({{0, 0}, {10, 0x50005}, {11, 0x50005}, {12, 0x50000}, {40, 0x50000},
                 {50, 0x70002}, {55, 0x70000}, {80, 0xF0008}, {81, 0xF0000}}),
      DetectOptions{});
  ASSERT_EQ(ev.size(), 3U);
  EXPECT_EQ(ev[0].cause, ThrottleCause::kUnderVoltage);
  EXPECT_EQ(ev[0].start_ns, 10'000'000'000);
  EXPECT_EQ(ev[0].end_ns, 12'000'000'000);
  EXPECT_EQ(ev[1].cause, ThrottleCause::kFirmwareFlag);
  EXPECT_EQ(ev[2].cause, ThrottleCause::kThermalTrip);
}

TEST(Throttle, StickyBitWithoutLiveBitIsAMissedEpisode) {
  const auto ev = detect_throttling(flags_run({{0, 0}, {20, 0}, {40, 0x20000}}), DetectOptions{});
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].start_ns, 20'000'000'000);
  EXPECT_EQ(ev[0].end_ns, 40'000'000'000);
  EXPECT_EQ(ev[0].cause, ThrottleCause::kFirmwareFlag);
}

SensorSeries series(const std::string& name, SensorKind kind, const std::string& unit,
                    const std::vector<std::pair<double, double>>& samples) {
  SensorSeries s;
  s.spec = SensorSpec{name, kind, unit, ""};
  for (auto [t, v] : samples) {
    s.t_ns.push_back(static_cast<std::int64_t>(t * 1e9));
    s.value.push_back(v);
  }
  return s;
}

/// 100 s of load at 1.5 GHz with a drop to 1.0 GHz during [40, 60) s.
RunData drop_run() {
  RunData d;
  std::vector<std::pair<double, double>> f;
  for (int t = 0; t < 100; ++t) {
    f.emplace_back(t, t >= 40 && t < 60 ? 1.0e9 : 1.5e9);
  }
  d.sensors.push_back(series("cpufreq.policy0.cur", SensorKind::kFrequency, "Hz", f));
  d.duration_ns = 100'000'000'000;
  d.phases = phases_from_events({}, d.duration_ns);
  return d;
}

TEST(Throttle, FrequencyDropAloneIsUnknownWithSeverity) {
  const auto ev = detect_throttling(drop_run(), DetectOptions{});
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].cause, ThrottleCause::kUnknown);
  EXPECT_EQ(ev[0].start_ns, 40'000'000'000);
  EXPECT_EQ(ev[0].end_ns, 60'000'000'000);
  EXPECT_NEAR(ev[0].freq_reduction_pct, 100.0 / 3.0, 1e-9);
}

TEST(Throttle, PassiveCoolingDeviceIsTheCauseButAFanIsNot) {
  auto d = drop_run();
  std::vector<std::pair<double, double>> fan;
  std::vector<std::pair<double, double>> passive;
  for (int t = 0; t < 100; ++t) {
    fan.emplace_back(t, t >= 30 ? 1 : 0);
    passive.emplace_back(t, t >= 40 && t < 60 ? 2 : 0);
  }
  d.sensors.push_back(series("cooling.pwm-fan", SensorKind::kCooling, "state", fan));
  auto ev = detect_throttling(d, DetectOptions{});
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].cause, ThrottleCause::kUnknown); // a fan spinning up is not throttling
  d.sensors.push_back(series("cooling.thermal-cpufreq-0", SensorKind::kCooling, "state", passive));
  ev = detect_throttling(d, DetectOptions{});
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].cause, ThrottleCause::kCoolingDevice);
}

TEST(Throttle, TripEventAndRailSag) {
  auto d = drop_run();
  d.events.push_back(storage::EventRow{41'000'000'000, "thermal_trip", "zone=cpu-thermal temp=85C"});
  auto ev = detect_throttling(d, DetectOptions{});
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].cause, ThrottleCause::kThermalTrip);

  std::vector<std::pair<double, double>> rail;
  for (int t = 0; t < 100; ++t) {
    rail.emplace_back(t, t >= 39 && t < 58 ? 4.55 : 5.1);
  }
  d.sensors.push_back(series("ina219.board.bus_voltage", SensorKind::kVoltage, "V", rail));
  ev = detect_throttling(d, DetectOptions{});
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].cause, ThrottleCause::kUnderVoltage); // outranks the trip
  EXPECT_EQ(ev[0].start_ns, 39'000'000'000);
}

TEST(Throttle, IdleGovernorIsNotThrottling) {
  RunData d = drop_run();
  d.events = {{0, "phase_start", "name=idle load=0"}, {70'000'000'000, "phase_start", "name=load load=1"}};
  d.phases = phases_from_events(d.events, d.duration_ns);
  EXPECT_TRUE(detect_throttling(d, DetectOptions{}).empty());
}

TEST(Throttle, ZeroFlagsNoEvent) {
  EXPECT_TRUE(detect_throttling(flags_run({{0, 0}, {1, 0}, {2, 0}}), DetectOptions{}).empty());
}

} // namespace
} // namespace es::analysis
