#include "analysis/commands.hpp"

#include "analysis/figures.hpp"
#include "analysis/html.hpp"
#include "analysis/json_writer.hpp"
#include "analysis/report.hpp"
#include "analysis/report_output.hpp"
#include "daemon/core/exit_codes.hpp"
#include "daemon/storage/reader.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace es::analysis {

namespace {

namespace fs = std::filesystem;

const char* kReportUsage =
    "usage: edgesoak report --db PATH [--run ID|latest] [--json] [--out DIR]\n"
    "  Summarises a recorded run: inferences, rate, latency percentiles (within 0.1 %),\n"
    "  per-sensor statistics, throttling events, latency change points and modes, energy.\n"
    "  --json     print the JSON report (keys are stable; see analysis/README.md)\n"
    "  --out DIR  also write report.html, report.json, report.txt and figures (SVG+PNG)\n";
const char* kExportUsage =
    "usage: edgesoak export --db PATH [--run ID|latest] [--out DIR | --table NAME]\n"
    "  Writes CSV tables: latency_histogram, phase_latency, windows, sensor_histograms,\n"
    "  frequency_residency, throttle_events, change_points, modes, events.\n";
const char* kCompareUsage =
    "usage: edgesoak compare DB[:RUN] DB[:RUN] ... [--json] [--out DIR]\n"
    "  Puts runs side by side (percentiles, throughput, time to throttle, energy per\n"
    "  inference); --out writes compare.html and overlaid latency histograms.\n";

struct Args {
  std::string db;
  std::string run = "latest";
  std::string out_dir;
  std::string table;
  bool json = false;
  bool help = false;
  std::vector<std::string> positional;
};

/// Parses the shared options. Returns an error message for bad usage.
std::optional<std::string> parse(const std::vector<std::string>& args, Args& a, bool allow_positional,
                                 bool allow_table, bool allow_json) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    const auto need_value = [&](std::string& dst) -> std::optional<std::string> {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        return s + " needs a value";
      }
      dst = args[++i];
      return std::nullopt;
    };
    std::optional<std::string> e;
    if (s == "--help" || s == "-h") {
      a.help = true;
    } else if (s == "--db" && !allow_positional) {
      e = need_value(a.db);
    } else if (s == "--run" && !allow_positional) {
      e = need_value(a.run);
    } else if (s == "--out") {
      e = need_value(a.out_dir);
    } else if (s == "--table" && allow_table) {
      e = need_value(a.table);
    } else if (s == "--json" && allow_json) {
      a.json = true;
    } else if (!s.empty() && s[0] == '-') {
      return "unknown option '" + s + "'";
    } else if (allow_positional) {
      a.positional.push_back(s);
    } else {
      return "unexpected argument '" + s + "'";
    }
    if (e) {
      return e;
    }
  }
  return std::nullopt;
}

int fail(std::ostream& err, const char* cmd, const std::string& what, int code) {
  err << "edgesoak " << cmd << ": error: " << what << '\n';
  return code;
}

/// Opens the database and analyses one run; prints the error and returns the exit code on
/// failure.
std::optional<RunReport> load(const std::string& db, const std::string& run, const char* cmd,
                              std::ostream& err, int& code) {
  std::error_code ec;
  if (!fs::exists(db, ec)) {
    code = fail(err, cmd, "database not found: " + db, kExitRuntime);
    return std::nullopt;
  }
  auto reader = storage::Reader::open(db);
  if (!reader) {
    code = fail(err, cmd, "cannot open " + db + " as an edgesoak database: " + reader.error().message,
                kExitRuntime);
    return std::nullopt;
  }
  auto id = resolve_run_id(*reader.value(), run);
  if (!id) {
    const bool usage = id.error().code == ErrorCode::kInvalidArgument;
    code = fail(err, cmd,
                usage ? id.error().message
                      : (run == "latest" ? "no runs in " + db : id.error().message),
                usage ? kExitUsage : kExitRuntime);
    return std::nullopt;
  }
  auto report = analyze_run(*reader.value(), id.value());
  if (!report) {
    code = fail(err, cmd,
                report.error().code == ErrorCode::kNotFound
                    ? fmt::format("no run {} in {}", id.value(), db)
                    : fmt::format("run {} in {}: {}", id.value(), db, report.error().message),
                kExitRuntime);
    return std::nullopt;
  }
  code = kExitOk;
  return std::move(report).value();
}

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  return static_cast<bool>(f);
}

