#pragma once
// Internal to es_storage (not a public header): thin RAII wrappers over the SQLite C API, the
// migration table and the connection set-up shared by Writer and Reader. Includes sqlite3.h,
// so only storage .cpp files and storage unit tests may include it.

#include "daemon/core/result.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace es::storage::detail {

// --- Interface ---

/// PRAGMA application_id of an edgesoak database ("ESOK").
inline constexpr std::int32_t kApplicationId = 0x45534F4B;

/// Owns one sqlite3 connection.
class Db {
public:
  Db() = default;
  explicit Db(sqlite3* db) : m_db(db) {}
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  Db(Db&& other) noexcept : m_db(other.m_db) { other.m_db = nullptr; }
  Db& operator=(Db&& other) noexcept;
  ~Db();

  [[nodiscard]] sqlite3* get() const noexcept { return m_db; }
  /// Runs one or more statements without results.
  [[nodiscard]] Result<void> exec(const std::string& sql);
  /// Runs a query that returns one integer (PRAGMA user_version, count(*)).
  [[nodiscard]] Result<std::int64_t> query_int(const std::string& sql);
  /// Runs a query that returns one text value.
  [[nodiscard]] Result<std::string> query_text(const std::string& sql);

private:
  sqlite3* m_db = nullptr;
};

/// Owns one prepared statement; reset() keeps it for reuse.
class Stmt {
public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& other) noexcept : m_stmt(other.m_stmt) { other.m_stmt = nullptr; }
  Stmt& operator=(Stmt&& other) noexcept;
  ~Stmt();

  /// Prepares `sql` on `db` (persistent: it will be reused).
  [[nodiscard]] static Result<Stmt> prepare(Db& db, std::string_view sql);

  void bind_int(int index, std::int64_t value) noexcept;
  void bind_double(int index, double value) noexcept;
  void bind_null(int index) noexcept;
  void bind_text(int index, std::string_view value) noexcept;

  /// Steps once: true if a row is available, false when done; error on failure.
  [[nodiscard]] Result<bool> step();
  /// Steps to completion of a statement that returns no rows, then resets it.
  [[nodiscard]] Result<void> run();
  /// Resets for reuse and clears bindings.
  void reset() noexcept;

  [[nodiscard]] std::int64_t column_int(int index) const noexcept;
  [[nodiscard]] double column_double(int index) const noexcept;
  [[nodiscard]] bool column_is_null(int index) const noexcept;
  [[nodiscard]] std::string column_text(int index) const;

  [[nodiscard]] sqlite3_stmt* get() const noexcept { return m_stmt; }

private:
  sqlite3_stmt* m_stmt = nullptr;
};

/// kDatabase error "<what>: <sqlite message> (code N)".
[[nodiscard]] Error db_error(sqlite3* db, std::string_view what);

/// How a connection is opened.
enum class OpenMode {
  kReadWriteCreate, ///< the writer: create, WAL, migrate
  kReadOnly,        ///< the reader: never writes, refuses to migrate
};

/// Opens `path`, checks that it is an edgesoak database (or empty, for kReadWriteCreate), sets
/// the pragmas (WAL, synchronous=NORMAL, busy_timeout) and, for kReadWriteCreate, migrates it
/// to kSchemaVersion. Errors: kNotFound (missing file, read-only mode), kDatabase (not SQLite,
/// not edgesoak, newer schema, older schema in read-only mode).
[[nodiscard]] Result<Db> open_database(const std::filesystem::path& path, OpenMode mode);

/// Applies the migrations from the file's user_version up to kSchemaVersion in one
/// transaction. Exposed for tests.
[[nodiscard]] Result<void> migrate(Db& db);

} // namespace es::storage::detail
