#include "probes/probe_set.hpp"
#include "tests/unit/probes/fixture_util.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace es::probes {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

ProbeSetOptions fixture_options(const std::filesystem::path& root) {
  ProbeSetOptions o;
  o.roots.sysfs = root / "sys";
  o.roots.procfs = root / "proc";
  o.roots.devfs = root / "dev";
  return o;
}

std::set<std::string> names_of(const ProbeSet& set) {
  std::set<std::string> n;
  for (const auto& p : set.probes) {
    n.insert(p->name());
  }
  return n;
}

TEST(ProbeSetFixture, NodeExporterBuildsCoreProbesWithUniqueNames) {
  TempDir d;
  ES_REQUIRE_SHARED_FIXTURE("node_exporter-sys");
  test::materialize_tree(test::shared_fixture("node_exporter-sys"), d.path());
  auto set = make_probes(fixture_options(d.path()));
  const auto names = names_of(set);
  EXPECT_TRUE(names.count("cpufreq"));
  EXPECT_TRUE(names.count("thermal"));
  EXPECT_TRUE(names.count("system"));
  std::set<std::string> sensor_names;
  for (const auto& p : set.probes) {
    for (const auto& s : p->sensors()) {
      EXPECT_TRUE(sensor_names.insert(s.name).second) << "duplicate sensor " << s.name;
    }
    ProbeOutput out;
    p->sample(out);
    EXPECT_FALSE(out.readings.empty()) << p->name();
  }
}

TEST(ProbeSet, EmptyRootSkipsEverythingWithReasons) {
  TempDir d;
  auto set = make_probes(fixture_options(d.path()));
  EXPECT_TRUE(set.probes.empty());
  EXPECT_GE(set.skipped.size(), 3U);
  bool thermal_reason = false;
  for (const auto& s : set.skipped) {
    thermal_reason |= s.rfind("thermal: no zones under ", 0) == 0;
  }
  EXPECT_TRUE(thermal_reason);
}

TEST(ProbeSet, NonexistentRootNeverThrows) {
  ProbeSetOptions o;
  o.roots.sysfs = "/nonexistent/edgesoak/sys";
  o.roots.procfs = "/nonexistent/edgesoak/proc";
  o.roots.devfs = "/nonexistent/edgesoak/dev";
  EXPECT_NO_THROW({
    auto set = make_probes(o);
    EXPECT_TRUE(set.probes.empty());
  });
}

TEST(ProbeSetFixture, TogglesAndIntervals) {
  TempDir d;
  ES_REQUIRE_SHARED_FIXTURE("node_exporter-sys");
  test::materialize_tree(test::shared_fixture("node_exporter-sys"), d.path());
  auto o = fixture_options(d.path());
  o.default_interval = 2s;
  o.probes["thermal"] = ProbeToggle{false, 0s};
  o.probes["system"] = ProbeToggle{true, 250ms};
  auto set = make_probes(o);
  EXPECT_FALSE(names_of(set).count("thermal"));
  for (const auto& p : set.probes) {
    if (p->name() == "system") {
      EXPECT_EQ(p->interval(), 250ms);
    } else {
      EXPECT_EQ(p->interval(), 2s);
    }
  }
  bool disabled = false;
  for (const auto& s : set.skipped) {
    disabled |= s == "thermal: disabled";
  }
  EXPECT_TRUE(disabled);
}

TEST(BoardInfo, ArmPartNames) {
  EXPECT_EQ(arm_cpu_part_name("0x41", "0xd0b"), "Cortex-A76");
  EXPECT_EQ(arm_cpu_part_name("0x41", "0xd08"), "Cortex-A72");
  EXPECT_EQ(arm_cpu_part_name("0x41", "0xfff"), "");
}

TEST(BoardInfoFixture, DeviceTreeAndCpuinfo) {
  TempDir d;
  using test::write_file;
  write_file(d.path(), "sys/firmware/devicetree/base/model",
             std::string("Raspberry Pi 5 Model B Rev 1.0\0", 32));
  write_file(d.path(), "sys/firmware/devicetree/base/compatible",
             std::string("raspberrypi,5-model-b\0brcm,bcm2712\0", 35));
  write_file(d.path(), "proc/sys/kernel/osrelease", "6.6.31+rpt-rpi-2712\n");
  write_file(d.path(), "proc/cpuinfo",
             "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 "
             "sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\n"
             "CPU implementer\t: 0x41\nCPU part\t: 0xd0b\n\n"
             "processor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n\n"
             "Revision\t: d04170\nModel\t\t: Raspberry Pi 5 Model B Rev 1.0\n");
  Roots r;
  r.sysfs = d.path() / "sys";
  r.procfs = d.path() / "proc";
  const auto b = detect_board(r);
  EXPECT_EQ(b.model, "Raspberry Pi 5 Model B Rev 1.0");
  EXPECT_EQ(b.soc, "brcm,bcm2712");
  EXPECT_EQ(b.kernel, "6.6.31+rpt-rpi-2712");
  EXPECT_EQ(b.cpu, "Cortex-A76 x2");
  EXPECT_NE(b.cpu_features.find("asimddp"), std::string::npos);
}

TEST(BoardInfo, RealMachineHasKernelAndCpu) {
  const auto b = detect_board(Roots{});
  EXPECT_FALSE(b.kernel.empty());
  EXPECT_NE(b.cpu, "unknown");
  EXPECT_FALSE(b.model.empty());
}

} // namespace
} // namespace es::probes
