#include "analysis/report_output.hpp"

#include "analysis/json_writer.hpp"
#include "daemon/core/time.hpp"

#include <fmt/format.h>

#include <cmath>

namespace es::analysis {

namespace {

void latency_object(JsonWriter& j, const LatencySummary& s) {
  j.begin_object();
  j.field("min", s.min);
  j.field("p50", s.p50);
  j.field("p90", s.p90);
  j.field("p99", s.p99);
  j.field("p999", s.p999);
  j.field("max", s.max);
  j.field("mean", s.mean);
  j.field("stddev", s.stddev);
  j.end_object();
}

void bins_array(JsonWriter& j, const std::vector<HistogramBin>& bins) {
  j.begin_array();
  for (const HistogramBin& b : bins) {
    j.begin_array();
    j.value(b.lo);
    j.value(b.hi);
    j.value(b.count);
    j.end_array();
  }
  j.end_array();
}

double ns_to_s(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

std::string fmt_num(double v, const char* spec = "{:.3f}") {
  if (!std::isfinite(v)) {
    return "n/a";
  }
  return fmt::format(fmt::runtime(spec), v);
}

} // namespace

std::string iso_utc(std::int64_t wall_ns) { return wall_ns == 0 ? std::string() : format_utc(wall_ns); }

void write_report_json(const RunReport& r, std::ostream& out) {
  JsonWriter j(out);
  j.begin_object();
  j.key("run");
  j.begin_object();
  j.field("id", r.data.run.id);
  j.field("name", r.data.run.info.name);
  j.field("status", run_status_name(r.data.run.status));
  j.field("started_at", iso_utc(r.data.run.started_wall_ns));
  j.field("duration_s", ns_to_s(std::max(r.data.run.duration_ns, r.data.duration_ns)));
  j.key("segments");
  j.value(static_cast<std::int64_t>(std::max<std::size_t>(r.data.segments.size(),
                                                          static_cast<std::size_t>(r.data.run.segments))));
  j.field("board", r.data.run.info.board);
  j.field("model", r.data.run.info.model);
  j.end_object();

  j.field("inferences", r.inferences);
  j.field("failed_inferences", r.failed_inferences);
  j.field("load_s", r.load_seconds);
  j.field("rate_per_s", r.rate_per_s);
  j.key("latency_ms");
  latency_object(j, r.latency);
  j.field("percentile_max_rel_error", 0.001);
  j.key("stability");
  j.begin_array();
  for (const auto& [pct, share] : {std::pair{5, r.latency.within_5pct}, std::pair{10, r.latency.within_10pct}}) {
    j.begin_object();
    j.field("within_pct", pct);
    j.field("share", share);
    j.end_object();
  }
  j.end_array();

  j.key("sensors");
  j.begin_array();
  for (const SensorReport& s : r.sensors) {
    j.begin_object();
    j.field("name", s.spec.name);
    j.field("kind", to_string(s.spec.kind));
    j.field("unit", s.spec.unit);
    j.field("min", s.stats.min);
    j.field("mean", s.stats.mean);
    j.field("max", s.stats.max);
    j.field("samples", s.stats.samples);
    j.field("gaps", s.stats.gaps);
    j.end_object();
  }
  j.end_array();

  j.key("events");
  j.begin_array();
  for (const storage::EventRow& e : r.data.events) {
    j.begin_object();
    j.field("t_s", ns_to_s(e.t_ns));
    j.field("kind", e.kind);
    j.field("detail", e.detail);
    j.end_object();
  }
  j.end_array();

  // --- analysis keys ---
  j.key("phases");
  j.begin_array();
  for (const PhaseReport& p : r.phases) {
    j.begin_object();
    j.field("name", p.phase.name);
    j.field("load", p.phase.load);
    j.field("start_s", ns_to_s(p.phase.start_ns));
    j.field("end_s", ns_to_s(p.phase.end_ns));
    j.field("inferences", p.inferences);
    j.field("rate_per_s", p.rate_per_s);
    j.key("latency_ms");
    if (p.latency.count > 0) {
      latency_object(j, p.latency);
    } else {
      j.null();
    }
    j.end_object();
  }
  j.end_array();

  j.key("latency_histogram");
  j.begin_object();
  j.field("unit", "ms");
  j.key("bins");
  bins_array(j, r.histogram.display_bins_ms());
  j.end_object();

  j.field("window_s", ns_to_s(r.window_ns));

  j.key("throttle_events");
  j.begin_array();
  for (const ThrottleEvent& t : r.throttle_events) {
    j.begin_object();
    j.field("start_s", ns_to_s(t.start_ns));
    j.field("end_s", ns_to_s(t.end_ns));
    j.field("duration_s", ns_to_s(t.end_ns - t.start_ns));
    j.field("cause", to_string(t.cause));
    j.field("cause_inferred", t.cause_inferred);
    j.key("severity");
    j.begin_object();
    j.field("freq_reduction_pct", t.freq_reduction_pct);
    j.field("median_latency_delta_pct", t.latency_delta_pct);
    j.end_object();
    j.field("detail", t.detail);
    j.end_object();
  }
  j.end_array();
  j.field("time_to_first_throttle_s", r.time_to_first_throttle_s);

  j.key("change_points");
  j.begin_array();
  for (const ChangePoint& c : r.change_points) {
    j.begin_object();
    j.field("t_s", ns_to_s(c.t_ns));
    j.field("before_ms", c.before_ms);
    j.field("after_ms", c.after_ms);
    j.field("delta_pct", c.delta_pct);
    j.key("attributed_to");
    if (c.attributed_to.empty()) {
      j.null();
    } else {
      j.value(c.attributed_to);
    }
    j.field("detail", c.detail);
    j.end_object();
  }
  j.end_array();

  j.key("modes");
  j.begin_array();
  for (const LatencyMode& m : r.modes) {
    j.begin_object();
    j.field("center_ms", m.center_ms);
    j.field("share", m.share);
    j.field("lo_ms", m.lo_ms);
    j.field("hi_ms", m.hi_ms);
    j.field("freq_hz", m.freq_hz);
    j.end_object();
  }
  j.end_array();

  j.key("frequency_residency");
  j.begin_array();
  for (const SensorReport& s : r.sensors) {
    if (s.residency.empty()) {
      continue;
    }
    j.begin_object();
    j.field("sensor", s.spec.name);
    j.key("levels");
    j.begin_array();
    for (const ResidencyEntry& e : s.residency) {
      j.begin_object();
      j.field("hz", e.value);
      j.field("seconds", e.seconds);
      j.field("share", e.share);
      j.end_object();
    }
    j.end_array();
    j.end_object();
  }
  j.end_array();

  j.key("energy");
  if (r.energy) {
    const EnergyReport& e = *r.energy;
    j.begin_object();
    j.field("sensor", e.sensor);
    j.field("idle_power_w", e.idle_power_w);
    j.field("load_power_w", e.load_power_w);
    j.field("energy_per_inference_mj", e.energy_per_inference_mj);
    j.field("incremental_energy_per_inference_mj", e.incremental_energy_per_inference_mj);
    j.field("inferences_per_joule", e.inferences_per_joule);
    j.field("load_energy_j", e.load_energy_j);
    j.field("coverage", e.coverage);
    j.end_object();
  } else {
    j.null();
  }
  j.end_object();
}

void write_report_text(const RunReport& r, std::ostream& out) {
  const RunData& d = r.data;
  out << fmt::format("run {} \"{}\"  status={}  started={}  duration={:.1f} s  segments={}\n",
                     d.run.id, d.run.info.name, run_status_name(d.run.status),
                     iso_utc(d.run.started_wall_ns), ns_to_s(std::max(d.run.duration_ns, d.duration_ns)),
                     std::max<std::size_t>(d.segments.size(), static_cast<std::size_t>(d.run.segments)));
  if (!d.run.info.board.empty() || !d.run.info.model.empty()) {
    out << fmt::format("board {}  model {}\n", d.run.info.board, d.run.info.model);
  }
  out << fmt::format("\ninferences {}  (failed {})  rate {:.2f}/s over {:.1f} s of load\n",
                     r.inferences, r.failed_inferences, r.rate_per_s, r.load_seconds);
  const LatencySummary& l = r.latency;
  if (l.count > 0) {
    out << fmt::format("latency ms  min {}  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  mean {}  "
                       "stddev {}\n",
                       fmt_num(l.min), fmt_num(l.p50), fmt_num(l.p90), fmt_num(l.p99),
                       fmt_num(l.p999), fmt_num(l.max), fmt_num(l.mean), fmt_num(l.stddev));
    out << fmt::format("stability   {:.1f} % of inferences within +-5 % of the median, "
                       "{:.1f} % within +-10 %\n",
                       l.within_5pct * 100, l.within_10pct * 100);
  }
  if (r.phases.size() > 1) {
    out << "\nphases\n";
    for (const PhaseReport& p : r.phases) {
      out << fmt::format("  {:<10} {:>9.1f}-{:<9.1f} s  {:>10} inferences", p.phase.name,
                         ns_to_s(p.phase.start_ns), ns_to_s(p.phase.end_ns), p.inferences);
      if (p.latency.count > 0) {
        out << fmt::format("  p50 {} ms  p99 {} ms", fmt_num(p.latency.p50), fmt_num(p.latency.p99));
      }
      out << '\n';
    }
  }
  out << "\nsensors (ok samples)\n";
  for (const SensorReport& s : r.sensors) {
    out << fmt::format("  {:<36} {:<11} min {:>10}  mean {:>10}  max {:>10} {:<5} samples {} gaps {}\n",
                       s.spec.name, to_string(s.spec.kind), fmt_num(s.stats.min, "{:.4g}"),
                       fmt_num(s.stats.mean, "{:.4g}"), fmt_num(s.stats.max, "{:.4g}"), s.spec.unit,
                       s.stats.samples, s.stats.gaps);
  }
  if (!r.throttle_events.empty()) {
    out << fmt::format("\nthrottling: {} event(s), first after {} s of load\n",
                       r.throttle_events.size(), fmt_num(r.time_to_first_throttle_s, "{:.1f}"));
    for (const ThrottleEvent& t : r.throttle_events) {
      out << fmt::format("  {:>9.1f}-{:<9.1f} s  {:<15}{} freq -{} %  median latency {} %  {}\n",
                         ns_to_s(t.start_ns), ns_to_s(t.end_ns), to_string(t.cause),
                         t.cause_inferred ? "(inferred)" : "", fmt_num(t.freq_reduction_pct, "{:.1f}"),
                         fmt_num(t.latency_delta_pct, "{:+.1f}"), t.detail);
    }
  } else {
    out << "\nthrottling: none detected\n";
  }
  if (!r.change_points.empty()) {
    out << "latency change points\n";
    for (const ChangePoint& c : r.change_points) {
      out << fmt::format("  t={:.1f} s  p50 {:.3f} -> {:.3f} ms ({:+.1f} %)  attributed to {}  {}\n",
                         ns_to_s(c.t_ns), c.before_ms, c.after_ms, c.delta_pct,
                         c.attributed_to.empty() ? "nothing measured" : c.attributed_to, c.detail);
    }
  }
  if (!r.modes.empty()) {
    out << fmt::format("latency modes: {}\n", r.modes.size());
    for (const LatencyMode& m : r.modes) {
      out << fmt::format("  {:.3f} ms  {:.1f} %{}\n", m.center_ms, m.share * 100,
                         std::isfinite(m.freq_hz) ? fmt::format("  at {:.0f} MHz", m.freq_hz / 1e6) : "");
    }
  }
  if (r.energy) {
    const EnergyReport& e = *r.energy;
    out << fmt::format("energy ({}): idle {} W  load {} W  {} mJ/inference  {} inferences/J  "
                       "coverage {:.0f} %\n",
                       e.sensor, fmt_num(e.idle_power_w, "{:.3f}"), fmt_num(e.load_power_w, "{:.3f}"),
                       fmt_num(e.energy_per_inference_mj, "{:.4g}"),
                       fmt_num(e.inferences_per_joule, "{:.4g}"), e.coverage * 100);
  }
  if (!d.events.empty()) {
    out << fmt::format("\nevents ({})\n", d.events.size());
    std::size_t shown = 0;
    for (const storage::EventRow& e : d.events) {
      if (++shown > 50) {
        out << fmt::format("  ... {} more (see --json)\n", d.events.size() - 50);
        break;
      }
      out << fmt::format("  {:>10.3f} s  {:<18} {}\n", ns_to_s(e.t_ns), e.kind, e.detail);
    }
  }
}

const std::vector<std::string>& csv_table_names() {
  static const std::vector<std::string> names{
      "latency_histogram", "phase_latency", "windows", "sensor_histograms",
      "frequency_residency", "throttle_events", "change_points", "modes", "events"};
  return names;
}

namespace {

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  return out + '"';
}

std::string csv_num(double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string(); }

} // namespace

bool write_csv_table(const RunReport& r, const std::string& name, std::ostream& out) {
  if (name == "latency_histogram") {
    out << "lo_ms,hi_ms,count\n";
    for (const HistogramBin& b : r.histogram.display_bins_ms()) {
      out << csv_num(b.lo) << ',' << csv_num(b.hi) << ',' << b.count << '\n';
    }
  } else if (name == "phase_latency") {
    out << "phase,load,lo_ms,hi_ms,count\n";
    for (const PhaseReport& p : r.phases) {
      for (const HistogramBin& b : p.histogram.display_bins_ms()) {
        out << csv_quote(p.phase.name) << ',' << (p.phase.load ? 1 : 0) << ',' << csv_num(b.lo)
            << ',' << csv_num(b.hi) << ',' << b.count << '\n';
      }
    }
  } else if (name == "windows") {
    out << "t_start_s,t_end_s,inferences,p50_ms,p99_ms,min_ms,max_ms";
    for (const SensorReport& s : r.sensors) {
      out << ',' << csv_quote(s.spec.name + ".mean") << ',' << csv_quote(s.spec.name + ".min") << ','
          << csv_quote(s.spec.name + ".max");
    }
    out << '\n';
    for (std::size_t w = 0; w < r.windows.size(); ++w) {
      const LatencyWindow& lw = r.windows[w];
      out << csv_num(ns_to_s(lw.t0_ns)) << ',' << csv_num(ns_to_s(lw.t0_ns + r.window_ns)) << ','
          << lw.count;
      if (lw.count > 0) {
        out << ',' << csv_num(lw.p50_ms) << ',' << csv_num(lw.p99_ms) << ',' << csv_num(lw.min_ms)
            << ',' << csv_num(lw.max_ms);
      } else {
        out << ",,,,";
      }
      for (const SensorReport& s : r.sensors) {
        const WindowEnvelope e = w < s.windows.size() ? s.windows[w] : WindowEnvelope{};
        out << ',' << csv_num(e.mean) << ',' << csv_num(e.min) << ',' << csv_num(e.max);
      }
      out << '\n';
    }
  } else if (name == "sensor_histograms") {
    out << "sensor,kind,unit,lo,hi,count\n";
    for (const SensorReport& s : r.sensors) {
      for (const HistogramBin& b : s.histogram) {
        out << csv_quote(s.spec.name) << ',' << to_string(s.spec.kind) << ',' << csv_quote(s.spec.unit)
            << ',' << csv_num(b.lo) << ',' << csv_num(b.hi) << ',' << b.count << '\n';
      }
    }
  } else if (name == "frequency_residency") {
    out << "sensor,hz,seconds,share\n";
    for (const SensorReport& s : r.sensors) {
      for (const ResidencyEntry& e : s.residency) {
        out << csv_quote(s.spec.name) << ',' << csv_num(e.value) << ',' << csv_num(e.seconds) << ','
            << csv_num(e.share) << '\n';
      }
    }
  } else if (name == "throttle_events") {
    out << "start_s,end_s,duration_s,cause,cause_inferred,freq_reduction_pct,median_latency_delta_pct,detail\n";
    for (const ThrottleEvent& t : r.throttle_events) {
      out << csv_num(ns_to_s(t.start_ns)) << ',' << csv_num(ns_to_s(t.end_ns)) << ','
          << csv_num(ns_to_s(t.end_ns - t.start_ns)) << ',' << to_string(t.cause) << ','
          << (t.cause_inferred ? 1 : 0) << ',' << csv_num(t.freq_reduction_pct) << ','
          << csv_num(t.latency_delta_pct) << ',' << csv_quote(t.detail) << '\n';
    }
  } else if (name == "change_points") {
    out << "t_s,before_ms,after_ms,delta_pct,attributed_to,detail\n";
    for (const ChangePoint& c : r.change_points) {
      out << csv_num(ns_to_s(c.t_ns)) << ',' << csv_num(c.before_ms) << ',' << csv_num(c.after_ms)
          << ',' << csv_num(c.delta_pct) << ',' << csv_quote(c.attributed_to) << ','
          << csv_quote(c.detail) << '\n';
    }
  } else if (name == "modes") {
    out << "center_ms,lo_ms,hi_ms,share,freq_hz\n";
    for (const LatencyMode& m : r.modes) {
      out << csv_num(m.center_ms) << ',' << csv_num(m.lo_ms) << ',' << csv_num(m.hi_ms) << ','
          << csv_num(m.share) << ',' << csv_num(m.freq_hz) << '\n';
    }
  } else if (name == "events") {
    out << "t_s,kind,detail\n";
    for (const storage::EventRow& e : r.data.events) {
      out << csv_num(ns_to_s(e.t_ns)) << ',' << csv_quote(e.kind) << ',' << csv_quote(e.detail) << '\n';
    }
  } else {
    return false;
  }
  return true;
}

} // namespace es::analysis
