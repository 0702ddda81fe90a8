#include "analysis/detect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace es::analysis {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

/// Passive cooling devices throttle (cpufreq/devfreq); fans do not.
bool is_passive_cooling(const SensorSeries& s) {
  return s.spec.kind == SensorKind::kCooling &&
         (contains(s.spec.name, "cpufreq") || contains(s.spec.name, "devfreq") ||
          contains(s.spec.name, "cpu")) &&
         !contains(s.spec.name, "fan");
}

/// A supply rail around 5 V (RPi/INA219 bus voltage), where 4.65 V means under-voltage.
bool is_five_volt_rail(const SensorSeries& s) {
  if (s.spec.kind != SensorKind::kVoltage || s.value.empty()) {
    return false;
  }
  if (contains(s.spec.name, "shunt")) {
    return false;
  }
  const SeriesStats st = series_stats(s);
  return st.max > 4.4 && st.max < 5.6;
}

double quantile_of(std::vector<double> v, double q) {
  if (v.empty()) {
    return kNan;
  }
  const auto k = static_cast<std::size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

double median_of(std::vector<double> v) { return quantile_of(std::move(v), 0.5); }

/// Raw episode from one signal, before merging.
struct Interval {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  ThrottleCause cause = ThrottleCause::kUnknown; ///< kUnknown = frequency drop only
  std::string signal;
  std::uint32_t flags = 0;
};

int cause_rank(ThrottleCause c) { return static_cast<int>(c); }

/// Intervals where pred(value) holds, from sample to the first sample where it stops holding
/// (or the last sample). `allowed` filters samples (e.g. load phases).
template <typename Pred, typename Allowed>
void intervals_where(const SensorSeries& s, Pred pred, Allowed allowed, ThrottleCause cause,
                     std::vector<Interval>& out) {
  bool open = false;
  Interval cur;
  for (std::size_t i = 0; i < s.t_ns.size(); ++i) {
    const bool ok = allowed(s.t_ns[i]);
    const bool hit = ok && pred(s.value[i]);
    if (hit && !open) {
      open = true;
      cur = Interval{s.t_ns[i], s.t_ns[i], cause, s.spec.name, 0};
    } else if (hit && open) {
      cur.end_ns = s.t_ns[i];
    } else if (!hit && open) {
      // Recovery seen at this sample (or load ended): the episode lasted until here.
      cur.end_ns = s.t_ns[i];
      out.push_back(cur);
      open = false;
    }
  }
  if (open) {
    out.push_back(cur);
  }
}

} // namespace

const char* to_string(ThrottleCause cause) noexcept {
  switch (cause) {
  case ThrottleCause::kUnderVoltage:
    return "under_voltage";
  case ThrottleCause::kThermalTrip:
    return "thermal_trip";
  case ThrottleCause::kCoolingDevice:
    return "cooling_device";
  case ThrottleCause::kFrequencyCap:
    return "frequency_cap";
  case ThrottleCause::kFirmwareFlag:
    return "firmware_flag";
  case ThrottleCause::kUnknown:
    return "unknown";
  }
  return "unknown";
}

bool is_max_limit(const SensorSeries& series) {
  return series.spec.kind == SensorKind::kFrequency && ends_with(series.spec.name, ".max_limit");
}

const SensorSeries* primary_frequency(const RunData& data) {
  const SensorSeries* best = nullptr;
  double best_score = -1;
  for (const SensorSeries& s : data.sensors) {
    if (s.spec.kind != SensorKind::kFrequency || is_max_limit(s) || s.value.empty()) {
      continue;
    }
    std::vector<double> load;
    for (std::size_t i = 0; i < s.t_ns.size(); ++i) {
      if (in_load_phase(data.phases, s.t_ns[i])) {
        load.push_back(s.value[i]);
      }
    }
    if (load.empty()) {
      continue;
    }
    const auto [mn, mx] = std::minmax_element(load.begin(), load.end());
    // The signal that actually moves explains latency (on a Pi, cpufreq may claim a constant
    // clock while the firmware-measured one drops); point samples (".cur") win ties because
    // they are discrete levels.
    const double spread = *mx > 0 ? (*mx - *mn) / *mx : 0;
    const double score = spread + (ends_with(s.spec.name, ".cur") ? 0.01 : 0.0);
    if (score > best_score) {
      best_score = score;
      best = &s;
    }
  }
  return best;
}

