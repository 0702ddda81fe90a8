#include "probes/ina219.hpp"
#include "tests/unit/probes/fake_i2c_bus.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace es::probes {
namespace {

using namespace std::chrono_literals;
using test::FakeI2cBus;
using test::has_event;
using test::reading;
using test::sample_once;
namespace i9 = ina219;

// --- golden vectors: hardware.md §1.5 (pi-ina219 tests) and §1.8 ---

TEST(Ina219Decode, BusRegisterVectors) {
  struct V {
    std::uint16_t raw;
    double volts;
    bool cnvr;
    bool ovf;
  };
  for (const V v : {V{0xFA00, 32.000, false, false}, V{0x7D00, 16.000, false, false},
                    V{0x2592, 4.808, true, false}, V{0x0008, 0.004, false, false},
                    V{0x0FA1, 2.000, false, true}, V{0x000A, 0.004, true, false},
                    V{0x5DC2, 12.000, true, false}, V{0x2712, 5.000, true, false},
                    V{0x5D98, 11.980, false, false}}) {
    const auto b = i9::decode_bus(v.raw);
    EXPECT_NEAR(b.volts, v.volts, 1e-9) << std::hex << v.raw;
    EXPECT_EQ(b.conversion_ready, v.cnvr) << std::hex << v.raw;
    EXPECT_EQ(b.overflow, v.ovf) << std::hex << v.raw;
  }
}

TEST(Ina219Decode, ShuntRegisterVectors) {
  EXPECT_NEAR(i9::decode_shunt_v(0x07D0), 0.020, 1e-12);
  EXPECT_NEAR(i9::decode_shunt_v(0xF060), -0.040, 1e-12);
  EXPECT_EQ(i9::decode_shunt_v(0x0000), 0.0);
  EXPECT_NEAR(i9::decode_shunt_v(0x3A98), 0.150, 1e-12);
  EXPECT_NEAR(i9::decode_shunt_v(0xEC78), -0.050, 1e-12);
  EXPECT_NEAR(i9::decode_shunt_v(0x7D00), 0.320, 1e-12);
  EXPECT_NEAR(i9::decode_shunt_v(0x8300), -0.320, 1e-12);
  EXPECT_NEAR(i9::decode_shunt_v(0x0FA0), 0.040, 1e-12);
}

TEST(Ina219Calibration, TableCases) {
  auto a = i9::calibrate(0.1, 2.0); // case A
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->cal, 4096);
  EXPECT_NEAR(a->current_lsb_a, 100e-6, 1e-15);
  EXPECT_NEAR(a->power_lsb_w, 2e-3, 1e-12);
  EXPECT_EQ(i9::calibrate(0.1, 3.2)->cal, 4096); // case B
  auto c2 = i9::calibrate(0.01, 10.0);           // case C' (1-2-5 series: 500 uA)
  EXPECT_EQ(c2->cal, 8192);
  EXPECT_NEAR(c2->power_lsb_w, 10e-3, 1e-12);
  EXPECT_EQ(i9::calibrate(0.01, 10.0, 1e-3)->cal, 4096);   // case C
  EXPECT_EQ(i9::calibrate(0.002, 10.0, 1e-3)->cal, 20480); // datasheet example, 0x5000
  EXPECT_FALSE(i9::calibrate(0.0, 1.0).ok());
  EXPECT_FALSE(i9::calibrate(0.1, -1.0).ok());
}

TEST(Ina219Calibration, OddCalLosesBitZero) {
  // pi-ina219 INA219(0.1, 2.0): LSB = 2/32800, Cal 6717 is stored as 6716.
  auto c = i9::calibrate(0.1, 2.0, 2.0 / 32800.0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cal, 6716);
  EXPECT_NEAR(c->current_lsb_a, 0.04096 / (6716 * 0.1), 1e-15); // effective LSB
}

