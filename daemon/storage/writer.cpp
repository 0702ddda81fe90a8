#include "daemon/storage/writer.hpp"

#include "daemon/core/log.hpp"
#include "daemon/core/time.hpp"
#include "daemon/storage/spsc_ring.hpp"
#include "daemon/storage/sqlite.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace es::storage {

namespace {

using detail::Db;
using detail::Stmt;

/// How often the writer thread moves rows from the producer queues into its batch.
constexpr std::int64_t kDrainPeriodNs = 20'000'000;
/// A batch this large is committed without waiting for the commit interval.
constexpr std::size_t kCommitBatchRows = 32768;
/// push_event keeps at most this many events waiting for the writer thread.
constexpr std::size_t kMaxPendingEvents = 65536;

/// Worker and status share one column: ws = worker * 4 + status.
constexpr std::int64_t pack_worker_status(std::uint16_t worker, InferenceStatus status) {
  return static_cast<std::int64_t>(worker) * 4 + (static_cast<std::int64_t>(status) & 3);
}

std::string format_seconds(std::int64_t ns) {
  return fmt::format("{:.3f}", static_cast<double>(ns) / 1e9);
}

class InferenceSinkImpl final : public InferenceSink {
public:
  explicit InferenceSinkImpl(std::size_t capacity) : m_ring(capacity) {}

  bool push(const InferenceRecord& record) noexcept override {
    if (m_ring.try_push(record)) {
      return true;
    }
    m_dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

  detail::SpscRing<InferenceRecord> m_ring;
  alignas(detail::kCacheLineBytes) std::atomic<std::uint64_t> m_dropped{0};
};

class SampleSinkImpl final : public SampleSink {
public:
  explicit SampleSinkImpl(std::size_t capacity) : m_ring(capacity) {}

  bool push(const SampleRecord& record) noexcept override {
    if (m_ring.try_push(record)) {
      return true;
    }
    m_dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

  detail::SpscRing<SampleRecord> m_ring;
  alignas(detail::kCacheLineBytes) std::atomic<std::uint64_t> m_dropped{0};
};

struct SensorEntry {
  std::uint32_t id = 0;
  SensorKind kind = SensorKind::kOther;
  std::string unit;
  std::string source;
};

class WriterImpl final : public Writer {
public:
  WriterImpl(Db db, const WriterOptions& options)
      : m_db(std::move(db)), m_options(options), m_log(es::logger("storage")) {
    if (m_options.boot_id.empty()) {
      m_options.boot_id = boot_id();
    }
    if (m_options.commit_interval.count() <= 0) {
      m_options.commit_interval = std::chrono::seconds(1);
    }
  }

  WriterImpl(const WriterImpl&) = delete;
  WriterImpl& operator=(const WriterImpl&) = delete;

  ~WriterImpl() override {
    // Destroying an unfinished writer is treated like a crash: flush, leave the run running.
    abandon();
  }

  Result<void> prepare_statements() {
    struct Item {
      Stmt* stmt;
      const char* sql;
    };
    const Item items[] = {
        {&m_insert_inference, "INSERT OR IGNORE INTO inferences(seg, t, ws, lat) VALUES(?,?,?,?)"},
        {&m_insert_sample,
         "INSERT OR IGNORE INTO samples(sensor, seg, t, value, status) VALUES(?,?,?,?,?)"},
        {&m_insert_event,
         "INSERT INTO events(run_id, seg, t, kind, detail) VALUES(?,?,?,?,?)"},
        {&m_update_segment_end, "UPDATE segments SET end_mono_ns = ? WHERE id = ?"},
        {&m_begin, "BEGIN IMMEDIATE"},
        {&m_commit, "COMMIT"},
        {&m_rollback, "ROLLBACK"},
    };
    for (const Item& item : items) {
      Result<Stmt> stmt = Stmt::prepare(m_db, item.sql);
      if (!stmt) {
        return stmt.error();
      }
      *item.stmt = std::move(*stmt);
    }
    return ok();
  }

