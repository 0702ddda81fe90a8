#pragma once
// RunEngine: executes one soak run.
//
//   prepare(): open the store, build the inference sessions (weights packed, reference checksum),
//              discover probes, register sensors, create the run row.
//   run():     start probe threads (absolute deadlines), start workload streams, walk the phases,
//              enforce the safety limit, report progress, then stop everything in order
//              (workload -> probes -> writer) and close the run as completed/stopped/aborted.
//
// Threads: one per probe, one per workload stream (each stream owns an InferenceSession whose
// pool threads split every layer), the storage writer, and the caller as supervisor. No thread
// entry lets an exception escape: a failing probe is marked degraded and recorded as gaps, a
// failing workload aborts the run with an event. The engine never reads es::config after
// construction except through EngineOptions.

#include "config/config.hpp"
#include "daemon/core/result.hpp"
#include "daemon/storage/schema.hpp"
#include "daemon/storage/writer.hpp"
#include "daemon/service/notifier.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

namespace es::service {

// --- Interface ---

/// A live snapshot for the progress line and STATUS=.
struct Progress {
  std::string phase;
  int phase_index = 0; ///< 0-based
  int phase_count = 0;
  std::chrono::nanoseconds elapsed{0};
  std::chrono::nanoseconds total{0};
  std::uint64_t inferences = 0;
  double p50_ms = 0;      ///< NaN if no inference yet
  double hottest_c = 0;   ///< NaN if no temperature sensor
  std::string hottest_sensor;
  double freq_hz = 0;     ///< NaN if unknown (highest current CPU frequency)
  double power_w = 0;     ///< NaN if no power sensor
  std::uint64_t dropped = 0;
};

/// One line: "load 2/3 | 00:01:05/00:03:00 | 1234 inf | p50 12.3 ms | 61.2 C | 1.80 GHz".
std::string format_progress(const Progress& p);

struct EngineOptions {
  config::Config config;
  /// Effective total duration (config run.duration unless overridden by --duration).
  std::chrono::nanoseconds duration{0};
  /// Effective database path (config storage.database unless overridden by --db).
  std::filesystem::path database;
  /// Service manager link; nullptr = none.
  Notifier* notifier = nullptr;
  /// Called about once per second from the supervisor thread.
  std::function<void(const Progress&)> on_progress;
  /// Resume the unfinished run `resume_run_id` as a new segment instead of starting a new run.
  std::optional<std::int64_t> resume_run_id;
  /// Schedule time not on the run timeline (downtime that counts towards the phases when
  /// run.extend_after_gap is false). Phase boundaries move earlier by this much.
  std::int64_t schedule_skip_ns = 0;
};

struct RunSummary {
  std::int64_t run_id = 0;
  storage::RunStatus status = storage::RunStatus::kCompleted;
  std::uint64_t inferences = 0;
  storage::WriterStats writer;
  std::string reason; ///< why it ended ("duration reached", "SIGTERM", "safety: ...")
};

/// How a failure maps to an exit code: configuration-type errors (unknown model, CPU that does
/// not exist, ISA unsupported) are usage errors (2); everything else is a runtime error (3).
int exit_code_for(const Error& error) noexcept;

class RunEngine {
public:
  explicit RunEngine(EngineOptions options);
  ~RunEngine();
  RunEngine(const RunEngine&) = delete;
  RunEngine& operator=(const RunEngine&) = delete;

  /// Sets everything up. Nothing runs yet; on error nothing was recorded.
  [[nodiscard]] Result<void> prepare();

  /// Runs to completion, stop request or safety abort, then closes the run. Call once after a
  /// successful prepare().
  [[nodiscard]] Result<RunSummary> run(std::stop_token stop);

  /// The run being recorded (valid after prepare()).
  [[nodiscard]] std::int64_t run_id() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace es::service
