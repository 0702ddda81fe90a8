#include "analysis/figures.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace es::analysis {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

double ns_to_s(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

/// Shades throttle events (red) and, optionally, non-load phases (grey) on a time chart.
void add_context(Chart& c, const RunReport& r, bool phases) {
  if (phases) {
    for (const PhaseReport& p : r.phases) {
      if (!p.phase.load && p.phase.end_ns > p.phase.start_ns) {
        c.add_span(ns_to_s(p.phase.start_ns), ns_to_s(p.phase.end_ns), Color{0.5, 0.5, 0.5, 0.12},
                   "idle / cool-down");
      }
    }
  }
  // Restarts: the run timeline continues across segments; the gap is an event.
  for (const storage::EventRow& e : r.data.events) {
    if (e.kind == "segment_gap") {
      c.add_vline(ns_to_s(e.t_ns), Color{0.4, 0.4, 0.4, 0.9}, "restart (segment gap)");
    }
  }
  for (const ThrottleEvent& t : r.throttle_events) {
    const double a = ns_to_s(t.start_ns);
    const double b = std::max(ns_to_s(t.end_ns), a + ns_to_s(r.window_ns) * 0.5);
    c.add_span(a, b, Color{0.84, 0.15, 0.16, 0.16}, "throttling");
  }
}

std::vector<double> window_times(const RunReport& r) {
  std::vector<double> x;
  x.reserve(r.windows.size());
  for (const LatencyWindow& w : r.windows) {
    x.push_back(ns_to_s(w.t0_ns + r.window_ns / 2));
  }
  return x;
}

const char* time_label = "time since run start (s)";

void sensor_timeseries(std::vector<NamedChart>& out, const RunReport& r, SensorKind kind,
                       const std::string& name, const std::string& title, const std::string& unit,
                       double scale, const std::string& caption) {
  Chart c(title, time_label, unit);
  add_context(c, r, true);
  const std::vector<double> x = window_times(r);
  std::size_t colour = 0;
  bool any = false;
  for (const SensorReport& s : r.sensors) {
    if (s.spec.kind != kind || s.stats.samples == 0) {
      continue;
    }
    std::vector<double> mean, lo, hi;
    for (const WindowEnvelope& e : s.windows) {
      mean.push_back(e.mean * scale);
      lo.push_back(e.min * scale);
      hi.push_back(e.max * scale);
    }
    const Color col = palette(colour++);
    const bool limit = s.spec.name.size() > 10 &&
                       s.spec.name.compare(s.spec.name.size() - 10, 10, ".max_limit") == 0;
    if (!limit) {
      c.add_band(x, lo, hi, col.with_alpha(0.2), "");
    }
    c.add_line(x, mean, col, s.spec.name, limit ? 1.4 : 1.6, limit);
    any = true;
  }
  if (kind == SensorKind::kFrequency) {
    // Throttle flags as bands: windows where any live bit is set.
    for (const SensorReport& s : r.sensors) {
      if (s.spec.kind != SensorKind::kThrottle) {
        continue;
      }
      // Contiguous flagged windows become one band.
      std::size_t w = 0;
      while (w < s.windows.size() && w < r.windows.size()) {
        const auto live = [&](std::size_t i) {
          const double v = s.windows[i].max;
          return std::isfinite(v) && (static_cast<std::uint32_t>(std::llround(v)) & 0xFU) != 0;
        };
        if (!live(w)) {
          ++w;
          continue;
        }
        const std::size_t a = w;
        while (w < s.windows.size() && w < r.windows.size() && live(w)) {
          ++w;
        }
        c.add_span(ns_to_s(r.windows[a].t0_ns), ns_to_s(r.windows[w - 1].t0_ns + r.window_ns),
                   Color{0.58, 0.40, 0.74, 0.25}, "throttle flag live (" + s.spec.name + ")");
      }
    }
  }
  if (any) {
    out.push_back(NamedChart{name, caption, std::move(c)});
  }
}

} // namespace

