#include "analysis/report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace es::analysis {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

/// Recorded stretches of the run timeline (segments); the whole run if none are stored.
std::vector<std::pair<std::int64_t, std::int64_t>> coverage(const RunData& data) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (const storage::SegmentRow& s : data.segments) {
    const std::int64_t len = std::max<std::int64_t>(0, s.end_mono_ns - s.start_mono_ns);
    out.emplace_back(s.t0_run_ns, s.t0_run_ns + len);
  }
  if (out.empty()) {
    out.emplace_back(0, data.duration_ns);
  }
  // A still-running or crashed last segment may be shorter than what was recorded in it.
  out.back().second = std::max(out.back().second, data.duration_ns);
  return out;
}

double covered_seconds(const std::vector<std::pair<std::int64_t, std::int64_t>>& cov,
                       std::int64_t a, std::int64_t b) {
  double s = 0;
  for (const auto& [c0, c1] : cov) {
    const std::int64_t lo = std::max(a, c0);
    const std::int64_t hi = std::min(b, c1);
    if (hi > lo) {
      s += static_cast<double>(hi - lo) / 1e9;
    }
  }
  return s;
}

/// Sparse latency counts on 0.5 % bins (for many small sets such as throttle episodes).
struct SparseHistogram {
  std::map<unsigned, std::uint64_t> bins;
  std::uint64_t n = 0;
  void add(std::int64_t latency_ns) {
    ++bins[LatencyHistogram::bin_index(latency_ns) / 5];
    ++n;
  }
  [[nodiscard]] double median_ms() const {
    if (n == 0) {
      return kNan;
    }
    const std::uint64_t rank = (n + 1) / 2;
    std::uint64_t c = 0;
    for (const auto& [bin, count] : bins) {
      c += count;
      if (c >= rank) {
        const unsigned fine = bin * 5 + 2;
        return std::sqrt(LatencyHistogram::bin_lower_ns(std::max(1U, fine)) *
                         LatencyHistogram::bin_upper_ns(std::max(1U, fine))) /
               1e6;
      }
    }
    return kNan;
  }
};

/// Small deterministic RNG for reservoir sampling (splitmix64).
struct SplitMix {
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

/// Collects one window's latencies and turns them into exact window statistics.
class WindowAccumulator {
public:
  WindowAccumulator(std::int64_t window_ns, std::size_t reservoir)
      : m_window_ns(window_ns), m_reservoir_size(reservoir) {}

  void add(std::int64_t t_ns, std::int64_t latency_ns, RunReport& rep) {
    // Clamped so a corrupt timestamp cannot allocate millions of windows.
    constexpr std::int64_t kMaxWindows = 1'000'000;
    const std::int64_t w = std::min(std::max<std::int64_t>(0, t_ns) / m_window_ns, kMaxWindows - 1);
    if (w != m_current) {
      flush(rep);
      m_current = w;
    }
    m_values.push_back(latency_ns);
    const ScatterPoint p{static_cast<float>(static_cast<double>(t_ns) / 1e9),
                         static_cast<float>(static_cast<double>(latency_ns) / 1e6)};
    ++m_seen;
    if (m_reservoir.size() < m_reservoir_size) {
      m_reservoir.push_back(p);
    } else {
      const std::uint64_t j = m_rng.next() % m_seen;
      if (j < m_reservoir_size) {
        m_reservoir[j] = p;
      }
    }
    if (m_seen == 1 || latency_ns < m_lowest_ns) {
      m_lowest_ns = latency_ns;
      m_lowest = p;
    }
    if (m_seen == 1 || latency_ns > m_highest_ns) {
      m_highest_ns = latency_ns;
      m_highest = p;
    }
  }

