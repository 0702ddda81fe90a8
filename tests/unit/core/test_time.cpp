// parse_duration / format_duration edge cases (daemon/core/time.hpp).
#include "daemon/core/time.hpp"

#include <gtest/gtest.h>

namespace es {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

nanoseconds parsed(std::string_view text) {
  Result<nanoseconds> r = parse_duration(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : nanoseconds(-1);
}

std::string error_of(std::string_view text) {
  Result<nanoseconds> r = parse_duration(text);
  EXPECT_FALSE(r.ok()) << text << " parsed as " << (r.ok() ? r->count() : 0);
  if (r.ok()) {
    return "";
  }
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  return r.error().message;
}

bool mentions(const std::string& message, const std::string& part) {
  return message.find(part) != std::string::npos;
}

TEST(CoreParseDuration, EveryUnit) {
  EXPECT_EQ(parsed("10ns"), 10ns);
  EXPECT_EQ(parsed("10us"), 10us);
  EXPECT_EQ(parsed("250ms"), 250ms);
  EXPECT_EQ(parsed("90s"), 90s);
  EXPECT_EQ(parsed("5m"), 5min);
  EXPECT_EQ(parsed("3h"), 3h);
  EXPECT_EQ(parsed("2d"), 48h);
}

TEST(CoreParseDuration, CompoundsAndFractions) {
  EXPECT_EQ(parsed("1h30m"), 90min);
  EXPECT_EQ(parsed("2m30s"), 150s);
  EXPECT_EQ(parsed("1d2h3m4s5ms6us7ns"), 24h + 2h + 3min + 4s + 5ms + 6us + 7ns);
  EXPECT_EQ(parsed("1.5s"), 1500ms);
  EXPECT_EQ(parsed(".5s"), 500ms);
  EXPECT_EQ(parsed("5.s"), 5s);
  EXPECT_EQ(parsed("0.001ms"), 1us);
  EXPECT_EQ(parsed("1h0m"), 1h);
  EXPECT_EQ(parsed("0s"), 0s); // zero is a valid duration; callers enforce > 0
  EXPECT_EQ(parsed("007s"), 7s);
  EXPECT_EQ(parsed("0.4ns"), 0ns); // rounds to the nearest nanosecond
  EXPECT_EQ(parsed("0.5ns"), 1ns);
}

TEST(CoreParseDuration, RejectsMissingOrUnknownUnits) {
  EXPECT_TRUE(mentions(error_of(""), "empty"));
  EXPECT_TRUE(mentions(error_of("30"), "missing unit after '30'"));
  EXPECT_TRUE(mentions(error_of("1.5"), "missing unit"));
  EXPECT_TRUE(mentions(error_of("10x"), "unknown unit 'x'"));
  EXPECT_TRUE(mentions(error_of("5min"), "unknown unit 'min'"));
  EXPECT_TRUE(mentions(error_of("5 minutes"), "missing unit after '5'"));
  EXPECT_TRUE(mentions(error_of("5S"), "missing unit"));
  EXPECT_TRUE(mentions(error_of("1e5s"), "unknown unit 'e'"));
  EXPECT_TRUE(mentions(error_of("s"), "expected a number at position 0"));
  EXPECT_TRUE(mentions(error_of(" 5s"), "expected a number"));
  EXPECT_TRUE(mentions(error_of("5s "), "expected a number at position 2"));
  EXPECT_TRUE(mentions(error_of("."), "expected a number"));
  EXPECT_TRUE(mentions(error_of("1.2.3s"), "missing unit after '1.2'"));
}

TEST(CoreParseDuration, RejectsSignsAndOrder) {
  EXPECT_TRUE(mentions(error_of("-5s"), "negative durations are not allowed"));
  EXPECT_TRUE(mentions(error_of("+5s"), "expected a number"));
  EXPECT_TRUE(mentions(error_of("5s-1s"), "negative"));
  EXPECT_TRUE(mentions(error_of("1m1h"), "largest first"));
  EXPECT_TRUE(mentions(error_of("1s1s"), "once each"));
  EXPECT_TRUE(mentions(error_of("1ms1s"), "largest first"));
}

TEST(CoreParseDuration, RejectsHugeValuesWithoutThrowing) {
  EXPECT_TRUE(mentions(error_of("300000d"), "too long"));
  EXPECT_TRUE(mentions(error_of("99999999999999999999999999d"), "too long"));
  // 400 digits overflow a double: must be an error value, not std::out_of_range.
  const std::string huge = "1" + std::string(400, '0') + "s";
  EXPECT_NO_THROW({ EXPECT_TRUE(mentions(error_of(huge), "too long")); });
  EXPECT_EQ(parsed("104166d"), 104166 * 24h); // just under the 9e18 ns limit
}

TEST(CoreParseDuration, MessageExplainsTheSyntax) {
  const std::string message = error_of("10x");
  EXPECT_TRUE(mentions(message, "invalid duration '10x'"));
  EXPECT_TRUE(mentions(message, "ns, us, ms, s, m, h, d"));
}

TEST(CoreFormatDuration, Compact) {
  EXPECT_EQ(format_duration(0ns), "0s");
  EXPECT_EQ(format_duration(1ns), "1ns");
  EXPECT_EQ(format_duration(1500ns), "1500ns");
  EXPECT_EQ(format_duration(2us), "2us");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(999ms), "999ms");
  EXPECT_EQ(format_duration(1s), "1s");
  EXPECT_EQ(format_duration(1500ms), "1.500s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(1h), "1h");
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(1h + 1s), "1h1s");
  EXPECT_EQ(format_duration(1h + 500ms), "1h0.500s");
  EXPECT_EQ(format_duration(48h), "48h"); // no day unit in output
  EXPECT_EQ(format_duration(-90s), "-1m30s");
  EXPECT_EQ(format_duration(-5ms), "-5ms");
  // Sub-millisecond parts of durations >= 1s are dropped.
  EXPECT_EQ(format_duration(1s + 1ns), "1s");
}

TEST(CoreFormatDuration, RoundTripsThroughParse) {
  for (const nanoseconds d : {nanoseconds(0), nanoseconds(1), nanoseconds(1us), nanoseconds(250ms),
                              nanoseconds(1s), nanoseconds(1500ms), nanoseconds(61s),
                              nanoseconds(90min), nanoseconds(3h), nanoseconds(720h),
                              nanoseconds(1h + 500ms)}) {
    EXPECT_EQ(parsed(format_duration(d)), d) << format_duration(d);
  }
}

TEST(CoreClock, MonotonicNeverGoesBack) {
  const MonotonicClock clock;
  std::int64_t previous = clock.now_ns();
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t now = clock.now_ns();
    EXPECT_GE(now, previous);
    previous = now;
  }
  EXPECT_GT(wall_now_ns(), 1'600'000'000LL * 1'000'000'000LL); // after 2020
}

TEST(CoreFormatUtc, Iso8601) {
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(1'795'875'960LL * 1'000'000'000LL), "2026-11-28T14:26:00Z");
}

} // namespace
} // namespace es
