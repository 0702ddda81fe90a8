#include "probes/cpufreq.hpp"
#include "tests/unit/probes/fixture_util.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

namespace es::probes {
namespace {

using namespace std::chrono_literals;
using test::reading;
using test::sample_once;
using test::TempDir;
using test::write_file;

// --- pure residency maths ---

TEST(TimeInState, ParsesKernelFormat) {
  auto rows = parse_time_in_state("3600000 2089\n3400000 136\n2800000 172488\n");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3U);
  EXPECT_EQ((*rows)[2].freq_khz, 2800000U);
  EXPECT_EQ((*rows)[2].time_10ms, 172488U);
  EXPECT_FALSE(parse_time_in_state("3600000\n").ok());
  EXPECT_FALSE(parse_time_in_state("abc 1\n").ok());
  EXPECT_TRUE(parse_time_in_state("").ok());
}

TEST(TimeInState, ResidencyWeightedMean) {
  const std::vector<FreqTime> a{{600000, 100}, {1500000, 200}, {1800000, 50}};
  const std::vector<FreqTime> b{{600000, 150}, {1500000, 250}, {1800000, 50}};
  auto r = residency_delta(a, b);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->mean_hz, (600e6 * 50 + 1500e6 * 50) / 100.0);
  EXPECT_DOUBLE_EQ(r->min_hz, 600e6);
  EXPECT_DOUBLE_EQ(r->max_hz, 1500e6);
  EXPECT_DOUBLE_EQ(r->seconds, 1.0);
}

TEST(TimeInState, ShortDipIsVisibleInResidency) {
  // 1 s window: 0.98 s at 1.5 GHz, 20 ms at 600 MHz. A point sample would say 1.5 GHz.
  const std::vector<FreqTime> a{{600000, 0}, {1500000, 0}};
  const std::vector<FreqTime> b{{600000, 2}, {1500000, 98}};
  auto r = residency_delta(a, b);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->mean_hz, 1482e6);
  EXPECT_DOUBLE_EQ(r->min_hz, 600e6);
}

TEST(TimeInState, ResetAndEmptyWindowAreErrors) {
  const std::vector<FreqTime> a{{600000, 100}};
  EXPECT_FALSE(residency_delta(a, {{600000, 50}}).ok()); // stats reset
  EXPECT_FALSE(residency_delta(a, a).ok());              // < 10 ms window
}

TEST(TimeInState, NewOppRowCountsFromZero) {
  const std::vector<FreqTime> a{{600000, 100}};
  const std::vector<FreqTime> b{{600000, 100}, {2400000, 10}};
  auto r = residency_delta(a, b);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->mean_hz, 2400e6);
}

// --- the probe on a small tree ---

void write_policy(const std::filesystem::path& root, const std::string& tis) {
  const std::string p = "devices/system/cpu/cpufreq/policy0/";
  write_file(root, p + "scaling_cur_freq", "1500000\n");
  write_file(root, p + "scaling_min_freq", "600000\n");
  write_file(root, p + "scaling_max_freq", "1500000\n");
  write_file(root, p + "related_cpus", "0 1 2 3\n");
  write_file(root, p + "stats/time_in_state", tis);
  write_file(root, p + "stats/total_trans", "10\n");
  write_file(root, "devices/system/cpu/cpu1/online", "1\n");
}

TEST(CpufreqProbe, NamesUnitsAndValues) {
  TempDir d;
  write_policy(d.path(), "600000 100\n1500000 200\n");
  CpufreqProbe p(SysfsReader(d.path()), 1s);
  EXPECT_EQ(p.name(), "cpufreq");
  EXPECT_EQ(p.interval(), 1s);
  auto out = sample_once(p);
  auto cur = reading(p, out, "cpufreq.policy0.cur");
  ASSERT_TRUE(cur);
  EXPECT_EQ(cur->status, SampleStatus::kOk);
  EXPECT_DOUBLE_EQ(cur->value, 1.5e9);
  EXPECT_GT(cur->t_ns, 0);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.policy0.max_limit")->value, 1.5e9);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.policy0.min_limit")->value, 0.6e9);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.cpu1.online")->value, 1.0);
  // First sample has no window.
  EXPECT_EQ(reading(p, out, "cpufreq.policy0.residency_mean")->status, SampleStatus::kUnavailable);
  EXPECT_EQ(reading(p, out, "cpufreq.policy0.transitions")->status, SampleStatus::kUnavailable);
  // Every sensor has an SI unit and a source.
  for (const auto& s : p.sensors()) {
    EXPECT_FALSE(s.unit.empty()) << s.name;
    EXPECT_FALSE(s.source.empty()) << s.name;
  }
  // Read cost is the last sensor and positive.
  auto cost = reading(p, out, "probe.cpufreq.read_cost");
  ASSERT_TRUE(cost);
  EXPECT_GT(cost->value, 0.0);
  EXPECT_LT(cost->value, 1.0);
}