  void flush(RunReport& rep) {
    if (m_current < 0 || m_values.empty()) {
      m_values.clear();
      return;
    }
    const auto w = static_cast<std::size_t>(m_current);
    if (rep.windows.size() <= w) {
      const std::size_t old = rep.windows.size();
      rep.windows.resize(w + 1);
      for (std::size_t i = old; i <= w; ++i) {
        rep.windows[i].t0_ns = static_cast<std::int64_t>(i) * m_window_ns;
      }
    }
    LatencyWindow& lw = rep.windows[w];
    const std::size_t n = m_values.size();
    const auto at_rank = [&](double q) {
      // nearest-rank, same definition as LatencyHistogram::quantile_ms
      auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
      rank = std::clamp<std::size_t>(rank, 1, n);
      std::nth_element(m_values.begin(), m_values.begin() + static_cast<std::ptrdiff_t>(rank - 1),
                       m_values.end());
      return static_cast<double>(m_values[rank - 1]) / 1e6;
    };
    lw.count = n;
    lw.p50_ms = at_rank(0.5);
    lw.p99_ms = at_rank(0.99);
    lw.min_ms = static_cast<double>(m_lowest_ns) / 1e6;
    lw.max_ms = static_cast<double>(m_highest_ns) / 1e6;
    rep.scatter.insert(rep.scatter.end(), m_reservoir.begin(), m_reservoir.end());
    // Always keep the extremes so outliers stay visible after downsampling.
    rep.scatter.push_back(m_lowest);
    rep.scatter.push_back(m_highest);
    m_values.clear();
    m_reservoir.clear();
    m_seen = 0;
  }

private:
  std::int64_t m_window_ns;
  std::size_t m_reservoir_size;
  std::int64_t m_current = -1;
  std::vector<std::int64_t> m_values;
  std::vector<ScatterPoint> m_reservoir;
  std::uint64_t m_seen = 0;
  SplitMix m_rng;
  std::int64_t m_lowest_ns = 0;
  std::int64_t m_highest_ns = 0;
  ScatterPoint m_lowest;
  ScatterPoint m_highest;
};

/// Time-weighted mean power and covered seconds over [a, b) (holds cut at 3 intervals).
std::pair<double, double> power_over(const SensorSeries& s, std::int64_t a, std::int64_t b,
                                     std::int64_t max_hold) {
  double weighted = 0;
  double covered = 0;
  auto it = std::upper_bound(s.t_ns.begin(), s.t_ns.end(), a);
  std::size_t i = static_cast<std::size_t>(it - s.t_ns.begin());
  if (i > 0) {
    --i;
  }
  for (; i < s.t_ns.size() && s.t_ns[i] < b; ++i) {
    const std::int64_t next = i + 1 < s.t_ns.size() ? s.t_ns[i + 1] : s.t_ns[i] + max_hold / 3;
    if (next - s.t_ns[i] > max_hold) {
      continue; // a gap: do not bridge it
    }
    const std::int64_t lo = std::max(s.t_ns[i], a);
    const std::int64_t hi = std::min(next, b);
    if (hi <= lo) {
      continue;
    }
    // Trapezoid: linear between this sample and the next.
    const double v1 = i + 1 < s.t_ns.size() ? s.value[i + 1] : s.value[i];
    const double span = static_cast<double>(next - s.t_ns[i]);
    const double f_lo = static_cast<double>(lo - s.t_ns[i]) / span;
    const double f_hi = static_cast<double>(hi - s.t_ns[i]) / span;
    const double v_lo = s.value[i] + (v1 - s.value[i]) * f_lo;
    const double v_hi = s.value[i] + (v1 - s.value[i]) * f_hi;
    const double dt = static_cast<double>(hi - lo) / 1e9;
    weighted += 0.5 * (v_lo + v_hi) * dt;
    covered += dt;
  }
  return {covered > 0 ? weighted / covered : kNan, covered};
}

} // namespace

LatencySummary summarize(const LatencyHistogram& h) {
  LatencySummary s;
  s.count = h.count();
  s.min = h.min_ms();
  s.p50 = h.quantile_ms(0.50);
  s.p90 = h.quantile_ms(0.90);
  s.p99 = h.quantile_ms(0.99);
  s.p999 = h.quantile_ms(0.999);
  s.max = h.max_ms();
  s.mean = h.mean_ms();
  s.stddev = h.stddev_ms();
  s.within_5pct = h.share_within(s.p50, 0.05);
  s.within_10pct = h.share_within(s.p50, 0.10);
  return s;
}

std::int64_t choose_window_ns(std::int64_t duration_ns) {
  const double target = static_cast<double>(duration_ns) / 600.0 / 1e9;
  double step = 1.0;
  for (double decade = 1.0; decade < 1e7; decade *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m * decade >= target) {
        return static_cast<std::int64_t>(m * decade * 1e9);
      }
    }
  }
  return static_cast<std::int64_t>(step * 1e9);
}

