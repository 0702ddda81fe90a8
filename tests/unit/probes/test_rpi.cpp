#include "probes/rpi.hpp"
#include "tests/unit/probes/fixture_util.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

namespace es::probes {
namespace {

using namespace std::chrono_literals;
using test::has_event;
using test::reading;
using test::sample_once;

// --- bit decoding (vcgencmd(1) table and the real logs in hardware.md §3.1) ---

TEST(RpiThrottled, DescribeVectors) {
  EXPECT_EQ(rpi::describe_throttled(0x0), "none");
  EXPECT_EQ(rpi::describe_throttled(0x50000), "under_voltage_occurred,throttling_occurred");
  EXPECT_EQ(rpi::describe_throttled(0x50005),
            "under_voltage,throttling,under_voltage_occurred,throttling_occurred");
  EXPECT_EQ(rpi::describe_throttled(0x20000), "arm_freq_capped_occurred");
  EXPECT_EQ(rpi::describe_throttled(0x20002), "arm_freq_capped,arm_freq_capped_occurred");
  EXPECT_EQ(rpi::describe_throttled(0xE0000),
            "arm_freq_capped_occurred,throttling_occurred,soft_temp_limit_occurred");
  EXPECT_EQ(rpi::describe_throttled(0xA0002),
            "arm_freq_capped,arm_freq_capped_occurred,soft_temp_limit_occurred");
  EXPECT_EQ(rpi::describe_throttled(0x80008), "soft_temp_limit,soft_temp_limit_occurred");
}

std::vector<ProbeEvent> feed(rpi::ThrottleTracker& t, std::uint32_t v, std::int64_t ns) {
  std::vector<ProbeEvent> ev;
  t.update(v, ns, ev);
  return ev;
}

TEST(RpiThrottled, TrackerStartEndAndBetweenSamples) {
  rpi::ThrottleTracker t;
  EXPECT_TRUE(feed(t, 0x0, 0).empty());
  // Under-voltage and throttling start (the 3 B+ log: 0x50005).
  auto ev = feed(t, 0x50005, 1'000'000'000);
  ASSERT_EQ(ev.size(), 2U);
  EXPECT_EQ(ev[0].kind, "rpi_throttle_start");
  EXPECT_NE(ev[0].detail.find("flag=under_voltage"), std::string::npos);
  EXPECT_NE(ev[1].detail.find("flag=throttling"), std::string::npos);
  EXPECT_TRUE(feed(t, 0x50005, 2'000'000'000).empty()); // unchanged: nothing
  // Both end 2.5 s after they started; sticky bits remain (0x50000).
  ev = feed(t, 0x50000, 3'500'000'000);
  ASSERT_EQ(ev.size(), 2U);
  EXPECT_EQ(ev[0].kind, "rpi_throttle_end");
  EXPECT_NE(ev[0].detail.find("duration_s=2.500"), std::string::npos);
  // Capping came and went between two samples: only its sticky bit shows (0x20000 extra).
  ev = feed(t, 0x70000, 4'000'000'000);
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].kind, "rpi_throttle_occurred");
  EXPECT_NE(ev[0].detail.find("flag=arm_freq_capped"), std::string::npos);
  EXPECT_NE(ev[0].detail.find("when=between_samples"), std::string::npos);
}

TEST(RpiThrottled, StickyAtStartIsReportedOnce) {
  rpi::ThrottleTracker t;
  auto ev = feed(t, 0xE0000, 0); // overclocked Pi 4 (3Llk)
  ASSERT_EQ(ev.size(), 3U);
  for (const auto& e : ev) {
    EXPECT_EQ(e.kind, "rpi_throttle_occurred");
    EXPECT_NE(e.detail.find("when=before_start"), std::string::npos);
  }
  EXPECT_TRUE(feed(t, 0xE0000, 1).empty());
}

// --- mailbox messages ---

TEST(RpiMailbox, MessageLayout) {
  const auto m = rpi::build_property_message(rpi::kTagGetThrottled, {0xFFFF}, 1);
  ASSERT_EQ(m.size(), 7U);
  EXPECT_EQ(m[0], 28U); // bytes
  EXPECT_EQ(m[1], 0U);  // request
  EXPECT_EQ(m[2], 0x00030046U);
  EXPECT_EQ(m[3], 4U); // value buffer bytes
  EXPECT_EQ(m[5], 0xFFFFU);
  EXPECT_EQ(m[6], 0U); // end tag
  auto reply = m;
  reply[1] = 0x80000000U;
  reply[4] = 0x80000004U;
  reply[5] = 0x50005;
  auto v = rpi::parse_property_message(reply, 1);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)[0], 0x50005U);
  reply[1] = 0x80000001U; // firmware error
  EXPECT_FALSE(rpi::parse_property_message(reply, 1).ok());
}

/// Scripted firmware.
class FakeMailbox final : public rpi::Mailbox {
public:
  std::uint32_t throttled = 0;
  std::uint32_t arm_hz = 1'500'000'000;
  std::string gencmd_reply;
  bool broken = false;
  int calls = 0;
  Result<std::vector<std::uint32_t>>
  property(std::uint32_t tag, const std::vector<std::uint32_t>& req, std::size_t words) override {
    ++calls;
    if (broken) {
      return make_error(ErrorCode::kIo, "fake mailbox broken");
    }
    std::vector<std::uint32_t> v(std::max(words, req.size()), 0);
    if (tag == rpi::kTagGetThrottled) {
      v[0] = throttled;
    } else if (tag == rpi::kTagGetClockMeasured && req.at(0) == rpi::kClockArm) {
      v[0] = rpi::kClockArm;
      v[1] = arm_hz;
    } else if (tag == rpi::kTagGetGencmdResult) {
      const char* cmd = reinterpret_cast<const char*>(req.data() + 1);
      if (std::strcmp(cmd, "pmic_read_adc") != 0) {
        std::memcpy(reinterpret_cast<char*>(v.data() + 1), "error_msg=bad", 13);
      } else {
        std::memcpy(reinterpret_cast<char*>(v.data() + 1), gencmd_reply.data(),
                    std::min(gencmd_reply.size(), (v.size() - 1) * 4 - 1));
      }
    } else {
      return make_error(ErrorCode::kUnsupported, "tag");
    }
    return v;
  }
};

TEST(RpiMailbox, GencmdTextWithNulSeparators) {
  FakeMailbox mb;
  mb.gencmd_reply =
      std::string("  VDD_CORE_A current(7)=6.22421000A\0  VDD_CORE_V volt(15)=0.86173300V", 70);
  auto t = rpi::gencmd(mb, "pmic_read_adc");
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->find("\n  VDD_CORE_V"), std::string::npos);
  EXPECT_FALSE(rpi::gencmd(mb, "bogus").ok());
}

TEST(RpiProbe, MailboxThrottledMeasuredClockAndEvents) {
  test::TempDir d;
  auto owned = std::make_unique<FakeMailbox>();
  FakeMailbox* mb = owned.get();
  RpiProbe p(SysfsReader(d.path()), std::move(owned), 1s);
  EXPECT_EQ(p.throttled_source(), "mailbox");
  auto out = sample_once(p);
  EXPECT_EQ(reading(p, out, "rpi.throttled")->value, 0.0);
  EXPECT_EQ(reading(p, out, "rpi.arm_freq_measured")->value, 1.5e9);
  mb->throttled = 0x20002; // Pi 3 B at 84 C: capped now
  mb->arm_hz = 657'000'000;
  out = sample_once(p);
  EXPECT_EQ(reading(p, out, "rpi.arm_freq_capped")->value, 1.0);
  EXPECT_EQ(reading(p, out, "rpi.under_voltage")->value, 0.0);
  EXPECT_EQ(reading(p, out, "rpi.arm_freq_measured")->value, 657e6);
  EXPECT_TRUE(has_event(out, "rpi_throttle_start", "arm_freq_capped"));
  mb->broken = true;
  out = sample_once(p);
  EXPECT_EQ(reading(p, out, "rpi.throttled")->status, SampleStatus::kUnavailable);
  EXPECT_EQ(reading(p, out, "rpi.arm_freq_measured")->status, SampleStatus::kUnavailable);
}

TEST(RpiProbe, NoSourcesNoSensors) {
  test::TempDir d;
  RpiProbe p(SysfsReader(d.path()), nullptr, 1s);
  EXPECT_TRUE(p.sensors().empty());
}

TEST(RpiProbeFixture, SysfsFallbackAndRpiVolt) {
  const auto root = test::board_fixture("rpi4");
  RpiProbe p(SysfsReader(root / "sys"), nullptr, 1s);
  EXPECT_EQ(p.throttled_source().rfind("sysfs:/", 0), 0U);
  auto out = sample_once(p);
  EXPECT_EQ(reading(p, out, "rpi.throttled")->value, static_cast<double>(0x20000));
  EXPECT_EQ(reading(p, out, "rpi.arm_freq_capped")->value, 0.0);
  EXPECT_EQ(reading(p, out, "rpi.volt_alarm")->value, 0.0);
  EXPECT_TRUE(has_event(out, "rpi_throttle_occurred", "arm_freq_capped"));
  EXPECT_FALSE(test::sensor_index(p, "rpi.arm_freq_measured")); // needs the mailbox
}

TEST(RpiProbe, VoltAlarmEvents) {
  test::TempDir d;
  test::write_file(d.path(), "class/hwmon/hwmon1/name", "rpi_volt\n");
  test::write_file(d.path(), "class/hwmon/hwmon1/in0_lcrit_alarm", "0\n");
  RpiProbe p(SysfsReader(d.path()), nullptr, 1s);
  (void)sample_once(p);
  test::write_file(d.path(), "class/hwmon/hwmon1/in0_lcrit_alarm", "1\n");
  auto out = sample_once(p);
  EXPECT_TRUE(has_event(out, "rpi_volt_alarm"));
  test::write_file(d.path(), "class/hwmon/hwmon1/in0_lcrit_alarm", "0\n");
  out = sample_once(p);
  EXPECT_TRUE(has_event(out, "rpi_volt_alarm_end"));
}

} // namespace
} // namespace es::probes
