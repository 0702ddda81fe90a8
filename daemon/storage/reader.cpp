#include "daemon/storage/reader.hpp"

#include "daemon/storage/sqlite.hpp"

#include <cmath>
#include <limits>
#include <utility>

namespace es::storage {

namespace {

using detail::Db;
using detail::Stmt;

/// Steps `stmt` to the end, calling fn(stmt) for every row.
template <typename Fn>
Result<void> for_each_row(Stmt& stmt, Fn&& fn) {
  while (true) {
    Result<bool> row = stmt.step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return ok();
    }
    fn(stmt);
  }
}

/// Holds a read transaction so a multi-statement read sees one snapshot; ends it on scope exit.
class ReadTransaction {
public:
  explicit ReadTransaction(Db& db) : m_db(db) { m_ok = static_cast<bool>(m_db.exec("BEGIN")); }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  ~ReadTransaction() {
    if (m_ok) {
      (void)m_db.exec("COMMIT");
    }
  }

private:
  Db& m_db;
  bool m_ok = false;
};

constexpr const char* kRunColumns =
    "r.id, r.name, r.board, r.host, r.kernel, r.cpu, r.isa, r.model, r.config_text, "
    "r.config_path, r.build_info, r.planned_duration_ns, r.status, r.started_wall_ns, "
    "r.ended_wall_ns, "
    "(SELECT coalesce(max(t0_run_ns + end_mono_ns - start_mono_ns), 0) FROM segments "
    " WHERE run_id = r.id), "
    "(SELECT count(*) FROM segments WHERE run_id = r.id)";

RunRow run_from_row(const Stmt& stmt) {
  RunRow row;
  row.id = stmt.column_int(0);
  row.info.name = stmt.column_text(1);
  row.info.board = stmt.column_text(2);
  row.info.host = stmt.column_text(3);
  row.info.kernel = stmt.column_text(4);
  row.info.cpu = stmt.column_text(5);
  row.info.isa = stmt.column_text(6);
  row.info.model = stmt.column_text(7);
  row.info.config_text = stmt.column_text(8);
  row.info.config_path = stmt.column_text(9);
  row.info.build_info = stmt.column_text(10);
  row.info.planned_duration_ns = stmt.column_int(11);
  row.status = run_status_from_string(stmt.column_text(12)).value_or(RunStatus::kRunning);
  row.started_wall_ns = stmt.column_int(13);
  row.ended_wall_ns = stmt.column_int(14);
  row.duration_ns = stmt.column_int(15);
  row.segments = static_cast<int>(stmt.column_int(16));
  return row;
}

class ReaderImpl final : public Reader {
public:
  explicit ReaderImpl(Db db) : m_db(std::move(db)) {}

  Result<std::vector<RunRow>> runs() override {
    Result<Stmt> stmt =
        Stmt::prepare(m_db, std::string("SELECT ") + kRunColumns + " FROM runs r ORDER BY r.id");
    if (!stmt) {
      return stmt.error();
    }
    std::vector<RunRow> rows;
    if (Result<void> done = for_each_row(*stmt, [&](const Stmt& s) {
          rows.push_back(run_from_row(s));
        });
        !done) {
      return done.error().with_context("runs");
    }
    return rows;
  }

  Result<RunRow> run(std::int64_t run_id) override {
    Result<Stmt> stmt = Stmt::prepare(
        m_db, std::string("SELECT ") + kRunColumns + " FROM runs r WHERE r.id = ?");
    if (!stmt) {
      return stmt.error();
    }
    stmt->bind_int(1, run_id);
    Result<bool> row = stmt->step();
    if (!row) {
      return row.error().with_context("run " + std::to_string(run_id));
    }
    if (!*row) {
      return make_error(ErrorCode::kNotFound, "run " + std::to_string(run_id) + ": no such run");
    }
    return run_from_row(*stmt);
  }

  Result<std::int64_t> latest_run_id() override {
    // Runs get increasing ids in start order; the start stamp breaks nothing if the clock moved.
    Result<std::int64_t> id = m_db.query_int("SELECT id FROM runs ORDER BY id DESC LIMIT 1");
    if (!id && id.error().code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kNotFound, "the database has no runs");
    }
    return id;
  }