TEST(Ina219Decode, CurrentAndPowerVectors) {
  const double a = i9::calibrate(0.1, 2.0)->current_lsb_a;
  EXPECT_NEAR(i9::decode_current_a(0x3A98, a), 1.5, 1e-9);
  EXPECT_NEAR(i9::decode_power_w(0x2328, a), 18.0, 1e-9);
  EXPECT_NEAR(i9::decode_current_a(0xEC78, a), -0.5, 1e-9);
  const double c = i9::calibrate(0.01, 10.0, 1e-3)->current_lsb_a;
  EXPECT_NEAR(i9::decode_current_a(0x0FA0, c), 4.0, 1e-9);
  EXPECT_NEAR(i9::decode_power_w(0x03E8, c), 20.0, 1e-9);
  const double ds = i9::calibrate(0.002, 10.0, 1e-3)->current_lsb_a;
  EXPECT_NEAR(i9::decode_current_a(0x2710, ds), 10.0, 1e-9);
  EXPECT_NEAR(i9::decode_power_w(0x1766, ds), 119.8, 1e-9);
  // pi-ina219 upstream test row: 0.1 ohm, 0.4 A, LSB = 0.4/32800.
  const double p = i9::calibrate(0.1, 0.4, 0.4 / 32800.0)->current_lsb_a;
  EXPECT_NEAR(i9::decode_current_a(1, p) * 1e3, 0.012, 5e-4);
  EXPECT_NEAR(i9::decode_current_a(static_cast<std::uint16_t>(-0x4D52), p) * 1e3, -241.4, 0.05);
  EXPECT_NEAR(i9::decode_power_w(0x1EA9, p) * 1e3, 1914.0, 1.0);
}

TEST(Ina219Config, Words) {
  using i9::Pga;
  EXPECT_EQ(i9::config_word(32, Pga::kDiv8, 3, 3), 0x399F);
  EXPECT_EQ(i9::config_word(16, Pga::kDiv1, 3, 3), 0x019F);
  EXPECT_EQ(i9::config_word(16, Pga::kDiv2, 3, 3), 0x099F);
  EXPECT_EQ(i9::config_word(32, Pga::kDiv1, 3, 3), 0x219F);
  EXPECT_EQ(i9::config_word(32, Pga::kDiv2, 3, 3), 0x299F);
  EXPECT_EQ(i9::config_word(32, Pga::kDiv4, 3, 3), 0x319F);
  EXPECT_EQ(i9::config_word(32, Pga::kDiv1, 0, 0), 0x2007);
  EXPECT_EQ(i9::config_word(32, Pga::kDiv1, *i9::adc_code(2), *i9::adc_code(128)), 0x24FF);
  EXPECT_FALSE(i9::adc_code(3).ok());
  EXPECT_EQ(i9::adc_conversion_us(*i9::adc_code(1)), 532U);
  EXPECT_EQ(i9::adc_conversion_us(*i9::adc_code(128)), 68100U);
  EXPECT_EQ(i9::adc_conversion_us(0), 84U);
}

TEST(Ina219Config, PgaSelection) {
  EXPECT_EQ(*i9::pga_for(0.2), i9::Pga::kDiv8);
  EXPECT_EQ(*i9::pga_for(0.32), i9::Pga::kDiv8); // exact fit allowed (pi-ina219 raises)
  EXPECT_EQ(*i9::pga_for(0.1), i9::Pga::kDiv4);
  EXPECT_EQ(*i9::pga_for(0.04), i9::Pga::kDiv1);
  EXPECT_FALSE(i9::pga_for(0.33).ok());
}

TEST(Ina226Decode, DatasheetExample) {
  EXPECT_NEAR(ina226::decode_shunt_v(0x1F40), 0.020, 1e-12);
  EXPECT_NEAR(ina226::decode_bus_v(0x2570), 11.98, 1e-9);
  auto c = ina226::calibrate(0.002, 10.0, 1e-3);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cal, 0x0A00);
  EXPECT_NEAR(ina226::decode_current_a(0x2710, c->current_lsb_a), 10.0, 1e-9);
  EXPECT_NEAR(ina226::decode_power_w(0x12B8, c->current_lsb_a), 119.8, 1e-9);
  EXPECT_EQ(ina226::calibrate(0.1, 3.0, 100e-6)->cal, 512);
  EXPECT_EQ(ina226::config_word(0), 0x4127);
  // Kernel-style Cal 2048 with 0.1 ohm: LSB 25 uA; 0x4E20 -> 0.5 A; power 4000 -> 2.5 W.
  const double k = 0.00512 / (2048 * 0.1);
  EXPECT_NEAR(ina226::decode_current_a(0x4E20, k), 0.5, 1e-9);
  EXPECT_NEAR(ina226::decode_power_w(4000, k), 2.5, 1e-9);
}

