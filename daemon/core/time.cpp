#include "daemon/core/time.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>

namespace es {

std::int64_t mono_now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

std::int64_t wall_now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

namespace {

struct Unit {
  std::string_view name;
  double ns;
  int rank; // larger = bigger unit; components must strictly decrease
};

constexpr std::array<Unit, 7> kUnits{{
    {"d", 86400e9, 7},
    {"h", 3600e9, 6},
    {"m", 60e9, 5},
    {"s", 1e9, 4},
    {"ms", 1e6, 3},
    {"us", 1e3, 2},
    {"ns", 1.0, 1},
}};

Error duration_error(std::string_view text, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument,
                    "invalid duration '" + std::string(text) + "': " + why +
                        " (use a number with a unit: ns, us, ms, s, m, h, d; e.g. 90s, 1h30m, "
                        "250ms)");
}

} // namespace

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  if (text.empty()) {
    return duration_error(text, "empty");
  }
  std::size_t pos = 0;
  double total_ns = 0.0;
  int last_rank = 100;
  while (pos < text.size()) {
    const std::size_t num_start = pos;
    bool seen_digit = false;
    bool seen_dot = false;
    while (pos < text.size() &&
           ((text[pos] >= '0' && text[pos] <= '9') || (text[pos] == '.' && !seen_dot))) {
      seen_dot = seen_dot || text[pos] == '.';
      seen_digit = seen_digit || text[pos] != '.';
      ++pos;
    }
    if (!seen_digit) {
      if (num_start < text.size() && text[num_start] == '-') {
        return duration_error(text, "negative durations are not allowed");
      }
      return duration_error(text, "expected a number at position " + std::to_string(num_start));
    }
    const std::string number(text.substr(num_start, pos - num_start));
    const std::size_t unit_start = pos;
    while (pos < text.size() && text[pos] >= 'a' && text[pos] <= 'z') {
      ++pos;
    }
    const std::string_view unit_text = text.substr(unit_start, pos - unit_start);
    if (unit_text.empty()) {
      return duration_error(text, "missing unit after '" + number + "'");
    }
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (u.name == unit_text) {
        unit = &u;
      }
    }
    if (unit == nullptr) {
      return duration_error(text, "unknown unit '" + std::string(unit_text) + "'");
    }
    if (unit->rank >= last_rank) {
      return duration_error(text, "units must appear once each, largest first");
    }
    last_rank = unit->rank;
    // strtod, not stod: a 400-digit number must be a "too long" error, not std::out_of_range.
    total_ns += std::strtod(number.c_str(), nullptr) * unit->ns;
  }
  if (total_ns > 9.0e18) {
    return duration_error(text, "too long");
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(total_ns)));
}

std::string format_duration(std::chrono::nanoseconds d) {
  std::int64_t ns = d.count();
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  if (ns == 0) {
    return "0s";
  }
  if (ns < 1'000'000'000LL) {
    if (ns % 1'000'000 == 0) {
      return out + std::to_string(ns / 1'000'000) + "ms";
    }
    if (ns % 1'000 == 0) {
      return out + std::to_string(ns / 1'000) + "us";
    }
    return out + std::to_string(ns) + "ns";
  }
  std::int64_t s = ns / 1'000'000'000LL;
  const std::int64_t frac_ms = (ns % 1'000'000'000LL) / 1'000'000;
  const std::int64_t h = s / 3600;
  const std::int64_t m = (s % 3600) / 60;
  s %= 60;
  if (h > 0) {
    out += std::to_string(h) + "h";
  }
  if (m > 0) {
    out += std::to_string(m) + "m";
  }
  if (s > 0 || frac_ms > 0) {
    out += std::to_string(s);
    if (frac_ms > 0) {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), ".%03lld", static_cast<long long>(frac_ms));
      out += buf.data();
    }
    out += "s";
  }
  return out;
}

std::string format_utc(std::int64_t wall_ns) {
  const std::time_t secs = static_cast<std::time_t>(wall_ns / 1'000'000'000LL);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

} // namespace es