  Result<std::int64_t> begin_run(const RunInfo& info) override {
    std::lock_guard lock(m_db_mutex);
    if (m_run_id.load() != 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        "begin_run: run " + std::to_string(m_run_id.load()) + " already open");
    }
    const std::int64_t now_mono = mono_now_ns();
    const std::int64_t now_wall = wall_now_ns();
    Result<void> done = transaction([&]() -> Result<void> {
      Result<Stmt> stmt = Stmt::prepare(
          m_db, "INSERT INTO runs(name, board, host, kernel, cpu, isa, model, config_text, "
                "config_path, build_info, planned_duration_ns, started_wall_ns, status) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,'running')");
      if (!stmt) {
        return stmt.error();
      }
      int i = 1;
      for (const std::string* text :
           {&info.name, &info.board, &info.host, &info.kernel, &info.cpu, &info.isa,
            &info.model, &info.config_text, &info.config_path, &info.build_info}) {
        stmt->bind_text(i++, *text);
      }
      stmt->bind_int(i++, info.planned_duration_ns);
      stmt->bind_int(i++, now_wall);
      if (Result<void> ran = stmt->run(); !ran) {
        return ran;
      }
      const std::int64_t run_id = sqlite3_last_insert_rowid(m_db.get());
      Result<std::int64_t> seg = insert_segment(run_id, now_mono, 0, now_wall);
      if (!seg) {
        return seg.error();
      }
      m_run_id.store(run_id);
      m_segment_id = *seg;
      m_segment_start_mono_ns.store(now_mono);
      m_segment_t0_run_ns.store(0);
      return ok();
    });
    if (!done) {
      return done.error().with_context("begin_run");
    }
    m_log->info("run started run_id={} segment={} name={}", m_run_id.load(), m_segment_id,
                info.name);
    return m_run_id.load();
  }

  Result<void> resume_run(std::int64_t run_id) override {
    std::lock_guard lock(m_db_mutex);
    const std::string context = "resume_run " + std::to_string(run_id);
    if (m_run_id.load() != 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        context + ": run " + std::to_string(m_run_id.load()) + " already open");
    }
    Result<std::int64_t> exists =
        m_db.query_int("SELECT count(*) FROM runs WHERE id = " + std::to_string(run_id));
    if (!exists) {
      return exists.error().with_context(context);
    }
    if (*exists == 0) {
      return make_error(ErrorCode::kNotFound, context + ": no such run");
    }
    Result<Stmt> prev = Stmt::prepare(
        m_db, "SELECT id, boot_id, start_mono_ns, end_mono_ns, t0_run_ns, start_wall_ns, "
              "end_reason FROM segments WHERE run_id = ? ORDER BY t0_run_ns DESC, id DESC "
              "LIMIT 1");
    if (!prev) {
      return prev.error().with_context(context);
    }
    prev->bind_int(1, run_id);
    Result<bool> has_prev = prev->step();
    if (!has_prev) {
      return has_prev.error().with_context(context);
    }
    const std::int64_t now_mono = mono_now_ns();
    const std::int64_t now_wall = wall_now_ns();
    std::int64_t t0_run_ns = 0;
    std::string gap_detail = "prev_segment=none";
    if (*has_prev) {
      const std::int64_t prev_id = prev->column_int(0);
      const std::string prev_boot = prev->column_text(1);
      const std::int64_t prev_start = prev->column_int(2);
      const std::int64_t prev_end = prev->column_int(3);
      const std::int64_t prev_t0 = prev->column_int(4);
      const std::int64_t prev_wall = prev->column_int(5);
      const std::string prev_reason = prev->column_text(6);
      const std::int64_t prev_length = std::max<std::int64_t>(0, prev_end - prev_start);
      t0_run_ns = prev_t0 + prev_length;
      const std::int64_t gap_wall = now_wall - (prev_wall + prev_length);
      const bool same_boot = !prev_boot.empty() && prev_boot == m_options.boot_id;
      gap_detail = fmt::format("prev_segment={} prev_end_reason={} gap_wall_s={} same_boot={}",
                               prev_id, prev_reason.empty() ? "died" : prev_reason,
                               gap_wall >= 0 ? format_seconds(gap_wall) : "unknown",
                               same_boot ? 1 : 0);
      if (same_boot) {
        gap_detail += " gap_mono_s=" + format_seconds(now_mono - prev_end);
      }
    }
    prev->reset();

