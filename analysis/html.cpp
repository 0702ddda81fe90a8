#include "analysis/html.hpp"

#include "analysis/report_output.hpp"

#include <fmt/format.h>

#include <cmath>

namespace es::analysis {

namespace {

std::string num(double v, const char* spec = "{:.3f}") {
  return std::isfinite(v) ? fmt::format(fmt::runtime(spec), v) : std::string("&ndash;");
}

double ns_to_s(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

const char* kStyle = R"(<style>
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f2f2f2}
td.l,th.l{text-align:left}figure{margin:16px 0}figure img{width:960px;max-width:100%;border:1px solid #ddd}
figcaption{font-size:13px;color:#555}.warn{color:#b00}
</style>)";

void figure(std::string& h, const NamedChart& nc) {
  h += fmt::format("<figure id=\"fig-{}\"><img alt=\"{}\" src=\"data:image/svg+xml;base64,{}\">"
                   "<figcaption>{}</figcaption></figure>\n",
                   nc.name, html_escape(nc.chart.title()), base64(nc.chart.to_svg()),
                   html_escape(nc.caption));
}

} // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string render_html(const RunReport& r, const std::vector<NamedChart>& charts) {
  const RunData& d = r.data;
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += fmt::format("<title>edgesoak report: run {} {}</title>", d.run.id, html_escape(d.run.info.name));
  h += kStyle;
  h += "</head><body>\n";
  h += fmt::format("<h1>edgesoak report &mdash; run {} &ldquo;{}&rdquo;</h1>\n", d.run.id,
                   html_escape(d.run.info.name));
  h += "<table><tr><th class=l>status</th><th class=l>started (UTC)</th><th>duration (s)</th>"
       "<th>segments</th><th class=l>board</th><th class=l>model</th></tr>";
  h += fmt::format("<tr><td class=l>{}</td><td class=l>{}</td><td>{:.1f}</td><td>{}</td>"
                   "<td class=l>{}</td><td class=l>{}</td></tr></table>\n",
                   run_status_name(d.run.status), iso_utc(d.run.started_wall_ns),
                   ns_to_s(std::max(d.run.duration_ns, d.duration_ns)),
                   std::max<std::size_t>(d.segments.size(), static_cast<std::size_t>(d.run.segments)),
                   html_escape(d.run.info.board), html_escape(d.run.info.model));

  h += "<h2>Latency</h2>\n<table><tr><th class=l>set</th><th>inferences</th><th>rate (1/s)</th>"
       "<th>min</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th>"
       "<th>stddev</th></tr>\n";
  const auto row = [&](const std::string& name, std::uint64_t n, double rate, const LatencySummary& l) {
    h += fmt::format("<tr><td class=l>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                     "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     html_escape(name), n, num(rate, "{:.2f}"), num(l.min), num(l.p50), num(l.p90),
                     num(l.p99), num(l.p999), num(l.max), num(l.mean), num(l.stddev));
  };
  row("whole run (ms)", r.inferences, r.rate_per_s, r.latency);
  for (const PhaseReport& p : r.phases) {
    if (p.inferences > 0) {
      row("phase " + p.phase.name, p.inferences, p.rate_per_s, p.latency);
    }
  }
  h += "</table>\n";
  h += fmt::format("<p>Stability: <b>{:.1f} %</b> of inferences within &plusmn;5 % of the median, "
                   "{:.1f} % within &plusmn;10 %. Percentiles are within 0.1 % of the exact "
                   "order statistics.</p>\n",
                   r.latency.within_5pct * 100, r.latency.within_10pct * 100);
  if (!r.modes.empty()) {
    h += "<table><tr><th>mode center (ms)</th><th>share</th><th>range (ms)</th><th>frequency (MHz)</th></tr>";
    for (const LatencyMode& m : r.modes) {
      h += fmt::format("<tr><td>{}</td><td>{:.1f} %</td><td>{}&ndash;{}</td><td>{}</td></tr>",
                       num(m.center_ms), m.share * 100, num(m.lo_ms), num(m.hi_ms),
                       num(m.freq_hz / 1e6, "{:.0f}"));
    }
    h += "</table>\n";
  }

