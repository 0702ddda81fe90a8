#pragma once
// es::config: the run description (YAML, schema version 1) as plain structs.
//
// Only es_service reads these structs; it turns them into small per-module option structs, so
// probes, workloads and storage never see es::config (STYLE.md rule 3). yaml-cpp stays inside
// config/*.cpp.
//
// The file format is documented key by key in config/edgesoak.yaml (the installed default).
// Every value below is validated by the loader; the ranges in the comments are the ones it
// enforces, so code that receives a Config from load_*() can rely on them.
//
// Typical use (es_service):
//   const es::config::LoadResult loaded = es::config::load_file(path);
//   if (!loaded.ok()) { for (const auto& d : loaded.diagnostics) { log(d.to_string()); } }
//   const auto phases = es::config::resolve_phases(*loaded.config, duration_override);
//
// The file format is documented key by key in config/edgesoak.yaml (the installed default).
// Every value below is validated by the loader; the ranges in the comments are the ones it
// enforces, so code that receives a Config from load_*() can rely on them.
//
// Typical use (es_service):
//   const es::config::LoadResult loaded = es::config::load_file(path);
//   if (!loaded.ok()) { for (const auto& d : loaded.diagnostics) { log(d.to_string()); } ... }
//   const auto phases = es::config::resolve_phases(*loaded.config, duration_override);

#include "daemon/core/result.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace es::config {

// --- Interface ---

inline constexpr int kSchemaVersion = 1;

/// Probe names accepted as blocks under `probes:` (keys of Probes::probe).
inline constexpr std::array<std::string_view, 7> kProbeNames{
    "cpufreq", "thermal", "hwmon", "system", "rpi", "rails", "devfreq"};

/// Model names the built-in engine knows today. The loader does not check workload.model
/// against this list (the engine does at start); it is here for documentation and `describe`.
inline constexpr std::array<std::string_view, 6> kKnownModels{
    "mobilenet_v1", "mobilenet_v2", "resnet18", "resnet50", "squeezenet1_1", "efficientnet_lite0"};

/// Accepted values of workload.isa ("auto" = best the CPU supports).
inline constexpr std::array<std::string_view, 8> kIsaNames{
    "auto", "reference", "avx2", "avxvnni", "avx512vnni", "neon", "neondot", "neoni8mm"};

/// Accepted values of logging.level (spdlog level names).
inline constexpr std::array<std::string_view, 6> kLogLevels{"trace", "debug", "info",
                                                           "warn",  "error", "off"};

/// How a phase's length is given.
enum class PhaseLength {
  kAbsolute, ///< "5m"
  kPercent,  ///< "10%" of run.duration
  kRest,     ///< "rest": whatever the other phases leave (at most one phase)
};

/// One phase of a run (idle baseline, load, cool-down, ...). YAML: an item of run.phases.
struct Phase {
  std::string name; ///< unique within the run; [A-Za-z0-9._-], 1..64 chars
  PhaseLength length_kind = PhaseLength::kRest;
  std::chrono::nanoseconds duration{0}; ///< for kAbsolute
  double percent = 0.0;                 ///< for kPercent, 0 < percent <= 100
  bool load = true;                     ///< run the workload in this phase
  /// Per-phase override of workload.rate: 0 = "max", > 0 inferences/s per stream; nullopt =
  /// inherit workload.rate.
  std::optional<double> rate_per_s;
};

/// YAML section `run:`: what the run is called and how long it lasts.
struct Run {
  std::string name = "soak";  ///< stored with the run; [A-Za-z0-9._-], 1..64 chars
  std::string board = "auto"; ///< label; "auto" = detected board model; 1..128 chars
  /// Whole run, > 0 and <= 30 days. `edgesoak run --duration` overrides it (resolve_phases).
  std::chrono::nanoseconds duration = std::chrono::hours(3);
  /// Phases in order. Empty in the file means one "load" phase covering the whole duration
  /// (the loader fills that in, so this is never empty after load()).
  std::vector<Phase> phases;
  /// edgesoakd: continue an unfinished run (died or stopped) of the same name and configuration
  /// as a new segment instead of starting over.
  bool resume = true;
  /// edgesoakd: start another run when the configured one already completed or aborted.
  bool repeat = false;
  /// On resume, downtime does not count towards the phases (the load phase still gets its full
  /// configured length). false: downtime within one boot counts, the schedule is kept.
  bool extend_after_gap = true;
};