std::vector<double> frequency_levels(const SensorSeries& series, const std::vector<Phase>& phases) {
  std::map<double, std::size_t> counts;
  std::size_t total = 0;
  for (std::size_t i = 0; i < series.t_ns.size(); ++i) {
    if (!in_load_phase(phases, series.t_ns[i])) {
      continue;
    }
    counts[std::round(series.value[i] / 1e6) * 1e6]++;
    ++total;
  }
  std::vector<std::pair<std::size_t, double>> by_count;
  for (const auto& [level, n] : counts) {
    if (static_cast<double>(n) >= 0.005 * static_cast<double>(total)) {
      by_count.emplace_back(n, level);
    }
  }
  std::sort(by_count.rbegin(), by_count.rend());
  if (by_count.size() > 16) {
    by_count.resize(16);
  }
  std::vector<double> levels;
  for (const auto& entry : by_count) {
    levels.push_back(entry.second);
  }
  std::sort(levels.rbegin(), levels.rend());
  return levels;
}

std::vector<ThrottleEvent> detect_throttling(const RunData& data, const DetectOptions& options) {
  std::vector<Interval> raw;
  // Sticky bits ever seen (value >> 16), with the first time they were seen.
  std::uint32_t sticky_seen = 0;
  std::int64_t sticky_first_ns = -1;
  const auto anywhere = [](std::int64_t) { return true; };
  const auto settled_load = [&](std::int64_t t) {
    for (const Phase& p : data.phases) {
      if (t >= p.start_ns && t < p.end_ns) {
        return p.load && t >= p.start_ns + options.load_settle_ns;
      }
    }
    return !data.phases.empty() && data.phases.back().load && t >= data.phases.back().end_ns;
  };

  for (const SensorSeries& s : data.sensors) {
    if (s.value.empty()) {
      continue;
    }
    if (s.spec.kind == SensorKind::kThrottle) {
      // Live bits (0..3): one interval per contiguous run of the same non-zero live value.
      std::uint32_t prev_sticky = 0;
      bool open = false;
      Interval cur;
      for (std::size_t i = 0; i < s.t_ns.size(); ++i) {
        const auto v = static_cast<std::uint32_t>(std::llround(s.value[i]));
        const std::uint32_t live = v & 0xFU;
        const std::uint32_t sticky = (v >> 16) & 0xFU;
        if (sticky != 0) {
          if (sticky_first_ns < 0) {
            sticky_first_ns = s.t_ns[i];
          }
          sticky_seen |= sticky;
        }
        // A sticky bit that appears between two samples without its live bit: an episode the
        // sampling missed (lasting somewhere in between).
        const std::uint32_t fresh = sticky & ~prev_sticky & ~live;
        if (i > 0 && fresh != 0) {
          ThrottleCause c = (fresh & 0x1U) ? ThrottleCause::kUnderVoltage
                            : (fresh & 0x8U) ? ThrottleCause::kThermalTrip
                                            : ThrottleCause::kFirmwareFlag;
          raw.push_back(Interval{s.t_ns[i - 1], s.t_ns[i], c, s.spec.name + "(sticky)", v});
        }
        prev_sticky = sticky;
        if (live != 0) {
          const ThrottleCause c = (live & 0x1U) ? ThrottleCause::kUnderVoltage
                                  : (live & 0x8U) ? ThrottleCause::kThermalTrip
                                                  : ThrottleCause::kFirmwareFlag;
          if (open && cur.flags == v) {
            cur.end_ns = s.t_ns[i];
            continue;
          }
          if (open) {
            cur.end_ns = s.t_ns[i];
            raw.push_back(cur);
          }
          open = true;
          cur = Interval{s.t_ns[i], s.t_ns[i], c, s.spec.name, v};
        } else if (open) {
          cur.end_ns = s.t_ns[i];
          raw.push_back(cur);
          open = false;
        }
      }
      if (open) {
        raw.push_back(cur);
      }
    } else if (is_max_limit(s)) {
      const double top = *std::max_element(s.value.begin(), s.value.end());
      intervals_where(
          s, [top](double v) { return v < top * 0.99; }, anywhere, ThrottleCause::kFrequencyCap,
          raw);
    } else if (s.spec.kind == SensorKind::kFrequency) {
      std::vector<double> load;
      for (std::size_t i = 0; i < s.t_ns.size(); ++i) {
        if (settled_load(s.t_ns[i])) {
          load.push_back(s.value[i]);
        }
      }
      const double ref = quantile_of(load, 0.95);
      if (!(ref > 0)) {
        continue;
      }
      const double threshold = ref * (1.0 - options.freq_drop_rel);
      intervals_where(
          s, [threshold](double v) { return v < threshold; }, settled_load,
          ThrottleCause::kUnknown, raw);
    } else if (is_passive_cooling(s)) {
      const double low = *std::min_element(s.value.begin(), s.value.end());
      intervals_where(
          s, [low](double v) { return v > low; }, anywhere, ThrottleCause::kCoolingDevice, raw);
    } else if (is_five_volt_rail(s)) {
      const double uv = options.undervoltage_v;
      intervals_where(
          s, [uv](double v) { return v < uv; }, anywhere, ThrottleCause::kUnderVoltage, raw);
    }
  }
  for (const storage::EventRow& e : data.events) {
    if (contains(e.kind, "trip")) {
      raw.push_back(Interval{e.t_ns, e.t_ns, ThrottleCause::kThermalTrip, "event:" + e.kind, 0});
    }
  }

  // Merge overlapping or touching intervals (1 s tolerance).
  std::sort(raw.begin(), raw.end(),
            [](const Interval& a, const Interval& b) { return a.start_ns < b.start_ns; });
  struct Merged {
    std::int64_t start_ns, end_ns;
    std::vector<const Interval*> parts;
  };
  std::vector<Merged> merged;
  constexpr std::int64_t kTolerance = 1'000'000'000;
  for (const Interval& iv : raw) {
    if (!merged.empty() && iv.start_ns <= merged.back().end_ns + kTolerance) {
      merged.back().end_ns = std::max(merged.back().end_ns, iv.end_ns);
      merged.back().parts.push_back(&iv);
    } else {
      merged.push_back(Merged{iv.start_ns, iv.end_ns, {&iv}});
    }
  }

  // Frequency signals for severity, temperatures for context.
  std::vector<const SensorSeries*> freqs;
  std::vector<const SensorSeries*> temps;
  for (const SensorSeries& s : data.sensors) {
    if (s.spec.kind == SensorKind::kFrequency && !is_max_limit(s) && !s.value.empty()) {
      freqs.push_back(&s);
    }
    if (s.spec.kind == SensorKind::kTemperature && !s.value.empty()) {
      temps.push_back(&s);
    }
  }

  // Load reference (95th percentile) of every frequency signal, computed once.
  std::vector<double> freq_ref;
  for (const SensorSeries* f : freqs) {
    std::vector<double> load;
    for (std::size_t i = 0; i < f->t_ns.size(); ++i) {
      if (settled_load(f->t_ns[i])) {
        load.push_back(f->value[i]);
      }
    }
    freq_ref.push_back(quantile_of(std::move(load), 0.95));
  }

  std::vector<ThrottleEvent> out;
  for (const Merged& m : merged) {
    ThrottleEvent ev;
    ev.start_ns = m.start_ns;
    ev.end_ns = m.end_ns;
    ThrottleCause best = ThrottleCause::kUnknown;
    std::uint32_t flags = 0;
    std::vector<std::string> signals;
    for (const Interval* p : m.parts) {
      if (cause_rank(p->cause) < cause_rank(best)) {
        best = p->cause;
      }
      flags |= p->flags;
      if (std::find(signals.begin(), signals.end(), p->signal) == signals.end()) {
        signals.push_back(p->signal);
      }
    }
    if (best == ThrottleCause::kUnknown && sticky_seen != 0) {
      // Not seen live, but the firmware says it happened during the run: the likeliest reason.
      ev.cause_inferred = true;
      best = (sticky_seen & 0x1U)   ? ThrottleCause::kUnderVoltage
             : (sticky_seen & 0x8U) ? ThrottleCause::kThermalTrip
                                    : ThrottleCause::kFirmwareFlag;
    }
    ev.cause = best;

    // Severity: the largest relative drop of any frequency signal inside the episode, against
    // that signal's load reference.
    ev.freq_reduction_pct = kNan;
    ev.ref_freq_hz = kNan;
    ev.min_freq_hz = kNan;
    for (std::size_t fi = 0; fi < freqs.size(); ++fi) {
      const SensorSeries* f = freqs[fi];
      const double ref = freq_ref[fi];
      // Only load-phase samples count: idle frequencies are the governor, not throttling.
      double lowest = settled_load(m.start_ns) ? value_at(*f, m.start_ns) : kNan;
      // Up to and including the end: the recovery sample there cannot lower the minimum.
      const auto first = std::lower_bound(f->t_ns.begin(), f->t_ns.end(), m.start_ns);
      for (auto i = static_cast<std::size_t>(first - f->t_ns.begin());
           i < f->t_ns.size() && f->t_ns[i] <= m.end_ns; ++i) {
        if (settled_load(f->t_ns[i])) {
          lowest = std::isnan(lowest) ? f->value[i] : std::min(lowest, f->value[i]);
        }
      }
      if (ref > 0 && !std::isnan(lowest)) {
        const double pct = std::max(0.0, (ref - lowest) / ref * 100.0);
        if (std::isnan(ev.freq_reduction_pct) || pct > ev.freq_reduction_pct) {
          ev.freq_reduction_pct = pct;
          ev.ref_freq_hz = ref;
          ev.min_freq_hz = lowest;
        }
      }
    }
    std::string hottest;
    double hottest_c = -1e9;
    for (const SensorSeries* t : temps) {
      double v = value_at(*t, m.start_ns);
      if (std::isnan(v) && !t->value.empty()) {
        v = t->value.front();
      }
      if (v > hottest_c) {
        hottest_c = v;
        hottest = t->spec.name;
      }
    }
    std::string signal_list;
    for (const std::string& s : signals) {
      signal_list += (signal_list.empty() ? "" : ",") + s;
    }
    ev.detail = "signals=" + signal_list;
    if (flags != 0) {
      ev.detail += fmt::format(" flags=0x{:x}", flags);
    }
    if (ev.cause_inferred) {
      ev.detail += fmt::format(" inferred_from_sticky=0x{:x}", sticky_seen << 16);
    }
    if (!std::isnan(ev.min_freq_hz)) {
      ev.detail += fmt::format(" freq_mhz={:.0f}->{:.0f}", ev.ref_freq_hz / 1e6, ev.min_freq_hz / 1e6);
    }
    if (!hottest.empty()) {
      ev.detail += fmt::format(" hottest={}:{:.1f}C", hottest, hottest_c);
    }
    ev.latency_delta_pct = kNan;
    out.push_back(std::move(ev));
  }
  return out;
}