  h += "<h2>Throttling</h2>\n";
  if (r.throttle_events.empty()) {
    h += "<p>No throttling detected.</p>\n";
  } else {
    h += fmt::format("<p>{} event(s); first after <b>{} s</b> of load.</p>\n", r.throttle_events.size(),
                     num(r.time_to_first_throttle_s, "{:.1f}"));
    h += "<table><tr><th>start (s)</th><th>end (s)</th><th>duration (s)</th><th class=l>cause</th>"
         "<th>freq reduction</th><th>&Delta; median latency</th><th class=l>detail</th></tr>\n";
    std::size_t shown = 0;
    for (const ThrottleEvent& t : r.throttle_events) {
      if (++shown > 200) {
        h += "<tr><td colspan=7 class=l>&hellip; more in report.json</td></tr>";
        break;
      }
      h += fmt::format("<tr><td>{:.1f}</td><td>{:.1f}</td><td>{:.1f}</td><td class=l>{}{}</td>"
                       "<td>{} %</td><td>{} %</td><td class=l>{}</td></tr>\n",
                       ns_to_s(t.start_ns), ns_to_s(t.end_ns), ns_to_s(t.end_ns - t.start_ns),
                       to_string(t.cause), t.cause_inferred ? " (inferred)" : "",
                       num(t.freq_reduction_pct, "{:.1f}"), num(t.latency_delta_pct, "{:+.1f}"),
                       html_escape(t.detail));
    }
    h += "</table>\n";
  }
  h += "<h2>Latency change points</h2>\n";
  if (r.change_points.empty()) {
    h += "<p>None: the windowed median latency was steady.</p>\n";
  } else {
    h += "<table><tr><th>onset (s)</th><th>before (ms)</th><th>after (ms)</th><th>&Delta;</th>"
         "<th class=l>attributed to</th><th class=l>signals that moved</th></tr>\n";
    for (const ChangePoint& c : r.change_points) {
      h += fmt::format("<tr><td>{:.1f}</td><td>{}</td><td>{}</td><td>{:+.1f} %</td><td class=l>{}</td>"
                       "<td class=l>{}</td></tr>\n",
                       ns_to_s(c.t_ns), num(c.before_ms), num(c.after_ms), c.delta_pct,
                       html_escape(c.attributed_to.empty() ? "nothing measured" : c.attributed_to),
                       html_escape(c.detail));
    }
    h += "</table>\n";
  }
  h += "<h2>Energy</h2>\n";
  if (r.energy) {
    const EnergyReport& e = *r.energy;
    h += "<table><tr><th class=l>sensor</th><th>idle (W)</th><th>load (W)</th><th>mJ / inference</th>"
         "<th>incremental mJ / inference</th><th>inferences / J</th><th>coverage</th></tr>";
    h += fmt::format("<tr><td class=l>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                     "<td>{:.0f} %</td></tr></table>\n",
                     html_escape(e.sensor), num(e.idle_power_w), num(e.load_power_w),
                     num(e.energy_per_inference_mj, "{:.4g}"),
                     num(e.incremental_energy_per_inference_mj, "{:.4g}"),
                     num(e.inferences_per_joule, "{:.4g}"), e.coverage * 100);
  } else {
    h += "<p>No power sensor recorded.</p>\n";
  }
  h += "<h2>Sensors</h2>\n<table><tr><th class=l>name</th><th class=l>kind</th><th class=l>unit</th>"
       "<th>min</th><th>mean</th><th>max</th><th>samples</th><th>gaps</th></tr>\n";
  for (const SensorReport& s : r.sensors) {
    h += fmt::format("<tr><td class=l>{}</td><td class=l>{}</td><td class=l>{}</td><td>{}</td>"
                     "<td>{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>\n",
                     html_escape(s.spec.name), to_string(s.spec.kind), html_escape(s.spec.unit),
                     num(s.stats.min, "{:.4g}"), num(s.stats.mean, "{:.4g}"),
                     num(s.stats.max, "{:.4g}"), s.stats.samples,
                     s.stats.gaps > 0 ? " class=warn" : "", s.stats.gaps);
  }
  h += "</table>\n<h2>Figures</h2>\n";
  for (const NamedChart& nc : charts) {
    figure(h, nc);
  }
  if (!d.events.empty()) {
    h += "<h2>Events</h2>\n<table><tr><th>t (s)</th><th class=l>kind</th><th class=l>detail</th></tr>\n";
    std::size_t shown = 0;
    for (const storage::EventRow& e : d.events) {
      if (++shown > 500) {
        h += "<tr><td colspan=3 class=l>&hellip; more in report.json</td></tr>";
        break;
      }
      h += fmt::format("<tr><td>{:.3f}</td><td class=l>{}</td><td class=l>{}</td></tr>\n",
                       ns_to_s(e.t_ns), html_escape(e.kind), html_escape(e.detail));
    }
    h += "</table>\n";
  }
  h += "</body></html>\n";
  return h;
}

std::string render_compare_html(const std::vector<CompareRow>& rows, const NamedChart& histogram) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>edgesoak compare</title>";
  h += kStyle;
  h += "</head><body>\n<h1>edgesoak compare</h1>\n";
  h += "<table><tr><th class=l>run</th><th class=l>board</th><th>inferences</th><th>rate (1/s)</th>"
       "<th>p50 (ms)</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>time to throttle (s)</th>"
       "<th>throttle events</th><th>mJ / inference</th></tr>\n";
  for (const CompareRow& row : rows) {
    const RunReport& r = *row.report;
    h += fmt::format("<tr><td class=l>{}</td><td class=l>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                     "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     html_escape(row.label), html_escape(r.data.run.info.board), r.inferences,
                     num(r.rate_per_s, "{:.2f}"), num(r.latency.p50), num(r.latency.p90),
                     num(r.latency.p99), num(r.latency.p999), num(r.latency.max),
                     num(r.time_to_first_throttle_s, "{:.1f}"), r.throttle_events.size(),
                     r.energy ? num(r.energy->energy_per_inference_mj, "{:.4g}") : std::string("&ndash;"));
  }
  h += "</table>\n";
  figure(h, histogram);
  h += "</body></html>\n";
  return h;
}

} // namespace es::analysis
