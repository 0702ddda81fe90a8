// Every probe against every synthetic board tree, through make_probes (the service's path).
#include "probes/probe_set.hpp"
#include "tests/unit/probes/fixture_util.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sys/stat.h>

namespace es::probes {
namespace {

using namespace std::chrono_literals;

/// All readings of one sample of every probe, by sensor name.
struct Snapshot {
  std::map<std::string, Reading> readings;
  std::map<std::string, SensorSpec> specs;
  std::vector<ProbeEvent> events;
  std::set<std::string> probes;
  std::vector<std::string> skipped;

  [[nodiscard]] double value(const std::string& name) const {
    const auto it = readings.find(name);
    if (it == readings.end()) {
      ADD_FAILURE() << "no reading " << name;
      return std::nan("");
    }
    EXPECT_EQ(it->second.status, SampleStatus::kOk) << name;
    return it->second.value;
  }
  [[nodiscard]] bool has(const std::string& name) const { return specs.count(name) != 0; }
  [[nodiscard]] bool event(const std::string& kind, const std::string& needle = {}) const {
    for (const auto& e : events) {
      if (e.kind == kind && e.detail.find(needle) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
};

ProbeSetOptions board_options(const std::string& board) {
  const auto root = test::board_fixture(board);
  ProbeSetOptions o;
  o.roots.sysfs = root / "sys";
  o.roots.procfs = root / "proc";
  o.roots.devfs = root / "dev";
  o.vcgencmd = "/nonexistent/vcgencmd";
  return o;
}

Snapshot snapshot(const ProbeSetOptions& o) {
  auto set = make_probes(o);
  Snapshot s;
  s.skipped = set.skipped;
  for (const auto& p : set.probes) {
    EXPECT_TRUE(s.probes.insert(p->name()).second) << "duplicate probe " << p->name();
    for (const auto& spec : p->sensors()) {
      EXPECT_TRUE(s.specs.emplace(spec.name, spec).second) << "duplicate sensor " << spec.name;
      EXPECT_FALSE(spec.unit.empty()) << spec.name;
      EXPECT_FALSE(spec.source.empty()) << spec.name;
    }
    ProbeOutput out;
    p->sample(out);
    for (const auto& r : out.readings) {
      EXPECT_LT(r.index, p->sensors().size());
      EXPECT_GT(r.t_ns, 0);
      if (r.status == SampleStatus::kOk) {
        EXPECT_TRUE(std::isfinite(r.value)) << p->sensors()[r.index].name;
      } else {
        EXPECT_TRUE(std::isnan(r.value)) << p->sensors()[r.index].name;
      }
      s.readings[p->sensors()[r.index].name] = r;
    }
    s.events.insert(s.events.end(), out.events.begin(), out.events.end());
  }
  return s;
}

TEST(BoardFixture, RaspberryPi5) {
  const auto s = snapshot(board_options("rpi5"));
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy0.cur"), 2.4e9);
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy0.hw_cur"), 2.4e9);
  EXPECT_DOUBLE_EQ(s.value("thermal.cpu-thermal"), 55.6);
  EXPECT_DOUBLE_EQ(s.value("thermal.cpu-thermal.trip0_critical"), 110.0);
  EXPECT_DOUBLE_EQ(s.value("thermal.cooling.pwm-fan"), 1.0);
  EXPECT_DOUBLE_EQ(s.value("hwmon.cpu_thermal.temp1"), 55.6);
  EXPECT_DOUBLE_EQ(s.value("hwmon.rp1_adc.in1"), 1.48);
  EXPECT_DOUBLE_EQ(s.value("hwmon.pwmfan.fan1"), 2712.0);
  EXPECT_DOUBLE_EQ(s.value("rpi.throttled"), 0.0);
  EXPECT_DOUBLE_EQ(s.value("rpi.volt_alarm"), 0.0);
  EXPECT_DOUBLE_EQ(s.value("system.rss"), 3000.0 * static_cast<double>(::sysconf(_SC_PAGESIZE)));
  EXPECT_NEAR(s.value("system.self_cpu_time"), 300.0 / static_cast<double>(::sysconf(_SC_CLK_TCK)),
              1e-9);
  EXPECT_DOUBLE_EQ(s.value("system.mem_total"), 8000000.0 * 1024);
  EXPECT_TRUE(s.has("system.cpu3_util"));
  EXPECT_EQ(s.specs.at("hwmon.cpu_thermal.temp1").source.rfind("sysfs:/", 0), 0U);
  EXPECT_FALSE(s.probes.count("rails"));
  const auto b = detect_board(board_options("rpi5").roots);
  EXPECT_EQ(b.model, "Raspberry Pi 5 Model B Rev 1.0");
  EXPECT_EQ(b.soc, "brcm,bcm2712");
  EXPECT_EQ(b.cpu, "Cortex-A76 x4");
  EXPECT_EQ(b.kernel, "6.6.31+rpt-rpi-2712");
}

TEST(BoardFixture, RaspberryPi5PmicThroughVcgencmd) {
  ES_REQUIRE_SHARED_FIXTURE("zeus-rpi5-pmic");
  test::TempDir d;
  const auto capture =
      test::shared_fixture("zeus-rpi5-pmic") / "pmic_read_adc_pi5_rev1.0_4core_load.txt";
  const auto script = d.path() / "vcgencmd";
  test::write_file(d.path(), "vcgencmd",
                   "#!/bin/sh\n[ \"$1\" = pmic_read_adc ] || exit 1\ncat '" + capture.string() +
                       "'\n");
  ::chmod(script.c_str(), 0755);
  auto o = board_options("rpi5");
  o.vcgencmd = script.string();
  const auto s = snapshot(o);
  ASSERT_TRUE(s.probes.count("pmic"));
  EXPECT_NEAR(s.value("pmic.vdd_core.power"), 5.363607, 1e-5);
  EXPECT_NEAR(s.value("pmic.total_power"), 7.239819, 1e-5);
  EXPECT_EQ(s.specs.at("pmic.total_power").unit, "W");
}

TEST(BoardFixture, RaspberryPi4StickyCapping) {
  const auto s = snapshot(board_options("rpi4"));
  EXPECT_DOUBLE_EQ(s.value("rpi.throttled"), static_cast<double>(0x20000));
  EXPECT_TRUE(s.event("rpi_throttle_occurred", "flag=arm_freq_capped"));
  EXPECT_DOUBLE_EQ(s.value("thermal.cpu-thermal"), 81.8);
  EXPECT_EQ(detect_board(board_options("rpi4").roots).cpu, "Cortex-A72 x4");
  bool pmic_reason = false;
  for (const auto& r : s.skipped) {
    pmic_reason |= r.rfind("pmic: not a Raspberry Pi 5", 0) == 0;
  }
  EXPECT_TRUE(pmic_reason);
}

TEST(BoardFixture, JetsonOrinNano) {
  const auto s = snapshot(board_options("jetson-orin"));
  EXPECT_EQ(s.readings.at("thermal.cv0-thermal").status, SampleStatus::kInvalid); // -256 C
  EXPECT_DOUBLE_EQ(s.value("thermal.tj-thermal"), 47.8);
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy4.cur"), 1510.4e6);
  EXPECT_NEAR(s.value("rails.vdd_in.power"), 4.904 * 1.048, 1e-9);
  EXPECT_NEAR(s.value("rails.total_power"), 4.904 * 1.048, 1e-9);
  EXPECT_DOUBLE_EQ(s.value("devfreq.17000000_gpu.cur"), 624.75e6);
  // The INA3221 goes to the rails probe only (no double rows in hwmon).
  for (const auto& [name, spec] : s.specs) {
    EXPECT_EQ(name.rfind("hwmon.ina3221", 0), std::string::npos) << name;
  }
  const auto b = detect_board(board_options("jetson-orin").roots);
  EXPECT_EQ(b.model, "NVIDIA Jetson Orin Nano Developer Kit");
  EXPECT_EQ(b.soc, "nvidia,tegra234");
  EXPECT_EQ(b.cpu, "Cortex-A78AE x6");
}

TEST(BoardFixture, JetsonNano) {
  const auto s = snapshot(board_options("jetson-nano"));
  EXPECT_NEAR(s.value("rails.pom_5v_in.power"), 0.933, 1e-9);
  EXPECT_DOUBLE_EQ(s.value("thermal.pmic-die"), 100.0);
  EXPECT_DOUBLE_EQ(s.value("devfreq.57000000_gpu.max_limit"), 921.6e6);
  EXPECT_DOUBLE_EQ(s.value("devfreq.57000000_gpu.load"), 0.037);
  EXPECT_DOUBLE_EQ(s.value("hwmon.thermal-fan-est.temp1"), 42.2);
}

TEST(BoardFixture, CoralDevBoard) {
  const auto s = snapshot(board_options("coral"));
  EXPECT_DOUBLE_EQ(s.value("thermal.apex_0"), 61.25);
  EXPECT_DOUBLE_EQ(s.value("thermal.apex_0.trip0"), 85.0);
  EXPECT_DOUBLE_EQ(s.value("thermal.cpu-thermal.trip1_passive"), 85.0);
  EXPECT_DOUBLE_EQ(s.value("thermal.cooling.thermal-cpufreq-0"), 0.0);
  EXPECT_EQ(detect_board(board_options("coral").roots).cpu, "Cortex-A53 x4");
}

TEST(BoardFixture, X86MiniPc) {
  const auto s = snapshot(board_options("x86"));
  EXPECT_DOUBLE_EQ(s.value("hwmon.coretemp.package_id_0"), 52.0);
  EXPECT_DOUBLE_EQ(s.value("hwmon.coretemp.core_3"), 52.0);
  EXPECT_DOUBLE_EQ(s.value("hwmon.nvme.composite"), 38.85);
  EXPECT_DOUBLE_EQ(s.value("thermal.acpitz.0"), 27.8);
  EXPECT_DOUBLE_EQ(s.value("thermal.acpitz.1"), 29.8);
  EXPECT_TRUE(s.has("thermal.cooling.processor.3"));
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy3.cur"), 2896874e3);
  EXPECT_FALSE(s.has("cpufreq.policy0.residency_mean")); // intel_pstate: no stats
  EXPECT_TRUE(s.has("rails.rapl.package-0.power"));
  EXPECT_TRUE(s.has("rails.rapl.package-0_core.power"));
  EXPECT_TRUE(s.has("cpufreq.package0.throttles"));
  EXPECT_TRUE(s.has("cpufreq.cpu3.core_throttles"));
  const auto b = detect_board(board_options("x86").roots);
  EXPECT_EQ(b.model, "N100 Mini PC"); // "Default string" vendor dropped
  EXPECT_EQ(b.cpu, "Intel(R) N100 x4");
  EXPECT_NE(b.cpu_features.find("avx_vnni"), std::string::npos);
}

TEST(BoardFixture, OdroidN2BigLittle) {
  const auto s = snapshot(board_options("odroid-n2"));
  // Two policies: policy0 = cpu0-1 (A53, 100..2016 MHz), policy2 = cpu2-5 (A73, 100..2400 MHz).
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy0.cur"), 2016e6);
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy0.hw_cur"), 2016e6);
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy0.max_limit"), 2016e6);
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy0.min_limit"), 100e6);
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy2.cur"), 2400e6);
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy2.max_limit"), 2400e6);
  EXPECT_DOUBLE_EQ(s.value("cpufreq.policy2.min_limit"), 100e6);
  EXPECT_TRUE(s.has("cpufreq.policy0.residency_mean"));
  EXPECT_TRUE(s.has("cpufreq.policy2.residency_mean"));
  EXPECT_TRUE(s.has("cpufreq.policy2.transitions"));
  EXPECT_FALSE(s.has("cpufreq.policy1.cur"));
  EXPECT_FALSE(s.has("cpufreq.policy3.cur"));
  EXPECT_TRUE(s.has("cpufreq.cpu5.online"));
  EXPECT_DOUBLE_EQ(s.value("thermal.cpu-thermal"), 35.6);
  EXPECT_DOUBLE_EQ(s.value("thermal.ddr-thermal"), 34.8);
  EXPECT_DOUBLE_EQ(s.value("thermal.cpu-thermal.trip0_passive"), 85.0);
  EXPECT_DOUBLE_EQ(s.value("thermal.cpu-thermal.trip2_critical"), 110.0);
  EXPECT_DOUBLE_EQ(s.value("thermal.ddr-thermal.trip1_critical"), 110.0);
  EXPECT_DOUBLE_EQ(s.value("thermal.cooling.thermal-cpufreq-1"), 0.0);
  EXPECT_DOUBLE_EQ(s.value("hwmon.cpu_thermal.temp1"), 35.6); // sbc-bench's thermal source
  EXPECT_DOUBLE_EQ(s.value("hwmon.ddr_thermal.temp1"), 34.8);
  EXPECT_TRUE(s.has("system.cpu5_util"));
  EXPECT_FALSE(s.has("system.cpu6_util"));
  EXPECT_FALSE(s.probes.count("rails")); // no on-board power sensor
  EXPECT_FALSE(s.probes.count("rpi"));
  const auto b = detect_board(board_options("odroid-n2").roots);
  EXPECT_EQ(b.model, "Hardkernel ODROID-N2Plus");
  EXPECT_EQ(b.soc, "amlogic,g12b");
  EXPECT_EQ(b.cpu, "Cortex-A53 x2 + Cortex-A73 x4");
  EXPECT_EQ(b.kernel, "5.10.81-meson64");
}

TEST(BoardFixture, EveryBoardHasCoreProbes) {
  for (const char* board :
       {"rpi4", "rpi5", "jetson-nano", "jetson-orin", "coral", "x86", "odroid-n2"}) {
    const auto s = snapshot(board_options(board));
    for (const char* p : {"cpufreq", "thermal", "system"}) {
      EXPECT_TRUE(s.probes.count(p)) << board << " " << p;
    }
    // Only measurements are "temperature": no trip point or placeholder may look like the
    // hottest sensor to the service's safety limit (85 C default; fixtures stay below it).
    for (const auto& [name, spec] : s.specs) {
      if (spec.kind != SensorKind::kTemperature) {
        continue;
      }
      EXPECT_EQ(name.find(".trip"), std::string::npos) << board << " " << name;
      const auto it = s.readings.find(name);
      if (it != s.readings.end() && it->second.status == SampleStatus::kOk) {
        EXPECT_LT(it->second.value, 85.0) << board << " " << name;
      }
    }
  }
}

} // namespace
} // namespace es::probes

namespace es::probes {
namespace {

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(SysfsReader(kDefaultProcfsRoot).path("self/fd"))) {
    ++n;
  }
  return n;
}

TEST(BoardFixture, ThousandSamplesKeepDescriptorsOpenAndLeakNone) {
  auto o = board_options("jetson-orin");
  auto set = make_probes(o);
  ProbeOutput out;
  for (auto& p : set.probes) {
    out.clear();
    p->sample(out); // first sample opens the attribute files
  }
  const std::size_t after_first = open_fds();
  for (int i = 0; i < 1000; ++i) {
    for (auto& p : set.probes) {
      out.clear();
      p->sample(out);
    }
  }
  EXPECT_EQ(open_fds(), after_first); // pread on kept descriptors: no open/close per sample
  set.probes.clear();
  EXPECT_LT(open_fds(), after_first); // and they are closed with the probes
}

} // namespace
} // namespace es::probes
