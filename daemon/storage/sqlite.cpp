#include "daemon/storage/sqlite.hpp"

#include "daemon/storage/schema.hpp"

#include <array>
#include <system_error>

namespace es::storage::detail {

namespace {

/// One step of the schema history. Migration i brings user_version from i to i + 1.
struct Migration {
  int to_version;
  const char* sql;
};

// Schema v1. Design notes (sizes measured in tests/unit/storage/test_size.cpp):
// - inferences and samples are WITHOUT ROWID tables keyed by (segment, time, ...): the primary
//   key is the time order the reader needs, and there is no rowid and no secondary index to pay
//   for. Times are stored relative to the segment start (6-byte varints for a multi-hour
//   segment), worker and status share one small integer (ws = worker * 4 + status), so a row
//   costs about 20 bytes on disk including b-tree overhead.
// - samples.value is REAL: SQLite stores integral reals (Hz, bytes) as small integers on disk.
//   status 0 costs no payload byte (SQLite's constant-0 serial type).
// - everything else is small and keeps ordinary rowid tables.
constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  board TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  kernel TEXT NOT NULL DEFAULT '',
  cpu TEXT NOT NULL DEFAULT '',
  isa TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  config_text TEXT NOT NULL DEFAULT '',
  config_path TEXT NOT NULL DEFAULT '',
  build_info TEXT NOT NULL DEFAULT '',
  planned_duration_ns INTEGER NOT NULL DEFAULT 0,
  started_wall_ns INTEGER NOT NULL,
  ended_wall_ns INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE run_meta(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(run_id, key)
) WITHOUT ROWID;
CREATE TABLE segments(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  boot_id TEXT NOT NULL DEFAULT '',
  start_mono_ns INTEGER NOT NULL,
  end_mono_ns INTEGER NOT NULL,
  t0_run_ns INTEGER NOT NULL,
  start_wall_ns INTEGER NOT NULL,
  end_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX segments_by_run ON segments(run_id);
CREATE TABLE sensors(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  unit TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  UNIQUE(run_id, name)
);
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  seg INTEGER NOT NULL REFERENCES segments(id),
  t INTEGER NOT NULL, -- ns since the segment start
  kind TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_run ON events(run_id);
CREATE TABLE samples(
  sensor INTEGER NOT NULL, -- sensors.id
  seg INTEGER NOT NULL,    -- segments.id
  t INTEGER NOT NULL,      -- ns since the segment start
  value REAL,              -- NULL unless status = 0
  status INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(sensor, seg, t)
) WITHOUT ROWID;
CREATE TABLE inferences(
  seg INTEGER NOT NULL,    -- segments.id
  t INTEGER NOT NULL,      -- ns since the segment start (inference start)
  ws INTEGER NOT NULL,     -- worker * 4 + status
  lat INTEGER NOT NULL,    -- latency ns
  PRIMARY KEY(seg, t, ws)
) WITHOUT ROWID;
)sql"},
};

static_assert(kMigrations.size() == kSchemaVersion, "one migration per schema version");

} // namespace

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(m_db);
    m_db = other.m_db;
    other.m_db = nullptr;
  }
  return *this;
}

Db::~Db() { sqlite3_close_v2(m_db); }

Result<void> Db::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    return make_error(ErrorCode::kDatabase,
                      text + " (code " + std::to_string(sqlite3_extended_errcode(m_db)) + ")");
  }
  return ok();
}

Result<std::int64_t> Db::query_int(const std::string& sql) {
  Result<Stmt> stmt = Stmt::prepare(*this, sql);
  if (!stmt) {
    return stmt.error();
  }
  Result<bool> row = stmt->step();
  if (!row) {
    return row.error();
  }
  if (!*row) {
    return make_error(ErrorCode::kNotFound, "no row: " + sql);
  }
  return stmt->column_int(0);
}

Result<std::string> Db::query_text(const std::string& sql) {
  Result<Stmt> stmt = Stmt::prepare(*this, sql);
  if (!stmt) {
    return stmt.error();
  }
  Result<bool> row = stmt->step();
  if (!row) {
    return row.error();
  }
  if (!*row) {
    return make_error(ErrorCode::kNotFound, "no row: " + sql);
  }
  return stmt->column_text(0);
}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(m_stmt);
    m_stmt = other.m_stmt;
    other.m_stmt = nullptr;
  }
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(m_stmt); }

