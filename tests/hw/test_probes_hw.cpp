// Probes on real hardware. Each test skips cleanly when the board lacks the device.
#include "daemon/core/time.hpp"
#include "probes/hwmon.hpp"
#include "probes/ina219.hpp"
#include "probes/probe_set.hpp"
#include "probes/rails.hpp"
#include "probes/rpi.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>

namespace es::probes {
namespace {

using namespace std::chrono_literals;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? static_cast<int>(std::strtol(v, nullptr, 0)) : fallback;
}

std::unique_ptr<rpi::VcioMailbox> mailbox_or_skip() {
  auto m = rpi::VcioMailbox::open(Roots{}.devfs / "vcio");
  if (!m) {
    return nullptr;
  }
  return std::move(*m);
}

TEST(RpiHw, MailboxThrottledAndMeasuredClock) {
  auto mb = mailbox_or_skip();
  if (!mb) {
    GTEST_SKIP() << "no /dev/vcio (not a Raspberry Pi, or not in group video)";
  }
  auto t = mb->property(rpi::kTagGetThrottled, {0}, 1);
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto c = mb->property(rpi::kTagGetClockMeasured, {rpi::kClockArm, 0}, 2);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_GT((*c)[1], 100'000'000U);
  EXPECT_LT((*c)[1], 4'000'000'000U);
  auto text = rpi::gencmd(*mb, "measure_clock arm");
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_NE(text->find("frequency("), std::string::npos);
}

TEST(RpiHw, Pi5PmicThroughMailbox) {
  auto mb = mailbox_or_skip();
  if (!mb) {
    GTEST_SKIP() << "no /dev/vcio";
  }
  auto text = rpi::gencmd(*mb, "pmic_read_adc");
  if (!text) {
    GTEST_SKIP() << "no PMIC ADC (not a Pi 5): " << text.error().message;
  }
  const auto ch = parse_pmic_read_adc(*text);
  EXPECT_GE(ch.size(), 20U);
  const auto t0 = mono_now_ns();
  (void)rpi::gencmd(*mb, "pmic_read_adc");
  EXPECT_LT(mono_now_ns() - t0, 200'000'000); // ~23 ms documented
}

TEST(HwmonHw, LibsensorsAgreesWithSysfsReader) {
  const SysfsReader sys(kDefaultSysfsRoot);
  HwmonOptions lib;
  lib.backend = HwmonBackend::kLibsensors;
  lib.libsensors_config = "/dev/null";
  HwmonProbe a(sys, 1s, lib);
  if (a.sensors().empty()) {
    GTEST_SKIP() << "libsensors finds no chips here";
  }
  HwmonOptions direct;
  direct.backend = HwmonBackend::kSysfs;
  HwmonProbe b(sys, 1s, direct);
  ProbeOutput oa;
  ProbeOutput ob;
  a.sample(oa);
  b.sample(ob);
  std::map<std::string, double> vb;
  for (const auto& r : ob.readings) {
    vb[b.sensors()[r.index].name] = r.value;
  }
  for (const auto& r : oa.readings) {
    const auto& name = a.sensors()[r.index].name;
    if (name.rfind("probe.", 0) == 0 || r.status != SampleStatus::kOk || !vb.count(name)) {
      continue;
    }
    // Live values move between the two reads; temperatures within 2 C, others within 10 %.
    EXPECT_NEAR(r.value, vb[name], std::max(2.0, std::fabs(r.value) * 0.1)) << name;
  }
}

TEST(Ina219Hw, TwoHundredHzForTwoSeconds) {
  Ina219Options o;
  o.name = "hw";
  o.bus = env_int("ES_HW_I2C_BUS", 1);
  o.address = env_int("ES_HW_INA219_ADDR", 0x40);
  if (const char* s = std::getenv("ES_HW_INA219_SHUNT_OHMS")) {
    o.shunt_ohms = std::strtod(s, nullptr);
  }
  o.interval = 5ms;
  auto bus = LinuxI2cBus::open(Roots{}.devfs / ("i2c-" + std::to_string(o.bus)));
  if (!bus) {
    GTEST_SKIP() << bus.error().message;
  }
  auto p = Ina219Probe::create(o, std::move(*bus));
  if (!p) {
    GTEST_SKIP() << "no INA219 at the address: " << p.error().message;
  }
  int ok = 0;
  int total = 0;
  std::int64_t worst = 0;
  std::int64_t next = mono_now_ns();
  for (int i = 0; i < 400; ++i) {
    ProbeOutput out;
    const auto t0 = mono_now_ns();
    (*p)->sample(out);
    worst = std::max(worst, mono_now_ns() - t0);
    for (const auto& r : out.readings) {
      if ((*p)->sensors()[r.index].name == "hw.bus_voltage") {
        ++total;
        ok += r.status == SampleStatus::kOk ? 1 : 0;
        if (r.status == SampleStatus::kOk) {
          EXPECT_GE(r.value, 0.0);
          EXPECT_LE(r.value, 32.76);
        }
      }
    }
    next += 5'000'000;
    while (mono_now_ns() < next) {
    }
  }
  EXPECT_EQ(total, 400);
  EXPECT_GT(ok, 390);
  EXPECT_LT(worst, 5'000'000) << "a sample took longer than the 200 Hz period";
}

TEST(BoardHw, MakeProbesOnThisBoard) {
  auto set = make_probes(ProbeSetOptions{});
  EXPECT_FALSE(set.probes.empty());
  for (const auto& p : set.probes) {
    ProbeOutput out;
    p->sample(out);
    EXPECT_FALSE(out.readings.empty()) << p->name();
  }
}

} // namespace
} // namespace es::probes
