#pragma once
// Entry points of the programs that drive a run: `edgesoakd` and `edgesoak run`.
// Both use the same RunEngine; they differ only in presentation (progress line vs sd_notify).

#include "daemon/core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace es::service {

// --- Interface ---

/// What `edgesoak run` produced, so the CLI can print the summary report afterwards.
struct ForegroundResult {
  int exit_code = 0;
  std::filesystem::path database; ///< empty if nothing was recorded
  std::int64_t run_id = 0;        ///< 0 if nothing was recorded
};

/// `edgesoak run FILE [--duration D] [--db PATH] [--sysfs-root D] [--procfs-root D]
/// [--devfs-root D] [--log-level L]`: runs in the foreground with a live one-line progress
/// display on a terminal (a plain line every 10 s otherwise). SIGINT/SIGTERM stop cleanly.
ForegroundResult run_foreground(const std::vector<std::string>& args, std::ostream& out,
                                std::ostream& err);

/// Downtime to count against the phase schedule when resuming `run_id` (see
/// run.extend_after_gap): the previous total plus, if !extend_after_gap and the gap happened
/// within this boot, the monotonic length of the gap.
[[nodiscard]] Result<std::int64_t> schedule_skip_for_resume(const std::filesystem::path& db,
                                                            std::int64_t run_id,
                                                            bool extend_after_gap);

/// `edgesoakd --config FILE [...]`: the daemon. Foreground (no fork; Type=notify), READY=1 once
/// recording, STATUS= lines every few seconds, WATCHDOG=1 while every thread progresses,
/// STOPPING=1 on shutdown. Returns the process exit code.
int daemon_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace es::service