    Result<void> done = transaction([&]() -> Result<void> {
      Result<std::int64_t> seg = insert_segment(run_id, now_mono, t0_run_ns, now_wall);
      if (!seg) {
        return seg.error();
      }
      if (Result<void> set = m_db.exec("UPDATE runs SET status = 'running', ended_wall_ns = 0 "
                                       "WHERE id = " +
                                       std::to_string(run_id));
          !set) {
        return set;
      }
      m_insert_event.bind_int(1, run_id);
      m_insert_event.bind_int(2, *seg);
      m_insert_event.bind_int(3, 0);
      m_insert_event.bind_text(4, "segment_gap");
      m_insert_event.bind_text(5, gap_detail);
      if (Result<void> ran = m_insert_event.run(); !ran) {
        return ran;
      }
      m_run_id.store(run_id);
      m_segment_id = *seg;
      m_segment_start_mono_ns.store(now_mono);
      m_segment_t0_run_ns.store(t0_run_ns);
      return ok();
    });
    if (!done) {
      return done.error().with_context(context);
    }
    m_events_written.fetch_add(1, std::memory_order_relaxed);
    if (Result<void> loaded = load_sensors(run_id); !loaded) {
      return loaded.error().with_context(context);
    }
    m_log->info("run resumed run_id={} segment={} t0_run_s={} {}", run_id, m_segment_id,
                format_seconds(t0_run_ns), gap_detail);
    return ok();
  }