std::vector<NamedChart> build_figures(const RunReport& r) {
  std::vector<NamedChart> out;
  const std::string run_tag = fmt::format("run {}", r.data.run.id);

  // 1. Latency histogram, overall and per load phase, log-x with 0.9 % bins.
  if (r.histogram.count() > 0) {
    Chart c("Latency distribution (" + run_tag + ", bins 0.9 % wide)", "latency (ms, log scale)",
            "inferences per bin");
    c.set_log_x(true);
    c.add_steps(r.histogram.display_bins_ms(), palette(0), "all inferences");
    std::size_t colour = 1;
    int load_phases = 0;
    for (const PhaseReport& p : r.phases) {
      load_phases += p.histogram.count() > 0 ? 1 : 0;
    }
    if (load_phases > 1) {
      for (const PhaseReport& p : r.phases) {
        if (p.histogram.count() > 0) {
          c.add_steps(p.histogram.display_bins_ms(), palette(colour++), "phase " + p.phase.name);
        }
      }
    }
    c.add_vline(r.latency.p50, Color{0.1, 0.1, 0.1, 0.9}, fmt::format("p50 {:.3g} ms", r.latency.p50));
    c.add_vline(r.latency.p99, Color{0.84, 0.15, 0.16, 0.9}, fmt::format("p99 {:.3g} ms", r.latency.p99));
    for (const LatencyMode& m : r.modes) {
      if (r.modes.size() > 1) {
        c.add_vline(m.center_ms, Color{0.17, 0.63, 0.17, 0.8},
                    "latency modes");
      }
    }
    out.push_back(NamedChart{"latency_histogram",
                             fmt::format("{} inferences; p50 {:.3f} ms, p99 {:.3f} ms; {} mode(s).",
                                         r.histogram.count(), r.latency.p50, r.latency.p99,
                                         r.modes.size()),
                             std::move(c)});
  }

  // 2. Latency over time: p50/p99 per window with the min/max envelope.
  if (r.histogram.count() > 0) {
    Chart c(fmt::format("Latency over time ({}, {:.0f} s windows)", run_tag, ns_to_s(r.window_ns)),
            time_label, "latency (ms, log scale)");
    c.set_log_y(true);
    add_context(c, r, true);
    const std::vector<double> x = window_times(r);
    std::vector<double> p50, p99, lo, hi;
    for (const LatencyWindow& w : r.windows) {
      const bool has = w.count > 0;
      p50.push_back(has ? w.p50_ms : kNan);
      p99.push_back(has ? w.p99_ms : kNan);
      lo.push_back(has ? w.min_ms : kNan);
      hi.push_back(has ? w.max_ms : kNan);
    }
    c.add_band(x, lo, hi, palette(0).with_alpha(0.15), "min-max per window");
    c.add_line(x, p99, palette(1), "p99 per window");
    c.add_line(x, p50, palette(0), "p50 per window", 2.0);
    for (const ChangePoint& cp : r.change_points) {
      c.add_vline(ns_to_s(cp.t_ns), Color{0.1, 0.1, 0.1, 0.8}, "change point");
    }
    out.push_back(NamedChart{"latency_timeseries",
                             fmt::format("Windowed p50/p99; {} change point(s), {} throttle event(s) "
                                         "shaded red.",
                                         r.change_points.size(), r.throttle_events.size()),
                             std::move(c)});

    // 3. Scatter of per-inference latency (reservoir per window + window extremes).
    Chart s(fmt::format("Per-inference latency ({}, {} of {} points shown)", run_tag,
                        r.scatter.size(), r.histogram.count()),
            time_label, "latency (ms, log scale)");
    s.set_log_y(true);
    add_context(s, r, true);
    std::vector<double> sx, sy;
    sx.reserve(r.scatter.size());
    sy.reserve(r.scatter.size());
    for (const ScatterPoint& p : r.scatter) {
      sx.push_back(p.t_s);
      sy.push_back(p.latency_ms);
    }
    s.add_points(std::move(sx), std::move(sy), palette(0).with_alpha(0.35), "inference");
    out.push_back(NamedChart{"latency_scatter",
                             "Uniform sample per window plus each window's fastest and slowest "
                             "inference, so outliers stay visible.",
                             std::move(s)});
  }

  // 4-6. Sensors over time.
  sensor_timeseries(out, r, SensorKind::kTemperature, "temperature_timeseries",
                    "Temperatures (" + run_tag + ")", "temperature (C)", 1.0,
                    "Window mean with min/max envelope for every temperature sensor.");
  sensor_timeseries(out, r, SensorKind::kFrequency, "frequency_timeseries",
                    "CPU frequency (" + run_tag + ")", "frequency (MHz)", 1e-6,
                    "Point samples (.cur), time-in-state weighted mean (.residency_mean) and the "
                    "frequency limit (dashed); purple bands: throttle flags live.");
  sensor_timeseries(out, r, SensorKind::kPower, "power_timeseries", "Power (" + run_tag + ")",
                    "power (W)", 1.0, "Window mean with min/max envelope.");

  // 7. Temperature histograms.
  {
    Chart c("Temperature distribution (" + run_tag + ", 0.5 C bins)", "temperature (C)",
            "share of samples (%)");
    std::size_t colour = 0;
    for (const SensorReport& s : r.sensors) {
      if (s.spec.kind == SensorKind::kTemperature && !s.histogram.empty()) {
        c.add_steps(s.histogram, palette(colour++), s.spec.name, true);
      }
    }
    if (!c.empty()) {
      out.push_back(NamedChart{"temperature_histogram", "Samples per 0.5 C bin, per sensor.",
                               std::move(c)});
    }
  }

  // 8. Frequency residency per policy (load phases).
  {
    Chart c("Frequency residency during load (" + run_tag + ")", "operating point (MHz)",
            "share of load time (%)");
    std::size_t colour = 0;
    double min_gap = 1e18;
    for (const SensorReport& s : r.sensors) {
      for (std::size_t i = 1; i < s.residency.size(); ++i) {
        min_gap = std::min(min_gap, std::abs(s.residency[i - 1].value - s.residency[i].value) / 1e6);
      }
    }
    if (min_gap > 1e17) {
      min_gap = 100;
    }
    std::size_t series = 0;
    for (const SensorReport& s : r.sensors) {
      series += (!s.residency.empty() && s.residency.size() <= 40) ? 1 : 0;
    }
    const double bar = std::max(1.0, min_gap * 0.8 / static_cast<double>(std::max<std::size_t>(1, series)));
    for (const SensorReport& s : r.sensors) {
      if (s.residency.empty() || s.residency.size() > 40) {
        continue; // continuous signals (residency means) are not operating points
      }
      // Side by side: each policy's bar is shifted within the operating point's slot.
      const double shift = (static_cast<double>(colour) - (static_cast<double>(series) - 1) / 2) * bar;
      std::vector<double> x, y;
      for (const ResidencyEntry& e : s.residency) {
        x.push_back(e.value / 1e6 + shift);
        y.push_back(e.share * 100);
      }
      c.add_bars(std::move(x), std::move(y), bar, palette(colour++), s.spec.name);
    }
    if (!c.empty()) {
      out.push_back(NamedChart{"frequency_residency",
                               "Time at each operating point while the workload ran.",
                               std::move(c)});
    }
  }

  // 9. Power histogram.
  if (r.energy && !r.energy->histogram.empty()) {
    Chart c("Power distribution (" + run_tag + ", " + r.energy->sensor + ")", "power (W)",
            "share of samples (%)");
    c.add_steps(r.energy->histogram, palette(2), r.energy->sensor, true);
    if (std::isfinite(r.energy->idle_power_w)) {
      c.add_vline(r.energy->idle_power_w, palette(0), fmt::format("idle mean {:.2f} W", r.energy->idle_power_w));
    }
    c.add_vline(r.energy->load_power_w, palette(3), fmt::format("load mean {:.2f} W", r.energy->load_power_w));
    out.push_back(NamedChart{"power_histogram",
                             fmt::format("{:.4g} mJ per inference, {:.4g} inferences per joule.",
                                         r.energy->energy_per_inference_mj,
                                         r.energy->inferences_per_joule),
                             std::move(c)});
  }
  return out;
}

NamedChart build_compare_histogram(const std::vector<const RunReport*>& runs,
                                   const std::vector<std::string>& labels) {
  Chart c("Latency distributions compared (share per 0.9 % bin)", "latency (ms, log scale)",
          "share of inferences (%)");
  c.set_log_x(true);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i]->histogram.count() > 0) {
      c.add_steps(runs[i]->histogram.display_bins_ms(), palette(i), labels[i], true);
    }
  }
  return NamedChart{"compare_latency_histogram", "Each run normalised to 100 %.", std::move(c)};
}

Result<void> write_figures(const std::vector<NamedChart>& charts, const std::filesystem::path& dir) {
  for (const NamedChart& nc : charts) {
    auto svg = nc.chart.write(dir / (nc.name + ".svg"), ImageFormat::kSvg);
    if (!svg) {
      return svg;
    }
    auto png = nc.chart.write(dir / (nc.name + ".png"), ImageFormat::kPng);
    if (!png) {
      return png;
    }
  }
  return ok();
}

} // namespace es::analysis
