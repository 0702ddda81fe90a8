#include "analysis/series.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace es::analysis {

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
} // namespace

SeriesStats series_stats(const SensorSeries& series) {
  SeriesStats s;
  s.samples = series.value.size();
  s.gaps = series.gaps;
  if (series.value.empty()) {
    s.min = s.mean = s.max = kNan;
    return s;
  }
  s.min = *std::min_element(series.value.begin(), series.value.end());
  s.max = *std::max_element(series.value.begin(), series.value.end());
  double sum = 0;
  for (double v : series.value) {
    sum += v;
  }
  s.mean = sum / static_cast<double>(series.value.size());
  return s;
}

double value_at(const SensorSeries& series, std::int64_t t_ns) {
  const auto it = std::upper_bound(series.t_ns.begin(), series.t_ns.end(), t_ns);
  if (it == series.t_ns.begin()) {
    return kNan;
  }
  return series.value[static_cast<std::size_t>(it - series.t_ns.begin()) - 1];
}

std::int64_t median_interval_ns(const SensorSeries& series) {
  if (series.t_ns.size() < 2) {
    return 0;
  }
  std::vector<std::int64_t> d;
  d.reserve(series.t_ns.size() - 1);
  for (std::size_t i = 1; i < series.t_ns.size(); ++i) {
    if (series.t_ns[i] > series.t_ns[i - 1]) {
      d.push_back(series.t_ns[i] - series.t_ns[i - 1]);
    }
  }
  if (d.empty()) {
    return 0;
  }
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
  return d[d.size() / 2];
}

double time_weighted_mean(const SensorSeries& series, std::int64_t t0_ns, std::int64_t t1_ns,
                          std::int64_t max_hold_ns) {
  if (series.t_ns.empty() || t1_ns <= t0_ns) {
    return kNan;
  }
  auto it = std::upper_bound(series.t_ns.begin(), series.t_ns.end(), t0_ns);
  std::size_t i = static_cast<std::size_t>(it - series.t_ns.begin());
  if (i > 0) {
    --i; // the sample holding at t0
  }
  double weighted = 0;
  double covered = 0;
  for (; i < series.t_ns.size() && series.t_ns[i] < t1_ns; ++i) {
    const std::int64_t next = i + 1 < series.t_ns.size() ? series.t_ns[i + 1]
                                                         : series.t_ns[i] + max_hold_ns;
    const std::int64_t hold_end = std::min(next, series.t_ns[i] + max_hold_ns);
    const std::int64_t a = std::max(series.t_ns[i], t0_ns);
    const std::int64_t b = std::min(hold_end, t1_ns);
    if (b > a) {
      weighted += series.value[i] * static_cast<double>(b - a);
      covered += static_cast<double>(b - a);
    }
  }
  return covered > 0 ? weighted / covered : kNan;
}

bool in_load_phase(const std::vector<Phase>& phases, std::int64_t t_ns) {
  for (const Phase& p : phases) {
    if (t_ns >= p.start_ns && t_ns < p.end_ns) {
      return p.load;
    }
  }
  // After the last phase's end (a still-running run): belongs to the last phase.
  return !phases.empty() && t_ns >= phases.back().end_ns && phases.back().load;
}

std::vector<ResidencyEntry> residency(const SensorSeries& series, double quantum,
                                      const std::vector<Phase>& phases) {
  std::map<double, double> seconds_at;
  const std::int64_t hold = std::max<std::int64_t>(3 * median_interval_ns(series), 1);
  double total = 0;
  for (std::size_t i = 0; i < series.t_ns.size(); ++i) {
    const std::int64_t next =
        i + 1 < series.t_ns.size() ? series.t_ns[i + 1] : series.t_ns[i] + hold / 3;
    const std::int64_t end = std::min(next, series.t_ns[i] + hold);
    double covered = 0;
    if (phases.empty()) {
      covered = static_cast<double>(end - series.t_ns[i]);
    } else {
      for (const Phase& p : phases) {
        const std::int64_t a = std::max(series.t_ns[i], p.start_ns);
        const std::int64_t b = std::min(end, p.end_ns);
        if (b > a) {
          covered += static_cast<double>(b - a);
        }
      }
    }
    if (covered <= 0) {
      continue;
    }
    const double level = quantum > 0 ? std::round(series.value[i] / quantum) * quantum
                                     : series.value[i];
    seconds_at[level] += covered / 1e9;
    total += covered / 1e9;
  }
  std::vector<ResidencyEntry> out;
  for (auto it = seconds_at.rbegin(); it != seconds_at.rend(); ++it) {
    out.push_back(ResidencyEntry{it->first, it->second, total > 0 ? it->second / total : 0});
  }
  return out;
}

std::vector<WindowEnvelope> window_envelopes(const SensorSeries& series, std::int64_t window_ns,
                                             std::size_t n_windows) {
  std::vector<WindowEnvelope> out(n_windows,
                                  WindowEnvelope{kNan, kNan, kNan, 0});
  if (window_ns <= 0) {
    return out;
  }
  std::vector<double> sums(n_windows, 0.0);
  for (std::size_t i = 0; i < series.t_ns.size(); ++i) {
    if (series.t_ns[i] < 0) {
      continue;
    }
    const auto w = static_cast<std::size_t>(series.t_ns[i] / window_ns);
    if (w >= n_windows) {
      break;
    }
    WindowEnvelope& e = out[w];
    const double v = series.value[i];
    if (e.samples == 0) {
      e.min = e.max = v;
    } else {
      e.min = std::min(e.min, v);
      e.max = std::max(e.max, v);
    }
    sums[w] += v;
    ++e.samples;
  }
  // Windows without samples hold the previous value (slow sensors, 30 s sampling) but only
  // for up to three sampling intervals, so a real gap stays a gap.
  const std::int64_t interval = median_interval_ns(series);
  const std::int64_t max_hold = std::max<std::int64_t>(3 * interval, window_ns);
  for (std::size_t w = 0; w < n_windows; ++w) {
    WindowEnvelope& e = out[w];
    if (e.samples > 0) {
      e.mean = sums[w] / e.samples;
      continue;
    }
    const std::int64_t mid = static_cast<std::int64_t>(w) * window_ns + window_ns / 2;
    const auto it = std::upper_bound(series.t_ns.begin(), series.t_ns.end(), mid);
    if (it == series.t_ns.begin()) {
      continue;
    }
    const std::size_t k = static_cast<std::size_t>(it - series.t_ns.begin()) - 1;
    if (mid - series.t_ns[k] <= max_hold) {
      e.mean = e.min = e.max = series.value[k];
    }
  }
  return out;
}

std::vector<HistogramBin> value_histogram(const std::vector<double>& values,
                                          double preferred_width, unsigned max_bins) {
  std::vector<HistogramBin> out;
  if (values.empty()) {
    return out;
  }
  const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
  double width = preferred_width > 0 ? preferred_width : 1.0;
  double lo = std::floor(*mn / width) * width;
  double hi = std::floor(*mx / width) * width + width;
  while ((hi - lo) / width > max_bins) {
    width *= 2;
    lo = std::floor(*mn / width) * width;
    hi = std::floor(*mx / width) * width + width;
  }
  const auto n = static_cast<unsigned>(std::lround((hi - lo) / width));
  auto h = boost::histogram::make_histogram(boost::histogram::axis::regular<>(n, lo, hi));
  h.fill(values);
  for (auto&& bin : boost::histogram::indexed(h)) {
    out.push_back(HistogramBin{bin.bin().lower(), bin.bin().upper(),
                               static_cast<std::uint64_t>(*bin)});
  }
  return out;
}

} // namespace es::analysis
