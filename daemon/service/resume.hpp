#pragma once
// What edgesoakd does at start-up with the runs already in its database.
//
// A board's service restarts after a crash, a kill, a reboot or a power cut; the soak must go
// on as the same run rather than start over. The rule (documented in the README):
//   - The latest run with the configured run.name is *unfinished* if its status is `running`
//     (the process died: crash, kill -9, power loss) or `stopped` (SIGTERM: reboot or
//     `systemctl stop`). An unfinished run with the same configuration text is resumed as a new
//     segment when run.resume is true (the default).
//   - A `completed` or `aborted` run is finished: the daemon records nothing and exits 0, unless
//     run.repeat is true, which starts a fresh run (a run queue of one, repeated).
//   - A changed configuration, or --new-run, always starts a new run.
// `edgesoak run` (foreground) always starts a new run.

#include "config/config.hpp"
#include "daemon/core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace es::service {

// --- Interface ---

enum class StartAction {
  kNewRun,      ///< begin a new run
  kResume,      ///< continue run_id in a new segment
  kNothingToDo, ///< the configured run already finished and repeat is off
};

struct StartDecision {
  StartAction action = StartAction::kNewRun;
  std::int64_t run_id = 0; ///< the run to resume, or the finished run (kNothingToDo)
  std::string reason;      ///< for the log
};

/// Decides from the database at `db` (which may not exist yet). `force_new` = --new-run.
[[nodiscard]] Result<StartDecision> decide_start(const std::filesystem::path& db,
                                                 const config::Config& config, bool force_new);

} // namespace es::service