Result<Stmt> Stmt::prepare(Db& db, std::string_view sql) {
  Stmt stmt;
  if (sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &stmt.m_stmt, nullptr) != SQLITE_OK) {
    return db_error(db.get(), "prepare '" + std::string(sql.substr(0, 60)) + "'");
  }
  return stmt;
}

void Stmt::bind_int(int index, std::int64_t value) noexcept {
  sqlite3_bind_int64(m_stmt, index, value);
}

void Stmt::bind_double(int index, double value) noexcept {
  sqlite3_bind_double(m_stmt, index, value);
}

void Stmt::bind_null(int index) noexcept { sqlite3_bind_null(m_stmt, index); }

void Stmt::bind_text(int index, std::string_view value) noexcept {
  sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
}

Result<bool> Stmt::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  sqlite3* db = sqlite3_db_handle(m_stmt);
  Error error = db_error(db, "step");
  sqlite3_reset(m_stmt);
  return error;
}

Result<void> Stmt::run() {
  Result<bool> row = step();
  reset();
  if (!row) {
    return row.error();
  }
  return ok();
}

void Stmt::reset() noexcept {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

std::int64_t Stmt::column_int(int index) const noexcept {
  return sqlite3_column_int64(m_stmt, index);
}

double Stmt::column_double(int index) const noexcept {
  return sqlite3_column_double(m_stmt, index);
}

bool Stmt::column_is_null(int index) const noexcept {
  return sqlite3_column_type(m_stmt, index) == SQLITE_NULL;
}

std::string Stmt::column_text(int index) const {
  const unsigned char* text = sqlite3_column_text(m_stmt, index);
  if (text == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, index)));
}

Error db_error(sqlite3* db, std::string_view what) {
  if (db == nullptr) {
    return make_error(ErrorCode::kDatabase, std::string(what) + ": out of memory");
  }
  return make_error(ErrorCode::kDatabase, std::string(what) + ": " + sqlite3_errmsg(db) +
                                              " (code " +
                                              std::to_string(sqlite3_extended_errcode(db)) + ")");
}

Result<void> migrate(Db& db) {
  Result<std::int64_t> version = db.query_int("PRAGMA user_version");
  if (!version) {
    return version.error();
  }
  if (*version > kSchemaVersion) {
    return make_error(ErrorCode::kDatabase,
                      "schema version " + std::to_string(*version) +
                          " is newer than this build understands (" +
                          std::to_string(kSchemaVersion) + "); use a newer edgesoak");
  }
  if (*version == kSchemaVersion) {
    return ok();
  }
  // BEGIN IMMEDIATE: two processes opening a fresh file at once cannot both migrate.
  if (Result<void> begun = db.exec("BEGIN IMMEDIATE"); !begun) {
    return begun.error().with_context("migrate");
  }
  auto fail = [&db](const Error& error) {
    (void)db.exec("ROLLBACK");
    return error.with_context("migrate");
  };
  // Re-read inside the write lock: another process may have migrated meanwhile.
  version = db.query_int("PRAGMA user_version");
  if (!version) {
    return fail(version.error());
  }
  if (*version == 0) {
    // A version-0 file must be empty; anything else is somebody else's database.
    Result<std::int64_t> tables = db.query_int("SELECT count(*) FROM sqlite_schema");
    if (!tables) {
      return fail(tables.error());
    }
    if (*tables != 0) {
      return fail(make_error(ErrorCode::kDatabase,
                             "not an edgesoak database (schema version 0 but " +
                                 std::to_string(*tables) + " objects exist)"));
    }
    if (Result<void> set = db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
        !set) {
      return fail(set.error());
    }
  }
  for (std::int64_t v = *version; v < kSchemaVersion; ++v) {
    const Migration& migration = kMigrations.at(static_cast<std::size_t>(v));
    if (Result<void> applied = db.exec(migration.sql); !applied) {
      return fail(applied.error().with_context("to version " +
                                               std::to_string(migration.to_version)));
    }
  }
  if (Result<void> set = db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
      !set) {
    return fail(set.error());
  }
  if (Result<void> committed = db.exec("COMMIT"); !committed) {
    return fail(committed.error());
  }
  return ok();
}