std::optional<EnergyReport> compute_energy(const SensorSeries& power,
                                           const std::vector<PhaseReport>& phases) {
  if (power.value.empty()) {
    return std::nullopt;
  }
  const std::int64_t max_hold = std::max<std::int64_t>(3 * median_interval_ns(power), 1);
  double idle_w_s = 0;
  double idle_cov = 0;
  double load_w_s = 0;
  double load_cov = 0;
  double load_seconds = 0;
  std::uint64_t load_inferences = 0;
  for (const PhaseReport& p : phases) {
    if (p.phase.name == "setup") {
      continue;
    }
    const auto [mean, cov] = power_over(power, p.phase.start_ns, p.phase.end_ns, max_hold);
    if (p.phase.load) {
      load_seconds += p.seconds;
      load_inferences += p.inferences;
      if (cov > 0) {
        load_w_s += mean * cov;
        load_cov += cov;
      }
    } else if (cov > 0) {
      idle_w_s += mean * cov;
      idle_cov += cov;
    }
  }
  if (load_cov <= 0) {
    return std::nullopt;
  }
  EnergyReport e;
  e.sensor = power.spec.name;
  e.load_power_w = load_w_s / load_cov;
  e.idle_power_w = idle_cov > 0 ? idle_w_s / idle_cov : kNan;
  e.coverage = load_seconds > 0 ? std::min(1.0, load_cov / load_seconds) : 0;
  // Mean power over the covered part stands for the whole load time (gaps are not zero watts).
  e.load_energy_j = e.load_power_w * load_seconds;
  if (load_inferences > 0) {
    const double per = e.load_energy_j / static_cast<double>(load_inferences);
    e.energy_per_inference_mj = per * 1e3;
    e.inferences_per_joule = 1.0 / per;
    e.incremental_energy_per_inference_mj =
        std::isnan(e.idle_power_w)
            ? kNan
            : (e.load_power_w - e.idle_power_w) * load_seconds / static_cast<double>(load_inferences) * 1e3;
  } else {
    e.energy_per_inference_mj = kNan;
    e.inferences_per_joule = kNan;
    e.incremental_energy_per_inference_mj = kNan;
  }
  e.histogram = value_histogram(power.value, 0.05, 80);
  return e;
}