/// YAML section `workload:`: the inference load.
struct Workload {
  /// Built-in model name (kKnownModels); only its spelling ([A-Za-z0-9._-]) is checked here,
  /// the engine rejects unknown models at start.
  std::string model = "mobilenet_v2";
  int threads = 1;       ///< 1..256 threads that split each inference (intra-op pool size)
  int streams = 1;       ///< 1..64 independent inference loops, each with its own pool
  /// CPUs 0..1023 to pin workload threads to, in the order written, no duplicates; empty = no
  /// pinning. YAML: a list [0, 1] or a string "0-3,6" (parse_cpu_list).
  std::vector<int> cpus;
  double rate_per_s = 0;    ///< per stream, > 0 and <= 100000; 0 = "max" (back to back)
  std::string isa = "auto"; ///< one of kIsaNames
  /// Verify the output checksum every N inferences, 0..1e9 (0 = never, 1 = every inference).
  int verify_every = 1;
};

/// Settings of one probe (YAML: probes.<name>: {enabled, interval}).
struct ProbeSettings {
  bool enabled = true;
  std::chrono::nanoseconds interval{0}; ///< 1ms..1h; 0 = use probes.interval
};

/// One INA219 on a user-space I2C bus (keys fixed by issue 4). YAML: an item of probes.ina219.
struct Ina219Device {
  /// Required, unique; [A-Za-z0-9_-] (no dots: sensors are named "<name>.power", ...).
  std::string name;
  int bus = 1;                ///< 0..255 -> <devfs_root>/i2c-<bus>
  int address = 0x40;         ///< 0x40..0x4F; YAML accepts hex (0x40) or decimal (64)
  double shunt_ohms = 0.1;    ///< > 0, <= 10
  double max_current_a = 3.2; ///< > 0, <= 100
  std::chrono::nanoseconds interval = std::chrono::milliseconds(10); ///< 5ms..1h (<= 200 Hz)
  int bus_range_v = 32;   ///< 16 or 32
  int adc_samples = 1;    ///< averaging: 1, 2, 4, ..., 128
  bool auto_gain = false; ///< pick the PGA gain from max_current_a * shunt_ohms
  std::string chip = "ina219"; ///< ina219 | ina226
};

/// YAML section `probes:`: sampling intervals, filesystem roots and power monitors.
struct Probes {
  std::chrono::nanoseconds interval = std::chrono::seconds(1); ///< default interval, 1ms..1h
  /// Absolute roots, so tests and users can point probes at a fixture tree.
  std::filesystem::path sysfs_root = "/sys";
  std::filesystem::path procfs_root = "/proc";
  std::filesystem::path devfs_root = "/dev";
  /// Per-probe settings keyed by probe name (kProbeNames). Holds only the blocks the file
  /// has; use settings()/interval_for(), which fall back to default_probe_settings().
  std::map<std::string, ProbeSettings> probe;
  std::vector<Ina219Device> ina219;

  /// Settings for `name`, falling back to default_probe_settings(name) when the file has no
  /// block for it.
  [[nodiscard]] ProbeSettings settings(const std::string& name) const;
  /// Effective sampling interval for `name`.
  [[nodiscard]] std::chrono::nanoseconds interval_for(const std::string& name) const;
};

/// Built-in defaults of a probe block: enabled, interval 0 (= probes.interval), except cpufreq,
/// which samples every 250 ms by default because frequency changes are short-lived.
[[nodiscard]] ProbeSettings default_probe_settings(std::string_view name);

/// YAML section `storage:`: the SQLite database and how often it commits.
struct Storage {
  /// load_file() makes a relative path absolute against the config file's directory.
  std::filesystem::path database = "/var/lib/edgesoak/edgesoak.db";
  /// 10ms..1s: the store commits at least once per second.
  std::chrono::nanoseconds commit_interval = std::chrono::seconds(1);
  /// 1024..16777216 rows per producer queue before drops are counted.
  std::size_t queue_capacity = 1 << 16;
};

/// YAML section `safety:`: stop the load when the board gets too hot.
struct Safety {
  /// -40..150 degrees C; nullopt = disabled (YAML: off or an empty value).
  std::optional<double> max_temperature_c = 85.0;
  /// 0s..1h: how long a temperature must stay >= the limit before the load stops.
  std::chrono::nanoseconds hold = std::chrono::seconds(10);
};

/// YAML section `logging:`.
struct Logging {
  std::string level = "info"; ///< one of kLogLevels (spdlog level names)
};

/// A whole validated configuration.
struct Config {
  int version = kSchemaVersion;
  Run run;
  Workload workload;
  Probes probes;
  Storage storage;
  Safety safety;
  Logging logging;
  /// The file as read (stored with the run for reproducibility); empty for defaults.
  std::string source_text;
  /// Where it came from ("" for defaults/strings).
  std::string source_path;
};

/// How serious a Diagnostic is. Errors make the load fail; warnings do not.
enum class Severity {
  kError,
  kWarning,
};

