// YAML -> es::config::Config with validation that reports every problem.
//
// The loader walks the schema, not the document: each section has a fixed key list, so an
// alias cycle or deep nesting in the input can never make it recurse. yaml-cpp only parses;
// every scalar is converted here with strict parsers, because yaml-cpp's as<int>() accepts
// things like "1.0e2" inconsistently and throws instead of explaining. yaml-cpp 0.7 keeps
// duplicate mapping keys (the last one wins on lookup), so maps are read by iterating them.
#include "config/config.hpp"

#include "daemon/core/time.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>

namespace es::config {

namespace {

using std::chrono::nanoseconds;

constexpr nanoseconds kMaxRunDuration = std::chrono::hours(24 * 30);
constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxFoundLength = 40;

// ----------------------------------------------------------------------------------------------
// Text helpers

/// Shows a scalar in a message: quoted, truncated, with control bytes escaped.
std::string quote(std::string_view text) {
  std::string out = "'";
  std::size_t shown = 0;
  for (const char c : text) {
    if (shown == kMaxFoundLength) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
    ++shown;
  }
  out += "'";
  return out;
}

/// How a node looks to a user: "'text'", "a list", "a mapping", "nothing".
std::string found(const YAML::Node& node) {
  switch (node.Type()) {
  case YAML::NodeType::Scalar:
    return quote(node.Scalar());
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Map:
    return "a mapping";
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined:
    break;
  }
  return "nothing";
}

std::string join(const std::vector<std::string_view>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += sep;
    }
    out += items[i];
  }
  return out;
}

/// Levenshtein distance, case-insensitive (keys are short, so O(n*m) is nothing).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const auto lower = [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  };
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    prev[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t subst = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// The closest candidate if it is close enough to be a typo, else empty. A candidate that is
/// a prefix of the word or the other way round ("warning" -> "warn") also counts.
std::string_view closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view prefix_match; // the longest one: "neondotprod" -> "neondot", not "neon"
  for (const std::string_view c : candidates) {
    const std::size_t shorter = std::min(word.size(), c.size());
    if (shorter >= 3 && word.substr(0, shorter) == c.substr(0, shorter) &&
        c.size() > prefix_match.size()) {
      prefix_match = c;
    }
  }
  if (!prefix_match.empty()) {
    return prefix_match;
  }
  std::string_view best;
  std::size_t best_distance = std::string_view::npos;
  for (const std::string_view c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  const std::size_t limit = std::max<std::size_t>(2, std::min(word.size(), best.size()) / 3);
  return best_distance <= limit ? best : std::string_view{};
}

bool is_name_char(char c, bool allow_dot) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (allow_dot && c == '.');
}

bool is_valid_name(std::string_view name, bool allow_dot) {
  return !name.empty() && name.size() <= kMaxNameLength &&
         std::all_of(name.begin(), name.end(), [&](char c) { return is_name_char(c, allow_dot); });
}

/// Strict integer: optional sign and decimal digits, or 0x followed by hex digits.
std::optional<std::int64_t> parse_int(std::string_view text) {
  int base = 10;
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

/// Strict finite number: what from_chars accepts (plus a leading '+'), no inf/nan.
std::optional<double> parse_number(std::string_view text) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  if (auto as_int = parse_int(text); as_int && text.find_first_of("xX") != std::string_view::npos) {
    return static_cast<double>(*as_int); // hex integers are numbers too
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

/// Prints a number without trailing zeros ("0.1", "100000", "1e+09").
std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// ----------------------------------------------------------------------------------------------
// Encoding check. yaml-cpp passes invalid UTF-8 through, so check the bytes first.

struct EncodingProblem {
  int line;
  int column;
  std::string message;
};

/// Every line with a NUL byte, a control character or invalid UTF-8 (first problem per line,
/// at most `max_problems`).
std::vector<EncodingProblem> check_encoding(std::string_view text, std::size_t max_problems) {
  std::vector<EncodingProblem> problems;
  int line = 1;
  int column = 1;
  int last_line_reported = 0;
  std::size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    i = 3; // UTF-8 byte order mark
  }
  const auto report = [&](std::string message) {
    if (line != last_line_reported && problems.size() < max_problems) {
      problems.push_back({line, column, std::move(message)});
      last_line_reported = line;
    }
  };
  const auto hex = [](unsigned char b) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    return std::string("0x") + kHex[b >> 4] + kHex[b & 0xf];
  };
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b == '\n') {
      ++line;
      column = 1;
      ++i;
      continue;
    }
    if (b == 0) {
      report("binary data (NUL byte); a configuration is UTF-8 text");
      ++i;
      ++column;
      continue;
    }
    if ((b < 0x20 && b != '\t' && b != '\r') || b == 0x7f) {
      report("control character " + hex(b) + "; a configuration is UTF-8 text");
      ++i;
      ++column;
      continue;
    }
    if (b < 0x80) {
      ++i;
      ++column;
      continue;
    }
    // Multi-byte sequence: lead byte decides the length and the valid range of byte 2.
    std::size_t length = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      lo = b == 0xE0 ? 0xA0 : 0x80;
      hi = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      lo = b == 0xF0 ? 0x90 : 0x80;
      hi = b == 0xF4 ? 0x8F : 0xBF;
    }
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      const unsigned char min = k == 1 ? lo : 0x80;
      const unsigned char max = k == 1 ? hi : 0xBF;
      valid = c >= min && c <= max;
    }
    if (!valid) {
      report("invalid UTF-8 byte " + hex(b) + "; a configuration is UTF-8 text");
      ++i;
      ++column;
      continue;
    }
    i += length;
    ++column;
  }
  return problems;
}

