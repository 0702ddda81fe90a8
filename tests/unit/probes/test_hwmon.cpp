#include "probes/hwmon.hpp"
#include "tests/unit/probes/fixture_util.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace es::probes {
namespace {

using namespace std::chrono_literals;
using test::reading;
using test::sample_once;
using test::TempDir;
using test::write_file;

TEST(HwmonAttr, ParsesNames) {
  auto a = parse_hwmon_attr("temp12_input");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->type, "temp");
  EXPECT_EQ(a->channel, 12);
  EXPECT_EQ(a->item, "input");
  EXPECT_EQ(parse_hwmon_attr("in0_lcrit_alarm")->item, "lcrit_alarm");
  EXPECT_FALSE(parse_hwmon_attr("name"));
  EXPECT_FALSE(parse_hwmon_attr("update_interval"));
  EXPECT_FALSE(parse_hwmon_attr("temp_input"));
}

TEST(HwmonUnit, NormalisesToSi) {
  EXPECT_DOUBLE_EQ(hwmon_unit("coretemp", "temp", 1)->scale, 1e-3);
  EXPECT_STREQ(hwmon_unit("ina219", "power", 1)->unit, "W");
  EXPECT_DOUBLE_EQ(hwmon_unit("ina219", "power", 1)->scale, 1e-6);
  EXPECT_DOUBLE_EQ(hwmon_unit("ina219", "in", 1)->scale, 1e-3);
  EXPECT_DOUBLE_EQ(hwmon_unit("ina3221", "in", 4)->scale, 1e-6); // shunt channel in uV
  EXPECT_DOUBLE_EQ(hwmon_unit("ina3221", "in", 1)->scale, 1e-3);
  EXPECT_FALSE(hwmon_unit("x", "humidity", 1));
  EXPECT_FALSE(hwmon_unit("x", "bogus", 1));
}

TEST(HwmonProbeFixture, NodeExporterSysfsBackend) {
  ES_REQUIRE_SHARED_FIXTURE("node_exporter-sys");
  TempDir d;
  test::materialize_tree(test::shared_fixture("node_exporter-sys"), d.path());
  HwmonProbe p(SysfsReader(d.path() / "sys"), 1s);
  EXPECT_EQ(p.backend(), HwmonBackend::kSysfs);
  auto out = sample_once(p);
  // Two coretemp chips: disambiguated by their device (coretemp.0 / coretemp.1).
  auto core = reading(p, out, "hwmon.coretemp.coretemp_0.physical_id_0");
  ASSERT_TRUE(core);
  EXPECT_EQ(core->status, SampleStatus::kOk);
  EXPECT_GT(core->value, 10.0);
  EXPECT_LT(core->value, 120.0);
  EXPECT_TRUE(test::sensor_index(p, "hwmon.coretemp.coretemp_1.physical_id_0"));
  for (const auto& s : p.sensors()) {
    EXPECT_EQ(s.name.rfind("hwmon.", 0) == 0 || s.name.rfind("probe.", 0) == 0, true) << s.name;
    if (s.name.rfind("hwmon.", 0) == 0) {
      EXPECT_EQ(s.source.rfind("sysfs:/class/hwmon/", 0), 0U) << s.source;
    }
  }
  // Names are unique.
  std::set<std::string> names;
  for (const auto& s : p.sensors()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
  }
}

TEST(HwmonProbe, UnitsLabelsGapsAndExclusion) {
  TempDir d;
  const std::string h0 = "class/hwmon/hwmon0/";
  write_file(d.path(), h0 + "name", "ina219\n");
  write_file(d.path(), h0 + "in0_input", "150\n");         // shunt mV
  write_file(d.path(), h0 + "in1_input", "12000\n");       // bus mV
  write_file(d.path(), h0 + "curr1_input", "1500\n");      // mA
  write_file(d.path(), h0 + "power1_input", "18000000\n"); // uW
  const std::string h1 = "class/hwmon/hwmon1/";
  write_file(d.path(), h1 + "name", "cpu_thermal\n");
  write_file(d.path(), h1 + "temp1_input", "-256000\n");
  write_file(d.path(), h1 + "temp2_input", "oops\n");
  write_file(d.path(), h1 + "temp3_input", "-12500\n");
  write_file(d.path(), h1 + "temp3_label", "Ambient Sensor\n");
  const std::string h2 = "class/hwmon/hwmon2/";
  write_file(d.path(), h2 + "name", "pwmfan\n");
  write_file(d.path(), h2 + "fan1_input", "2712\n");
  HwmonProbe p(SysfsReader(d.path()), 1s, HwmonOptions{HwmonBackend::kSysfs, {}, {}});
  auto out = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out, "hwmon.ina219.in0")->value, 0.150);
  EXPECT_DOUBLE_EQ(reading(p, out, "hwmon.ina219.in1")->value, 12.0);
  EXPECT_DOUBLE_EQ(reading(p, out, "hwmon.ina219.curr1")->value, 1.5);
  EXPECT_DOUBLE_EQ(reading(p, out, "hwmon.ina219.power1")->value, 18.0);
  EXPECT_EQ(reading(p, out, "hwmon.cpu_thermal.temp1")->status, SampleStatus::kInvalid);
  EXPECT_EQ(reading(p, out, "hwmon.cpu_thermal.temp2")->status, SampleStatus::kUnavailable);
  EXPECT_DOUBLE_EQ(reading(p, out, "hwmon.cpu_thermal.ambient_sensor")->value, -12.5);
  EXPECT_DOUBLE_EQ(reading(p, out, "hwmon.pwmfan.fan1")->value, 2712.0);

  HwmonProbe q(SysfsReader(d.path()), 1s, HwmonOptions{HwmonBackend::kSysfs, {"ina219"}, {}});
  EXPECT_FALSE(test::sensor_index(q, "hwmon.ina219.in1"));
  EXPECT_TRUE(test::sensor_index(q, "hwmon.pwmfan.fan1"));
}

TEST(HwmonProbe, AutoUsesSysfsReaderForFixtureRoots) {
  TempDir d;
  write_file(d.path(), "class/hwmon/hwmon0/name", "x\n");
  write_file(d.path(), "class/hwmon/hwmon0/temp1_input", "1000\n");
  HwmonProbe p(SysfsReader(d.path()), 1s);
  EXPECT_EQ(p.backend(), HwmonBackend::kSysfs);
}

TEST(HwmonProbe, RealSysWithAutoBackendDoesNotCrash) {
  HwmonProbe p(SysfsReader(kDefaultSysfsRoot), 1s);
  auto out = sample_once(p);
  EXPECT_EQ(out.readings.size(), p.sensors().size());
}

} // namespace
} // namespace es::probes