// --- device and probe over the fake bus ---

Ina219Options opts(double shunt = 0.1, double max_a = 2.0) {
  Ina219Options o;
  o.name = "board";
  o.bus = 1;
  o.address = 0x40;
  o.shunt_ohms = shunt;
  o.max_current_a = max_a;
  o.interval = 5ms; // 200 Hz
  return o;
}

struct Rig {
  FakeI2cBus* bus = nullptr;
  std::unique_ptr<Ina219Probe> probe;
};

Rig make_rig(const Ina219Options& o) {
  auto owned = std::make_unique<FakeI2cBus>();
  Rig r;
  r.bus = owned.get();
  r.bus->emulate_ina219(0x40);
  auto p = Ina219Probe::create(o, std::move(owned));
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  if (p.ok()) {
    r.probe = std::move(*p);
    r.probe->set_retry(3, 1us);
  }
  return r;
}

void load_case_a(FakeI2cBus& bus) {
  bus.set_reg(0x40, i9::kRegBus, 0x5DC2);
  bus.set_reg(0x40, i9::kRegShunt, 0x3A98);
  bus.set_reg(0x40, i9::kRegCurrent, 0x3A98);
  bus.set_reg(0x40, i9::kRegPower, 0x2328);
}

TEST(Ina219Probe, ConfiguresCalibratesAndNamesSensors) {
  auto rig = make_rig(opts());
  ASSERT_TRUE(rig.probe);
  const auto& w = rig.bus->writes();
  ASSERT_GE(w.size(), 3U);
  EXPECT_EQ(w[0].reg, i9::kRegConfig);
  EXPECT_EQ(w[0].value, i9::kConfigReset);
  EXPECT_EQ(w[1].value, 0x399F); // 32 V, /8 (2 A x 0.1 ohm = 200 mV), 12-bit, continuous
  EXPECT_EQ(w[2].reg, i9::kRegCalibration);
  EXPECT_EQ(w[2].value, 4096);
  EXPECT_EQ(rig.probe->name(), "board");
  EXPECT_EQ(rig.probe->interval(), 5ms);
  for (const char* n : {"board.bus_voltage", "board.shunt_voltage", "board.current", "board.power",
                        "probe.board.read_cost"}) {
    EXPECT_TRUE(test::sensor_index(*rig.probe, n)) << n;
  }
}

TEST(Ina219Probe, ReadsCaseA) {
  auto rig = make_rig(opts());
  load_case_a(*rig.bus);
  auto out = sample_once(*rig.probe);
  EXPECT_NEAR(reading(*rig.probe, out, "board.bus_voltage")->value, 12.0, 1e-9);
  EXPECT_NEAR(reading(*rig.probe, out, "board.shunt_voltage")->value, 0.150, 1e-12);
  EXPECT_NEAR(reading(*rig.probe, out, "board.current")->value, 1.5, 1e-9);
  EXPECT_NEAR(reading(*rig.probe, out, "board.power")->value, 18.0, 1e-9);
}

TEST(Ina219Probe, OverflowIsInvalidNeverANumber) {
  auto rig = make_rig(opts());
  load_case_a(*rig.bus);
  rig.bus->set_reg(0x40, i9::kRegBus, 0x0FA3); // 2.000 V, CNVR and OVF set
  auto out = sample_once(*rig.probe);
  EXPECT_NEAR(reading(*rig.probe, out, "board.bus_voltage")->value, 2.0, 1e-9);
  auto cur = reading(*rig.probe, out, "board.current");
  EXPECT_EQ(cur->status, SampleStatus::kInvalid);
  EXPECT_TRUE(std::isnan(cur->value));
  EXPECT_EQ(reading(*rig.probe, out, "board.power")->status, SampleStatus::kInvalid);
  EXPECT_TRUE(has_event(out, "ina219_overflow"));
  load_case_a(*rig.bus);
  auto out2 = sample_once(*rig.probe);
  EXPECT_TRUE(has_event(out2, "ina219_overflow_end"));
  EXPECT_NEAR(reading(*rig.probe, out2, "board.current")->value, 1.5, 1e-9);
}

