#pragma once
// Logging setup: named spdlog loggers ("daemon", "storage", "workload", "probe.cpufreq", ...).
// Logs carry events (start, ISA chosen, probe degraded, shutdown); measurements go to SQLite.
// Under systemd ($JOURNAL_STREAM or $INVOCATION_ID set) logs go to the journal with priorities,
// otherwise to stderr.

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace es {

// --- Interface ---

enum class LogTarget {
  kAuto,    ///< journal under systemd, stderr otherwise
  kStderr,  ///< coloured stderr
  kJournal, ///< sd_journal_send with PRIORITY=
};

/// Configures the default sink and level for every logger created from now on, and updates
/// existing ones. `level` is an spdlog level name (trace, debug, info, warn, error, off).
/// Safe to call more than once (tests, SIGHUP).
void setup_logging(std::string_view level, LogTarget target = LogTarget::kAuto);

/// The named logger, created on first use with the configured sink and level. Thread-safe.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

/// Rate limiter for repeated failures: the first occurrence logs, later ones are counted and
/// summarised at most once per `period` ("ina219 read failed ... count=12"). Thread-safe.
class RateLimiter {
public:
  explicit RateLimiter(std::chrono::nanoseconds period = std::chrono::seconds(60))
      : m_period_ns(period.count()) {}

  /// Records one occurrence at monotonic time `now_ns`. Returns the number of occurrences to
  /// report (>= 1) if the caller should log now, or 0 if it should stay silent.
  std::uint64_t hit(std::int64_t now_ns);

private:
  std::mutex m_mutex;
  std::int64_t m_period_ns;
  std::int64_t m_last_log_ns = 0;
  std::uint64_t m_pending = 0;
  bool m_logged_once = false;
};

} // namespace es
