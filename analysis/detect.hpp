#pragma once
// Detection over a recorded run: throttling events with causes, change points in latency and
// latency modes. Pure functions over RunData, windowed latency and histograms; no I/O.
//
// Rules (also in analysis/README.md):
// - Throttling episodes come from (a) live RPi throttle bits (kind throttle), (b) a drop of a
//   `*.max_limit` frequency below its run maximum, (c) a frequency signal below its load-phase
//   reference (95th percentile) by more than `freq_drop_rel` during load phases, (d) a passive
//   (cpufreq/devfreq) cooling device above its lowest state, (e) a 5 V rail below
//   `undervoltage_v`. Overlapping episodes are merged.
// - Cause, first that applies: under_voltage (live bit 0 or rail sag) > thermal_trip (live bit 3
//   or a trip event) > cooling_device > frequency_cap (max_limit drop) > firmware_flag (live
//   bits 1/2) > inferred from sticky bits seen in the run (16 under-voltage, 19 thermal, 17/18
//   firmware) > unknown.
// - Change points: PELT (optimal partitioning with pruning) on log(windowed median latency)
//   with an L2 cost, penalty `cp_penalty_scale * sigma^2 * ln(n)` (sigma from the MAD of
//   successive differences), minimum segment `cp_min_windows`, then shifts smaller than
//   `cp_min_rel_change` are removed. Each is attributed to the hardware signal that stepped at
//   the same time (frequency > throttle flags > cooling > voltage > power > temperature).
// - Modes: peaks of the log-latency density (1.5 % Gaussian smoothing) with prominence of at
//   least `mode_prominence` of their height and a share of at least `mode_min_share`.

#include "analysis/latency_histogram.hpp"
#include "analysis/run_data.hpp"
#include "analysis/series.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace es::analysis {

// --- Interface ---

/// Why the board throttled (JSON spelling via to_string).
enum class ThrottleCause {
  kUnderVoltage,  ///< "under_voltage"
  kThermalTrip,   ///< "thermal_trip"
  kCoolingDevice, ///< "cooling_device"
  kFrequencyCap,  ///< "frequency_cap"
  kFirmwareFlag,  ///< "firmware_flag"
  kUnknown,       ///< "unknown"
};
const char* to_string(ThrottleCause cause) noexcept;

/// Tunables of all detectors (defaults are what `report` uses).
struct DetectOptions {
  double freq_drop_rel = 0.03;        ///< frequency below reference by more than this = drop
  double undervoltage_v = 4.65;       ///< RPi under-voltage threshold for 5 V rails
  std::int64_t load_settle_ns = 2'000'000'000; ///< ignore frequency this long after load start
  double cp_penalty_scale = 6.0;      ///< PELT penalty multiplier
  std::size_t cp_min_windows = 3;     ///< minimum segment length (windows)
  double cp_min_rel_change = 0.03;    ///< smallest reported median shift (3 %)
  double mode_min_share = 0.01;       ///< smallest reported latency mode (1 % of inferences)
  double mode_prominence = 0.25;      ///< peak prominence relative to its height
  double mode_smoothing_rel = 0.015;  ///< Gaussian smoothing of the log density (1.5 %)
};

/// One throttling episode.
struct ThrottleEvent {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  ThrottleCause cause = ThrottleCause::kUnknown;
  bool cause_inferred = false;    ///< cause only from sticky bits (not seen live)
  double freq_reduction_pct = 0;  ///< (reference - lowest) / reference, NaN if no frequency
  double ref_freq_hz = 0;         ///< NaN if no frequency signal
  double min_freq_hz = 0;         ///< NaN if no frequency signal
  double latency_delta_pct = 0;   ///< filled by the report: Δ median latency vs unthrottled load
  std::string detail;             ///< key=value: signals, flags, hottest sensor, ...
};

/// Throttling episodes of a run, sorted by start.
std::vector<ThrottleEvent> detect_throttling(const RunData& data, const DetectOptions& options);

/// Change-point indices (start index of each new segment) of x under an L2 mean-change cost.
/// PELT (Killick et al. 2012); each segment has at least `min_size` points.
std::vector<std::size_t> pelt_mean_changes(const std::vector<double>& x, double penalty,
                                           std::size_t min_size);

/// Robust noise scale of x: MAD of successive differences / (0.6745 * sqrt 2).
double robust_sigma(const std::vector<double>& x);

/// A window of per-inference latency.
struct LatencyWindow {
  std::int64_t t0_ns = 0;    ///< window start on the run timeline
  std::uint64_t count = 0;   ///< inferences (ok) in the window
  double p50_ms = 0;         ///< exact window median
  double p99_ms = 0;         ///< exact window 99th percentile
  double min_ms = 0;
  double max_ms = 0;
};

/// A shift in the windowed median latency.
struct ChangePoint {
  std::int64_t t_ns = 0;     ///< onset: start of the first window of the new level
  double before_ms = 0;      ///< median of window medians before
  double after_ms = 0;       ///< median of window medians after
  double delta_pct = 0;      ///< (after - before) / before * 100
  std::string attributed_to; ///< sensor name that moved with it, empty if none
  std::string detail;        ///< every signal that moved, and a coincident throttle event
};

/// Change points in windowed medians, attributed using the run's sensors and throttle events.
std::vector<ChangePoint> detect_change_points(const std::vector<LatencyWindow>& windows,
                                              std::int64_t window_ns, const RunData& data,
                                              const std::vector<ThrottleEvent>& throttles,
                                              const DetectOptions& options);

/// A latency mode.
struct LatencyMode {
  double center_ms = 0; ///< peak of the smoothed density
  double lo_ms = 0;     ///< basin edges (valleys to the neighbouring modes)
  double hi_ms = 0;
  double share = 0;     ///< fraction of inferences in the basin
  double freq_hz = 0;   ///< dominant frequency level while these inferences ran (NaN if unknown)
  double freq_share = 0; ///< fraction of the mode's inferences at that level
};

/// Modes of a latency histogram (sorted by center).
std::vector<LatencyMode> find_modes(const LatencyHistogram& histogram,
                                    const DetectOptions& options);

/// Latency x frequency-level joint counts, used to map modes to operating points.
struct ModeFrequencyTable {
  std::vector<double> levels_hz;                    ///< discrete frequency levels
  std::vector<std::vector<std::uint32_t>> counts;   ///< [level][coarse bin = fine bin / 5]
};
/// Assigns each mode its dominant frequency level from the joint table.
void map_modes_to_frequency(std::vector<LatencyMode>& modes, const ModeFrequencyTable& table);

/// Which sensor the analysis uses as "the" CPU frequency: the non-limit frequency sensor with
/// the largest relative spread during load (ties go to point `.cur` sensors). nullptr if none.
const SensorSeries* primary_frequency(const RunData& data);

/// Discrete levels of a frequency series in load phases (1 MHz quantum, >= 0.5 % of samples,
/// at most 16), sorted descending.
std::vector<double> frequency_levels(const SensorSeries& series, const std::vector<Phase>& phases);

/// True for sensors named `*.max_limit` (a frequency cap, not a frequency).
bool is_max_limit(const SensorSeries& series);

} // namespace es::analysis