TEST(CpufreqProbe, ResidencyWindowCapEventAndOffline) {
  TempDir d;
  write_policy(d.path(), "600000 100\n1500000 200\n");
  CpufreqProbe p(SysfsReader(d.path()), 1s);
  (void)sample_once(p);
  write_policy(d.path(), "600000 150\n1500000 250\n");
  write_file(d.path(), "devices/system/cpu/cpufreq/policy0/scaling_max_freq", "1200000\n");
  write_file(d.path(), "devices/system/cpu/cpufreq/policy0/stats/total_trans", "14\n");
  write_file(d.path(), "devices/system/cpu/cpu1/online", "0\n");
  auto out = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.policy0.residency_mean")->value, 1050e6);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.policy0.residency_min")->value, 600e6);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.policy0.transitions")->value, 4.0);
  EXPECT_TRUE(test::has_event(out, "cpufreq_max_limit", "change=cap"));
  EXPECT_TRUE(test::has_event(out, "cpu_offline", "cpu=cpu1"));
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.cpu1.online")->value, 0.0);
}

TEST(CpufreqProbe, UnreadableFileBecomesGap) {
  TempDir d;
  write_policy(d.path(), "600000 100\n");
  CpufreqProbe p(SysfsReader(d.path()), 1s);
  write_file(d.path(), "devices/system/cpu/cpufreq/policy0/scaling_cur_freq", "garbage\n");
  auto out = sample_once(p);
  auto cur = reading(p, out, "cpufreq.policy0.cur");
  ASSERT_TRUE(cur);
  EXPECT_EQ(cur->status, SampleStatus::kUnavailable);
  EXPECT_TRUE(std::isnan(cur->value));
}

TEST(CpufreqProbe, NoCpufreqMeansNoSensors) {
  TempDir d;
  CpufreqProbe p(SysfsReader(d.path()), 1s);
  EXPECT_TRUE(p.sensors().empty());
}

// --- real fixture trees ---

TEST(CpufreqProbeFixture, PrometheusProcfsPolicyAndPerCpuDir) {
  TempDir d;
  ES_REQUIRE_SHARED_FIXTURE("prometheus-procfs-sys");
  test::materialize_tree(test::shared_fixture("prometheus-procfs-sys"), d.path());
  CpufreqProbe p(SysfsReader(d.path() / "sys"), 1s);
  auto out = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.policy0.cur")->value, 1219917e3);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.policy0.avg")->value, 3184097e3);
  // cpu1/cpufreq is a real directory there (not a policy symlink): becomes policy1.
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.policy1.hw_cur")->value, 1200195e3);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.policy1.max_limit")->value, 3300000e3);
  EXPECT_TRUE(reading(p, out, "cpufreq.policy1.residency_mean"));
  EXPECT_FALSE(test::sensor_index(p, "cpufreq.policy0.residency_mean")); // intel_pstate: none
}

TEST(CpufreqProbeFixture, NodeExporterPerCpuPolicies) {
  TempDir d;
  ES_REQUIRE_SHARED_FIXTURE("node_exporter-sys");
  test::materialize_tree(test::shared_fixture("node_exporter-sys"), d.path());
  CpufreqProbe p(SysfsReader(d.path() / "sys"), 1s);
  auto out = sample_once(p);
  const double expect_khz[4] = {1699981, 1699981, 8000, 8000}; // as in the fixture
  for (int cpu = 0; cpu < 4; ++cpu) {
    const std::string n = "cpufreq.policy" + std::to_string(cpu) + ".cur";
    auto r = reading(p, out, n);
    ASSERT_TRUE(r) << n;
    EXPECT_EQ(r->status, SampleStatus::kOk);
    EXPECT_DOUBLE_EQ(r->value, expect_khz[cpu] * 1e3);
  }
}

} // namespace
} // namespace es::probes

namespace es::probes {
namespace {

TEST(CpufreqProbeFixture, X86ThermalThrottleCounters) {
  ES_REQUIRE_SHARED_FIXTURE("node_exporter-sys");
  test::TempDir d;
  test::materialize_tree(test::shared_fixture("node_exporter-sys"), d.path());
  CpufreqProbe p(SysfsReader(d.path() / "sys"), std::chrono::seconds(1));
  ASSERT_TRUE(test::sensor_index(p, "cpufreq.cpu1.core_throttles"));
  ASSERT_TRUE(test::sensor_index(p, "cpufreq.package0.throttles"));
  auto out = sample_once(p);
  EXPECT_EQ(reading(p, out, "cpufreq.cpu1.core_throttles")->status, SampleStatus::kUnavailable);
  const std::string rel = "sys/devices/system/cpu/cpu1/thermal_throttle/core_throttle_count";
  const auto n = std::stoll(test::read_file(d.path() / rel));
  write_file(d.path(), rel, std::to_string(n + 3) + "\n");
  out = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.cpu1.core_throttles")->value, 3.0);
  EXPECT_DOUBLE_EQ(reading(p, out, "cpufreq.cpu2.core_throttles")->value, 0.0);
  EXPECT_TRUE(test::has_event(out, "cpu_thermal_throttle", "scope=cpu1 count=3"));
}

} // namespace
} // namespace es::probes
