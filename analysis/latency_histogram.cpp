#include "analysis/latency_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace es::analysis {

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
const double kLogMin = std::log(LatencyHistogram::kMinNs);
const double kLogStep =
    (std::log(LatencyHistogram::kMaxNs) - std::log(LatencyHistogram::kMinNs)) /
    LatencyHistogram::kBins;
} // namespace

LatencyHistogram::LatencyHistogram()
    : m_hist(boost::histogram::make_histogram_with(boost::histogram::dense_storage<std::uint64_t>(),
                                                   Axis(kBins, kMinNs, kMaxNs))) {}

void LatencyHistogram::add(std::int64_t latency_ns) noexcept {
  const double x = static_cast<double>(latency_ns);
  // The log transform of a non-positive value is NaN; count it as underflow explicitly.
  m_hist(x > 0 ? x : kMinNs / 2);
  if (m_count == 0) {
    m_min_ns = latency_ns;
    m_max_ns = latency_ns;
  } else {
    m_min_ns = std::min(m_min_ns, latency_ns);
    m_max_ns = std::max(m_max_ns, latency_ns);
  }
  ++m_count;
  const double delta = x - m_mean_ns;
  m_mean_ns += delta / static_cast<double>(m_count);
  m_m2 += delta * (x - m_mean_ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.m_count == 0) {
    return;
  }
  m_hist += other.m_hist;
  if (m_count == 0) {
    m_min_ns = other.m_min_ns;
    m_max_ns = other.m_max_ns;
    m_mean_ns = other.m_mean_ns;
    m_m2 = other.m_m2;
    m_count = other.m_count;
    return;
  }
  m_min_ns = std::min(m_min_ns, other.m_min_ns);
  m_max_ns = std::max(m_max_ns, other.m_max_ns);
  // Chan et al. parallel combination of Welford accumulators.
  const double n_a = static_cast<double>(m_count);
  const double n_b = static_cast<double>(other.m_count);
  const double delta = other.m_mean_ns - m_mean_ns;
  const double n = n_a + n_b;
  m_mean_ns += delta * n_b / n;
  m_m2 += other.m_m2 + delta * delta * n_a * n_b / n;
  m_count += other.m_count;
}

double LatencyHistogram::min_ms() const noexcept {
  return m_count == 0 ? kNan : static_cast<double>(m_min_ns) / 1e6;
}

double LatencyHistogram::max_ms() const noexcept {
  return m_count == 0 ? kNan : static_cast<double>(m_max_ns) / 1e6;
}

double LatencyHistogram::mean_ms() const noexcept {
  return m_count == 0 ? kNan : m_mean_ns / 1e6;
}

double LatencyHistogram::stddev_ms() const noexcept {
  return m_count == 0 ? kNan : std::sqrt(m_m2 / static_cast<double>(m_count)) / 1e6;
}

unsigned LatencyHistogram::bin_index(std::int64_t latency_ns) noexcept {
  if (latency_ns <= 0) {
    return 0;
  }
  const double pos = (std::log(static_cast<double>(latency_ns)) - kLogMin) / kLogStep;
  if (pos < 0) {
    return 0;
  }
  if (pos >= kBins) {
    return kBins + 1;
  }
  return static_cast<unsigned>(pos) + 1;
}

double LatencyHistogram::bin_lower_ns(unsigned index) noexcept {
  return std::exp(kLogMin + kLogStep * static_cast<double>(index - 1));
}

double LatencyHistogram::bin_upper_ns(unsigned index) noexcept {
  return std::exp(kLogMin + kLogStep * static_cast<double>(index));
}

std::uint64_t LatencyHistogram::bin_count(unsigned index) const {
  // boost::histogram stores underflow at -1 and overflow at kBins.
  return m_hist.at(static_cast<int>(index) - 1);
}

double LatencyHistogram::quantile_ms(double q) const {
  if (m_count == 0) {
    return kNan;
  }
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(m_count)));
  rank = std::clamp<std::uint64_t>(rank, 1, m_count);
  if (rank == 1) {
    return min_ms();
  }
  if (rank == m_count) {
    return max_ms();
  }
  std::uint64_t cumulative = 0;
  for (unsigned i = 0; i <= kBins + 1; ++i) {
    const std::uint64_t c = bin_count(i);
    if (cumulative + c >= rank) {
      if (i == 0) {
        return min_ms();
      }
      if (i == kBins + 1) {
        return max_ms();
      }
      // Geometric interpolation of the rank's position inside the bin, clamped to the
      // exact extremes (which are known to lie in the first and last occupied bins).
      const double within = (static_cast<double>(rank - cumulative) - 0.5) / static_cast<double>(c);
      const double lo = bin_lower_ns(i);
      const double hi = bin_upper_ns(i);
      const double v = lo * std::pow(hi / lo, within);
      return std::clamp(v, static_cast<double>(m_min_ns), static_cast<double>(m_max_ns)) / 1e6;
    }
    cumulative += c;
  }
  return max_ms();
}

std::vector<HistogramBin> LatencyHistogram::display_bins_ms(unsigned merge) const {
  std::vector<HistogramBin> out;
  if (m_count == 0 || merge == 0) {
    return out;
  }
  const unsigned first = std::max(1U, bin_index(m_min_ns));
  const unsigned last = std::min(kBins, bin_index(m_max_ns));
  for (unsigned i = first; i <= last; i += merge) {
    const unsigned end = std::min(last, i + merge - 1);
    HistogramBin bin;
    bin.lo = bin_lower_ns(i) / 1e6;
    bin.hi = bin_upper_ns(end) / 1e6;
    for (unsigned j = i; j <= end; ++j) {
      bin.count += bin_count(j);
    }
    out.push_back(bin);
  }
  if (!out.empty()) {
    // Fold under/overflow into the outer bins so the counts sum to count().
    out.front().count += bin_count(0);
    out.back().count += bin_count(kBins + 1);
  }
  return out;
}

double LatencyHistogram::share_within(double center_ms, double relative) const {
  if (m_count == 0 || !(center_ms > 0)) {
    return kNan;
  }
  const double lo_ns = center_ms * 1e6 * (1.0 - relative);
  const double hi_ns = center_ms * 1e6 * (1.0 + relative);
  std::uint64_t inside = 0;
  const unsigned first = bin_index(static_cast<std::int64_t>(lo_ns));
  const unsigned last = bin_index(static_cast<std::int64_t>(hi_ns));
  for (unsigned i = std::max(1U, first); i <= std::min(kBins, last); ++i) {
    const double mid = std::sqrt(bin_lower_ns(i) * bin_upper_ns(i));
    if (mid >= lo_ns && mid <= hi_ns) {
      inside += bin_count(i);
    }
  }
  return static_cast<double>(inside) / static_cast<double>(m_count);
}

} // namespace es::analysis
