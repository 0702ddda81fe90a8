#include "analysis/json_writer.hpp"

#include <fmt/format.h>

#include <cmath>

namespace es::analysis {

JsonWriter::JsonWriter(std::ostream& out, int indent) : m_out(out), m_indent(indent) {}

void JsonWriter::newline() {
  if (m_indent > 0) {
    m_out << '\n' << std::string(m_first.size() * static_cast<std::size_t>(m_indent), ' ');
  }
}

void JsonWriter::before_value() {
  if (m_after_key) {
    m_after_key = false;
    return;
  }
  if (!m_first.empty()) {
    if (!m_first.back()) {
      m_out << ',';
    }
    m_first.back() = false;
    newline();
  }
}

void JsonWriter::begin_object() {
  before_value();
  m_out << '{';
  m_first.push_back(true);
}

void JsonWriter::end_object() {
  const bool empty = m_first.back();
  m_first.pop_back();
  if (!empty) {
    newline();
  }
  m_out << '}';
  if (m_first.empty() && m_indent > 0) {
    m_out << '\n';
  }
}

void JsonWriter::begin_array() {
  before_value();
  m_out << '[';
  m_first.push_back(true);
}

void JsonWriter::end_array() {
  const bool empty = m_first.back();
  m_first.pop_back();
  if (!empty) {
    newline();
  }
  m_out << ']';
}

void JsonWriter::key(std::string_view k) {
  before_value();
  m_out << quote(k) << (m_indent > 0 ? ": " : ":");
  m_after_key = true;
}

void JsonWriter::value(std::string_view s) {
  before_value();
  m_out << quote(s);
}

void JsonWriter::value(double d) {
  before_value();
  if (!std::isfinite(d)) {
    m_out << "null";
    return;
  }
  // Shortest representation that round-trips.
  m_out << fmt::format("{}", d);
}

void JsonWriter::value(std::int64_t i) {
  before_value();
  m_out << i;
}

void JsonWriter::value(std::uint64_t u) {
  before_value();
  m_out << u;
}

void JsonWriter::value(bool b) {
  before_value();
  m_out << (b ? "true" : "false");
}

void JsonWriter::null() {
  before_value();
  m_out << "null";
}

std::string JsonWriter::quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (const char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
      } else {
        out += c;
      }
    }
  }
  out += '"';
  return out;
}

} // namespace es::analysis
