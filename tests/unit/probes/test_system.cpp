#include "probes/system.hpp"
#include "tests/unit/probes/fixture_util.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>

namespace es::probes {
namespace {

using namespace std::chrono_literals;
using test::reading;
using test::sample_once;
using test::TempDir;
using test::write_file;

TEST(ProcStat, ParsesCpuLinesAndStopsAtIntr) {
  auto cpus = parse_proc_stat_cpus("cpu  301854 612 111922 8979004 3552 2 3944 0 44 36\n"
                                   "cpu0 44490 19 21045 1087069 220 1 3410 0 2 1\n"
                                   "intr 1 2 3\n");
  ASSERT_TRUE(cpus.ok());
  ASSERT_EQ(cpus->size(), 2U);
  EXPECT_EQ((*cpus)[0].cpu, -1);
  // busy = user+nice+system+irq+softirq+steal (guest already in user/nice)
  EXPECT_EQ((*cpus)[0].busy, 301854U + 612 + 111922 + 2 + 3944 + 0);
  EXPECT_EQ((*cpus)[0].total, (*cpus)[0].busy + 8979004 + 3552);
  EXPECT_EQ((*cpus)[1].cpu, 0);
  EXPECT_FALSE(parse_proc_stat_cpus("intr 1\n").ok());
}

TEST(ProcStat, Utilization) {
  const CpuTicks a{0, 100, 1000};
  const CpuTicks b{0, 150, 1100};
  EXPECT_DOUBLE_EQ(*cpu_utilization(a, b), 0.5);
  EXPECT_FALSE(cpu_utilization(a, a)); // no time passed
  EXPECT_FALSE(cpu_utilization(b, a)); // hotplug: backwards
}

TEST(Meminfo, BytesFromKb) {
  const char* m = "MemTotal:       24684096 kB\nMemFree:        23463324 kB\n"
                  "MemAvailable:   24304780 kB\nHugePages_Total:       0\n";
  EXPECT_EQ(*meminfo_bytes(m, "MemTotal"), 24684096ULL * 1024);
  EXPECT_EQ(*meminfo_bytes(m, "MemAvailable"), 24304780ULL * 1024);
  EXPECT_EQ(*meminfo_bytes(m, "HugePages_Total"), 0U);
  EXPECT_FALSE(meminfo_bytes(m, "Mem").ok());
}

TEST(SystemProbeFixture, NodeExporterProcStat) {
  TempDir d;
  ES_REQUIRE_SHARED_FIXTURE("node_exporter-sys");
  test::materialize_tree(test::shared_fixture("node_exporter-sys"), d.path());
  const auto proc = d.path() / "proc";
  SystemProbe p(SysfsReader(proc), 1s);
  EXPECT_TRUE(test::sensor_index(p, "system.cpu_util"));
  EXPECT_TRUE(test::sensor_index(p, "system.cpu7_util"));
  auto out1 = sample_once(p);
  EXPECT_EQ(reading(p, out1, "system.cpu_util")->status, SampleStatus::kUnavailable);
  // Advance cpu0 by 30 busy + 70 idle ticks and the total by the same.
  std::string stat = test::read_file(proc / "stat");
  auto replace = [&](const std::string& from, const std::string& to) {
    stat.replace(stat.find(from), from.size(), to);
  };
  replace("cpu  301854 612 111922 8979004", "cpu  301884 612 111922 8979074");
  replace("cpu0 44490 19 21045 1087069", "cpu0 44520 19 21045 1087139");
  write_file(proc, "stat", stat);
  auto out2 = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out2, "system.cpu_util")->value, 0.3);
  EXPECT_DOUBLE_EQ(reading(p, out2, "system.cpu0_util")->value, 0.3);
  // cpu1 did not move: no ticks in the window is a gap, not 0 or NaN-as-value.
  EXPECT_EQ(reading(p, out2, "system.cpu1_util")->status, SampleStatus::kUnavailable);
}

TEST(SystemProbe, RealProcOfThisProcess) {
  SystemProbe p(SysfsReader(kDefaultProcfsRoot), 1s);
  auto out1 = sample_once(p);
  auto rss = reading(p, out1, "system.rss");
  ASSERT_TRUE(rss);
  EXPECT_GT(rss->value, 1e5);
  EXPECT_GT(reading(p, out1, "system.mem_total")->value, 1e7);
  EXPECT_GE(reading(p, out1, "system.load1")->value, 0.0);
  // Burn some CPU so self_cpu_time advances.
  volatile double x = 0;
  for (int i = 0; i < 20000000; ++i) {
    x = x + std::sqrt(static_cast<double>(i));
  }
  auto out2 = sample_once(p);
  EXPECT_GE(reading(p, out2, "system.self_cpu_time")->value,
            reading(p, out1, "system.self_cpu_time")->value);
  EXPECT_EQ(reading(p, out2, "system.self_cpu_util")->status, SampleStatus::kOk);
}

TEST(SystemProbe, EmptyRootNoSensors) {
  TempDir d;
  SystemProbe p(SysfsReader(d.path()), 1s);
  EXPECT_TRUE(p.sensors().empty());
}

} // namespace
} // namespace es::probes
