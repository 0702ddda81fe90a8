#include "probes/devfreq.hpp"
#include "probes/rails.hpp"
#include "tests/unit/probes/fixture_util.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sys/stat.h>

namespace es::probes {
namespace {

using namespace std::chrono_literals;
using test::has_event;
using test::reading;
using test::sample_once;

std::string pmic_capture() {
  return test::read_file(test::shared_fixture("zeus-rpi5-pmic") /
                         "pmic_read_adc_pi5_rev1.0_4core_load.txt");
}

TEST(PmicParse, ZeusCapturePairsRailsByName) {
  ES_REQUIRE_SHARED_FIXTURE("zeus-rpi5-pmic");
  const auto ch = parse_pmic_read_adc(pmic_capture());
  std::map<std::string, std::pair<double, double>> rails; // V, A
  for (const auto& c : ch) {
    ASSERT_TRUE(c.value) << c.rail;
    (c.is_current ? rails[c.rail].second : rails[c.rail].first) = *c.value;
  }
  EXPECT_EQ(ch.size(), 26U);
  EXPECT_NEAR(rails["VDD_CORE"].first, 0.861733, 1e-9);
  EXPECT_NEAR(rails["VDD_CORE"].second, 6.22421, 1e-9);
  EXPECT_NEAR(rails["EXT5V"].first, 5.09066, 1e-9);
  double sum = 0;
  int both = 0;
  for (const auto& c : ch) {
    if (c.is_current) {
      sum += rails[c.rail].first * rails[c.rail].second;
      ++both;
    }
  }
  EXPECT_EQ(both, 12);
  EXPECT_NEAR(sum, 7.239819, 1e-5); // the derived check in SOURCE.txt
}

TEST(PmicParse, TolerantOfNanGarbageAndNul) {
  const auto ch = parse_pmic_read_adc(std::string("BATT_V volt(25)=nanV\0garbage line\n"
                                                  "  HDMI_A current(22)=0.02417580A\n"
                                                  "X_Q volt(1)=1V\n",
                                                  83));
  ASSERT_EQ(ch.size(), 2U);
  EXPECT_EQ(ch[0].rail, "BATT");
  EXPECT_FALSE(ch[0].value);
  EXPECT_EQ(ch[1].rail, "HDMI");
  EXPECT_EQ(ch[1].adc_index, 22);
  EXPECT_TRUE(ch[1].is_current);
}

TEST(RunCommand, CapturesOutputAndEnforcesTimeout) {
  auto ok = run_command({"printf", "a\\nb"}, 2000ms);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(*ok, "a\nb");
  const auto t0 = std::chrono::steady_clock::now();
  auto slow = run_command({"sleep", "5"}, 200ms);
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s); // killed, not waited for
  EXPECT_EQ(run_command({"/nonexistent/vcgencmd"}, 200ms).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(run_command({"false"}, 2000ms).error().code, ErrorCode::kIo);
}

TEST(PmicProbe, SensorsPowerAndTotal) {
  ES_REQUIRE_SHARED_FIXTURE("zeus-rpi5-pmic");
  const std::string text = pmic_capture();
  bool fail = false;
  PmicProbe p(
      [&]() -> Result<std::string> {
        if (fail) {
          return make_error(ErrorCode::kTimeout, "vcgencmd timed out");
        }
        return text;
      },
      "test", 100ms);
  EXPECT_EQ(p.interval(), 1s); // at most 1 Hz
  auto out = sample_once(p);
  EXPECT_NEAR(reading(p, out, "pmic.vdd_core.power")->value, 5.363607, 1e-5);
  EXPECT_NEAR(reading(p, out, "pmic.ext5v.voltage")->value, 5.09066, 1e-9);
  EXPECT_FALSE(test::sensor_index(p, "pmic.ext5v.current"));
  EXPECT_NEAR(reading(p, out, "pmic.total_power")->value, 7.239819, 1e-5);
  EXPECT_DOUBLE_EQ(reading(p, out, "pmic.3v3_sys.current")->value, 0.0878337);
  fail = true;
  out = sample_once(p);
  EXPECT_EQ(reading(p, out, "pmic.total_power")->status, SampleStatus::kUnavailable);
  EXPECT_EQ(reading(p, out, "pmic.vdd_core.voltage")->status, SampleStatus::kUnavailable);
}

TEST(RailsProbeFixture, JetsonOrinIna3221Hwmon) {
  RailsProbe p(SysfsReader(test::board_fixture("jetson-orin") / "sys"), 1s);
  auto out = sample_once(p);
  EXPECT_NEAR(reading(p, out, "rails.vdd_in.voltage")->value, 4.904, 1e-9);
  EXPECT_NEAR(reading(p, out, "rails.vdd_in.current")->value, 1.048, 1e-9);
  EXPECT_NEAR(reading(p, out, "rails.vdd_in.power")->value, 4.904 * 1.048, 1e-9);
  EXPECT_NEAR(reading(p, out, "rails.vdd_in.shunt_voltage")->value, 5.24e-3, 1e-12); // uV!
  EXPECT_NEAR(reading(p, out, "rails.vdd_soc.current")->value, 0.312, 1e-9);
  EXPECT_NEAR(reading(p, out, "rails.total_power")->value, 4.904 * 1.048, 1e-9);
  // 5.24 mV over the 5 mOhm shunt is the measured current (hardware.md §1.11 check).
  EXPECT_NEAR(reading(p, out, "rails.vdd_in.shunt_voltage")->value / 0.005,
              reading(p, out, "rails.vdd_in.current")->value, 0.002);
  for (const auto& s : p.sensors()) {
    EXPECT_EQ(s.name.find("sum"), std::string::npos) << s.name;
  }
}

TEST(RailsProbeFixture, JetsonNanoIio) {
  RailsProbe p(SysfsReader(test::board_fixture("jetson-nano") / "sys"), 1s);
  auto out = sample_once(p);
  EXPECT_NEAR(reading(p, out, "rails.pom_5v_in.power")->value, 0.933, 1e-9);
  EXPECT_NEAR(reading(p, out, "rails.pom_5v_in.voltage")->value, 5.072, 1e-9);
  EXPECT_NEAR(reading(p, out, "rails.pom_5v_cpu.current")->value, 0.017, 1e-9);
  EXPECT_NEAR(reading(p, out, "rails.total_power")->value, 0.933, 1e-9);
}

TEST(RailsProbe, Ina2xxHwmonUnits) {
  test::TempDir d;
  // Linux ina2xx with shunt_resistor = 100000 uOhm (row 1 of hardware.md §1.8's hwmon table).
  test::write_file(d.path(), "devices/i2c-1/1-0040/hwmon/hwmon0/name", "ina219\n");
  test::write_file(d.path(), "devices/i2c-1/1-0040/hwmon/hwmon0/in0_input", "150\n");
  test::write_file(d.path(), "devices/i2c-1/1-0040/hwmon/hwmon0/in1_input", "12000\n");
  test::write_file(d.path(), "devices/i2c-1/1-0040/hwmon/hwmon0/curr1_input", "1500\n");
  test::write_file(d.path(), "devices/i2c-1/1-0040/hwmon/hwmon0/power1_input", "18000000\n");
  test::make_link(d.path(), "devices/i2c-1/1-0040/hwmon/hwmon0/device", "../../../1-0040");
  test::make_link(d.path(), "class/hwmon/hwmon0", "../../devices/i2c-1/1-0040/hwmon/hwmon0");
  RailsProbe p(SysfsReader(d.path()), 1s);
  auto out = sample_once(p);
  EXPECT_NEAR(reading(p, out, "rails.ina219_1-0040.bus_voltage")->value, 12.0, 1e-9);
  EXPECT_NEAR(reading(p, out, "rails.ina219_1-0040.shunt_voltage")->value, 0.15, 1e-12);
  EXPECT_NEAR(reading(p, out, "rails.ina219_1-0040.current")->value, 1.5, 1e-9);
  EXPECT_NEAR(reading(p, out, "rails.ina219_1-0040.power")->value, 18.0, 1e-9);
  EXPECT_FALSE(test::sensor_index(p, "rails.total_power"));
}

TEST(DevfreqProbeFixture, JetsonGpuClockLoadAndCapEvent) {
  test::TempDir d;
  test::materialize_tree(test::board_fixture("jetson-orin"), d.path());
  DevfreqProbe p(SysfsReader(d.path() / "sys"), 1s);
  auto out = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out, "devfreq.17000000_gpu.cur")->value, 624.75e6);
  EXPECT_DOUBLE_EQ(reading(p, out, "devfreq.17000000_gpu.load")->value, 0.125);
  test::write_file(d.path(),
                   "sys/devices/platform/bus@0/17000000.gpu/devfreq/17000000.gpu/max_freq",
                   "420750000\n");
  out = sample_once(p);
  EXPECT_TRUE(has_event(out, "devfreq_max_limit", "change=cap"));
}

} // namespace
} // namespace es::probes

