#pragma once
// Pure functions over sensor sample series: statistics, sample-and-hold lookup, time-in-state
// (residency), per-window envelopes and value histograms. No I/O.

#include "analysis/latency_histogram.hpp"
#include "analysis/run_data.hpp"

#include <cstdint>
#include <vector>

namespace es::analysis {

// --- Interface ---

/// Sample statistics of the ok samples (NaN when there are none).
struct SeriesStats {
  double min = 0;
  double mean = 0;
  double max = 0;
  std::uint64_t samples = 0; ///< ok samples
  std::uint64_t gaps = 0;    ///< failed reads
};
SeriesStats series_stats(const SensorSeries& series);

/// Last sample at or before t (sample-and-hold); NaN before the first sample.
double value_at(const SensorSeries& series, std::int64_t t_ns);

/// Time-weighted mean over [t0, t1) treating samples as sample-and-hold (NaN if no sample
/// covers the interval). Holds are cut at `max_hold_ns` so a gap does not count as data.
double time_weighted_mean(const SensorSeries& series, std::int64_t t0_ns, std::int64_t t1_ns,
                          std::int64_t max_hold_ns);

/// Typical sampling interval (median of positive differences), 0 with fewer than two samples.
std::int64_t median_interval_ns(const SensorSeries& series);

/// Time spent at one value (an operating point for frequencies).
struct ResidencyEntry {
  double value = 0;   ///< the level (Hz for frequency)
  double seconds = 0; ///< time at that level (sample-and-hold, holds cut at 3 intervals)
  double share = 0;   ///< fraction of the covered time
};
/// Residency of a series whose values are discrete levels, quantised to `quantum` (e.g. 1 MHz).
/// Restricted to the given phases when `phases` is non-empty. Sorted by value descending.
std::vector<ResidencyEntry> residency(const SensorSeries& series, double quantum,
                                      const std::vector<Phase>& phases);

/// Envelope of a series over one time window.
struct WindowEnvelope {
  double mean = 0; ///< mean of samples in the window; the held value if there are none
  double min = 0;
  double max = 0;
  std::uint32_t samples = 0; ///< samples inside the window (0 = held or NaN)
};
/// Cuts [0, n_windows * window_ns) into windows and summarises the series in each one.
std::vector<WindowEnvelope> window_envelopes(const SensorSeries& series, std::int64_t window_ns,
                                             std::size_t n_windows);

/// Fixed-width histogram of the ok samples (boost::histogram regular axis). The bin width is
/// `preferred_width` unless that would give more than `max_bins` bins.
std::vector<HistogramBin> value_histogram(const std::vector<double>& values,
                                          double preferred_width, unsigned max_bins = 120);

/// True if the phase list marks time t as a load (inference) phase.
bool in_load_phase(const std::vector<Phase>& phases, std::int64_t t_ns);

} // namespace es::analysis