  Result<std::vector<SegmentRow>> segments(std::int64_t run_id) override {
    Result<Stmt> stmt = Stmt::prepare(
        m_db, "SELECT id, run_id, boot_id, start_mono_ns, end_mono_ns, t0_run_ns, "
              "start_wall_ns, end_reason FROM segments WHERE run_id = ? ORDER BY t0_run_ns, id");
    if (!stmt) {
      return stmt.error();
    }
    stmt->bind_int(1, run_id);
    std::vector<SegmentRow> rows;
    if (Result<void> done = for_each_row(*stmt,
                                         [&](const Stmt& s) {
                                           SegmentRow row;
                                           row.id = s.column_int(0);
                                           row.run_id = s.column_int(1);
                                           row.boot_id = s.column_text(2);
                                           row.start_mono_ns = s.column_int(3);
                                           row.end_mono_ns = s.column_int(4);
                                           row.t0_run_ns = s.column_int(5);
                                           row.start_wall_ns = s.column_int(6);
                                           row.end_reason = s.column_text(7);
                                           rows.push_back(std::move(row));
                                         });
        !done) {
      return done.error().with_context("segments");
    }
    return rows;
  }

  Result<std::vector<SensorRow>> sensors(std::int64_t run_id) override {
    Result<Stmt> stmt = Stmt::prepare(
        m_db, "SELECT id, name, kind, unit, source FROM sensors WHERE run_id = ? ORDER BY id");
    if (!stmt) {
      return stmt.error();
    }
    stmt->bind_int(1, run_id);
    std::vector<SensorRow> rows;
    if (Result<void> done = for_each_row(*stmt,
                                         [&](const Stmt& s) {
                                           SensorRow row;
                                           row.id = static_cast<std::uint32_t>(s.column_int(0));
                                           row.spec.name = s.column_text(1);
                                           row.spec.kind = sensor_kind_from_string(s.column_text(2))
                                                               .value_or(SensorKind::kOther);
                                           row.spec.unit = s.column_text(3);
                                           row.spec.source = s.column_text(4);
                                           rows.push_back(std::move(row));
                                         });
        !done) {
      return done.error().with_context("sensors");
    }
    return rows;
  }

  Result<std::vector<EventRow>> events(std::int64_t run_id) override {
    Result<Stmt> stmt = Stmt::prepare(
        m_db, "SELECT s.t0_run_ns + e.t, e.kind, e.detail FROM events e "
              "JOIN segments s ON s.id = e.seg WHERE e.run_id = ? "
              "ORDER BY s.t0_run_ns + e.t, e.id");
    if (!stmt) {
      return stmt.error();
    }
    stmt->bind_int(1, run_id);
    std::vector<EventRow> rows;
    if (Result<void> done = for_each_row(*stmt,
                                         [&](const Stmt& s) {
                                           rows.push_back(EventRow{s.column_int(0),
                                                                   s.column_text(1),
                                                                   s.column_text(2)});
                                         });
        !done) {
      return done.error().with_context("events");
    }
    return rows;
  }

  Result<std::vector<std::pair<std::string, std::string>>>
  run_meta(std::int64_t run_id) override {
    Result<Stmt> stmt =
        Stmt::prepare(m_db, "SELECT key, value FROM run_meta WHERE run_id = ? ORDER BY key");
    if (!stmt) {
      return stmt.error();
    }
    stmt->bind_int(1, run_id);
    std::vector<std::pair<std::string, std::string>> rows;
    if (Result<void> done = for_each_row(*stmt,
                                         [&](const Stmt& s) {
                                           rows.emplace_back(s.column_text(0), s.column_text(1));
                                         });
        !done) {
      return done.error().with_context("run_meta");
    }
    return rows;
  }

