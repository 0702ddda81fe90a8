#pragma once
// The shape of an `edgesoak` subcommand. Each module implements its own commands (analysis:
// report/export/compare, workloads: bench/models, probes: probe, config: validate, service:
// run/status) as a function of this type; daemon/cli only dispatches.
//
// Conventions every command follows:
// - `args` excludes the program and subcommand names ("edgesoak report --db x" -> {"--db","x"}).
// - `--help` prints usage to `out` and returns kExitOk.
// - Results go to `out`; diagnostics go to `err` as "edgesoak <cmd>: error: <what>".
// - Returns kExitOk, kExitUsage (bad arguments or configuration) or kExitRuntime
//   (daemon/core/exit_codes.hpp). Never throws.

#include <ostream>
#include <string>
#include <vector>

namespace es {

using CommandFn = int (*)(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err);

} // namespace es
