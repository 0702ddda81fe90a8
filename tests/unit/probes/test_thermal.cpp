#include "probes/thermal.hpp"
#include "tests/unit/probes/fixture_util.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace es::probes {
namespace {

using namespace std::chrono_literals;
using test::has_event;
using test::reading;
using test::sample_once;
using test::TempDir;
using test::write_file;

TEST(Millicelsius, MarkersAreNotValues) {
  EXPECT_DOUBLE_EQ(*millicelsius_to_c(49925), 49.925);
  EXPECT_DOUBLE_EQ(*millicelsius_to_c(-44000), -44.0); // negative is valid
  EXPECT_FALSE(millicelsius_to_c(-256000));            // Jetson: sensor off
  EXPECT_FALSE(millicelsius_to_c(-300000));            // below absolute zero
}

TEST(ThermalProbeFixture, PrometheusProcfsZonesAndCooling) {
  TempDir d;
  ES_REQUIRE_SHARED_FIXTURE("prometheus-procfs-sys");
  test::materialize_tree(test::shared_fixture("prometheus-procfs-sys"), d.path());
  ThermalProbe p(SysfsReader(d.path() / "sys"), 1s);
  EXPECT_EQ(p.zone_count(), 2U);
  auto out = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out, "thermal.bcm2835_thermal")->value, 49.925);
  auto acpi = reading(p, out, "thermal.acpitz");
  ASSERT_TRUE(acpi);
  EXPECT_EQ(acpi->status, SampleStatus::kOk);
  EXPECT_DOUBLE_EQ(acpi->value, -44.0);
  // Cooling devices: cur_state -1 is invalid, a missing cur_state creates no sensor.
  bool saw_invalid = false;
  for (const auto& s : p.sensors()) {
    if (s.kind == SensorKind::kCooling && s.name.find("max_state") == std::string::npos) {
      auto r = reading(p, out, s.name);
      ASSERT_TRUE(r) << s.name;
      saw_invalid |= r->status == SampleStatus::kInvalid;
    }
  }
  EXPECT_TRUE(saw_invalid);
  EXPECT_TRUE(reading(p, out, "thermal.cooling.intel_powerclamp.max_state"));
}

TEST(ThermalProbeFixture, NodeExporterZoneThroughClassSymlink) {
  TempDir d;
  ES_REQUIRE_SHARED_FIXTURE("node_exporter-sys");
  test::materialize_tree(test::shared_fixture("node_exporter-sys"), d.path());
  ThermalProbe p(SysfsReader(d.path() / "sys"), 1s);
  auto out = sample_once(p);
  auto z = reading(p, out, "thermal.cpu-thermal");
  ASSERT_TRUE(z);
  EXPECT_DOUBLE_EQ(z->value, 12.376);
  EXPECT_DOUBLE_EQ(reading(p, out, "thermal.cooling.processor")->value, 0.0);
}

void zone(const std::filesystem::path& root, int n, const std::string& type,
          const std::string& temp) {
  const std::string z = "class/thermal/thermal_zone" + std::to_string(n) + "/";
  write_file(root, z + "type", type + "\n");
  write_file(root, z + "temp", temp + "\n");
}

TEST(ThermalProbe, GapsForMinus256AndUnreadable) {
  TempDir d;
  zone(d.path(), 0, "cv0-thermal", "-256000");
  zone(d.path(), 1, "gpu-thermal", "garbage");
  zone(d.path(), 2, "cpu-thermal", "41437");
  ThermalProbe p(SysfsReader(d.path()), 1s);
  auto out = sample_once(p);
  auto cv = reading(p, out, "thermal.cv0-thermal");
  EXPECT_EQ(cv->status, SampleStatus::kInvalid);
  EXPECT_TRUE(std::isnan(cv->value));
  EXPECT_EQ(reading(p, out, "thermal.gpu-thermal")->status, SampleStatus::kUnavailable);
  EXPECT_DOUBLE_EQ(reading(p, out, "thermal.cpu-thermal")->value, 41.437);
  // A zone that starts failing mid-run is a gap, not a crash; when it recovers, a value.
  zone(d.path(), 2, "cpu-thermal", "");
  auto out2 = sample_once(p);
  EXPECT_EQ(reading(p, out2, "thermal.cpu-thermal")->status, SampleStatus::kUnavailable);
  zone(d.path(), 2, "cpu-thermal", "42000");
  auto out3 = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out3, "thermal.cpu-thermal")->value, 42.0);
}

