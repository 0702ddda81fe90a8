#pragma once
// es::analysis::analyze_run: one pass over a recorded run that computes everything `report`,
// `export` and `compare` print or draw. Sensors and events are loaded; inferences are streamed
// once (never held), so memory is bounded by the window count, not the inference count.

#include "analysis/detect.hpp"
#include "analysis/latency_histogram.hpp"
#include "analysis/run_data.hpp"
#include "analysis/series.hpp"
#include "daemon/core/result.hpp"
#include "daemon/storage/reader.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace es::analysis {

// --- Interface ---

/// Knobs of the analysis (defaults are what the CLI uses).
struct AnalysisOptions {
  DetectOptions detect;
  std::int64_t window_ns = 0;           ///< 0 = automatic (~600 windows, 1/2/5 x 10^k s, >= 1 s)
  std::size_t scatter_per_window = 48;  ///< reservoir sample size per window for the scatter
};

/// Latency statistics (ms) of a set of inferences.
struct LatencySummary {
  std::uint64_t count = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0, stddev = 0;
  /// Share (0..1) of inferences within +-5 % and +-10 % of the median.
  double within_5pct = 0;
  double within_10pct = 0;
};
LatencySummary summarize(const LatencyHistogram& histogram);

/// Per-phase numbers.
struct PhaseReport {
  Phase phase;
  std::uint64_t inferences = 0;
  double seconds = 0;     ///< recorded time inside the phase (segment gaps excluded)
  double rate_per_s = 0;
  LatencyHistogram histogram;
  LatencySummary latency;
};

/// Per-sensor numbers (sample statistics of ok samples; gaps counted).
struct SensorReport {
  std::uint32_t id = 0;
  SensorSpec spec;
  SeriesStats stats;
  std::vector<HistogramBin> histogram;      ///< temperature (0.5 C), power (auto) and others
  std::vector<WindowEnvelope> windows;      ///< on the report's window grid
  std::vector<ResidencyEntry> residency;    ///< frequency sensors: time at each level (load)
};

/// One point of the latency-over-time scatter (downsampled: reservoir per window + extremes).
struct ScatterPoint {
  float t_s = 0;
  float latency_ms = 0;
};

/// Energy accounting from one power sensor (trapezoid over ok samples; gaps not bridged).
struct EnergyReport {
  std::string sensor;
  double idle_power_w = 0;             ///< NaN without idle phases
  double load_power_w = 0;             ///< time-weighted mean over load phases
  double load_energy_j = 0;            ///< load_power_w x load seconds
  double energy_per_inference_mj = 0;  ///< board energy per inference during load
  double incremental_energy_per_inference_mj = 0; ///< (load - idle) power per inference; NaN
  double inferences_per_joule = 0;
  double coverage = 0;                 ///< share of load time covered by power samples
  std::vector<HistogramBin> histogram; ///< power samples (W)
};

/// Everything known about one run.
struct RunReport {
  RunData data;
  std::uint64_t inferences = 0;        ///< all inference rows
  std::uint64_t failed_inferences = 0; ///< status != ok (not in latency statistics)
  double load_seconds = 0;
  double rate_per_s = 0;               ///< inferences / load seconds
  LatencyHistogram histogram;          ///< all ok inferences
  LatencySummary latency;
  std::vector<PhaseReport> phases;
  std::vector<SensorReport> sensors;
  std::int64_t window_ns = 0;
  std::vector<LatencyWindow> windows;
  std::vector<ScatterPoint> scatter;
  std::vector<ThrottleEvent> throttle_events;
  double time_to_first_throttle_s = 0; ///< NaN if none
  std::vector<ChangePoint> change_points;
  std::vector<LatencyMode> modes;
  std::optional<EnergyReport> energy;
};

/// Chooses the window length: duration / 600 rounded up to 1, 2 or 5 x 10^k seconds, >= 1 s.
std::int64_t choose_window_ns(std::int64_t duration_ns);

/// Analyses run `run_id` of `reader`.
[[nodiscard]] Result<RunReport> analyze_run(storage::Reader& reader, std::int64_t run_id,
                                            const AnalysisOptions& options = {});

/// Energy from a power series over the given phases and inference counts (pure; exposed for
/// tests). nullopt if the series has no samples in load phases.
std::optional<EnergyReport> compute_energy(const SensorSeries& power,
                                           const std::vector<PhaseReport>& phases);

} // namespace es::analysis
