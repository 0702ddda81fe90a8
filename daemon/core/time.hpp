#pragma once
// The one clock of edgesoak, and strict duration parsing.
//
// Every timestamp that reaches the database is CLOCK_MONOTONIC in nanoseconds (steady_clock on
// Linux), so inference latencies, sensor samples and events line up on one time base regardless
// of NTP steps or boards without an RTC.

#include "daemon/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace es {

// --- Interface ---

/// Nanoseconds on CLOCK_MONOTONIC. Cheap (vDSO), safe from any thread.
std::int64_t mono_now_ns() noexcept;

/// Nanoseconds since the Unix epoch (CLOCK_REALTIME): only for human-facing start/end stamps.
std::int64_t wall_now_ns() noexcept;

/// The kernel's boot id (/proc/sys/kernel/random/boot_id), "" if unreadable. CLOCK_MONOTONIC
/// values are comparable only within one boot id. Always the real system's (never a fixture
/// root's).
std::string boot_id();

/// Injectable clock for code whose timing must be testable (FakeClock in tests).
class Clock {
public:
  virtual ~Clock() = default;
  /// Monotonic nanoseconds.
  [[nodiscard]] virtual std::int64_t now_ns() const = 0;
};

/// The real monotonic clock.
class MonotonicClock final : public Clock {
public:
  [[nodiscard]] std::int64_t now_ns() const override { return mono_now_ns(); }
};

/// Parses a duration such as "90s", "3h", "1h30m", "250ms", "1.5s", "2m30s", "10us".
/// Units: ns, us, ms, s, m, h, d. Components must be in decreasing unit order, each at most once.
/// A bare number is rejected (the unit is required) so "30" is never misread.
/// Returns the duration in nanoseconds; errors name what was wrong.
[[nodiscard]] Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// Formats a duration compactly for humans: "1h30m", "90s" -> "1m30s", "250ms", "0s".
std::string format_duration(std::chrono::nanoseconds d);

/// Formats wall time (ns since epoch) as ISO 8601 UTC: "2026-11-22T14:26:00Z".
std::string format_utc(std::int64_t wall_ns);

} // namespace es
