#pragma once
// `edgesoak probe`: discover the board and every sensor, print them with value, unit and
// source, and print a YAML snippet for the `probes:` block of the config.
//
//   edgesoak probe [--json] [--sysfs-root D] [--procfs-root D] [--devfs-root D] [--no-i2c-scan]
//
// The lead's CLI handles `--config FILE` itself (probes never link es_config) and calls
// run_probe_command() with the roots and devices from the config.
//
// JSON (--json): {"board": {model, kernel, cpu, soc, cpu_features},
//                 "sensors": [{name, kind, unit, value, status, source, probe}],
//                 "skipped": [...], "events": [{kind, detail}], "config_yaml": "..."}
// kind is one of frequency|temperature|cooling|voltage|current|power|throttle|utilization|
// memory|other; unit is SI (Hz, C, V, A, W, ratio, bytes, ...); value is null for a gap.
// Values come from the second of two samples 250 ms apart, so window sensors (utilisation,
// frequency residency) have values.
//
// I2C scan: unless options already list INA219 devices (or --no-i2c-scan), every
// <devfs>/i2c-N is probed read-only at 0x40..0x4F for INA219/INA226 (see scan_ina2xx), and
// found devices appear in the snippet.

#include "probes/probe_set.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace es::probes {

// --- Interface ---

/// Output and discovery choices of the probe command.
struct ProbeCommandOptions {
  bool json = false;
  bool scan_i2c = true;
  /// Pause between the two samples (window sensors need two).
  std::chrono::milliseconds settle{250};
};

/// The subcommand (daemon/core/command.hpp shape). Returns kExitOk, or kExitUsage for bad
/// arguments. Never throws.
int cmd_probe(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// Runs discovery with fully prepared options (the CLI's --config path uses this).
int run_probe_command(const ProbeSetOptions& options, bool json, std::ostream& out,
                      std::ostream& err);
/// Same, with all command options.
int run_probe_command(const ProbeSetOptions& options, const ProbeCommandOptions& command,
                      std::ostream& out, std::ostream& err);

/// Escapes `s` as a JSON string (with quotes).
[[nodiscard]] std::string json_quote(std::string_view s);

} // namespace es::probes
