#pragma once
// es::analysis::LatencyHistogram: a fixed-memory latency distribution for runs of any length.
//
// Latencies are counted in boost::histogram with a log-transformed regular axis: 23 030 bins
// from 100 ns to 1000 s, each bin 0.1 % wide (edge ratio 1.001). Memory is constant
// (~184 KB) whether a run has 1 k or 100 M inferences. Quantiles are located by cumulative
// count and interpolated geometrically inside their bin, so every reported percentile is
// within 0.1 % (relative) of the exact order statistic; min, max, mean and stddev are exact.

#include <boost/histogram.hpp>

#include <cstdint>
#include <vector>

namespace es::analysis {

// --- Interface ---

/// One bin of a display histogram: [lo, hi) and its count. Units are the caller's (ms here).
struct HistogramBin {
  double lo = 0;
  double hi = 0;
  std::uint64_t count = 0;
};

/// Streaming latency distribution with bounded relative error.
class LatencyHistogram {
public:
  /// Lower edge of the axis (ns); smaller values land in the underflow bin (still exact min).
  static constexpr double kMinNs = 100.0;
  /// Upper edge of the axis (ns); larger values land in the overflow bin (still exact max).
  static constexpr double kMaxNs = 1e12;
  /// Number of bins: ln(1e10) / ln(1.001) rounded, so each bin is ~0.1 % wide.
  static constexpr unsigned kBins = 23030;
  /// Fine bins merged into one display bin: 9 x 0.1 % = 0.9 % (< 1 % relative width).
  static constexpr unsigned kDisplayMerge = 9;

  LatencyHistogram();

  /// Counts one latency (ns). Non-positive values are counted in the underflow bin.
  void add(std::int64_t latency_ns) noexcept;

  /// Adds every count of `other` (same axis by construction).
  void merge(const LatencyHistogram& other);

  /// Number of latencies counted.
  [[nodiscard]] std::uint64_t count() const noexcept { return m_count; }

  /// Exact minimum / maximum / mean (ms); NaN when empty.
  [[nodiscard]] double min_ms() const noexcept;
  [[nodiscard]] double max_ms() const noexcept;
  [[nodiscard]] double mean_ms() const noexcept;
  /// Exact population standard deviation (ms); NaN when empty.
  [[nodiscard]] double stddev_ms() const noexcept;

  /// Quantile q in [0, 1] (ms), nearest-rank definition (rank ceil(q * n), at least 1),
  /// within 0.1 % of the exact order statistic. NaN when empty.
  [[nodiscard]] double quantile_ms(double q) const;

  /// Display histogram in ms over [min, max]: groups of `merge` fine bins (default 0.9 % wide).
  [[nodiscard]] std::vector<HistogramBin> display_bins_ms(unsigned merge = kDisplayMerge) const;

  /// Share (0..1) of latencies within +-`relative` of `center_ms` (bin resolution 0.1 %).
  [[nodiscard]] double share_within(double center_ms, double relative) const;

  /// Fine-bin index of a latency (0 = underflow, kBins + 1 = overflow). Used by callers that
  /// keep parallel per-bin tables (e.g. latency x frequency-level joint counts).
  [[nodiscard]] static unsigned bin_index(std::int64_t latency_ns) noexcept;
  /// Lower / upper edge (ns) of a fine bin index in 1..kBins.
  [[nodiscard]] static double bin_lower_ns(unsigned index) noexcept;
  [[nodiscard]] static double bin_upper_ns(unsigned index) noexcept;

  /// Count in one fine bin (0..kBins+1).
  [[nodiscard]] std::uint64_t bin_count(unsigned index) const;

private:
  using Axis = boost::histogram::axis::regular<double, boost::histogram::axis::transform::log>;
  using Hist = boost::histogram::histogram<std::tuple<Axis>, boost::histogram::dense_storage<std::uint64_t>>;

  Hist m_hist;
  std::uint64_t m_count = 0;
  std::int64_t m_min_ns = 0;
  std::int64_t m_max_ns = 0;
  double m_mean_ns = 0; ///< Welford running mean
  double m_m2 = 0;      ///< Welford sum of squared deviations
};

} // namespace es::analysis