// ----------------------------------------------------------------------------------------------
// The schema walker

/// A value in a mapping: its key (for "unknown key" and null values) and its dotted path.
struct Field {
  YAML::Node key;
  YAML::Node value;
  std::string path;
};

using Fields = std::map<std::string, Field, std::less<>>;

/// Allowed keys of each section, also used to say where a misplaced key belongs.
const std::vector<std::pair<std::string_view, std::vector<std::string_view>>>& section_keys() {
  static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> kKeys{
      {"", {"version", "run", "workload", "probes", "storage", "safety", "logging"}},
      {"run", {"name", "board", "duration", "phases", "resume", "repeat", "extend_after_gap"}},
      {"workload", {"model", "threads", "streams", "cpus", "rate", "isa", "verify_every"}},
      {"probes",
       {"interval", "sysfs_root", "procfs_root", "devfs_root", "cpufreq", "thermal", "hwmon",
        "system", "rpi", "rails", "devfreq", "ina219"}},
      {"storage", {"database", "commit_interval", "queue_capacity"}},
      {"safety", {"max_temperature_c", "hold"}},
      {"logging", {"level"}},
  };
  return kKeys;
}

const std::vector<std::string_view>& keys_of(std::string_view section) {
  for (const auto& [name, keys] : section_keys()) {
    if (name == section) {
      return keys;
    }
  }
  static const std::vector<std::string_view> kNone;
  return kNone;
}

class Loader {
public:
  explicit Loader(std::string file) : m_file(std::move(file)) {}

  /// Walks the document and fills `m_config`; problems go to m_errors/m_warnings.
  void load(const YAML::Node& root) {
    if (root.IsNull()) {
      error_at(1, 1, "", "empty configuration; see config/edgesoak.yaml for every key");
      return;
    }
    if (!root.IsMap()) {
      error(root, "", "expected a mapping of sections (run:, workload:, ...), found " +
                          found(root));
      return;
    }
    const Fields top = read_map(root, root, "", keys_of(""));
    if (const Field* f = get(top, "version")) {
      if (auto v = read_int(*f, 1, 1, "the schema version 1 (this edgesoak reads version 1)")) {
        m_config.version = static_cast<int>(*v);
      }
    }
    load_run(top);
    load_workload(top);
    load_probes(top);
    load_storage(top);
    load_safety(top);
    load_logging(top);
  }

  Config& config() { return m_config; }
  std::vector<Diagnostic>& errors() { return m_errors; }
  std::vector<Diagnostic>& warnings() { return m_warnings; }

  void error_at(int line, int column, std::string path, std::string message) {
    m_errors.push_back(
        Diagnostic{Severity::kError, m_file, line, column, std::move(path), std::move(message)});
  }

private:
  // --- Diagnostics ---

