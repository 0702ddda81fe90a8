#pragma once
// Run-level types shared by the writer and the reader of the edgesoak SQLite store.
//
// On disk (schema v1, PRAGMA user_version = 1, application_id 0x45534F4B "ESOK", WAL):
//   runs(id, name, board, host, kernel, cpu, isa, model, config_text, config_path, build_info,
//        planned_duration_ns, started_wall_ns, ended_wall_ns, status)
//   run_meta(run_id, key, value)                 key/value, one value per key
//   segments(id, run_id, boot_id, start_mono_ns, end_mono_ns, t0_run_ns, start_wall_ns,
//            end_reason)                         one per process lifetime of a run
//   sensors(id, run_id, name, kind, unit, source)  UNIQUE(run_id, name)
//   events(id, run_id, seg, t, kind, detail)
//   samples(sensor, seg, t, value, status)       WITHOUT ROWID, PRIMARY KEY(sensor, seg, t)
//   inferences(seg, t, ws, lat)                  WITHOUT ROWID, PRIMARY KEY(seg, t, ws)
// In events, samples and inferences `t` is nanoseconds since the segment's start_mono_ns, so
// the run timeline is segments.t0_run_ns + t; `ws` is worker * 4 + InferenceStatus and `lat`
// the latency in ns. The primary keys are the time order, so the reader streams without
// sorting and without secondary indexes (~20 bytes per inference row, ~27 per sample row).
// Migrations (sqlite.cpp) bring older files up to kSchemaVersion when the Writer opens them;
// the Reader never writes and refuses older or newer versions.

#include <cstdint>
#include <optional>
#include <string>

namespace es::storage {

// --- Interface ---

/// Current schema version (PRAGMA user_version). Migrations bring older files up to it.
inline constexpr int kSchemaVersion = 1;

/// Final (or current) state of a run. Stored as text.
enum class RunStatus {
  kRunning,   ///< in progress, or the process died without closing it (see segments)
  kCompleted, ///< reached its configured duration
  kStopped,   ///< SIGINT/SIGTERM or `edgesoak stop`
  kAborted,   ///< safety limit or fatal runtime error (see events)
};
const char* to_string(RunStatus status) noexcept;
std::optional<RunStatus> run_status_from_string(const std::string& text);

/// What is known about a run when it starts.
struct RunInfo {
  std::string name;
  std::string board;       ///< label from config or detected model
  std::string host;        ///< hostname
  std::string kernel;      ///< uname -r / -v
  std::string cpu;         ///< CPU model and features
  std::string isa;         ///< kernel ISA chosen by the workload
  std::string model;       ///< workload model name
  std::string config_text; ///< the YAML as read
  std::string config_path;
  std::string build_info;  ///< es::build_info_line()
  std::int64_t planned_duration_ns = 0;
};

/// A run as read back.
struct RunRow {
  std::int64_t id = 0;
  RunInfo info;
  RunStatus status = RunStatus::kRunning;
  std::int64_t started_wall_ns = 0; ///< CLOCK_REALTIME at start (display only)
  std::int64_t ended_wall_ns = 0;   ///< 0 while running
  std::int64_t duration_ns = 0;     ///< run-timeline length covered by segments
  int segments = 0;
};

/// A contiguous stretch of a run within one process lifetime. Times on the run timeline are
/// `t0_run_ns + (mono - start_mono_ns)`; between segments there is a gap (crash, reboot).
struct SegmentRow {
  std::int64_t id = 0;
  std::int64_t run_id = 0;
  std::string boot_id;           ///< /proc/sys/kernel/random/boot_id
  std::int64_t start_mono_ns = 0; ///< CLOCK_MONOTONIC of this boot at segment start
  std::int64_t end_mono_ns = 0;   ///< last time known alive (updated at every commit)
  std::int64_t t0_run_ns = 0;     ///< where this segment starts on the run timeline
  std::int64_t start_wall_ns = 0;
  std::string end_reason;         ///< "completed", "stopped", "aborted", "" if it died
};

} // namespace es::storage
