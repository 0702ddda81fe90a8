// workload.cpus string form: "0-3,6".
#include "config/config.hpp"

#include <charconv>
#include <set>

namespace es::config {

namespace {

constexpr int kMaxCpu = 1023;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// A CPU number: digits only (no sign), 0..kMaxCpu. `item` is the whole list item, for messages.
Result<int> parse_cpu(std::string_view text, std::string_view item) {
  text = trim(text);
  if (!text.empty() && text.front() == '-') {
    return make_error(ErrorCode::kInvalidArgument,
                      "negative CPU in '" + std::string(item) + "'");
  }
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      "'" + std::string(item) + "' is not a CPU number or range");
  }
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value > kMaxCpu) {
    return make_error(ErrorCode::kInvalidArgument, "CPU " + std::string(text) +
                                                       " is out of range 0.." +
                                                       std::to_string(kMaxCpu));
  }
  return value;
}

} // namespace

Result<std::vector<int>> parse_cpu_list(std::string_view text) {
  std::vector<int> cpus;
  std::set<int> seen;
  if (trim(text).empty()) {
    return make_error(ErrorCode::kInvalidArgument, "empty CPU list");
  }
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = text.find(',', pos);
    const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
    const std::string_view item = trim(text.substr(pos, end - pos));
    if (item.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "empty item in CPU list");
    }
    // A '-' after the first character separates a range; a leading '-' is a negative number.
    const std::size_t dash = item.find('-', 1);
    int first = 0;
    int last = 0;
    if (dash == std::string_view::npos) {
      Result<int> cpu = parse_cpu(item, item);
      if (!cpu) {
        return cpu.error();
      }
      first = last = *cpu;
    } else {
      Result<int> lo = parse_cpu(item.substr(0, dash), item);
      if (!lo) {
        return lo.error();
      }
      Result<int> hi = parse_cpu(item.substr(dash + 1), item);
      if (!hi) {
        return hi.error();
      }
      if (*hi < *lo) {
        return make_error(ErrorCode::kInvalidArgument,
                          "range '" + std::string(item) + "' is descending (write " +
                              std::to_string(*hi) + "-" + std::to_string(*lo) + ")");
      }
      first = *lo;
      last = *hi;
    }
    for (int cpu = first; cpu <= last; ++cpu) {
      if (!seen.insert(cpu).second) {
        return make_error(ErrorCode::kInvalidArgument,
                          "CPU " + std::to_string(cpu) + " is listed twice");
      }
      cpus.push_back(cpu);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    pos = comma + 1;
  }
  return cpus;
}

} // namespace es::config