double robust_sigma(const std::vector<double>& x) {
  if (x.size() < 3) {
    return 0;
  }
  std::vector<double> d;
  d.reserve(x.size() - 1);
  for (std::size_t i = 1; i < x.size(); ++i) {
    d.push_back(x[i] - x[i - 1]);
  }
  const double med = median_of(d);
  for (double& v : d) {
    v = std::abs(v - med);
  }
  return median_of(d) / (0.6745 * std::sqrt(2.0));
}

std::vector<std::size_t> pelt_mean_changes(const std::vector<double>& x, double penalty,
                                           std::size_t min_size) {
  const std::size_t n = x.size();
  min_size = std::max<std::size_t>(min_size, 1);
  if (n < 2 * min_size) {
    return {};
  }
  std::vector<double> s1(n + 1, 0.0);
  std::vector<double> s2(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    s1[i + 1] = s1[i] + x[i];
    s2[i + 1] = s2[i] + x[i] * x[i];
  }
  // cost of x[a, b): sum of squared deviations from the segment mean
  const auto cost = [&](std::size_t a, std::size_t b) {
    const double m = static_cast<double>(b - a);
    const double s = s1[b] - s1[a];
    return std::max(0.0, (s2[b] - s2[a]) - s * s / m);
  };
  std::vector<double> f(n + 1, std::numeric_limits<double>::infinity());
  std::vector<std::size_t> last(n + 1, 0);
  f[0] = -penalty;
  std::vector<std::size_t> candidates{0};
  for (std::size_t t = min_size; t <= n; ++t) {
    double best = std::numeric_limits<double>::infinity();
    std::size_t best_s = 0;
    for (std::size_t s : candidates) {
      if (t - s < min_size) {
        continue;
      }
      const double v = f[s] + cost(s, t) + penalty;
      if (v < best) {
        best = v;
        best_s = s;
      }
    }
    f[t] = best;
    last[t] = best_s;
    // Prune: s can never be optimal again if f[s] + cost(s, t) > f[t].
    std::vector<std::size_t> kept;
    kept.reserve(candidates.size() + 1);
    for (std::size_t s : candidates) {
      if (t - s < min_size || f[s] + cost(s, t) <= f[t]) {
        kept.push_back(s);
      }
    }
    if (t + min_size <= n) {
      kept.push_back(t);
    }
    candidates.swap(kept);
  }
  std::vector<std::size_t> cps;
  for (std::size_t t = n; t > 0; t = last[t]) {
    if (last[t] > 0) {
      cps.push_back(last[t]);
    }
    if (last[t] == 0) {
      break;
    }
  }
  std::reverse(cps.begin(), cps.end());
  return cps;
}

