#pragma once
// Shared helpers for the es_config tests: fixture paths and file reading.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace es::config::test {

/// tests/fixtures/config/<rel>
inline std::filesystem::path fixture(const std::string& rel) {
  return std::filesystem::path(ES_TEST_FIXTURES_DIR) / "config" / rel;
}

/// <repo>/config/<name>: the shipped configurations.
inline std::filesystem::path shipped(const std::string& name) {
  return std::filesystem::path(ES_SOURCE_DIR) / "config" / name;
}

inline std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// All diagnostics of a load, one per line, for failure messages.
template <typename R>
std::string dump(const R& result) {
  std::string out;
  for (const auto& d : result.diagnostics) {
    out += d.to_string() + "\n";
  }
  for (const auto& d : result.warnings) {
    out += d.to_string() + "\n";
  }
  return out;
}

} // namespace es::config::test