bool make_dir(const std::string& dir, const char* cmd, std::ostream& err) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    fail(err, cmd, "cannot create " + dir + ": " + ec.message(), kExitRuntime);
    return false;
  }
  return true;
}

} // namespace

int cmd_report(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    Args a;
    if (auto e = parse(args, a, false, false, true)) {
      err << kReportUsage;
      return fail(err, "report", *e, kExitUsage);
    }
    if (a.help) {
      out << kReportUsage;
      return kExitOk;
    }
    if (a.db.empty()) {
      err << kReportUsage;
      return fail(err, "report", "--db is required", kExitUsage);
    }
    int code = kExitOk;
    auto report = load(a.db, a.run, "report", err, code);
    if (!report) {
      return code;
    }
    if (!a.out_dir.empty()) {
      if (!make_dir(a.out_dir, "report", err)) {
        return kExitRuntime;
      }
      const fs::path dir(a.out_dir);
      std::ostringstream json;
      write_report_json(*report, json);
      std::ostringstream text;
      write_report_text(*report, text);
      const std::vector<NamedChart> charts = build_figures(*report);
      auto figs = write_figures(charts, dir);
      if (!figs) {
        return fail(err, "report", figs.error().message, kExitRuntime);
      }
      if (!write_file(dir / "report.json", json.str()) || !write_file(dir / "report.txt", text.str()) ||
          !write_file(dir / "report.html", render_html(*report, charts))) {
        return fail(err, "report", "cannot write into " + a.out_dir, kExitRuntime);
      }
      if (a.json) {
        out << json.str();
      } else {
        out << text.str();
        out << fmt::format("\nwrote {}/report.html, report.json, report.txt and {} figures (SVG+PNG)\n",
                           a.out_dir, charts.size());
      }
      return kExitOk;
    }
    if (a.json) {
      write_report_json(*report, out);
    } else {
      write_report_text(*report, out);
    }
    return kExitOk;
  } catch (const std::exception& e) {
    return fail(err, "report", e.what(), kExitRuntime);
  }
}

int cmd_export(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    Args a;
    if (auto e = parse(args, a, false, true, false)) {
      err << kExportUsage;
      return fail(err, "export", *e, kExitUsage);
    }
    if (a.help) {
      out << kExportUsage;
      return kExitOk;
    }
    if (a.db.empty()) {
      err << kExportUsage;
      return fail(err, "export", "--db is required", kExitUsage);
    }
    if (!a.table.empty()) {
      const auto& names = csv_table_names();
      if (std::find(names.begin(), names.end(), a.table) == names.end()) {
        return fail(err, "export", "unknown table '" + a.table + "'", kExitUsage);
      }
    }
    int code = kExitOk;
    auto report = load(a.db, a.run, "export", err, code);
    if (!report) {
      return code;
    }
    if (!a.table.empty()) {
      write_csv_table(*report, a.table, out);
      return kExitOk;
    }
    const std::string dir = a.out_dir.empty() ? "." : a.out_dir;
    if (!make_dir(dir, "export", err)) {
      return kExitRuntime;
    }
    for (const std::string& name : csv_table_names()) {
      std::ofstream f(fs::path(dir) / (name + ".csv"));
      write_csv_table(*report, name, f);
      if (!f) {
        return fail(err, "export", "cannot write " + (fs::path(dir) / (name + ".csv")).string(),
                    kExitRuntime);
      }
      out << (fs::path(dir) / (name + ".csv")).string() << '\n';
    }
    return kExitOk;
  } catch (const std::exception& e) {
    return fail(err, "export", e.what(), kExitRuntime);
  }
}

