#pragma once
// The `edgesoak` subcommands this module owns. Each has the es::CommandFn shape
// (daemon/core/command.hpp): args exclude the program and subcommand names, results go to
// `out`, diagnostics to `err` as "edgesoak <cmd>: error: ...", and the return value is an exit
// code (0 ok, 2 usage, 3 runtime: missing/foreign database, unknown run, I/O).

#include <ostream>
#include <string>
#include <vector>

namespace es::analysis {

// --- Interface ---

/// `edgesoak report --db PATH [--run ID|latest] [--json] [--out DIR]`
/// Text summary by default; `--json` prints the JSON report; `--out DIR` also writes
/// report.json, report.html, report.txt and every figure as SVG and PNG into DIR.
int cmd_report(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// `edgesoak export --db PATH [--run ID|latest] [--out DIR | --table NAME]`
/// Writes the CSV tables (histograms, windows, residency, events, ...) into DIR (default "."),
/// or one table to stdout with --table.
int cmd_export(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// `edgesoak compare DB[:RUN] DB[:RUN] ... [--json] [--out DIR]`
/// Runs side by side: percentiles, throughput, time to first throttle, energy per inference;
/// `--out` writes compare.html and the overlaid histograms (SVG/PNG).
int cmd_compare(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace es::analysis