  Result<std::uint32_t> register_sensor(const SensorSpec& spec) override {
    std::lock_guard lock(m_db_mutex);
    const std::string context = "register_sensor " + spec.name;
    if (m_run_id.load() == 0) {
      return make_error(ErrorCode::kInvalidArgument, context + ": no run open");
    }
    if (auto it = m_sensors.find(spec.name); it != m_sensors.end()) {
      SensorEntry& entry = it->second;
      if (entry.kind != spec.kind || entry.unit != spec.unit) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{}: already registered as {} [{}], now {} [{}]", context,
                                      to_string(entry.kind), entry.unit, to_string(spec.kind),
                                      spec.unit));
      }
      if (entry.source != spec.source) {
        // hwmon numbering can change across reboots; the name is the identity.
        Result<Stmt> update = Stmt::prepare(m_db, "UPDATE sensors SET source = ? WHERE id = ?");
        if (!update) {
          return update.error().with_context(context);
        }
        update->bind_text(1, spec.source);
        update->bind_int(2, entry.id);
        if (Result<void> ran = update->run(); !ran) {
          return ran.error().with_context(context);
        }
        entry.source = spec.source;
      }
      return entry.id;
    }
    Result<Stmt> insert = Stmt::prepare(
        m_db, "INSERT INTO sensors(run_id, name, kind, unit, source) VALUES(?,?,?,?,?)");
    if (!insert) {
      return insert.error().with_context(context);
    }
    insert->bind_int(1, m_run_id.load());
    insert->bind_text(2, spec.name);
    insert->bind_text(3, to_string(spec.kind));
    insert->bind_text(4, spec.unit);
    insert->bind_text(5, spec.source);
    if (Result<void> ran = insert->run(); !ran) {
      return ran.error().with_context(context);
    }
    const auto id = static_cast<std::uint32_t>(sqlite3_last_insert_rowid(m_db.get()));
    m_sensors.emplace(spec.name, SensorEntry{id, spec.kind, spec.unit, spec.source});
    return id;
  }

  Result<void> set_run_meta(const std::string& key, const std::string& value) override {
    std::lock_guard lock(m_db_mutex);
    const std::string context = "set_run_meta " + key;
    if (m_run_id.load() == 0) {
      return make_error(ErrorCode::kInvalidArgument, context + ": no run open");
    }
    Result<Stmt> stmt =
        Stmt::prepare(m_db, "INSERT OR REPLACE INTO run_meta(run_id, key, value) VALUES(?,?,?)");
    if (!stmt) {
      return stmt.error().with_context(context);
    }
    stmt->bind_int(1, m_run_id.load());
    stmt->bind_text(2, key);
    stmt->bind_text(3, value);
    if (Result<void> ran = stmt->run(); !ran) {
      return ran.error().with_context(context);
    }
    return ok();
  }

  InferenceSink& make_inference_sink() override {
    std::lock_guard lock(m_sinks_mutex);
    m_inference_sinks.push_back(std::make_unique<InferenceSinkImpl>(m_options.queue_capacity));
    return *m_inference_sinks.back();
  }

  SampleSink& make_sample_sink() override {
    std::lock_guard lock(m_sinks_mutex);
    m_sample_sinks.push_back(std::make_unique<SampleSinkImpl>(m_options.queue_capacity));
    return *m_sample_sinks.back();
  }

  void push_event(EventRecord event) override {
    std::lock_guard lock(m_events_mutex);
    if (m_pending_events.size() >= kMaxPendingEvents) {
      ++m_events_overflow;
      return;
    }
    m_pending_events.push_back(std::move(event));
  }

  void start() override {
    std::lock_guard lock(m_lifecycle_mutex);
    ES_CHECK(m_run_id.load() != 0); // begin_run or resume_run first
    if (m_thread.joinable() || m_closed) {
      return;
    }
    {
      std::lock_guard wake_lock(m_wake_mutex);
      m_stop_requested = false;
    }
    m_thread = std::thread([this]() noexcept { thread_main(); });
  }

  Result<void> finish_run(RunStatus status) override {
    std::lock_guard lock(m_lifecycle_mutex);
    if (m_closed) {
      return ok();
    }
    if (status == RunStatus::kRunning) {
      return make_error(ErrorCode::kInvalidArgument,
                        "finish_run: status must be completed, stopped or aborted");
    }
    if (m_run_id.load() == 0) {
      return make_error(ErrorCode::kInvalidArgument, "finish_run: no run open");
    }
    stop_thread();
    std::lock_guard db_lock(m_db_mutex);
    // The thread made its final commit; this one catches rows pushed since (or everything, if
    // start() was never called) together with the closing stamps.
    collect();
    const std::int64_t now_mono = mono_now_ns();
    const std::int64_t now_wall = wall_now_ns();
    const std::string reason = to_string(status);
    Result<void> done = transaction([&]() -> Result<void> {
      if (Result<void> written = write_batch(now_mono); !written) {
        return written;
      }
      Result<Stmt> seg =
          Stmt::prepare(m_db, "UPDATE segments SET end_mono_ns = ?, end_reason = ? WHERE id = ?");
      if (!seg) {
        return seg.error();
      }
      seg->bind_int(1, now_mono);
      seg->bind_text(2, reason);
      seg->bind_int(3, m_segment_id);
      if (Result<void> ran = seg->run(); !ran) {
        return ran;
      }
      Result<Stmt> run =
          Stmt::prepare(m_db, "UPDATE runs SET status = ?, ended_wall_ns = ? WHERE id = ?");
      if (!run) {
        return run.error();
      }
      run->bind_text(1, reason);
      run->bind_int(2, now_wall);
      run->bind_int(3, m_run_id.load());
      return run->run();
    });
    if (!done) {
      count_failed_batch(done.error());
      return done.error().with_context("finish_run");
    }
    note_commit(now_mono);
    checkpoint();
    m_closed = true;
    const WriterStats s = stats();
    m_log->info("run finished run_id={} status={} inferences={} samples={} events={} "
                "dropped_inferences={} dropped_samples={} db_errors={}",
                m_run_id.load(), reason, s.inferences_written, s.samples_written,
                s.events_written, s.inferences_dropped, s.samples_dropped, s.db_errors);
    return ok();
  }

  void abandon() override {
    std::lock_guard lock(m_lifecycle_mutex);
    if (m_closed) {
      return;
    }
    stop_thread();
    if (m_run_id.load() != 0) {
      std::lock_guard db_lock(m_db_mutex);
      flush_locked();
    }
    m_closed = true;
  }

  WriterStats stats() const override {
    WriterStats s;
    s.inferences_written = m_inferences_written.load(std::memory_order_relaxed);
    s.samples_written = m_samples_written.load(std::memory_order_relaxed);
    s.events_written = m_events_written.load(std::memory_order_relaxed);
    s.inferences_dropped = m_inferences_failed.load(std::memory_order_relaxed);
    s.samples_dropped = m_samples_failed.load(std::memory_order_relaxed);
    {
      std::lock_guard lock(m_sinks_mutex);
      for (const auto& sink : m_inference_sinks) {
        s.inferences_dropped += sink->m_dropped.load(std::memory_order_relaxed);
      }
      for (const auto& sink : m_sample_sinks) {
        s.samples_dropped += sink->m_dropped.load(std::memory_order_relaxed);
      }
    }
    s.commits = m_commits.load(std::memory_order_relaxed);
    s.last_commit_mono_ns = m_last_commit_mono_ns.load(std::memory_order_relaxed);
    s.db_errors = m_db_errors.load(std::memory_order_relaxed);
    s.duplicates_ignored = m_duplicates.load(std::memory_order_relaxed);
    return s;
  }

  std::int64_t run_id() const override { return m_run_id.load(); }
  std::int64_t segment_start_mono_ns() const override { return m_segment_start_mono_ns.load(); }
  std::int64_t segment_t0_run_ns() const override { return m_segment_t0_run_ns.load(); }