int cmd_compare(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    Args a;
    if (auto e = parse(args, a, true, false, true)) {
      err << kCompareUsage;
      return fail(err, "compare", *e, kExitUsage);
    }
    if (a.help) {
      out << kCompareUsage;
      return kExitOk;
    }
    if (a.positional.empty()) {
      err << kCompareUsage;
      return fail(err, "compare", "name at least one DB[:RUN]", kExitUsage);
    }
    std::vector<RunReport> reports;
    std::vector<std::string> labels;
    std::vector<std::string> dbs;
    reports.reserve(a.positional.size());
    for (const std::string& spec : a.positional) {
      std::string db = spec;
      std::string run = "latest";
      const std::size_t colon = spec.rfind(':');
      if (colon != std::string::npos && colon + 1 < spec.size()) {
        const std::string tail = spec.substr(colon + 1);
        if (tail == "latest" || tail.find_first_not_of("0123456789") == std::string::npos) {
          db = spec.substr(0, colon);
          run = tail;
        }
      }
      int code = kExitOk;
      auto report = load(db, run, "compare", err, code);
      if (!report) {
        return code;
      }
      dbs.push_back(db);
      reports.push_back(std::move(*report));
    }
    // Labels "file.db:ID name"; the full path only when two databases share a file name.
    for (std::size_t i = 0; i < reports.size(); ++i) {
      bool unique = true;
      for (std::size_t k = 0; k < reports.size(); ++k) {
        unique = unique && (k == i || fs::path(dbs[k]).filename() != fs::path(dbs[i]).filename() ||
                            dbs[k] == dbs[i]);
      }
      labels.push_back(fmt::format("{}:{} {}", unique ? fs::path(dbs[i]).filename().string() : dbs[i],
                                   reports[i].data.run.id, reports[i].data.run.info.name));
    }
    std::vector<const RunReport*> ptrs;
    std::vector<CompareRow> rows;
    for (std::size_t i = 0; i < reports.size(); ++i) {
      ptrs.push_back(&reports[i]);
      rows.push_back(CompareRow{labels[i], &reports[i]});
    }
    if (a.json) {
      JsonWriter j(out);
      j.begin_object();
      j.key("runs");
      j.begin_array();
      for (std::size_t i = 0; i < reports.size(); ++i) {
        const RunReport& r = reports[i];
        j.begin_object();
        j.key("label");
        j.value(labels[i]);
        j.key("id");
        j.value(r.data.run.id);
        j.key("name");
        j.value(r.data.run.info.name);
        j.key("board");
        j.value(r.data.run.info.board);
        j.key("inferences");
        j.value(r.inferences);
        j.key("rate_per_s");
        j.value(r.rate_per_s);
        j.key("latency_ms");
        j.begin_object();
        for (const auto& [k, v] : {std::pair{"min", r.latency.min}, std::pair{"p50", r.latency.p50},
                                   std::pair{"p90", r.latency.p90}, std::pair{"p99", r.latency.p99},
                                   std::pair{"p999", r.latency.p999}, std::pair{"max", r.latency.max},
                                   std::pair{"mean", r.latency.mean}}) {
          j.key(k);
          j.value(v);
        }
        j.end_object();
        j.key("time_to_first_throttle_s");
        j.value(r.time_to_first_throttle_s);
        j.key("throttle_events");
        j.value(static_cast<std::uint64_t>(r.throttle_events.size()));
        j.key("energy_per_inference_mj");
        if (r.energy) {
          j.value(r.energy->energy_per_inference_mj);
        } else {
          j.null();
        }
        j.end_object();
      }
      j.end_array();
      j.end_object();
    } else {
      out << fmt::format("{:<40} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9}\n", "run",
                         "inferences", "rate/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms",
                         "throttle s", "mJ/inf");
      for (std::size_t i = 0; i < reports.size(); ++i) {
        const RunReport& r = reports[i];
        const auto f = [](double v, const char* spec) {
          return std::isfinite(v) ? fmt::format(fmt::runtime(spec), v) : std::string("-");
        };
        out << fmt::format("{:<40} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9}\n", labels[i],
                           r.inferences, f(r.rate_per_s, "{:.2f}"), f(r.latency.p50, "{:.3f}"),
                           f(r.latency.p90, "{:.3f}"), f(r.latency.p99, "{:.3f}"),
                           f(r.latency.p999, "{:.3f}"), f(r.time_to_first_throttle_s, "{:.1f}"),
                           r.energy ? f(r.energy->energy_per_inference_mj, "{:.4g}") : "-");
      }
    }
    if (!a.out_dir.empty()) {
      if (!make_dir(a.out_dir, "compare", err)) {
        return kExitRuntime;
      }
      const NamedChart hist = build_compare_histogram(ptrs, labels);
      auto figs = write_figures({hist}, a.out_dir);
      if (!figs) {
        return fail(err, "compare", figs.error().message, kExitRuntime);
      }
      if (!write_file(fs::path(a.out_dir) / "compare.html", render_compare_html(rows, hist))) {
        return fail(err, "compare", "cannot write into " + a.out_dir, kExitRuntime);
      }
      if (!a.json) {
        out << "wrote " << a.out_dir << "/compare.html\n";
      }
    }
    return kExitOk;
  } catch (const std::exception& e) {
    return fail(err, "compare", e.what(), kExitRuntime);
  }
}

} // namespace es::analysis