namespace es::probes {
namespace {

TEST(Rapl, PowerFromEnergyWithWrap) {
  EXPECT_DOUBLE_EQ(*rapl_power_w(1'000'000, 3'000'000, 262143328850ULL, 1.0), 2.0);
  // Wrap: 262143328850 is the fixture's max_energy_range_uj.
  EXPECT_NEAR(*rapl_power_w(262143328850ULL - 500'000, 1'500'000, 262143328850ULL, 0.5), 4.0, 1e-9);
  EXPECT_FALSE(rapl_power_w(1, 2, 10, 0.0));
  EXPECT_FALSE(rapl_power_w(20, 1, 10, 1.0)); // prev above the range: impossible
}

TEST(RailsProbeFixture, NodeExporterRaplZones) {
  ES_REQUIRE_SHARED_FIXTURE("node_exporter-sys");
  test::TempDir d;
  test::materialize_tree(test::shared_fixture("node_exporter-sys"), d.path());
  RailsProbe p(SysfsReader(d.path() / "sys"), 1s);
  ASSERT_TRUE(test::sensor_index(p, "rails.rapl.package-0.power"));
  ASSERT_TRUE(test::sensor_index(p, "rails.rapl.package-0_core.power"));
  auto out = sample_once(p);
  EXPECT_EQ(reading(p, out, "rails.rapl.package-0.power")->status, SampleStatus::kUnavailable);
  const auto f = d.path() / "sys/class/powercap/intel-rapl:0/energy_uj";
  const auto before = std::stoull(test::read_file(f));
  test::write_file(d.path(), "sys/class/powercap/intel-rapl:0/energy_uj",
                   std::to_string(before + 5'000'000) + "\n");
  out = sample_once(p);
  auto w = reading(p, out, "rails.rapl.package-0.power");
  ASSERT_EQ(w->status, SampleStatus::kOk);
  EXPECT_GT(w->value, 5.0); // 5 J over a window far shorter than a second
}

} // namespace
} // namespace es::probes