namespace {

struct Move {
  int priority = 99; ///< lower = more likely the mechanism
  double size = 0;   ///< relative (or absolute for temperature) change used to rank
  std::string sensor;
  std::string text;
};

int kind_priority(SensorKind k) {
  switch (k) {
  case SensorKind::kFrequency:
    return 0;
  case SensorKind::kThrottle:
    return 1;
  case SensorKind::kCooling:
    return 2;
  case SensorKind::kVoltage:
    return 3;
  case SensorKind::kPower:
    return 4;
  case SensorKind::kTemperature:
    return 5;
  default:
    return 9;
  }
}

} // namespace

std::vector<ChangePoint> detect_change_points(const std::vector<LatencyWindow>& windows,
                                              std::int64_t window_ns, const RunData& data,
                                              const std::vector<ThrottleEvent>& throttles,
                                              const DetectOptions& options) {
  std::vector<double> y;
  std::vector<std::size_t> at; // index into windows
  for (std::size_t i = 0; i < windows.size(); ++i) {
    if (windows[i].count >= 3 && windows[i].p50_ms > 0) {
      y.push_back(std::log(windows[i].p50_ms));
      at.push_back(i);
    }
  }
  if (y.size() < 2 * options.cp_min_windows) {
    return {};
  }
  double sigma = robust_sigma(y);
  sigma = std::max(sigma, 1e-4); // medians of thousands of inferences can be nearly constant
  const double penalty = options.cp_penalty_scale * sigma * sigma * std::log(static_cast<double>(y.size()));
  std::vector<std::size_t> cps = pelt_mean_changes(y, penalty, options.cp_min_windows);

  // Drop shifts below the minimum magnitude, smallest first, recomputing neighbours.
  const auto seg_median = [&](std::size_t a, std::size_t b) {
    return median_of(std::vector<double>(y.begin() + static_cast<std::ptrdiff_t>(a),
                                         y.begin() + static_cast<std::ptrdiff_t>(b)));
  };
  for (;;) {
    double smallest = 1e300;
    std::size_t smallest_i = cps.size();
    for (std::size_t k = 0; k < cps.size(); ++k) {
      const std::size_t a = k == 0 ? 0 : cps[k - 1];
      const std::size_t b = k + 1 < cps.size() ? cps[k + 1] : y.size();
      const double shift = std::abs(std::exp(seg_median(cps[k], b) - seg_median(a, cps[k])) - 1.0);
      if (shift < smallest) {
        smallest = shift;
        smallest_i = k;
      }
    }
    if (smallest_i == cps.size() || smallest >= options.cp_min_rel_change) {
      break;
    }
    cps.erase(cps.begin() + static_cast<std::ptrdiff_t>(smallest_i));
  }

  // Per-window envelopes of every sensor on the same grid, for attribution.
  const std::size_t n_windows = windows.size();
  std::vector<std::vector<WindowEnvelope>> env;
  env.reserve(data.sensors.size());
  for (const SensorSeries& s : data.sensors) {
    env.push_back(window_envelopes(s, window_ns, n_windows));
  }

  std::vector<ChangePoint> out;
  for (std::size_t k = 0; k < cps.size(); ++k) {
    const std::size_t a = k == 0 ? 0 : cps[k - 1];
    const std::size_t b = k + 1 < cps.size() ? cps[k + 1] : y.size();
    ChangePoint cp;
    const std::size_t w_after = at[cps[k]];
    const std::size_t w_before = at[cps[k] - 1];
    cp.t_ns = windows[w_after].t0_ns;
    cp.before_ms = std::exp(seg_median(a, cps[k]));
    cp.after_ms = std::exp(seg_median(cps[k], b));
    cp.delta_pct = (cp.after_ms / cp.before_ms - 1.0) * 100.0;

    // Compare each signal just before and just after (up to 10 windows each side, within the
    // neighbouring segments).
    const std::size_t span_before = std::min<std::size_t>(10, cps[k] - a);
    const std::size_t span_after = std::min<std::size_t>(10, b - cps[k]);
    const std::size_t lo_w = at[cps[k] - span_before];
    const std::size_t hi_w = at[cps[k] + span_after - 1];
    std::vector<Move> moves;
    for (std::size_t si = 0; si < data.sensors.size(); ++si) {
      const SensorSeries& s = data.sensors[si];
      if (s.value.empty()) {
        continue;
      }
      const auto mean_over = [&](std::size_t from, std::size_t to, bool live_bits) {
        double sum = 0;
        std::size_t n = 0;
        for (std::size_t w = from; w <= to && w < env[si].size(); ++w) {
          double v = env[si][w].mean;
          if (std::isnan(v)) {
            continue;
          }
          if (live_bits) {
            v = (static_cast<std::uint32_t>(std::llround(v)) & 0xFU) != 0 ? 1.0 : 0.0;
          }
          sum += v;
          ++n;
        }
        return n > 0 ? sum / static_cast<double>(n) : kNan;
      };
      const bool flags = s.spec.kind == SensorKind::kThrottle;
      const double before = mean_over(lo_w, w_before, flags);
      const double after = mean_over(w_after, hi_w, flags);
      if (std::isnan(before) || std::isnan(after)) {
        continue;
      }
      Move mv;
      mv.priority = kind_priority(s.spec.kind);
      mv.sensor = s.spec.name;
      const double rel = before != 0 ? (after - before) / std::abs(before) : 0;
      bool moved = false;
      switch (s.spec.kind) {
      case SensorKind::kFrequency:
        moved = std::abs(rel) >= 0.02;
        mv.size = std::abs(rel);
        mv.text = fmt::format("{} {:.0f}->{:.0f} MHz ({:+.1f}%)", s.spec.name, before / 1e6,
                              after / 1e6, rel * 100);
        break;
      case SensorKind::kThrottle:
        moved = std::abs(after - before) >= 0.5;
        mv.size = std::abs(after - before);
        mv.text = fmt::format("{} live flags {}", s.spec.name, after > before ? "set" : "cleared");
        break;
      case SensorKind::kCooling:
        moved = std::abs(after - before) >= 0.5 || std::abs(rel) >= 0.2;
        mv.size = std::abs(after - before);
        mv.text = fmt::format("{} {:.2g}->{:.2g}", s.spec.name, before, after);
        break;
      case SensorKind::kVoltage:
        moved = std::abs(rel) >= 0.02;
        mv.size = std::abs(rel);
        mv.text = fmt::format("{} {:.3f}->{:.3f} V", s.spec.name, before, after);
        break;
      case SensorKind::kPower:
        moved = std::abs(rel) >= 0.05;
        mv.size = std::abs(rel);
        mv.text = fmt::format("{} {:.2f}->{:.2f} W ({:+.1f}%)", s.spec.name, before, after, rel * 100);
        break;
      case SensorKind::kTemperature:
        moved = std::abs(after - before) >= 2.0;
        mv.size = std::abs(after - before);
        mv.text = fmt::format("{} {:.1f}->{:.1f} C", s.spec.name, before, after);
        break;
      default:
        break;
      }
      if (moved) {
        moves.push_back(std::move(mv));
      }
    }
    std::sort(moves.begin(), moves.end(), [](const Move& l, const Move& r) {
      return l.priority != r.priority ? l.priority < r.priority : l.size > r.size;
    });
    if (!moves.empty()) {
      cp.attributed_to = moves.front().sensor;
    }
    for (const Move& mv : moves) {
      cp.detail += (cp.detail.empty() ? "" : "; ") + mv.text;
    }
    // A throttle event starting or ending within two windows of the onset.
    for (const ThrottleEvent& t : throttles) {
      const std::int64_t tol = 2 * window_ns;
      const bool starts = std::llabs(t.start_ns - cp.t_ns) <= tol;
      const bool ends = std::llabs(t.end_ns - cp.t_ns) <= tol;
      if (starts || ends) {
        cp.detail += fmt::format("{}throttle event {} {} at {:.1f} s", cp.detail.empty() ? "" : "; ",
                                 to_string(t.cause), starts ? "start" : "end",
                                 static_cast<double>(starts ? t.start_ns : t.end_ns) / 1e9);
        if (cp.attributed_to.empty()) {
          cp.attributed_to = std::string("throttle:") + to_string(t.cause);
        }
        break;
      }
    }
    out.push_back(std::move(cp));
  }
  return out;
}

