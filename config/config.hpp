#pragma once
// es::config: the run description (YAML, schema version 1) as plain structs.
//
// Only es_service reads these structs; it turns them into small per-module option structs, so
// probes, workloads and storage never see es::config (STYLE.md rule 3). yaml-cpp stays inside
// config/*.cpp.

#include "daemon/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace es::config {

// --- Interface ---

inline constexpr int kSchemaVersion = 1;

/// How a phase's length is given.
enum class PhaseLength {
  kAbsolute, ///< "5m"
  kPercent,  ///< "10%" of run.duration
  kRest,     ///< "rest": whatever the other phases leave (at most one phase)
};

/// One phase of a run (idle baseline, load, cool-down, ...).
struct Phase {
  std::string name;
  PhaseLength length_kind = PhaseLength::kRest;
  std::chrono::nanoseconds duration{0}; ///< for kAbsolute
  double percent = 0.0;                 ///< for kPercent, 0 < percent <= 100
  bool load = true;                     ///< run the workload in this phase
  std::optional<double> rate_per_s;     ///< per-phase override of workload.rate
};

struct Run {
  std::string name = "soak";
  std::string board = "auto"; ///< label; "auto" = detected board model
  std::chrono::nanoseconds duration = std::chrono::hours(3);
  /// Phases in order. Empty in the file means one "load" phase covering the whole duration
  /// (the loader fills that in, so this is never empty after load()).
  std::vector<Phase> phases;
};

struct Workload {
  std::string model = "mobilenet_v2";
  int threads = 1;       ///< threads that split each inference (intra-op pool size)
  int streams = 1;       ///< independent inference loops ("workers"), each with its own pool
  std::vector<int> cpus; ///< CPUs to pin workload threads to; empty = no pinning
  double rate_per_s = 0; ///< per stream; 0 = "max" (back to back)
  std::string isa = "auto";
  /// Verify the output checksum every N inferences (0 = never, 1 = every inference).
  int verify_every = 1;
};

/// Settings shared by every probe, plus per-probe overrides.
struct ProbeSettings {
  bool enabled = true;
  std::chrono::nanoseconds interval{0}; ///< 0 = use probes.interval
};

/// One INA219 on a user-space I2C bus (keys fixed by issue 4).
struct Ina219Device {
  std::string name;
  int bus = 1;
  int address = 0x40;
  double shunt_ohms = 0.1;
  double max_current_a = 3.2;
  std::chrono::nanoseconds interval = std::chrono::milliseconds(10);
  int bus_range_v = 32;   ///< 16 or 32
  int adc_samples = 1;    ///< averaging: 1, 2, 4, ..., 128
  bool auto_gain = false; ///< pick the PGA gain from max_current_a * shunt_ohms
  std::string chip = "ina219"; ///< ina219 | ina226
};

struct Probes {
  std::chrono::nanoseconds interval = std::chrono::seconds(1);
  std::filesystem::path sysfs_root = "/sys";
  std::filesystem::path procfs_root = "/proc";
  std::filesystem::path devfs_root = "/dev";
  /// Per-probe settings keyed by probe name: cpufreq, thermal, hwmon, system, rpi, rails,
  /// devfreq, ... Names not present use the defaults above (enabled, probes.interval).
  std::map<std::string, ProbeSettings> probe;
  std::vector<Ina219Device> ina219;

  /// Settings for `name`, falling back to defaults.
  [[nodiscard]] ProbeSettings settings(const std::string& name) const;
  /// Effective sampling interval for `name`.
  [[nodiscard]] std::chrono::nanoseconds interval_for(const std::string& name) const;
};

struct Storage {
  std::filesystem::path database = "/var/lib/edgesoak/edgesoak.db";
  std::chrono::nanoseconds commit_interval = std::chrono::seconds(1);
  std::size_t queue_capacity = 1 << 16; ///< rows per producer queue before drops are counted
};

struct Safety {
  std::optional<double> max_temperature_c = 85.0; ///< nullopt = disabled
  std::chrono::nanoseconds hold = std::chrono::seconds(10);
};

struct Logging {
  std::string level = "info";
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

/// One validation problem, located in the file.
struct Diagnostic {
  std::string file;
  int line = 0;   ///< 1-based; 0 if unknown
  int column = 0; ///< 1-based; 0 if unknown
  std::string key_path; ///< "workload.threads", "run.phases[1].duration"
  std::string message;  ///< what was found and what is allowed

  /// "file:line:column: key_path: message"
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
  std::vector<Diagnostic> diagnostics; ///< non-empty iff !config
  [[nodiscard]] bool ok() const { return config.has_value(); }
};

/// Loads and validates a file. Never throws; every problem is reported, not just the first.
LoadResult load_file(const std::filesystem::path& path);

/// Loads and validates YAML text; `name` is used as the file name in diagnostics.
LoadResult load_string(const std::string& yaml_text, const std::string& name = "<string>");

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
[[nodiscard]] Result<std::vector<ResolvedPhase>> resolve_phases(const Config& config,
                                                                std::chrono::nanoseconds total);

} // namespace es::config