/// One validation problem, located in the file.
struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;
  int line = 0;   ///< 1-based; 0 if unknown
  int column = 0; ///< 1-based; 0 if unknown
  std::string key_path; ///< "workload.threads", "run.phases[1].duration"
  std::string message;  ///< what was found and what is allowed

  /// "file:line:column: key_path: message". Parts that are unknown are left out
  /// ("file: message" for an unreadable file); warnings read "...: key_path: warning: message".
  [[nodiscard]] std::string to_string() const;
};

/// Thrown by nothing: load returns every problem at once.
struct LoadError {
  std::vector<Diagnostic> diagnostics;
  [[nodiscard]] std::string to_string() const; ///< one diagnostic per line
};

/// Result of loading: a valid Config or the full list of problems.
struct LoadResult {
  std::optional<Config> config;
  std::vector<Diagnostic> diagnostics; ///< non-empty iff !config; sorted by line, column
  /// Problems that do not stop the run (e.g. no phase has load: true). May be set either way.
  std::vector<Diagnostic> warnings;
  [[nodiscard]] bool ok() const { return config.has_value(); }
};

/// Loads and validates a file. Never throws; every problem is reported, not just the first.
/// A relative storage.database is resolved against the file's directory. Files larger than
/// kMaxConfigBytes, empty files, non-UTF-8 text and binary data are rejected with a diagnostic.
LoadResult load_file(const std::filesystem::path& path);

/// Loads and validates YAML text; `name` is used as the file name in diagnostics. A relative
/// storage.database is kept as written (there is no file directory to resolve it against).
LoadResult load_string(const std::string& yaml_text, const std::string& name = "<string>");

/// Largest configuration accepted (1 MiB); real configs are a few KiB.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;

/// Parses a CPU list as written in workload.cpus' string form: "0-3,6", "2", "0,2,4".
/// Each CPU 0..1023, ranges ascending ("3-1" is an error), no CPU twice, no empty items.
/// Whitespace around items is allowed. Returns the CPUs in the order written.
[[nodiscard]] Result<std::vector<int>> parse_cpu_list(std::string_view text);

/// Phase schedule with lengths resolved against the run duration.
struct ResolvedPhase {
  std::string name;
  std::chrono::nanoseconds start{0}; ///< offset from run start
  std::chrono::nanoseconds duration{0};
  bool load = true;
  double rate_per_s = 0; ///< 0 = max
};

/// Resolves percentages and "rest" for `total` (run.duration, possibly overridden by
/// --duration). Absolute phases that do not fit `total` are scaled down proportionally with the
/// rest so a short override still visits every phase. Errors if the result is impossible.
///
/// The rules, in order:
/// 1. Percent phases take that share of `total`; absolute phases keep their length.
/// 2. With a "rest" phase: if the other phases leave time, "rest" gets all of it. If they do
///    not (a --duration override shorter than the absolute phases), the schedule as configured
///    for run.duration (rest included) is scaled by total / run.duration, so every phase keeps
///    its configured share and is still visited.
/// 3. Without a "rest" phase: phases that do not add up to `total` (only possible with an
///    override, since the loader insists they add up to run.duration) are all scaled by the
///    same factor, up or down.
/// 4. Lengths are whole nanoseconds; rounding leftovers go to the "rest" phase (else the
///    longest), so starts are contiguous and durations sum exactly to `total`.
/// Errors (kInvalidArgument): total <= 0, more than one "rest", a phase with a non-positive
/// length or percent, or `total` too short to give every phase at least 1 ns.
/// An empty Config::run::phases resolves to one load phase named "load" covering `total`.
[[nodiscard]] Result<std::vector<ResolvedPhase>> resolve_phases(const Config& config,
                                                                std::chrono::nanoseconds total);

/// A short multi-line human summary for `edgesoak validate` and the daemon's start-up log:
/// run name/board/duration, phases with resolved start and length, workload, probes with their
/// effective intervals, INA219 devices, database, safety limit and log level. Ends in '\n'.
[[nodiscard]] std::string describe(const Config& config);

/// Same, with phases resolved against `total` (a --duration override) instead of run.duration.
[[nodiscard]] std::string describe(const Config& config, std::chrono::nanoseconds total);

/// `edgesoak validate [--duration D] FILE` (es::CommandFn shape, daemon/core/command.hpp).
/// Prints every diagnostic to `err` (then "edgesoak validate: error: N problem(s) in FILE")
/// and returns kExitUsage; or prints warnings to `err`, describe() and "ok" to `out` and returns
/// kExitOk. `--duration D` shows the phases resolved for a run override. `--help` prints usage
/// to `out`. Bad arguments print usage to `err` and return kExitUsage. Never throws.
int cmd_validate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace es::config