std::vector<LatencyMode> find_modes(const LatencyHistogram& histogram, const DetectOptions& options) {
  std::vector<LatencyMode> modes;
  if (histogram.count() == 0) {
    return modes;
  }
  // Coarse bins of 5 fine bins (0.5 %) over the occupied range, padded for the kernel.
  constexpr unsigned kGroup = 5;
  const auto min_ns = static_cast<std::int64_t>(histogram.min_ms() * 1e6);
  const auto max_ns = static_cast<std::int64_t>(histogram.max_ms() * 1e6);
  const unsigned first_fine = std::max(1U, LatencyHistogram::bin_index(min_ns));
  const unsigned last_fine = std::min(LatencyHistogram::kBins, LatencyHistogram::bin_index(max_ns));
  const double step = std::log(1.001) * kGroup; // log width of a coarse bin
  const double sigma_bins = std::max(0.5, std::log1p(options.mode_smoothing_rel) / step);
  const auto radius = static_cast<unsigned>(std::ceil(4 * sigma_bins));
  const unsigned c0 = first_fine / kGroup;
  const unsigned c1 = last_fine / kGroup;
  const unsigned n = c1 - c0 + 1 + 2 * radius;
  std::vector<double> raw(n, 0.0);
  for (unsigned fine = first_fine; fine <= last_fine; ++fine) {
    raw[fine / kGroup - c0 + radius] += static_cast<double>(histogram.bin_count(fine));
  }
  raw[radius] += static_cast<double>(histogram.bin_count(0));
  raw[n - 1 - radius] += static_cast<double>(histogram.bin_count(LatencyHistogram::kBins + 1));
  std::vector<double> kernel(2 * radius + 1);
  for (unsigned i = 0; i < kernel.size(); ++i) {
    const double d = (static_cast<double>(i) - radius) / sigma_bins;
    kernel[i] = std::exp(-0.5 * d * d);
  }
  std::vector<double> smooth(n, 0.0);
  for (unsigned i = 0; i < n; ++i) {
    if (raw[i] == 0) {
      continue;
    }
    for (unsigned k = 0; k < kernel.size(); ++k) {
      const long j = static_cast<long>(i) + static_cast<long>(k) - static_cast<long>(radius);
      if (j >= 0 && j < static_cast<long>(n)) {
        smooth[static_cast<std::size_t>(j)] += raw[i] * kernel[k];
      }
    }
  }
  // Local maxima (plateaus count once).
  std::vector<unsigned> peaks;
  for (unsigned i = 1; i + 1 < n; ++i) {
    if (smooth[i] > smooth[i - 1] && smooth[i] >= smooth[i + 1] && smooth[i] > 0) {
      peaks.push_back(i);
    }
  }
  // Topographic prominence: height minus the higher of the two lowest points separating the
  // peak from a higher peak on each side.
  std::vector<unsigned> kept;
  for (unsigned p : peaks) {
    double left_min = smooth[p];
    double right_min = smooth[p];
    bool higher_left = false;
    bool higher_right = false;
    for (unsigned i = p; i-- > 0;) {
      left_min = std::min(left_min, smooth[i]);
      if (smooth[i] > smooth[p]) {
        higher_left = true;
        break;
      }
    }
    for (unsigned i = p + 1; i < n; ++i) {
      right_min = std::min(right_min, smooth[i]);
      if (smooth[i] > smooth[p]) {
        higher_right = true;
        break;
      }
    }
    double base = 0;
    if (higher_left && higher_right) {
      base = std::max(left_min, right_min);
    } else if (higher_left) {
      base = left_min;
    } else if (higher_right) {
      base = right_min;
    }
    if (smooth[p] - base >= options.mode_prominence * smooth[p]) {
      kept.push_back(p);
    }
  }
  const double total = std::accumulate(raw.begin(), raw.end(), 0.0);
  const auto coarse_to_ms = [&](double idx) {
    // centre of coarse bin idx (in padded coordinates)
    const double fine = (idx - radius + c0) * kGroup + kGroup / 2.0;
    return std::exp(std::log(LatencyHistogram::kMinNs) + std::log(1.001) * fine) / 1e6;
  };
  for (;;) {
    // Basins: split at the lowest point between consecutive peaks.
    std::vector<unsigned> cuts; // first index of basin k+1
    for (std::size_t k = 0; k + 1 < kept.size(); ++k) {
      unsigned best = kept[k] + 1;
      for (unsigned i = kept[k] + 1; i < kept[k + 1]; ++i) {
        if (smooth[i] < smooth[best]) {
          best = i;
        }
      }
      cuts.push_back(best);
    }
    modes.clear();
    std::size_t weakest = kept.size();
    double weakest_share = 1.0;
    for (std::size_t k = 0; k < kept.size(); ++k) {
      const unsigned a = k == 0 ? 0 : cuts[k - 1];
      const unsigned b = k < cuts.size() ? cuts[k] : n;
      double in = 0;
      for (unsigned i = a; i < b; ++i) {
        in += raw[i];
      }
      LatencyMode m;
      m.center_ms = coarse_to_ms(kept[k]);
      m.lo_ms = coarse_to_ms(a) / std::pow(1.001, kGroup / 2.0);
      m.hi_ms = coarse_to_ms(b) / std::pow(1.001, kGroup / 2.0);
      m.share = total > 0 ? in / total : 0;
      m.freq_hz = kNan;
      modes.push_back(m);
      if (m.share < weakest_share) {
        weakest_share = m.share;
        weakest = k;
      }
    }
    if (kept.size() <= 1 || weakest_share >= options.mode_min_share) {
      break;
    }
    kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(weakest));
  }
  return modes;
}

void map_modes_to_frequency(std::vector<LatencyMode>& modes, const ModeFrequencyTable& table) {
  for (LatencyMode& m : modes) {
    const unsigned a = LatencyHistogram::bin_index(static_cast<std::int64_t>(m.lo_ms * 1e6)) / 5;
    const unsigned b = LatencyHistogram::bin_index(static_cast<std::int64_t>(m.hi_ms * 1e6)) / 5;
    std::uint64_t best = 0;
    std::uint64_t total = 0;
    std::size_t best_level = table.levels_hz.size();
    for (std::size_t l = 0; l < table.levels_hz.size(); ++l) {
      std::uint64_t c = 0;
      for (unsigned i = a; i < b && i < table.counts[l].size(); ++i) {
        c += table.counts[l][i];
      }
      total += c;
      if (c > best) {
        best = c;
        best_level = l;
      }
    }
    if (best_level < table.levels_hz.size() && total > 0) {
      m.freq_hz = table.levels_hz[best_level];
      m.freq_share = static_cast<double>(best) / static_cast<double>(total);
    }
  }
}

} // namespace es::analysis