TEST(Ina219Probe, ConversionNotReadyIsAGap) {
  auto rig = make_rig(opts());
  load_case_a(*rig.bus);
  rig.bus->set_reg(0x40, i9::kRegBus, 0x5DC0); // CNVR clear
  auto out = sample_once(*rig.probe);
  EXPECT_EQ(reading(*rig.probe, out, "board.current")->status, SampleStatus::kUnavailable);
  EXPECT_EQ(reading(*rig.probe, out, "board.bus_voltage")->status, SampleStatus::kUnavailable);
}

TEST(Ina219Probe, AutoGainStepsPgaOnOverflow) {
  auto o = opts(0.1, 0.4); // 40 mV -> /1
  o.auto_gain = true;
  auto rig = make_rig(o);
  EXPECT_EQ(rig.bus->reg(0x40, i9::kRegConfig), 0x219F);
  load_case_a(*rig.bus);
  rig.bus->set_reg(0x40, i9::kRegBus, 0x5DC3); // OVF
  auto out = sample_once(*rig.probe);
  EXPECT_TRUE(has_event(out, "ina219_gain_change", "shunt_range_mv=80"));
  EXPECT_EQ(rig.bus->reg(0x40, i9::kRegConfig), 0x299F);
  // New calibration for the /2 range's maximum current (0.8 A): LSB 50 uA -> Cal 8192.
  EXPECT_EQ(rig.bus->reg(0x40, i9::kRegCalibration), 8192);
  EXPECT_EQ(reading(*rig.probe, out, "board.current")->status, SampleStatus::kInvalid);
}

TEST(Ina219Probe, RecalibratesAfterBrownOut) {
  auto rig = make_rig(opts());
  load_case_a(*rig.bus);
  rig.bus->set_reg(0x40, i9::kRegCalibration, 0); // chip reset behind our back
  rig.bus->set_reg(0x40, i9::kRegCurrent, 0);
  rig.bus->set_reg(0x40, i9::kRegPower, 0);
  auto out = sample_once(*rig.probe);
  EXPECT_TRUE(has_event(out, "ina219_recalibrated"));
  EXPECT_EQ(rig.bus->reg(0x40, i9::kRegCalibration), 4096);
  EXPECT_EQ(reading(*rig.probe, out, "board.current")->status, SampleStatus::kUnavailable);
}

TEST(Ina219Probe, TransientErrorsAreRetried) {
  auto rig = make_rig(opts());
  load_case_a(*rig.bus);
  rig.bus->fail_next(2, std::errc::io_error);
  auto out = sample_once(*rig.probe);
  EXPECT_NEAR(reading(*rig.probe, out, "board.current")->value, 1.5, 1e-9);
  EXPECT_TRUE(out.events.empty());
}

TEST(Ina219Probe, PersistentErrorsBecomeGapsThenBackOffThenRecover) {
  auto rig = make_rig(opts());
  load_case_a(*rig.bus);
  rig.bus->nack(0x40);
  auto out = sample_once(*rig.probe);
  EXPECT_EQ(reading(*rig.probe, out, "board.current")->status, SampleStatus::kUnavailable);
  EXPECT_TRUE(has_event(out, "i2c_error", "nack"));
  (void)sample_once(*rig.probe);
  (void)sample_once(*rig.probe); // third failure: back-off starts
  EXPECT_EQ(rig.probe->consecutive_failures(), 3);
  const int before = rig.bus->transfers();
  auto skipped = sample_once(*rig.probe); // skipped without touching the bus
  EXPECT_EQ(rig.bus->transfers(), before);
  EXPECT_EQ(reading(*rig.probe, skipped, "board.power")->status, SampleStatus::kUnavailable);
  rig.bus->nack(0x40, false);
  ProbeOutput out2;
  for (int i = 0; i < 10 && !has_event(out2, "i2c_recovered"); ++i) {
    out2 = sample_once(*rig.probe);
  }
  EXPECT_TRUE(has_event(out2, "i2c_recovered"));
  EXPECT_NEAR(reading(*rig.probe, out2, "board.current")->value, 1.5, 1e-9);
  EXPECT_EQ(rig.probe->consecutive_failures(), 0);
}