Result<RunReport> analyze_run(storage::Reader& reader, std::int64_t run_id,
                              const AnalysisOptions& options) {
  auto loaded = load_run_data(reader, run_id);
  if (!loaded) {
    return loaded.error();
  }
  RunReport rep;
  rep.data = std::move(loaded).value();
  RunData& data = rep.data;
  rep.window_ns = options.window_ns > 0 ? options.window_ns : choose_window_ns(data.duration_ns);

  rep.throttle_events = detect_throttling(data, options.detect);

  const auto cov = coverage(data);
  for (const Phase& p : data.phases) {
    PhaseReport pr;
    pr.phase = p;
    pr.seconds = covered_seconds(cov, p.start_ns, p.end_ns);
    rep.phases.push_back(std::move(pr));
  }

  // Frequency levels for mapping latency modes to operating points.
  ModeFrequencyTable table;
  const SensorSeries* freq = primary_frequency(data);
  if (freq != nullptr) {
    table.levels_hz = frequency_levels(*freq, data.phases);
    table.counts.assign(table.levels_hz.size(),
                        std::vector<std::uint32_t>(LatencyHistogram::kBins / 5 + 2, 0));
  }
  std::size_t freq_i = 0;

  std::vector<SparseHistogram> episode(rep.throttle_events.size());
  LatencyHistogram baseline; // load inferences outside every throttle episode
  std::size_t ep_i = 0;
  std::size_t phase_i = 0;
  WindowAccumulator acc(rep.window_ns, options.scatter_per_window);

  std::int64_t last_end_ns = 0;
  auto streamed = reader.for_each_inference(run_id, [&](const storage::InferenceRow& row) {
    ++rep.inferences;
    last_end_ns = std::max(last_end_ns, row.t_ns + row.latency_ns);
    while (phase_i + 1 < data.phases.size() && row.t_ns >= data.phases[phase_i + 1].start_ns) {
      ++phase_i;
    }
    PhaseReport& pr = rep.phases[phase_i];
    ++pr.inferences;
    if (row.status != InferenceStatus::kOk) {
      ++rep.failed_inferences;
      return;
    }
    rep.histogram.add(row.latency_ns);
    pr.histogram.add(row.latency_ns);
    acc.add(row.t_ns, row.latency_ns, rep);

    while (ep_i < episode.size() && row.t_ns > rep.throttle_events[ep_i].end_ns) {
      ++ep_i;
    }
    if (ep_i < episode.size() && row.t_ns >= rep.throttle_events[ep_i].start_ns) {
      episode[ep_i].add(row.latency_ns);
    } else if (pr.phase.load) {
      baseline.add(row.latency_ns);
    }

    if (!table.levels_hz.empty()) {
      while (freq_i < freq->t_ns.size() && freq->t_ns[freq_i] <= row.t_ns) {
        ++freq_i;
      }
      if (freq_i > 0) {
        const double f = freq->value[freq_i - 1];
        std::size_t best = 0;
        for (std::size_t l = 1; l < table.levels_hz.size(); ++l) {
          if (std::abs(table.levels_hz[l] - f) < std::abs(table.levels_hz[best] - f)) {
            best = l;
          }
        }
        ++table.counts[best][LatencyHistogram::bin_index(row.latency_ns) / 5];
      }
    }
  });
  if (!streamed) {
    return streamed.error();
  }
  acc.flush(rep);
  // The run lasted at least until its last inference ended (a crashed or still-running run's
  // segments may not say so yet); the last phase runs to the end.
  if (last_end_ns > data.duration_ns) {
    data.duration_ns = last_end_ns;
    if (!data.phases.empty() && data.phases.back().end_ns < last_end_ns) {
      data.phases.back().end_ns = last_end_ns;
      rep.phases.back().phase.end_ns = last_end_ns;
      rep.phases.back().seconds = covered_seconds(coverage(data), rep.phases.back().phase.start_ns,
                                                  last_end_ns);
    }
  }
  const auto n_windows = static_cast<std::size_t>((data.duration_ns + rep.window_ns - 1) / rep.window_ns);
  if (rep.windows.size() < n_windows) {
    const std::size_t old = rep.windows.size();
    rep.windows.resize(n_windows);
    for (std::size_t i = old; i < n_windows; ++i) {
      rep.windows[i].t0_ns = static_cast<std::int64_t>(i) * rep.window_ns;
    }
  }

  // Totals.
  rep.latency = summarize(rep.histogram);
  LatencyHistogram load_hist;
  for (PhaseReport& pr : rep.phases) {
    pr.latency = summarize(pr.histogram);
    pr.rate_per_s = pr.seconds > 0 ? static_cast<double>(pr.inferences) / pr.seconds : 0;
    if (pr.phase.load) {
      rep.load_seconds += pr.seconds;
      load_hist.merge(pr.histogram);
    }
  }
  rep.rate_per_s = rep.load_seconds > 0 ? static_cast<double>(rep.inferences) / rep.load_seconds : 0;

  // Sensors.
  std::vector<Phase> load_phases;
  for (const Phase& p : data.phases) {
    if (p.load) {
      load_phases.push_back(p);
    }
  }
  const SensorSeries* power = nullptr;
  double power_mean = -1;
  for (const SensorSeries& s : data.sensors) {
    SensorReport sr;
    sr.id = s.id;
    sr.spec = s.spec;
    sr.stats = series_stats(s);
    sr.windows = window_envelopes(s, rep.window_ns, rep.windows.size());
    switch (s.spec.kind) {
    case SensorKind::kTemperature:
      sr.histogram = value_histogram(s.value, 0.5);
      break;
    case SensorKind::kFrequency:
      if (!is_max_limit(s)) {
        sr.residency = residency(s, 1e6, load_phases);
      }
      break;
    case SensorKind::kPower:
      sr.histogram = value_histogram(s.value, 0.05, 80);
      if (sr.stats.samples > 0 && sr.stats.mean > power_mean) {
        power_mean = sr.stats.mean;
        power = &s;
      }
      break;
    case SensorKind::kThrottle:
      break;
    default:
      sr.histogram = value_histogram(s.value, 0, 60);
      break;
    }
    rep.sensors.push_back(std::move(sr));
  }
  if (power != nullptr) {
    rep.energy = compute_energy(*power, rep.phases);
  }

  // Detection results that need the streamed latencies.
  const double base_median = baseline.count() > 0 ? baseline.quantile_ms(0.5) : kNan;
  for (std::size_t i = 0; i < episode.size(); ++i) {
    const double m = episode[i].median_ms();
    rep.throttle_events[i].latency_delta_pct =
        (std::isnan(m) || std::isnan(base_median)) ? kNan : (m / base_median - 1.0) * 100.0;
  }
  rep.time_to_first_throttle_s = kNan;
  if (!rep.throttle_events.empty()) {
    std::int64_t load_start = 0;
    for (const Phase& p : data.phases) {
      if (p.load) {
        load_start = p.start_ns;
        break;
      }
    }
    rep.time_to_first_throttle_s =
        static_cast<double>(std::max<std::int64_t>(0, rep.throttle_events.front().start_ns - load_start)) / 1e9;
  }
  rep.change_points =
      detect_change_points(rep.windows, rep.window_ns, data, rep.throttle_events, options.detect);
  rep.modes = find_modes(load_hist.count() > 0 ? load_hist : rep.histogram, options.detect);
  if (!table.levels_hz.empty()) {
    map_modes_to_frequency(rep.modes, table);
  }
  return rep;
}

} // namespace es::analysis
