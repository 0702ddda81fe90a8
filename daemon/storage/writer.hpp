#pragma once
// es::storage::Writer: the one thread that owns the SQLite connection while a run records.
//
// Producers (workload and probe threads) never touch SQLite and never block: they push into
// bounded per-producer queues; anything that does not fit is counted as dropped and the count
// is recorded (events of kind "dropped_rows"). One writer thread drains the queues and commits a
// batched transaction at least every `commit_interval` (default 1 s), so a crash loses at most
// the last interval and committed rows are never lost (WAL, synchronous=NORMAL).
//
// What can be lost, precisely (WAL, synchronous=NORMAL):
// - process crash, kill -9, abort: at most the rows queued since the last commit, i.e. about
//   one commit_interval. Committed transactions are in the WAL file in the page cache and
//   survive (tests/unit/storage/test_crash.cpp checks this with kill -9).
// - power cut or kernel panic: synchronous=NORMAL does not fsync the WAL at each commit, only
//   at checkpoints. The writer runs a passive checkpoint (which fsyncs the WAL first) every
//   `sync_interval` (default 10 s), so normally at most sync_interval + commit_interval is lost;
//   the file itself is never corrupted (SQLite's guarantee, subject to the SD card honouring
//   fsync).
//
// Threads: the writer thread polls the producer queues every 20 ms (so queue_capacity only has
// to absorb 20 ms of peak rate) into an in-memory batch, and commits the batch in one
// transaction every commit_interval, or earlier once it holds 32768 rows. The segment's
// end_mono_ns ("last known alive") is updated in every commit, including idle ones.
// begin_run/resume_run/register_sensor/set_run_meta run on the caller's thread and share the
// connection under a mutex: they may wait for an in-flight commit (milliseconds), never for a
// full interval. Producers never wait.
//
// Errors on the writer thread never escape it: a failed commit is rolled back, its rows are
// counted as dropped, the error is logged (rate-limited, logger "storage") and counted in
// WriterStats::db_errors, and the thread keeps going, so a transient failure (disk briefly
// full, another process holding the write lock past the busy timeout) costs one batch.

#include "daemon/core/records.hpp"
#include "daemon/core/result.hpp"
#include "daemon/storage/schema.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace es::storage {

// --- Interface ---

struct WriterOptions {
  std::chrono::nanoseconds commit_interval = std::chrono::seconds(1);
  std::size_t queue_capacity = 1 << 16; ///< rows per producer queue
  std::string boot_id;                  ///< empty = read /proc/sys/kernel/random/boot_id
  /// Added by storage: how often the writer forces the WAL to stable storage with a passive
  /// checkpoint (bounds what a power cut can lose, see above). Zero disables it (tests).
  std::chrono::nanoseconds sync_interval = std::chrono::seconds(10);
};

/// Counters for the closing note and `status` (all monotonic).
struct WriterStats {
  std::uint64_t inferences_written = 0;
  std::uint64_t samples_written = 0;
  std::uint64_t events_written = 0;
  std::uint64_t inferences_dropped = 0;
  std::uint64_t samples_dropped = 0;
  std::uint64_t commits = 0;
  std::int64_t last_commit_mono_ns = 0;
  /// Added by storage: failed commits/statements on the writer thread (each is logged,
  /// rate-limited). Rows of a failed batch are also counted in the *_dropped counters.
  std::uint64_t db_errors = 0;
  /// Added by storage: rows ignored because their primary key already existed (same segment,
  /// time and worker for an inference; same sensor and time for a sample). Not in *_dropped.
  std::uint64_t duplicates_ignored = 0;
};

class Writer;

/// Single-producer handle for one workload thread. Lock-free; push never blocks.
class InferenceSink {
public:
  virtual ~InferenceSink() = default;
  /// Queues one record. Returns false (and counts a drop) if the queue is full.
  virtual bool push(const InferenceRecord& record) noexcept = 0;
};

/// Single-producer handle for one probe thread. Lock-free; push never blocks.
class SampleSink {
public:
  virtual ~SampleSink() = default;
  virtual bool push(const SampleRecord& record) noexcept = 0;
};

class Writer {
public:
  virtual ~Writer() = default;

  /// Opens (creating and migrating if needed) the database for writing.
  [[nodiscard]] static Result<std::unique_ptr<Writer>> open(const std::filesystem::path& path,
                                                            const WriterOptions& options = {});

  /// Creates a run and its first segment (call before start()). Returns the run id.
  [[nodiscard]] virtual Result<std::int64_t> begin_run(const RunInfo& info) = 0;

  /// Continues an existing run in a new segment (after a crash/restart). The new segment's
  /// t0_run_ns is the previous segment's end; the gap is recorded as an event "segment_gap".
  [[nodiscard]] virtual Result<void> resume_run(std::int64_t run_id) = 0;

  /// Registers a sensor for the current run; returns its id for SampleRecord::sensor_id.
  /// Re-registering the same name in a resumed run returns the existing id.
  [[nodiscard]] virtual Result<std::uint32_t> register_sensor(const SensorSpec& spec) = 0;

  /// Stores key/value metadata with the run (cpu features, probe discovery, phase timings).
  [[nodiscard]] virtual Result<void> set_run_meta(const std::string& key,
                                                  const std::string& value) = 0;

  /// Creates a producer handle. Call from setup code before handing it to a thread; the handle
  /// lives as long as the Writer.
  virtual InferenceSink& make_inference_sink() = 0;
  virtual SampleSink& make_sample_sink() = 0;

  /// Queues an event (rare; may take a short mutex, never waits on SQLite).
  virtual void push_event(EventRecord event) = 0;

  /// Starts the writer thread.
  virtual void start() = 0;

  /// Drains every queue, commits, records drop counts, stamps the segment end and closes the run
  /// with `status`. Stops the writer thread. Idempotent.
  [[nodiscard]] virtual Result<void> finish_run(RunStatus status) = 0;

  /// Flushes and stops the thread *without* closing the run (status stays running): what a
  /// crash looks like, used by tests and by the supervisor's fatal path.
  virtual void abandon() = 0;

  [[nodiscard]] virtual WriterStats stats() const = 0;
  [[nodiscard]] virtual std::int64_t run_id() const = 0;
  /// Monotonic ns of the current segment start (t=0 of this process's part of the run).
  [[nodiscard]] virtual std::int64_t segment_start_mono_ns() const = 0;
  /// Run-timeline offset of the current segment.
  [[nodiscard]] virtual std::int64_t segment_t0_run_ns() const = 0;
};

} // namespace es::storage