TEST(Ina219Probe, SurvivesAFlakyBusForThousandsOfSamples) {
  auto rig = make_rig(opts());
  load_case_a(*rig.bus);
  rig.probe->set_retry(2, 0us);
  std::mt19937 rng(42);
  int ok_samples = 0;
  for (int i = 0; i < 5000; ++i) {
    const int r = static_cast<int>(rng() % 10);
    if (r == 0) {
      rig.bus->fail_next(1, std::errc::io_error);
    } else if (r == 1) {
      rig.bus->fail_next(4, std::errc::timed_out);
    }
    ProbeOutput out;
    rig.probe->sample(out);
    ASSERT_EQ(out.readings.size(), 5U); // four sensors + read cost, always
    const auto cur = reading(*rig.probe, out, "board.current");
    if (cur->status == SampleStatus::kOk) {
      ASSERT_NEAR(cur->value, 1.5, 1e-9);
      ++ok_samples;
    } else {
      ASSERT_TRUE(std::isnan(cur->value));
    }
  }
  EXPECT_GT(ok_samples, 3500);
}

TEST(Ina219Probe, CreateFailsOnNackAndBadOptions) {
  auto owned = std::make_unique<FakeI2cBus>();
  owned->nack(0x40);
  auto p = Ina219Probe::create(opts(), std::move(owned));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kNotFound);
  auto bad = opts();
  bad.address = 0x20;
  EXPECT_FALSE(Ina219Probe::create(bad, std::make_unique<FakeI2cBus>()).ok());
  bad = opts(0.1, 5.0); // 500 mV > 320 mV
  EXPECT_FALSE(Ina219Probe::create(bad, std::make_unique<FakeI2cBus>()).ok());
  bad = opts();
  bad.chip = "ina999";
  EXPECT_FALSE(Ina219Probe::create(bad, std::make_unique<FakeI2cBus>()).ok());
}

TEST(Ina219Probe, SlowAveragingRaisesInterval) {
  auto o = opts();
  o.adc_samples = 128; // 2 x 68.1 ms per refresh
  auto rig = make_rig(o);
  EXPECT_EQ(rig.probe->interval(), 136200us);
}

TEST(Ina226Probe, ReadsDatasheetExample) {
  auto owned = std::make_unique<FakeI2cBus>();
  FakeI2cBus* bus = owned.get();
  auto o = opts(0.002, 10.0);
  o.chip = "ina226";
  auto p = Ina219Probe::create(o, std::move(owned));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(bus->reg(0x40, i9::kRegConfig), 0x4127);
  // LSB from the 1-2-5 series for 10 A: 500 uA -> Cal = 0.00512/(500e-6*0.002) = 5120.
  EXPECT_EQ(bus->reg(0x40, i9::kRegCalibration), 5120);
  bus->set_reg(0x40, ina226::kRegMaskEnable, ina226::kMaskCvrf);
  bus->set_reg(0x40, i9::kRegBus, 0x2570);
  bus->set_reg(0x40, i9::kRegShunt, 0x1F40);
  bus->set_reg(0x40, i9::kRegCurrent, 20000); // 10 A at 500 uA
  bus->set_reg(0x40, i9::kRegPower, 9584);    // 11.98 V x 10 A / (25 x 500 uA)
  auto out = sample_once(**p);
  EXPECT_NEAR(reading(**p, out, "board.bus_voltage")->value, 11.98, 1e-9);
  EXPECT_NEAR(reading(**p, out, "board.shunt_voltage")->value, 0.020, 1e-12);
  EXPECT_NEAR(reading(**p, out, "board.current")->value, 10.0, 1e-9);
  EXPECT_NEAR(reading(**p, out, "board.power")->value, 119.8, 1e-9);
}

} // namespace
} // namespace es::probes