  static std::pair<int, int> position(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) {
      return {0, 0};
    }
    return {mark.line + 1, mark.column + 1};
  }

  void error(const YAML::Node& node, std::string path, std::string message) {
    const auto [line, column] = position(node);
    error_at(line, column, std::move(path), std::move(message));
  }

  void warning(const YAML::Node& node, std::string path, std::string message) {
    const auto [line, column] = position(node);
    m_warnings.push_back(Diagnostic{Severity::kWarning, m_file, line, column, std::move(path),
                                    std::move(message)});
  }

  /// Reports at the value, or at the key when the value is missing: yaml-cpp marks a null
  /// value at the start of the next line, which would point users at the wrong line.
  void error(const Field& f, std::string message) {
    error(f.value.IsNull() ? f.key : f.value, f.path, std::move(message));
  }

  // --- Mappings ---

  /// Reads a mapping: reports duplicate and unknown keys, returns the known ones (first
  /// occurrence). A missing or null section is an empty mapping (all defaults).
  Fields read_map(const YAML::Node& node, const YAML::Node& where, const std::string& path,
                  const std::vector<std::string_view>& allowed) {
    Fields fields;
    if (!node.IsDefined() || node.IsNull()) {
      return fields;
    }
    if (!node.IsMap()) {
      error(where, path, "expected a mapping (key: value lines), found " + found(node));
      return fields;
    }
    std::map<std::string, int, std::less<>> first_line;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      const std::string prefix = path.empty() ? "" : path + ".";
      if (!key.IsScalar()) {
        error(key, path, "expected a key name, found " + found(key));
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string key_path = prefix + name;
      if (const auto seen = first_line.find(name); seen != first_line.end()) {
        error(key, key_path,
              "duplicate key (first defined at line " + std::to_string(seen->second) +
                  "); each key may appear once");
        continue;
      }
      first_line.emplace(name, position(key).first);
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        error(key, key_path, unknown_key_message(name, path, allowed));
        continue;
      }
      fields.emplace(name, Field{key, it->second, key_path});
    }
    return fields;
  }

  static std::string unknown_key_message(const std::string& name, const std::string& path,
                                         const std::vector<std::string_view>& allowed) {
    if (name == "<<") {
      return "YAML merge keys ('<<') are not supported; write the keys out";
    }
    if (const std::string_view guess = closest(name, allowed); !guess.empty()) {
      return "unknown key; did you mean '" + std::string(guess) + "'?";
    }
    // A key that belongs to another top-level section ("threads" under run:).
    for (const auto& [section, keys] : section_keys()) {
      if (!section.empty() && section != path &&
          std::find(keys.begin(), keys.end(), name) != keys.end()) {
        return "unknown key; '" + name + "' belongs under '" + std::string(section) + "'";
      }
    }
    return "unknown key; allowed keys: " + join(allowed, ", ");
  }

  static const Field* get(const Fields& fields, std::string_view name) {
    const auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  }

  // --- Scalars ---

  /// The scalar text of `f`, or nullopt after reporting "expected <what>, found ...".
  std::optional<std::string> scalar(const Field& f, const std::string& what) {
    if (!f.value.IsScalar()) {
      error(f, "expected " + what + ", found " + found(f.value));
      return std::nullopt;
    }
    return f.value.Scalar();
  }

  std::optional<std::int64_t> read_int(const Field& f, std::int64_t lo, std::int64_t hi,
                                       const std::string& what = "") {
    const std::string expected =
        what.empty() ? "an integer " + std::to_string(lo) + ".." + std::to_string(hi) : what;
    const auto text = scalar(f, expected);
    if (!text) {
      return std::nullopt;
    }
    const auto value = parse_int(*text);
    if (!value || *value < lo || *value > hi) {
      error(f, "expected " + expected + ", found " + quote(*text));
      return std::nullopt;
    }
    return value;
  }

  /// A number with an inclusive or exclusive lower bound and an inclusive upper bound.
  std::optional<double> read_number(const Field& f, double lo, bool lo_inclusive, double hi) {
    const std::string expected = "a number " + std::string(lo_inclusive ? ">= " : "> ") +
                                 number_text(lo) + " and <= " + number_text(hi);
    const auto text = scalar(f, expected);
    if (!text) {
      return std::nullopt;
    }
    const auto value = parse_number(*text);
    if (!value || (lo_inclusive ? *value < lo : *value <= lo) || *value > hi) {
      error(f, "expected " + expected + ", found " + quote(*text));
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> read_bool(const Field& f) {
    static const std::set<std::string, std::less<>> kTrue{"true", "True", "TRUE", "yes",
                                                          "Yes",  "YES",  "on",   "On"};
    static const std::set<std::string, std::less<>> kFalse{"false", "False", "FALSE", "no",
                                                           "No",    "NO",    "off",   "Off"};
    const auto text = scalar(f, "true or false");
    if (!text) {
      return std::nullopt;
    }
    if (kTrue.count(*text) > 0) {
      return true;
    }
    if (kFalse.count(*text) > 0) {
      return false;
    }
    error(f, "expected true or false, found " + quote(*text));
    return std::nullopt;
  }

  /// "30d" for whole days (format_duration stops at hours), else format_duration.
  static std::string duration_text(nanoseconds d) {
    constexpr nanoseconds kDay = std::chrono::hours(24);
    if (d >= kDay && d % kDay == nanoseconds(0)) {
      return std::to_string(d / kDay) + "d";
    }
    return format_duration(d);
  }

  std::optional<nanoseconds> read_duration(const Field& f, nanoseconds lo, nanoseconds hi) {
    const std::string range = lo == nanoseconds(1)
                                  ? "> 0 and <= " + duration_text(hi)
                                  : duration_text(lo) + ".." + duration_text(hi);
    const std::string expected =
        "a duration " + range + " (number with unit ns, us, ms, s, m, h, d; e.g. 250ms, 1h30m)";
    const auto text = scalar(f, expected);
    if (!text) {
      return std::nullopt;
    }
    std::optional<nanoseconds> value = duration_value(*text);
    if (!value || *value < lo || *value > hi) {
      std::string hint;
      if (!value && parse_number(*text)) {
        hint = "; add a unit, e.g. '" + *text + "s'";
      }
      error(f, "expected " + expected + ", found " + quote(*text) + hint);
      return std::nullopt;
    }
    return value;
  }

  static std::optional<nanoseconds> duration_value(const std::string& text) {
    try {
      Result<nanoseconds> parsed = parse_duration(text);
      if (parsed) {
        return *parsed;
      }
    } catch (const std::exception&) {
      // parse_duration documents no throw; treat a throw as "not a duration" all the same.
    }
    return std::nullopt;
  }

  std::optional<std::string> read_enum(const Field& f, const std::vector<std::string_view>& allowed) {
    const std::string expected = "one of " + join(allowed, ", ");
    const auto text = scalar(f, expected);
    if (!text) {
      return std::nullopt;
    }
    if (std::find(allowed.begin(), allowed.end(), *text) != allowed.end()) {
      return text;
    }
    std::string message = "expected " + expected + ", found " + quote(*text);
    if (const std::string_view guess = closest(*text, allowed); !guess.empty()) {
      message += "; did you mean '" + std::string(guess) + "'?";
    }
    error(f, message);
    return std::nullopt;
  }

  /// A name for run.name / phase names (dots allowed) or ina219 names (no dots: the name is
  /// the prefix of "board.bus_voltage").
  std::optional<std::string> read_name(const Field& f, bool allow_dot) {
    const std::string expected =
        std::string("a name of 1..") + std::to_string(kMaxNameLength) + " characters from " +
        (allow_dot ? "A-Z a-z 0-9 . _ -" : "A-Z a-z 0-9 _ -");
    const auto text = scalar(f, expected);
    if (!text) {
      return std::nullopt;
    }
    if (!is_valid_name(*text, allow_dot)) {
      error(f, "expected " + expected + ", found " + quote(*text));
      return std::nullopt;
    }
    return text;
  }

  std::optional<std::filesystem::path> read_absolute_path(const Field& f) {
    const auto text = scalar(f, "an absolute path");
    if (!text) {
      return std::nullopt;
    }
    if (text->empty() || text->front() != '/') {
      error(f, "expected an absolute path (starting with '/'), found " + quote(*text));
      return std::nullopt;
    }
    return std::filesystem::path(*text);
  }

  /// "max" (returned as 0) or inferences/s > 0 and <= 100000.
  std::optional<double> read_rate(const Field& f) {
    const std::string expected = "'max' or inferences per second > 0 and <= 100000";
    const auto text = scalar(f, expected);
    if (!text) {
      return std::nullopt;
    }
    if (*text == "max") {
      return 0.0;
    }
    const auto value = parse_number(*text);
    if (!value || *value <= 0 || *value > 100000) {
      error(f, "expected " + expected + ", found " + quote(*text));
      return std::nullopt;
    }
    return value;
  }

  // --- Sections ---

  void load_run(const Fields& top) {
    const Field* section = get(top, "run");
    if (section == nullptr) {
      m_config.run.phases = {default_phase()};
      return;
    }
    const Fields f = read_map(section->value, section->value,
                              "run", keys_of("run"));
    if (const Field* name = get(f, "name")) {
      if (auto v = read_name(*name, true)) {
        m_config.run.name = *v;
      }
    }
    if (const Field* board = get(f, "board")) {
      if (auto v = scalar(*board, "a board label (\"auto\" = detect)")) {
        if (v->empty() || v->size() > 128) {
          error(*board, "expected a board label of 1..128 characters, found " + quote(*v));
        } else {
          m_config.run.board = *v;
        }
      }
    }
    bool duration_ok = true;
    if (const Field* duration = get(f, "duration")) {
      auto v = read_duration(*duration, nanoseconds(1), kMaxRunDuration);
      duration_ok = v.has_value();
      if (v) {
        m_config.run.duration = *v;
      }
    }
    if (const Field* resume = get(f, "resume")) {
      if (auto v = read_bool(*resume)) {
        m_config.run.resume = *v;
      }
    }
    if (const Field* repeat = get(f, "repeat")) {
      if (auto v = read_bool(*repeat)) {
        m_config.run.repeat = *v;
      }
    }
    if (const Field* extend = get(f, "extend_after_gap")) {
      if (auto v = read_bool(*extend)) {
        m_config.run.extend_after_gap = *v;
      }
    }
    const Field* phases = get(f, "phases");
    if (phases == nullptr || phases->value.IsNull()) {
      m_config.run.phases = {default_phase()};
      return;
    }
    load_phases(*phases, duration_ok);
  }

  static Phase default_phase() {
    Phase p;
    p.name = "load";
    p.length_kind = PhaseLength::kRest;
    p.load = true;
    return p;
  }

  void load_phases(const Field& phases, bool duration_ok) {
    if (!phases.value.IsSequence()) {
      error(phases, "expected a list of phases (- name: ..., duration: ...), found " +
                        found(phases.value));
      return;
    }
    if (phases.value.size() == 0) {
      error(phases, "expected at least one phase; remove 'phases' for a single load phase");
      return;
    }
    bool all_ok = true;
    std::map<std::string, int, std::less<>> name_lines;
    bool has_rest = false;
    int rest_line = 0;
    std::size_t index = 0;
    std::vector<Phase> out;
    out.reserve(phases.value.size());
    for (auto it = phases.value.begin(); it != phases.value.end(); ++it, ++index) {
      const YAML::Node item = *it;
      const std::string path = "run.phases[" + std::to_string(index) + "]";
      if (!item.IsMap()) {
        error(item, path, "expected a phase mapping (name: ..., duration: ...), found " +
                              found(item));
        all_ok = false;
        continue;
      }
      const std::size_t errors_before = m_errors.size();
      const Fields f = read_map(item, item, path, {"name", "duration", "load", "rate"});
      Phase phase;
      if (const Field* name = get(f, "name")) {
        if (auto v = read_name(*name, true)) {
          phase.name = *v;
          const int line = position(name->value).first;
          if (const auto seen = name_lines.find(*v); seen != name_lines.end()) {
            error(*name, "duplicate phase name " + quote(*v) + " (first at line " +
                             std::to_string(seen->second) + "); phase names must be unique");
          } else {
            name_lines.emplace(*v, line);
          }
        }
      } else {
        error(item, path, "missing required key 'name'");
      }
      if (const Field* duration = get(f, "duration")) {
        if (read_phase_length(*duration, phase) && phase.length_kind == PhaseLength::kRest) {
          if (has_rest) {
            error(*duration, "a second 'rest' phase (the first is at line " +
                                 std::to_string(rest_line) +
                                 "); at most one phase may take the rest");
          } else {
            has_rest = true;
            rest_line = position(duration->value).first;
          }
        }
      } else {
        error(item, path,
              "missing required key 'duration' (a duration such as 10m, a percentage such as "
              "5%, or 'rest')");
      }
      if (const Field* load = get(f, "load")) {
        if (auto v = read_bool(*load)) {
          phase.load = *v;
        }
      }
      if (const Field* rate = get(f, "rate")) {
        if (auto v = read_rate(*rate)) {
          phase.rate_per_s = *v;
        }
      }
      all_ok = all_ok && m_errors.size() == errors_before;
      out.push_back(std::move(phase));
    }
    if (all_ok && duration_ok) {
      check_phase_sum(phases, out);
    }
    if (all_ok && std::none_of(out.begin(), out.end(), [](const Phase& p) { return p.load; })) {
      warning(phases.value, phases.path,
              "no phase has load: true; the workload never runs and only idle sensors are "
              "recorded");
    }
    m_config.run.phases = std::move(out);
  }

  /// "rest", "N%" (0 < N <= 100) or a duration > 0 and <= 30 days.
  bool read_phase_length(const Field& f, Phase& phase) {
    const std::string expected =
        "a duration such as 10m, a percentage of run.duration such as 5% (0 < N <= 100), or "
        "'rest'";
    const auto text = scalar(f, expected);
    if (!text) {
      return false;
    }
    if (*text == "rest") {
      phase.length_kind = PhaseLength::kRest;
      return true;
    }
    if (!text->empty() && text->back() == '%') {
      std::string_view number(*text);
      number.remove_suffix(1);
      while (!number.empty() && number.back() == ' ') {
        number.remove_suffix(1);
      }
      const auto value = parse_number(number);
      if (!value || *value <= 0 || *value > 100) {
        error(f, "expected a percentage 0 < N <= 100 of run.duration, found " + quote(*text));
        return false;
      }
      phase.length_kind = PhaseLength::kPercent;
      phase.percent = *value;
      return true;
    }
    const auto value = duration_value(*text);
    if (!value || value->count() <= 0 || *value > kMaxRunDuration) {
      std::string hint;
      if (value && value->count() <= 0) {
        hint = "; a phase must last longer than 0s";
      } else if (!value && parse_number(*text)) {
        hint = "; add a unit, e.g. '" + *text + "s', or a '%'";
      }
      error(f, "expected " + expected + ", found " + quote(*text) + hint);
      return false;
    }
    phase.length_kind = PhaseLength::kAbsolute;
    phase.duration = *value;
    return true;
  }

  /// The phases must fill run.duration: with "rest", the others must leave it some time;
  /// without, they must add up exactly.
  void check_phase_sum(const Field& phases, const std::vector<Phase>& list) {
    const nanoseconds total = m_config.run.duration;
    long double fixed_ns = 0;
    nanoseconds absolute{0};
    double percent = 0;
    bool has_rest = false;
    std::string rest_name;
    for (const Phase& p : list) {
      switch (p.length_kind) {
      case PhaseLength::kAbsolute:
        absolute += p.duration;
        fixed_ns += static_cast<long double>(p.duration.count());
        break;
      case PhaseLength::kPercent:
        percent += p.percent;
        fixed_ns += static_cast<long double>(total.count()) * p.percent / 100.0L;
        break;
      case PhaseLength::kRest:
        has_rest = true;
        rest_name = p.name;
        break;
      }
    }
    const auto fixed = nanoseconds(static_cast<std::int64_t>(std::llround(fixed_ns)));
    std::string parts;
    if (absolute.count() > 0) {
      parts = format_duration(absolute);
    }
    if (percent > 0) {
      parts += (parts.empty() ? "" : " + ") + number_text(percent) + "%";
    }
    const std::string need =
        format_duration(fixed) + (percent > 0 ? " (" + parts + ")" : std::string());
    // Rounding slack: each percent phase may be off by 1 ns.
    const auto slack = static_cast<std::int64_t>(list.size());
    if (has_rest) {
      if (fixed.count() >= total.count() - slack) {
        error(phases, "the phases other than '" + rest_name + "' (rest) take " + need +
                          " of run.duration " + format_duration(total) + ", leaving nothing for '" +
                          rest_name + "'; shorten them or lengthen run.duration");
      }
    } else if (std::llabs(fixed.count() - total.count()) > slack) {
      error(phases, "the phases add up to " + need + " but run.duration is " +
                        format_duration(total) +
                        "; make them add up exactly or give one phase duration: rest");
    }
  }

  void load_workload(const Fields& top) {
    const Field* section = get(top, "workload");
    if (section == nullptr) {
      return;
    }
    Workload& w = m_config.workload;
    const Fields f = read_map(section->value, section->value, "workload", keys_of("workload"));
    if (const Field* model = get(f, "model")) {
      if (auto v = scalar(*model, "a model name")) {
        if (!is_valid_name(*v, true)) {
          error(*model, "expected a model name such as " + join({kKnownModels.begin(), kKnownModels.end()}, ", ") +
                            ", found " + quote(*v));
        } else {
          w.model = *v;
        }
      }
    }
    if (const Field* threads = get(f, "threads")) {
      if (auto v = read_int(*threads, 1, 256)) {
        w.threads = static_cast<int>(*v);
      }
    }
    if (const Field* streams = get(f, "streams")) {
      if (auto v = read_int(*streams, 1, 64)) {
        w.streams = static_cast<int>(*v);
      }
    }
    if (const Field* cpus = get(f, "cpus")) {
      load_cpus(*cpus);
    }
    if (const Field* rate = get(f, "rate")) {
      if (auto v = read_rate(*rate)) {
        w.rate_per_s = *v;
      }
    }
    if (const Field* isa = get(f, "isa")) {
      if (auto v = read_enum(*isa, {kIsaNames.begin(), kIsaNames.end()})) {
        w.isa = *v;
      }
    }
    if (const Field* verify = get(f, "verify_every")) {
      if (auto v = read_int(*verify, 0, 1'000'000'000)) {
        w.verify_every = static_cast<int>(*v);
      }
    }
  }

  /// A YAML list of CPU numbers, or a string "0-3,6".
  void load_cpus(const Field& f) {
    std::vector<int>& cpus = m_config.workload.cpus;
    if (f.value.IsNull()) {
      return; // "cpus:" with nothing = no pinning
    }
    if (f.value.IsScalar()) {
      Result<std::vector<int>> parsed = parse_cpu_list(f.value.Scalar());
      if (!parsed) {
        error(f, "expected a CPU list such as [0, 1] or \"0-3,6\" (CPUs 0..1023, ranges "
                 "ascending, no duplicates), found " +
                     quote(f.value.Scalar()) + ": " + parsed.error().message);
        return;
      }
      cpus = *parsed;
      return;
    }
    if (!f.value.IsSequence()) {
      error(f, "expected a CPU list such as [0, 1] or \"0-3,6\", found " + found(f.value));
      return;
    }
    std::map<std::int64_t, int> seen;
    std::size_t index = 0;
    for (auto it = f.value.begin(); it != f.value.end(); ++it, ++index) {
      const Field item{f.key, *it, f.path + "[" + std::to_string(index) + "]"};
      const auto cpu = read_int(item, 0, 1023, "a CPU number 0..1023");
      if (!cpu) {
        continue;
      }
      if (const auto dup = seen.find(*cpu); dup != seen.end()) {
        error(item, "CPU " + std::to_string(*cpu) + " is listed twice (first at line " +
                        std::to_string(dup->second) + ")");
        continue;
      }
      seen.emplace(*cpu, position(item.value).first);
      cpus.push_back(static_cast<int>(*cpu));
    }
  }

  void load_probes(const Fields& top) {
    const Field* section = get(top, "probes");
    if (section == nullptr) {
      return;
    }
    Probes& p = m_config.probes;
    const Fields f = read_map(section->value, section->value, "probes", keys_of("probes"));
    if (const Field* interval = get(f, "interval")) {
      if (auto v = read_duration(*interval, std::chrono::milliseconds(1), std::chrono::hours(1))) {
        p.interval = *v;
      }
    }
    const std::pair<const char*, std::filesystem::path*> roots[] = {
        {"sysfs_root", &p.sysfs_root}, {"procfs_root", &p.procfs_root}, {"devfs_root", &p.devfs_root}};
    for (const auto& [key, target] : roots) {
      if (const Field* root = get(f, key)) {
        if (auto v = read_absolute_path(*root)) {
          *target = *v;
        }
      }
    }
    for (const std::string_view name : kProbeNames) {
      const Field* block = get(f, name);
      if (block == nullptr) {
        continue;
      }
      ProbeSettings settings = default_probe_settings(name);
      const Fields b = read_map(block->value, block->value, block->path, {"enabled", "interval"});
      if (const Field* enabled = get(b, "enabled")) {
        if (auto v = read_bool(*enabled)) {
          settings.enabled = *v;
        }
      }
      if (const Field* interval = get(b, "interval")) {
        if (auto v = read_duration(*interval, std::chrono::milliseconds(1), std::chrono::hours(1))) {
          settings.interval = *v;
        }
      }
      p.probe[std::string(name)] = settings;
    }
    if (const Field* ina = get(f, "ina219")) {
      load_ina219(*ina);
    }
  }

  void load_ina219(const Field& list) {
    if (list.value.IsNull()) {
      return;
    }
    if (!list.value.IsSequence()) {
      error(list, "expected a list of INA219 devices (- name: ..., bus: ..., address: ...), "
                  "found " + found(list.value));
      return;
    }
    std::map<std::string, int, std::less<>> names;
    std::map<std::pair<std::int64_t, std::int64_t>, std::string> addresses;
    std::size_t index = 0;
    for (auto it = list.value.begin(); it != list.value.end(); ++it, ++index) {
      const YAML::Node item = *it;
      const std::string path = "probes.ina219[" + std::to_string(index) + "]";
      if (!item.IsMap()) {
        error(item, path, "expected a device mapping (name: ..., bus: ..., address: ...), found " +
                              found(item));
        continue;
      }
      const std::size_t errors_before = m_errors.size();
      const Fields f = read_map(item, item, path,
                                {"name", "bus", "address", "shunt_ohms", "max_current_a",
                                 "interval", "bus_range_v", "adc_samples", "auto_gain", "chip"});
      Ina219Device d;
      if (const Field* name = get(f, "name")) {
        if (auto v = read_name(*name, false)) {
          d.name = *v;
          if (const auto seen = names.find(*v); seen != names.end()) {
            error(*name, "duplicate INA219 name " + quote(*v) + " (first at line " +
                             std::to_string(seen->second) + "); names must be unique");
          } else {
            names.emplace(*v, position(name->value).first);
          }
        }
      } else {
        error(item, path, "missing required key 'name' (sensors are named <name>.power, ...)");
      }
      const Field* bus = get(f, "bus");
      if (bus != nullptr) {
        if (auto v = read_int(*bus, 0, 255)) {
          d.bus = static_cast<int>(*v);
        }
      }
      const Field* address = get(f, "address");
      if (address != nullptr) {
        if (auto v = read_int(*address, 0x40, 0x4F, "an I2C address 0x40..0x4F (64..79)")) {
          d.address = static_cast<int>(*v);
        }
      }
      if (const Field* shunt = get(f, "shunt_ohms")) {
        if (auto v = read_number(*shunt, 0, false, 10)) {
          d.shunt_ohms = *v;
        }
      }
      if (const Field* max_current = get(f, "max_current_a")) {
        if (auto v = read_number(*max_current, 0, false, 100)) {
          d.max_current_a = *v;
        }
      }
      if (const Field* interval = get(f, "interval")) {
        if (auto v = read_duration(*interval, std::chrono::milliseconds(5), std::chrono::hours(1))) {
          d.interval = *v;
        }
      }
      if (const Field* range = get(f, "bus_range_v")) {
        if (auto v = read_int(*range, 16, 32, "16 or 32")) {
          if (*v != 16 && *v != 32) {
            error(*range, "expected 16 or 32, found " + quote(range->value.Scalar()));
          } else {
            d.bus_range_v = static_cast<int>(*v);
          }
        }
      }
      if (const Field* samples = get(f, "adc_samples")) {
        const std::string expected = "one of 1, 2, 4, 8, 16, 32, 64, 128";
        if (auto v = read_int(*samples, 1, 128, expected)) {
          if ((*v & (*v - 1)) != 0) {
            error(*samples, "expected " + expected + ", found " + quote(samples->value.Scalar()));
          } else {
            d.adc_samples = static_cast<int>(*v);
          }
        }
      }
      if (const Field* gain = get(f, "auto_gain")) {
        if (auto v = read_bool(*gain)) {
          d.auto_gain = *v;
        }
      }
      if (const Field* chip = get(f, "chip")) {
        if (auto v = read_enum(*chip, {"ina219", "ina226"})) {
          d.chip = *v;
        }
      }
      // Two devices on one bus address would read the same chip twice. Only checked for a
      // device without other errors, so a bad bus or address does not also report a clash.
      const auto key = std::make_pair<std::int64_t, std::int64_t>(d.bus, d.address);
      if (m_errors.size() != errors_before) {
        // already reported
      } else if (const auto clash = addresses.find(key); clash != addresses.end()) {
        const YAML::Node& where = address != nullptr ? address->value : item;
        error(where, address != nullptr ? address->path : path,
              "bus " + std::to_string(d.bus) + " address " + hex_address(d.address) +
                  " is already used by INA219 " + quote(clash->second));
      } else {
        addresses.emplace(key, d.name);
      }
      m_config.probes.ina219.push_back(std::move(d));
    }
  }

  static std::string hex_address(int address) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "0x";
    out += kHex[(address >> 4) & 0xf];
    out += kHex[address & 0xf];
    return out;
  }

  void load_storage(const Fields& top) {
    const Field* section = get(top, "storage");
    if (section == nullptr) {
      return;
    }
    Storage& s = m_config.storage;
    const Fields f = read_map(section->value, section->value, "storage", keys_of("storage"));
    if (const Field* db = get(f, "database")) {
      if (auto v = scalar(*db, "a database file path")) {
        if (v->empty() || v->back() == '/') {
          error(*db, "expected a database file path, found " + quote(*v));
        } else {
          s.database = *v;
        }
      }
    }
    if (const Field* commit = get(f, "commit_interval")) {
      if (auto v = read_duration(*commit, std::chrono::milliseconds(10), std::chrono::seconds(1))) {
        s.commit_interval = *v;
      }
    }
    if (const Field* queue = get(f, "queue_capacity")) {
      if (auto v = read_int(*queue, 1024, 16'777'216)) {
        s.queue_capacity = static_cast<std::size_t>(*v);
      }
    }
  }

  void load_safety(const Fields& top) {
    const Field* section = get(top, "safety");
    if (section == nullptr) {
      return;
    }
    Safety& s = m_config.safety;
    const Fields f = read_map(section->value, section->value, "safety", keys_of("safety"));
    if (const Field* max = get(f, "max_temperature_c")) {
      if (max->value.IsNull() || (max->value.IsScalar() && max->value.Scalar() == "off")) {
        s.max_temperature_c.reset();
      } else if (max->value.IsScalar() && !parse_number(max->value.Scalar())) {
        error(*max, "expected a temperature -40..150 (degrees C) or 'off', found " +
                        quote(max->value.Scalar()));
      } else if (auto v = read_number(*max, -40, true, 150)) {
        s.max_temperature_c = *v;
      }
    }
    if (const Field* hold = get(f, "hold")) {
      if (auto v = read_duration(*hold, nanoseconds(0), std::chrono::hours(1))) {
        s.hold = *v;
      }
    }
  }

  void load_logging(const Fields& top) {
    const Field* section = get(top, "logging");
    if (section == nullptr) {
      return;
    }
    const Fields f = read_map(section->value, section->value, "logging", keys_of("logging"));
    if (const Field* level = get(f, "level")) {
      if (auto v = read_enum(*level, {kLogLevels.begin(), kLogLevels.end()})) {
        m_config.logging.level = *v;
      }
    }
  }

  std::string m_file;
  Config m_config;
  std::vector<Diagnostic> m_errors;
  std::vector<Diagnostic> m_warnings;
};

/// Records where each document starts. Used to count documents without YAML::LoadAll, which
/// loops forever (allocating a null document per turn) on a stray ',' at the top level
/// (yaml-cpp 0.7; jbeder/yaml-cpp#1040, fixed upstream by #1319).
class DocumentStarts final : public YAML::EventHandler {
public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnScalar(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                YAML::anchor_t /*anchor*/, const std::string& /*value*/) override {}
  void OnSequenceStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                  YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {}
  void OnMapEnd() override {}

  std::vector<YAML::Mark> starts;
};

void sort_by_position(std::vector<Diagnostic>& list) {
  std::stable_sort(list.begin(), list.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

/// Parses and validates; `base_dir` (may be empty) resolves a relative storage.database.
LoadResult load_text(const std::string& text, const std::string& name,
                     const std::filesystem::path& base_dir) {
  LoadResult result;
  Loader loader(name);
  const auto fail = [&](int line, int column, const std::string& message) {
    loader.error_at(line, column, "", message);
  };
  if (text.size() > kMaxConfigBytes) {
    fail(0, 0, "larger than " + std::to_string(kMaxConfigBytes) +
                   " bytes; a configuration is a few KiB of text");
  } else {
    for (const EncodingProblem& p : check_encoding(text, 10)) {
      fail(p.line, p.column, p.message);
    }
  }
  if (loader.errors().empty()) {
    try {
      // Pass 1: how many documents? At most two parser turns, so a parser that makes no
      // progress cannot loop. Pass 2: YAML::Load builds the first document.
      DocumentStarts starts;
      {
        std::istringstream in(text);
        YAML::Parser parser(in);
        while (starts.starts.size() < 2 && parser.HandleNextDocument(starts)) {
        }
      }
      const auto at = [](const YAML::Mark& mark) {
        return std::make_pair(mark.is_null() ? 0 : mark.line + 1,
                              mark.is_null() ? 0 : mark.column + 1);
      };
      if (starts.starts.size() == 2 && starts.starts[1].pos == starts.starts[0].pos) {
        const auto [line, column] = at(starts.starts[1]);
        fail(line, column, "YAML syntax error: unexpected token (a stray ','?)");
      } else if (starts.starts.size() == 2) {
        const auto [line, column] = at(starts.starts[1]);
        fail(line, column, "a second YAML document ('---'); a configuration is one document");
      } else {
        loader.load(starts.starts.empty() ? YAML::Node() : YAML::Load(text));
      }
    } catch (const YAML::Exception& e) {
      const bool known = !e.mark.is_null();
      const bool too_deep = dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr;
      fail(known ? e.mark.line + 1 : 0, known ? e.mark.column + 1 : 0,
           too_deep ? std::string("YAML nesting too deep; a configuration is at most a few levels")
                    : "YAML syntax error: " + e.msg);
    } catch (const std::exception& e) {
      fail(0, 0, std::string("could not read the configuration: ") + e.what());
    }
  }
  result.warnings = std::move(loader.warnings());
  sort_by_position(result.warnings);
  if (!loader.errors().empty()) {
    result.diagnostics = std::move(loader.errors());
    sort_by_position(result.diagnostics);
    return result;
  }
  Config config = std::move(loader.config());
  config.source_text = text;
  if (!base_dir.empty() && config.storage.database.is_relative()) {
    config.storage.database = (base_dir / config.storage.database).lexically_normal();
  }
  result.config = std::move(config);
  return result;
}

LoadResult single_error(const std::string& file, const std::string& message) {
  LoadResult result;
  result.diagnostics.push_back(Diagnostic{Severity::kError, file, 0, 0, "", message});
  return result;
}

} // namespace

LoadResult load_string(const std::string& yaml_text, const std::string& name) {
  try {
    return load_text(yaml_text, name, {});
  } catch (const std::exception& e) {
    return single_error(name, std::string("could not read the configuration: ") + e.what());
  }
}

LoadResult load_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return single_error(name, "is a directory, not a configuration file");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      const std::error_code why(errno, std::generic_category());
      return single_error(name, "cannot open: " + why.message());
    }
    std::string text;
    std::array<char, 65536> buffer{};
    while (in && text.size() <= kMaxConfigBytes) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) {
      return single_error(name, "read failed");
    }
    std::filesystem::path base = std::filesystem::absolute(path, ec).parent_path();
    if (ec) {
      base = path.parent_path();
    }
    LoadResult result = load_text(text, name, base);
    if (result.config) {
      result.config->source_path = name;
    }
    return result;
  } catch (const std::exception& e) {
    return single_error(name, std::string("could not read the configuration: ") + e.what());
  }
}

} // namespace es::config
