#pragma once
// Helpers shared by the storage unit tests: a per-test temp dir, a RunInfo, raw SQLite access
// for checks the public API does not offer, and deadline polling.

#include "daemon/core/time.hpp"
#include "daemon/storage/schema.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

namespace es::storage::test {

/// A fresh directory under the system temp dir, removed at destruction (ccache TestContext).
class TempDir {
public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "edgesoak-storage-";
    if (info != nullptr) {
      name += std::string(info->test_suite_name()) + "-" + info->name() + "-";
    }
    name += std::to_string(mono_now_ns());
    for (char& c : name) {
      if (c == '/') {
        c = '_';
      }
    }
    m_path = std::filesystem::temp_directory_path() / name;
    std::filesystem::create_directories(m_path);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  [[nodiscard]] std::filesystem::path file(const std::string& name) const { return m_path / name; }

private:
  std::filesystem::path m_path;
};

inline RunInfo test_run_info(const std::string& name = "test-run") {
  RunInfo info;
  info.name = name;
  info.board = "Raspberry Pi 5 Model B Rev 1.0";
  info.host = "pi5";
  info.kernel = "6.6.31+rpt-rpi-2712";
  info.cpu = "Cortex-A76 x4 asimddp";
  info.isa = "neondot";
  info.model = "mobilenet_v2";
  info.config_text = "name: test\nduration: 3h\n";
  info.config_path = "/etc/edgesoak/edgesoak.yaml";
  info.build_info = "edgesoak 0.1.0 test";
  info.planned_duration_ns = 3LL * 3600 * 1'000'000'000;
  return info;
}

/// Opens `path` with the raw C API (read-write, no create) for checks and hand-made layouts.
class RawDb {
public:
  explicit RawDb(const std::filesystem::path& path, bool create = false) {
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    m_rc = sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr);
    sqlite3_busy_timeout(m_db, 5000);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  ~RawDb() { sqlite3_close_v2(m_db); }

  [[nodiscard]] bool ok() const { return m_rc == SQLITE_OK; }
  void exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << sql << ": " << (err != nullptr ? err : "");
  }
  /// First column of the first row as integer (or -1 on error / no row).
  std::int64_t query_int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::int64_t value = -1;
    if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return value;
  }
  std::string query_text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string value;
    if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return value;
  }
  [[nodiscard]] sqlite3* get() const { return m_db; }

private:
  sqlite3* m_db = nullptr;
  int m_rc = SQLITE_ERROR;
};

/// Polls `pred` until it holds or `timeout` passes; returns whether it held.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds step = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(step);
  }
  return pred();
}

} // namespace es::storage::test
