#pragma once
// `edgesoak status`: what the service is doing, read from the database (through
// es::storage::Reader only) plus the service manager's view of the unit.
//
//   edgesoak status [--db PATH] [--config FILE] [--unit NAME] [--json]
//
// Which database: --db; else storage.database of --config; else of /etc/edgesoak/edgesoak.yaml
// if it exists; else /var/lib/edgesoak/edgesoak.db. Which run: the latest run named like the
// configuration's run.name when a configuration was read, else the latest run.
//
// Shows the run and its status, the service state (`systemctl show` in a one-shot child process;
// "unknown (no systemd)" when systemd is not the service manager), the current phase (last
// phase_start event; phase count from run_meta "phases"), progress (run-timeline length covered
// by the segments plus the schedule skip, over the planned duration), the last valid sample of
// the hottest temperature, the highest CPU frequency and the first power sensor, the inference
// count and the median of the most recent inferences, and every segment with the gaps between
// them (segment_gap events).
//
// Exit codes: 0 shown; 2 usage or unreadable configuration; 3 no database / no run / read error.

#include <ostream>
#include <string>
#include <vector>

namespace es::service {

// --- Interface ---

/// The `status` subcommand (see above). `args` excludes the command name.
int cmd_status(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// What the service manager says about a unit.
struct ServiceState {
  bool known = false;        ///< false: no systemd, or systemctl failed
  std::string active_state;  ///< "active", "inactive", "failed", "activating", ...; or reason
  std::string sub_state;     ///< "running", "dead", "auto-restart", ...
  std::string status_text;   ///< the daemon's last STATUS= line
  long n_restarts = -1;      ///< NRestarts, -1 if unknown
  std::string result;        ///< Result= ("success", "watchdog", "exit-code", "signal", ...)
};

/// Asks systemd about `unit` with one `systemctl show` child process. Never throws; without
/// systemd (no /run/systemd/system) returns known = false and active_state "unknown (no systemd)".
ServiceState query_service(const std::string& unit);

} // namespace es::service
