#pragma once
// A minimal streaming JSON writer (no DOM): objects, arrays, strings with escaping, and numbers
// where NaN/inf become null. Enough for `report --json` without another dependency.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace es::analysis {

// --- Interface ---

class JsonWriter {
public:
  /// Writes to `out`; `indent` spaces per level (0 = compact).
  explicit JsonWriter(std::ostream& out, int indent = 2);

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  /// Key of the next value inside an object.
  void key(std::string_view k);
  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(double d);
  void value(std::int64_t i);
  void value(std::uint64_t u);
  void value(int i) { value(static_cast<std::int64_t>(i)); }
  void value(bool b);
  void null();
  /// key(k) followed by value(v): one member of the current object.
  template <typename T>
  void field(std::string_view k, const T& v) {
    key(k);
    value(v);
  }

  /// JSON string literal of `s` including quotes.
  static std::string quote(std::string_view s);

private:
  void before_value();
  void newline();

  std::ostream& m_out;
  int m_indent;
  std::vector<bool> m_first; ///< per open container: no element written yet
  bool m_after_key = false;
};

} // namespace es::analysis
