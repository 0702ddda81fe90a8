#pragma once
// Run-level types shared by the writer and the reader of the edgesoak SQLite store.

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