namespace {

Result<Db> open_connection(const std::string& name, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return db_error(raw, "open");
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

bool is_cantopen(const Db& db) {
  const int code = sqlite3_extended_errcode(db.get()) & 0xff;
  return code == SQLITE_CANTOPEN || code == SQLITE_READONLY;
}

/// "file:/path?immutable=1" with the characters URIs reserve percent-encoded.
std::string immutable_uri(const std::filesystem::path& path) {
  std::string uri = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '?' || c == '#' || c == '%') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
      uri += kHex[static_cast<unsigned char>(c) & 0xf];
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

} // namespace

Result<Db> open_database(const std::filesystem::path& path, OpenMode mode) {
  const std::string where = "database " + path.string();
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (mode == OpenMode::kReadOnly && !exists) {
    return make_error(ErrorCode::kNotFound, where + ": no such file");
  }
  if (exists && std::filesystem::is_directory(path, ec)) {
    return make_error(ErrorCode::kDatabase, where + ": is a directory");
  }
  const int flags = mode == OpenMode::kReadOnly
                        ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
                        : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  Result<Db> opened = open_connection(path.string(), flags);
  if (!opened) {
    return opened.error().with_context(where);
  }
  Db db = std::move(*opened);

  // The first read of the header tells a non-SQLite file apart ("file is not a database").
  Result<std::int64_t> version = db.query_int("PRAGMA user_version");
  if (!version && mode == OpenMode::kReadOnly && is_cantopen(db) &&
      !std::filesystem::exists(path.string() + "-wal", ec)) {
    // A WAL database in a directory this user cannot write (a report run by a normal user on
    // /var/lib/edgesoak after the daemon closed the run): SQLite cannot create the -shm file.
    // With no -wal file there is nothing uncommitted to see, so read the file as immutable.
    opened = open_connection(immutable_uri(path), flags | SQLITE_OPEN_URI);
    if (!opened) {
      return opened.error().with_context(where);
    }
    db = std::move(*opened);
    version = db.query_int("PRAGMA user_version");
  }
  if (!version) {
    return make_error(ErrorCode::kDatabase,
                      where + ": not an SQLite database or unreadable (" +
                          version.error().message + ")");
  }
  Result<std::int64_t> app_id = db.query_int("PRAGMA application_id");
  if (!app_id) {
    return app_id.error().with_context(where);
  }
  if (*version != 0 && *app_id != kApplicationId) {
    return make_error(ErrorCode::kDatabase,
                      where + ": not an edgesoak database (application_id " +
                          std::to_string(*app_id) + ")");
  }
  if (*version > kSchemaVersion) {
    return make_error(ErrorCode::kDatabase,
                      where + ": schema version " + std::to_string(*version) +
                          " is newer than this build understands (" +
                          std::to_string(kSchemaVersion) + "); use a newer edgesoak");
  }

  if (mode == OpenMode::kReadOnly) {
    if (*version < kSchemaVersion) {
      return make_error(ErrorCode::kDatabase,
                        where + ": schema version " + std::to_string(*version) +
                            " is older than " + std::to_string(kSchemaVersion) +
                            (*version == 0 ? " (empty or not an edgesoak database)"
                                           : "; open it once with edgesoakd to migrate"));
    }
    return db;
  }

  Result<std::string> journal = db.query_text("PRAGMA journal_mode = WAL");
  if (!journal) {
    return journal.error().with_context(where);
  }
  if (*journal != "wal") {
    return make_error(ErrorCode::kDatabase,
                      where + ": cannot enable WAL (journal_mode=" + *journal + ")");
  }
  if (Result<void> set = db.exec("PRAGMA synchronous = NORMAL"); !set) {
    return set.error().with_context(where);
  }
  if (Result<void> migrated = migrate(db); !migrated) {
    return migrated.error().with_context(where);
  }
  return db;
}

} // namespace es::storage::detail