  Result<std::uint64_t> inference_count(std::int64_t run_id) override {
    // Per segment, so each count is a range scan of the primary key, not of the whole table.
    ReadTransaction txn(m_db);
    Result<std::vector<SegmentRow>> segs = segments(run_id);
    if (!segs) {
      return segs.error();
    }
    Result<Stmt> stmt = Stmt::prepare(m_db, "SELECT count(*) FROM inferences WHERE seg = ?");
    if (!stmt) {
      return stmt.error();
    }
    std::uint64_t total = 0;
    for (const SegmentRow& seg : *segs) {
      stmt->bind_int(1, seg.id);
      Result<bool> row = stmt->step();
      if (!row) {
        return row.error().with_context("inference_count");
      }
      total += static_cast<std::uint64_t>(stmt->column_int(0));
      stmt->reset();
    }
    return total;
  }

  Result<void> for_each_inference(std::int64_t run_id,
                                  const std::function<void(const InferenceRow&)>& fn) override {
    ReadTransaction txn(m_db);
    Result<std::vector<SegmentRow>> segs = segments(run_id);
    if (!segs) {
      return segs.error();
    }
    // The primary key (seg, t, ws) is the time order: one range scan per segment, no sort.
    Result<Stmt> stmt =
        Stmt::prepare(m_db, "SELECT t, ws, lat FROM inferences WHERE seg = ? ORDER BY t, ws");
    if (!stmt) {
      return stmt.error();
    }
    for (const SegmentRow& seg : *segs) {
      stmt->bind_int(1, seg.id);
      InferenceRow row;
      Result<void> done = for_each_row(*stmt, [&](const Stmt& s) {
        const std::int64_t ws = s.column_int(1);
        row.t_ns = seg.t0_run_ns + s.column_int(0);
        row.worker = static_cast<std::uint16_t>(ws >> 2);
        row.status = static_cast<InferenceStatus>(ws & 3);
        row.latency_ns = s.column_int(2);
        fn(row);
      });
      stmt->reset();
      if (!done) {
        return done.error().with_context("for_each_inference");
      }
    }
    return ok();
  }

  Result<void> for_each_sample(std::int64_t run_id, std::uint32_t sensor_id,
                               const std::function<void(const SampleRow&)>& fn) override {
    ReadTransaction txn(m_db);
    Result<std::vector<SegmentRow>> segs = segments(run_id);
    if (!segs) {
      return segs.error();
    }
    Result<Stmt> stmt = Stmt::prepare(
        m_db, "SELECT t, value, status FROM samples WHERE sensor = ? AND seg = ? ORDER BY t");
    if (!stmt) {
      return stmt.error();
    }
    for (const SegmentRow& seg : *segs) {
      stmt->bind_int(1, sensor_id);
      stmt->bind_int(2, seg.id);
      SampleRow row;
      Result<void> done = for_each_row(*stmt, [&](const Stmt& s) {
        row.t_ns = seg.t0_run_ns + s.column_int(0);
        row.status = static_cast<SampleStatus>(s.column_int(2));
        row.value = row.status == SampleStatus::kOk && !s.column_is_null(1)
                        ? s.column_double(1)
                        : std::numeric_limits<double>::quiet_NaN();
        fn(row);
      });
      stmt->reset();
      if (!done) {
        return done.error().with_context("for_each_sample");
      }
    }
    return ok();
  }

  Result<std::string> integrity_check() override {
    Result<Stmt> stmt = Stmt::prepare(m_db, "PRAGMA integrity_check(20)");
    if (!stmt) {
      return stmt.error();
    }
    std::string text;
    if (Result<void> done = for_each_row(*stmt,
                                         [&](const Stmt& s) {
                                           if (!text.empty()) {
                                             text += '\n';
                                           }
                                           text += s.column_text(0);
                                         });
        !done) {
      return done.error().with_context("integrity_check");
    }
    return text;
  }

private:
  Db m_db;
};

} // namespace

Result<std::unique_ptr<Reader>> Reader::open(const std::filesystem::path& path) {
  Result<Db> db = detail::open_database(path, detail::OpenMode::kReadOnly);
  if (!db) {
    return db.error();
  }
  return std::unique_ptr<Reader>(std::make_unique<ReaderImpl>(std::move(*db)));
}

} // namespace es::storage