TEST(ThermalProbe, DuplicateTypesGetZoneIndex) {
  TempDir d;
  zone(d.path(), 0, "acpitz", "30000");
  zone(d.path(), 3, "acpitz", "31000");
  zone(d.path(), 1, "Package id 0", "50000");
  ThermalProbe p(SysfsReader(d.path()), 1s);
  EXPECT_TRUE(test::sensor_index(p, "thermal.acpitz.0"));
  EXPECT_TRUE(test::sensor_index(p, "thermal.acpitz.3"));
  EXPECT_TRUE(test::sensor_index(p, "thermal.package_id_0"));
  EXPECT_FALSE(test::sensor_index(p, "thermal.acpitz"));
}

TEST(ThermalProbe, TripPointsSparseAndCrossingEvents) {
  TempDir d;
  zone(d.path(), 0, "cpu-thermal", "70000");
  write_file(d.path(), "class/thermal/thermal_zone0/trip_point_0_temp", "80000\n");
  write_file(d.path(), "class/thermal/thermal_zone0/trip_point_0_type", "passive\n");
  write_file(d.path(), "class/thermal/thermal_zone0/trip_point_1_temp", "110000\n");
  write_file(d.path(), "class/thermal/thermal_zone0/trip_point_1_type", "critical\n");
  write_file(d.path(), "class/thermal/cooling_device0/type", "cpufreq-cpu0\n");
  write_file(d.path(), "class/thermal/cooling_device0/cur_state", "0\n");
  write_file(d.path(), "class/thermal/cooling_device0/max_state", "4\n");
  ThermalProbe p(SysfsReader(d.path()), 1s);
  auto out1 = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out1, "thermal.cpu-thermal.trip0_passive")->value, 80.0);
  EXPECT_DOUBLE_EQ(reading(p, out1, "thermal.cpu-thermal.trip1_critical")->value, 110.0);
  EXPECT_DOUBLE_EQ(reading(p, out1, "thermal.cooling.cpufreq-cpu0.max_state")->value, 4.0);
  // Unchanged configuration is not repeated.
  auto out2 = sample_once(p);
  EXPECT_FALSE(reading(p, out2, "thermal.cpu-thermal.trip0_passive"));
  EXPECT_FALSE(reading(p, out2, "thermal.cooling.cpufreq-cpu0.max_state"));
  // Cross the passive trip, cooling kicks in.
  zone(d.path(), 0, "cpu-thermal", "81000");
  write_file(d.path(), "class/thermal/cooling_device0/cur_state", "2\n");
  auto out3 = sample_once(p);
  EXPECT_TRUE(has_event(out3, "thermal_trip", "direction=up"));
  EXPECT_TRUE(has_event(out3, "cooling_active", "state=2"));
  zone(d.path(), 0, "cpu-thermal", "79000");
  write_file(d.path(), "class/thermal/cooling_device0/cur_state", "0\n");
  auto out4 = sample_once(p);
  EXPECT_TRUE(has_event(out4, "thermal_trip", "direction=down"));
  EXPECT_TRUE(has_event(out4, "cooling_idle"));
  // A changed trip is reported again, with an event.
  write_file(d.path(), "class/thermal/thermal_zone0/trip_point_0_temp", "85000\n");
  auto out5 = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out5, "thermal.cpu-thermal.trip0_passive")->value, 85.0);
  EXPECT_TRUE(has_event(out5, "thermal_trip_changed"));
}

TEST(ThermalProbe, CoralApexTemperatureAndTrips) {
  TempDir d;
  zone(d.path(), 0, "cpu-thermal", "45000");
  write_file(d.path(), "class/apex/apex_0/temp", "61250\n");
  write_file(d.path(), "class/apex/apex_0/trip_point0_temp", "85000\n");
  write_file(d.path(), "class/apex/apex_0/trip_point1_temp", "90000\n");
  write_file(d.path(), "class/apex/apex_0/trip_point2_temp", "95000\n");
  ThermalProbe p(SysfsReader(d.path()), 1s);
  auto out = sample_once(p);
  EXPECT_DOUBLE_EQ(reading(p, out, "thermal.apex_0")->value, 61.25);
  EXPECT_DOUBLE_EQ(reading(p, out, "thermal.apex_0.trip2")->value, 95.0);
}

TEST(ThermalProbe, NoZonesNoSensors) {
  TempDir d;
  ThermalProbe p(SysfsReader(d.path()), 1s);
  EXPECT_TRUE(p.sensors().empty());
}

} // namespace
} // namespace es::probes
