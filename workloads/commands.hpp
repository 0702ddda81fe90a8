#pragma once
// Subcommands of `edgesoak` implemented by the workloads module (es::CommandFn shape,
// daemon/core/command.hpp). Exit codes: 0 ok, 2 usage, 3 runtime (daemon/core/exit_codes.hpp).

#include <ostream>
#include <string>
#include <vector>

namespace es::workloads {

// --- Interface ---

/// `edgesoak bench --model M [--threads N] [--runs R] [--warmup W] [--isa I] [--cpus 0,1]
///  [--json] [--profile] [--no-verify]`
/// Times R inferences after W warm-ups (TFLite benchmark_model style) and prints min, median,
/// mean, p90, p99, max ms (nearest-rank), GMAC/s and % of the chosen ISA's int8 peak measured
/// at start-up on this core (x threads), and the anchors' machine-readable line
/// `RESULT runtime=edgesoak model=.. threads=.. runs=.. median_ms=.. p90_ms=.. p99_ms=..
/// min_ms=.. mean_ms=.. macs=.. gmacs_per_s=..`. The output checksum is checked against one
/// run on the reference kernels unless --no-verify. --profile adds per-layer and per-class
/// times (and anchors-style `PROFILE` lines). --json prints one JSON object instead.
int cmd_bench(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// `edgesoak models [--json]`: the built-in models with MACs, parameters and input shape.
int cmd_models(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace es::workloads