private:
  /// Runs `body` inside BEGIN IMMEDIATE / COMMIT, rolling back on failure. m_db_mutex held.
  template <typename Body>
  Result<void> transaction(Body&& body) {
    if (Result<void> begun = m_begin.run(); !begun) {
      return begun;
    }
    Result<void> result = body();
    if (result) {
      result = m_commit.run();
    }
    if (!result && sqlite3_get_autocommit(m_db.get()) == 0) {
      (void)m_rollback.run();
    }
    return result;
  }

  Result<std::int64_t> insert_segment(std::int64_t run_id, std::int64_t start_mono,
                                      std::int64_t t0_run_ns, std::int64_t start_wall) {
    Result<Stmt> stmt = Stmt::prepare(
        m_db, "INSERT INTO segments(run_id, boot_id, start_mono_ns, end_mono_ns, t0_run_ns, "
              "start_wall_ns) VALUES(?,?,?,?,?,?)");
    if (!stmt) {
      return stmt.error();
    }
    stmt->bind_int(1, run_id);
    stmt->bind_text(2, m_options.boot_id);
    stmt->bind_int(3, start_mono);
    stmt->bind_int(4, start_mono);
    stmt->bind_int(5, t0_run_ns);
    stmt->bind_int(6, start_wall);
    if (Result<void> ran = stmt->run(); !ran) {
      return ran.error();
    }
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(m_db.get()));
  }

  Result<void> load_sensors(std::int64_t run_id) {
    Result<Stmt> stmt =
        Stmt::prepare(m_db, "SELECT id, name, kind, unit, source FROM sensors WHERE run_id = ?");
    if (!stmt) {
      return stmt.error();
    }
    stmt->bind_int(1, run_id);
    while (true) {
      Result<bool> row = stmt->step();
      if (!row) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      SensorEntry entry;
      entry.id = static_cast<std::uint32_t>(stmt->column_int(0));
      entry.kind = sensor_kind_from_string(stmt->column_text(2)).value_or(SensorKind::kOther);
      entry.unit = stmt->column_text(3);
      entry.source = stmt->column_text(4);
      m_sensors.insert_or_assign(stmt->column_text(1), std::move(entry));
    }
    return ok();
  }

  void stop_thread() {
    if (!m_thread.joinable()) {
      return;
    }
    {
      std::lock_guard lock(m_wake_mutex);
      m_stop_requested = true;
    }
    m_wake_cv.notify_all();
    m_thread.join();
  }

  // Writer thread. Polls the queues every kDrainPeriodNs, commits every commit_interval (or
  // when the batch is large), forces the WAL to disk every sync_interval, and makes a final
  // commit when asked to stop. noexcept: nothing escapes; see the header for the error policy.
  void thread_main() noexcept {
    const std::int64_t interval_ns = m_options.commit_interval.count();
    const std::int64_t sync_ns = m_options.sync_interval.count();
    std::int64_t next_commit = mono_now_ns() + interval_ns;
    std::int64_t next_sync = mono_now_ns() + sync_ns;
    while (true) {
      const std::int64_t now = mono_now_ns();
      const std::int64_t wake_at = std::min(next_commit, now + kDrainPeriodNs);
      bool stop = false;
      {
        std::unique_lock lock(m_wake_mutex);
        m_wake_cv.wait_for(lock, std::chrono::nanoseconds(std::max<std::int64_t>(0, wake_at - now)),
                           [this] { return m_stop_requested; });
        stop = m_stop_requested;
      }
      if (stop) {
        break;
      }
      try {
        std::lock_guard db_lock(m_db_mutex);
        collect();
        const std::int64_t after = mono_now_ns();
        if (after >= next_commit || batch_rows() >= kCommitBatchRows) {
          flush_locked();
          // From this commit, not from the schedule: an early (size-triggered) commit must not
          // stretch the gap to the next one beyond commit_interval.
          next_commit = after + interval_ns;
        }
        if (sync_ns > 0 && after >= next_sync) {
          checkpoint();
          next_sync = after + sync_ns;
        }
      } catch (const std::exception& e) {
        report_thread_error(e.what());
      } catch (...) {
        report_thread_error("unknown exception");
      }
    }
    try {
      std::lock_guard db_lock(m_db_mutex);
      collect();
      flush_locked();
    } catch (const std::exception& e) {
      report_thread_error(e.what());
    } catch (...) {
      report_thread_error("unknown exception");
    }
  }

  void report_thread_error(const char* what) noexcept {
    m_db_errors.fetch_add(1, std::memory_order_relaxed);
    try {
      if (const std::uint64_t n = m_error_limiter.hit(mono_now_ns()); n > 0) {
        m_log->error("writer thread error err={} count={}", what, n);
      }
    } catch (...) {
      // Logging itself failed (out of memory); nothing more can be done.
    }
  }

  std::size_t batch_rows() const { return m_inference_batch.size() + m_sample_batch.size(); }

  /// Moves everything queued into the batch vectors. m_db_mutex held.
  void collect() {
    std::lock_guard lock(m_sinks_mutex);
    for (const auto& sink : m_inference_sinks) {
      sink->m_ring.drain([this](const InferenceRecord& r) { m_inference_batch.push_back(r); });
    }
    for (const auto& sink : m_sample_sinks) {
      sink->m_ring.drain([this](const SampleRecord& r) { m_sample_batch.push_back(r); });
    }
  }

  /// Commits the batch (possibly empty: the segment's end is refreshed anyway). m_db_mutex held.
  void flush_locked() {
    const std::int64_t now_mono = mono_now_ns();
    Result<void> done = transaction([&]() { return write_batch(now_mono); });
    if (!done) {
      count_failed_batch(done.error());
      return;
    }
    note_commit(now_mono);
  }

  /// Inside a transaction: writes the batch, pending events, drop notes and the segment end.
  /// On success the batch is cleared and the counters advance only when the commit succeeds
  /// (see note_commit); on failure the caller rolls back and count_failed_batch drops it.
  Result<void> write_batch(std::int64_t now_mono) {
    const std::int64_t seg = m_segment_id;
    const std::int64_t base = m_segment_start_mono_ns.load();
    const std::int64_t run_id = m_run_id.load();
    // Insert in key order: appends at the right edge of the b-tree keep its pages full.
    std::sort(m_inference_batch.begin(), m_inference_batch.end(),
              [](const InferenceRecord& a, const InferenceRecord& b) {
                return a.t_ns != b.t_ns ? a.t_ns < b.t_ns : a.worker < b.worker;
              });
    std::sort(m_sample_batch.begin(), m_sample_batch.end(),
              [](const SampleRecord& a, const SampleRecord& b) {
                return a.sensor_id != b.sensor_id ? a.sensor_id < b.sensor_id : a.t_ns < b.t_ns;
              });
    m_pending_inference_duplicates = 0;
    m_pending_sample_duplicates = 0;
    for (const InferenceRecord& r : m_inference_batch) {
      m_insert_inference.bind_int(1, seg);
      m_insert_inference.bind_int(2, r.t_ns - base);
      m_insert_inference.bind_int(3, pack_worker_status(r.worker, r.status));
      m_insert_inference.bind_int(4, r.latency_ns);
      if (Result<void> ran = m_insert_inference.run(); !ran) {
        return ran;
      }
      if (sqlite3_changes(m_db.get()) == 0) {
        ++m_pending_inference_duplicates;
      }
    }
    for (const SampleRecord& r : m_sample_batch) {
      m_insert_sample.bind_int(1, r.sensor_id);
      m_insert_sample.bind_int(2, seg);
      m_insert_sample.bind_int(3, r.t_ns - base);
      if (r.status == SampleStatus::kOk) {
        m_insert_sample.bind_double(4, r.value);
      } else {
        m_insert_sample.bind_null(4);
      }
      m_insert_sample.bind_int(5, static_cast<std::int64_t>(r.status));
      if (Result<void> ran = m_insert_sample.run(); !ran) {
        return ran;
      }
      if (sqlite3_changes(m_db.get()) == 0) {
        ++m_pending_sample_duplicates;
      }
    }

    {
      std::lock_guard lock(m_events_mutex);
      m_event_batch.insert(m_event_batch.end(), std::make_move_iterator(m_pending_events.begin()),
                           std::make_move_iterator(m_pending_events.end()));
      m_pending_events.clear();
      m_event_overflow_batch += std::exchange(m_events_overflow, 0);
    }
    // Drop notes: compare the cumulative drop counters with what was last recorded.
    const WriterStats s = stats();
    const std::uint64_t new_inf_drops = s.inferences_dropped - m_recorded_inference_drops;
    const std::uint64_t new_sample_drops = s.samples_dropped - m_recorded_sample_drops;
    std::size_t extra_events = 0;
    if (new_inf_drops > 0 || new_sample_drops > 0 || m_event_overflow_batch > 0) {
      m_event_batch.push_back(EventRecord{
          now_mono, "dropped_rows",
          fmt::format("inferences={} samples={} events={} total_inferences={} total_samples={}",
                      new_inf_drops, new_sample_drops, m_event_overflow_batch,
                      s.inferences_dropped, s.samples_dropped)});
      extra_events = 1;
    }
    for (const EventRecord& e : m_event_batch) {
      m_insert_event.bind_int(1, run_id);
      m_insert_event.bind_int(2, seg);
      m_insert_event.bind_int(3, e.t_ns - base);
      m_insert_event.bind_text(4, e.kind);
      m_insert_event.bind_text(5, e.detail);
      if (Result<void> ran = m_insert_event.run(); !ran) {
        if (extra_events > 0) {
          m_event_batch.pop_back();
        }
        return ran;
      }
    }
    if (extra_events > 0) {
      m_event_batch.pop_back();
    }
    m_pending_inference_drops = s.inferences_dropped;
    m_pending_sample_drops = s.samples_dropped;

    m_update_segment_end.bind_int(1, now_mono);
    m_update_segment_end.bind_int(2, seg);
    return m_update_segment_end.run();
  }

  /// After a successful COMMIT of write_batch.
  void note_commit(std::int64_t now_mono) {
    m_inferences_written.fetch_add(m_inference_batch.size() - m_pending_inference_duplicates,
                                   std::memory_order_relaxed);
    m_samples_written.fetch_add(m_sample_batch.size() - m_pending_sample_duplicates,
                                std::memory_order_relaxed);
    m_duplicates.fetch_add(m_pending_inference_duplicates + m_pending_sample_duplicates,
                           std::memory_order_relaxed);
    const bool drop_note = m_pending_inference_drops != m_recorded_inference_drops ||
                           m_pending_sample_drops != m_recorded_sample_drops ||
                           m_event_overflow_batch > 0;
    m_events_written.fetch_add(m_event_batch.size() + (drop_note ? 1 : 0),
                               std::memory_order_relaxed);
    m_recorded_inference_drops = m_pending_inference_drops;
    m_recorded_sample_drops = m_pending_sample_drops;
    m_event_overflow_batch = 0;
    clear_batch();
    m_commits.fetch_add(1, std::memory_order_relaxed);
    m_last_commit_mono_ns.store(now_mono, std::memory_order_relaxed);
  }

  void count_failed_batch(const Error& error) {
    m_inferences_failed.fetch_add(m_inference_batch.size(), std::memory_order_relaxed);
    m_samples_failed.fetch_add(m_sample_batch.size(), std::memory_order_relaxed);
    m_db_errors.fetch_add(1, std::memory_order_relaxed);
    if (const std::uint64_t n = m_error_limiter.hit(mono_now_ns()); n > 0) {
      m_log->error("commit failed, batch dropped rows={} err={} count={}", batch_rows(),
                   error.message, n);
    }
    clear_batch();
  }

  void clear_batch() {
    m_inference_batch.clear();
    m_sample_batch.clear();
    m_event_batch.clear();
    m_pending_inference_duplicates = 0;
    m_pending_sample_duplicates = 0;
  }

  /// Passive checkpoint: fsyncs the WAL, copies what it can, never waits for readers.
  void checkpoint() {
    int log_frames = 0;
    int checkpointed = 0;
    const int rc = sqlite3_wal_checkpoint_v2(m_db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             &log_frames, &checkpointed);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      report_thread_error(detail::db_error(m_db.get(), "checkpoint").message.c_str());
    }
  }

  // Connection and everything that touches it (statements, batches, sensor map).
  std::mutex m_db_mutex;
  Db m_db;
  Stmt m_insert_inference;
  Stmt m_insert_sample;
  Stmt m_insert_event;
  Stmt m_update_segment_end;
  Stmt m_begin;
  Stmt m_commit;
  Stmt m_rollback;
  std::vector<InferenceRecord> m_inference_batch;
  std::vector<SampleRecord> m_sample_batch;
  std::vector<EventRecord> m_event_batch;
  std::map<std::string, SensorEntry> m_sensors;
  std::int64_t m_segment_id = 0;
  std::uint64_t m_pending_inference_duplicates = 0;
  std::uint64_t m_pending_sample_duplicates = 0;
  std::uint64_t m_recorded_inference_drops = 0;
  std::uint64_t m_recorded_sample_drops = 0;
  std::uint64_t m_pending_inference_drops = 0;
  std::uint64_t m_pending_sample_drops = 0;
  std::uint64_t m_event_overflow_batch = 0;

  WriterOptions m_options;
  std::shared_ptr<spdlog::logger> m_log;
  RateLimiter m_error_limiter{std::chrono::seconds(60)};

  std::atomic<std::int64_t> m_run_id{0};
  std::atomic<std::int64_t> m_segment_start_mono_ns{0};
  std::atomic<std::int64_t> m_segment_t0_run_ns{0};

  mutable std::mutex m_sinks_mutex;
  std::vector<std::unique_ptr<InferenceSinkImpl>> m_inference_sinks;
  std::vector<std::unique_ptr<SampleSinkImpl>> m_sample_sinks;

  std::mutex m_events_mutex;
  std::vector<EventRecord> m_pending_events;
  std::uint64_t m_events_overflow = 0;

  std::mutex m_lifecycle_mutex;
  std::thread m_thread;
  bool m_closed = false;
  std::mutex m_wake_mutex;
  std::condition_variable m_wake_cv;
  bool m_stop_requested = false;

  std::atomic<std::uint64_t> m_inferences_written{0};
  std::atomic<std::uint64_t> m_samples_written{0};
  std::atomic<std::uint64_t> m_events_written{0};
  std::atomic<std::uint64_t> m_inferences_failed{0};
  std::atomic<std::uint64_t> m_samples_failed{0};
  std::atomic<std::uint64_t> m_commits{0};
  std::atomic<std::int64_t> m_last_commit_mono_ns{0};
  std::atomic<std::uint64_t> m_db_errors{0};
  std::atomic<std::uint64_t> m_duplicates{0};
};

} // namespace

Result<std::unique_ptr<Writer>> Writer::open(const std::filesystem::path& path,
                                             const WriterOptions& options) {
  Result<Db> db = detail::open_database(path, detail::OpenMode::kReadWriteCreate);
  if (!db) {
    return db.error();
  }
  auto writer = std::make_unique<WriterImpl>(std::move(*db), options);
  if (Result<void> prepared = writer->prepare_statements(); !prepared) {
    return prepared.error().with_context("database " + path.string());
  }
  return std::unique_ptr<Writer>(std::move(writer));
}

} // namespace es::storage
