#include "daemon/service/status.hpp"

#include "config/config.hpp"
#include "daemon/core/exit_codes.hpp"
#include "daemon/storage/reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <limits>
#include <optional>
#include <sstream>
#include <system_error>

namespace es::service {

namespace {

constexpr const char* kDefaultConfig = "/etc/edgesoak/edgesoak.yaml";
constexpr const char* kDefaultDatabase = "/var/lib/edgesoak/edgesoak.db";
constexpr const char* kDefaultUnit = "edgesoak.service";
constexpr std::size_t kRecentInferences = 512; // same window as the live STATUS= line
const double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* kUsage =
    "Usage: edgesoak status [--db PATH] [--config FILE] [--unit NAME] [--json]\n\n"
    "Shows the current or latest run: status, service state, phase, progress, last samples\n"
    "(hottest temperature, CPU frequency, power), inferences and recent p50, segments and gaps.\n\n"
    "Options:\n"
    "  --db PATH       database (default: storage.database of the configuration, else\n"
    "                  /var/lib/edgesoak/edgesoak.db)\n"
    "  --config FILE   configuration whose database and run.name to use\n"
    "                  (default /etc/edgesoak/edgesoak.yaml when it exists)\n"
    "  --unit NAME     systemd unit to ask about (default edgesoak.service)\n"
    "  --json          machine-readable output (times in s, SI units)\n";

/// Latest valid reading of one sensor.
struct LastValue {
  double value = kNaN;
  double t_s = kNaN;
  std::string sensor;
};

struct Gap {
  double t_s = 0;
  std::string detail;
};

struct Snapshot {
  std::filesystem::path database;
  storage::RunRow run;
  std::string phase;
  int phase_index = -1;
  int phase_count = 0;
  double elapsed_s = 0;
  double total_s = 0;
  std::uint64_t inferences = 0;
  double recent_p50_s = kNaN;
  LastValue hottest;
  LastValue frequency;
  LastValue power;
  std::vector<storage::SegmentRow> segments;
  std::vector<Gap> gaps;
  ServiceState service;
};

std::string hhmmss(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) {
    seconds = 0;
  }
  const auto total = static_cast<std::int64_t>(seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  return buf;
}

std::string json_string(const std::string& s) {
  std::string r = "\"";
  for (const char c : s) {
    switch (c) {
    case '"': r += "\\\""; break;
    case '\\': r += "\\\\"; break;
    case '\n': r += "\\n"; break;
    case '\t': r += "\\t"; break;
    case '\r': r += "\\r"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        r += buf;
      } else {
        r += c;
      }
    }
  }
  return r + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) {
    return "null";
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

/// "name=load index=1 load=1 ..." -> value of `key`, or "".
std::string detail_value(const std::string& detail, const std::string& key) {
  std::istringstream in(detail);
  std::string token;
  while (in >> token) {
    if (token.rfind(key + "=", 0) == 0) {
      return token.substr(key.size() + 1);
    }
  }
  return {};
}

bool valid_unit_name(const std::string& unit) {
  return !unit.empty() && unit.size() < 256 &&
         std::all_of(unit.begin(), unit.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '@' || c == '.' ||
                  c == '_' || c == '-' || c == ':';
         });
}

/// Reads everything shown from the database. Errors are messages for the user.
Result<void> read_snapshot(storage::Reader& reader, const std::optional<std::string>& run_name,
                           Snapshot& s) {
  std::int64_t run_id = 0;
  if (run_name) {
    auto runs = reader.runs();
    if (!runs) {
      return runs.error();
    }
    for (const storage::RunRow& row : *runs) {
      if (row.info.name == *run_name && row.id > run_id) {
        run_id = row.id;
      }
    }
    if (run_id == 0) {
      return make_error(ErrorCode::kNotFound, "no run named '" + *run_name + "' in the database");
    }
  } else {
    auto latest = reader.latest_run_id();
    if (!latest) {
      return latest.error().with_context("no run recorded yet");
    }
    run_id = *latest;
  }
  auto run = reader.run(run_id);
  if (!run) {
    return run.error();
  }
  s.run = *run;

  auto meta = reader.run_meta(run_id);
  if (!meta) {
    return meta.error();
  }
  std::int64_t skip_ns = 0;
  for (const auto& [key, value] : *meta) {
    if (key == "phases") {
      s.phase_count = static_cast<int>(std::count(value.begin(), value.end(), ';'));
    } else if (key == "schedule_skip_ns") {
      try {
        skip_ns = std::stoll(value);
      } catch (const std::exception&) {
        skip_ns = 0;
      }
    }
  }
  // Same definition as the daemon's progress line: covered run timeline plus the part of the
  // schedule skipped because downtime counted (run.extend_after_gap: false).
  s.elapsed_s = static_cast<double>(s.run.duration_ns + skip_ns) / 1e9;
  s.total_s = static_cast<double>(s.run.info.planned_duration_ns) / 1e9;

  auto events = reader.events(run_id);
  if (!events) {
    return events.error();
  }
  for (const storage::EventRow& e : *events) {
    if (e.kind == "phase_start") {
      s.phase = detail_value(e.detail, "name");
      const std::string index = detail_value(e.detail, "index");
      s.phase_index = index.empty() ? -1 : std::atoi(index.c_str());
    } else if (e.kind == "segment_gap") {
      s.gaps.push_back({static_cast<double>(e.t_ns) / 1e9, e.detail});
    }
  }

  auto segments = reader.segments(run_id);
  if (!segments) {
    return segments.error();
  }
  s.segments = std::move(*segments);

  auto count = reader.inference_count(run_id);
  if (!count) {
    return count.error();
  }
  s.inferences = *count;
  // The median of the most recent inferences. The Reader streams in time order; a run of ten
  // million inferences streams in seconds, which is fine for an interactive command.
  std::vector<std::int64_t> recent(kRecentInferences, 0);
  std::size_t seen = 0;
  auto streamed = reader.for_each_inference(run_id, [&](const storage::InferenceRow& row) {
    if (row.status == InferenceStatus::kOk) {
      recent[seen++ % kRecentInferences] = row.latency_ns;
    }
  });
  if (!streamed) {
    return streamed.error();
  }
  if (seen > 0) {
    recent.resize(std::min(seen, kRecentInferences));
    const auto mid = recent.begin() + static_cast<std::ptrdiff_t>(recent.size() / 2);
    std::nth_element(recent.begin(), mid, recent.end());
    s.recent_p50_s = static_cast<double>(*mid) / 1e9;
  }

  auto sensors = reader.sensors(run_id);
  if (!sensors) {
    return sensors.error();
  }
  for (const storage::SensorRow& sensor : *sensors) {
    const SensorSpec& spec = sensor.spec;
    const bool is_temp = spec.kind == SensorKind::kTemperature;
    const bool is_freq = spec.kind == SensorKind::kFrequency && spec.name.size() > 4 &&
                         spec.name.compare(spec.name.size() - 4, 4, ".cur") == 0;
    const bool is_power = spec.kind == SensorKind::kPower && s.power.sensor.empty();
    if (!is_temp && !is_freq && !is_power) {
      continue;
    }
    LastValue last;
    last.sensor = spec.name;
    auto r = reader.for_each_sample(run_id, sensor.id, [&](const storage::SampleRow& row) {
      if (row.status == SampleStatus::kOk && std::isfinite(row.value)) {
        last.value = row.value;
        last.t_s = static_cast<double>(row.t_ns) / 1e9;
      }
    });
    if (!r) {
      return r.error();
    }
    if (!std::isfinite(last.value)) {
      continue; // never a number for a sensor that never read
    }
    if (is_temp && !(last.value <= s.hottest.value)) {
      s.hottest = last;
    } else if (is_freq && !(last.value <= s.frequency.value)) {
      s.frequency = last;
    } else if (is_power) {
      s.power = last;
    }
  }
  return ok();
}

void print_text(const Snapshot& s, std::ostream& out) {
  const storage::RunRow& r = s.run;
  out << "run " << r.id << " '" << r.info.name << "': " << storage::to_string(r.status) << "\n";
  out << "  service:    ";
  if (!s.service.known) {
    out << s.service.active_state << "\n";
  } else {
    out << s.service.active_state;
    if (!s.service.sub_state.empty()) {
      out << " (" << s.service.sub_state << ")";
    }
    if (s.service.n_restarts > 0) {
      out << ", " << s.service.n_restarts << " restart" << (s.service.n_restarts == 1 ? "" : "s");
    }
    if (!s.service.result.empty() && s.service.result != "success") {
      out << ", last result " << s.service.result;
    }
    out << "\n";
    if (!s.service.status_text.empty()) {
      out << "  status:     " << s.service.status_text << "\n";
    }
  }
  out << "  board:      " << r.info.board << " (" << r.info.model << ", " << r.info.isa << ")\n";
  if (!s.phase.empty()) {
    out << "  phase:      " << s.phase;
    if (s.phase_index >= 0 && s.phase_count > 0) {
      out << " " << (s.phase_index + 1) << "/" << s.phase_count;
    }
    out << "\n";
  }
  out << "  progress:   " << hhmmss(s.elapsed_s) << " / " << hhmmss(s.total_s);
  if (s.total_s > 0) {
    char pct[16];
    std::snprintf(pct, sizeof pct, " (%.1f%%)", 100.0 * std::min(1.0, s.elapsed_s / s.total_s));
    out << pct;
  }
  out << "\n";
  char buf[128];
  out << "  inferences: " << s.inferences;
  if (std::isfinite(s.recent_p50_s)) {
    std::snprintf(buf, sizeof buf, ", recent p50 %.2f ms", s.recent_p50_s * 1e3);
    out << buf;
  }
  out << "\n";
  auto last = [&](const char* label, const LastValue& v, double scale, int decimals,
                  const char* unit) {
    out << "  " << label;
    if (!std::isfinite(v.value)) {
      out << "none\n";
      return;
    }
    std::snprintf(buf, sizeof buf, "%.*f %s", decimals, v.value * scale, unit);
    out << buf << " (" << v.sensor << " at " << hhmmss(v.t_s) << ")\n";
  };
  last("hottest:    ", s.hottest, 1.0, 1, "C");
  last("frequency:  ", s.frequency, 1e-9, 2, "GHz");
  last("power:      ", s.power, 1.0, 2, "W");
  out << "  segments:   " << s.segments.size() << ", gaps: " << s.gaps.size() << "\n";
  for (std::size_t i = 0; i < s.segments.size(); ++i) {
    const storage::SegmentRow& seg = s.segments[i];
    const double t0 = static_cast<double>(seg.t0_run_ns) / 1e9;
    const double len = static_cast<double>(std::max<std::int64_t>(
                           0, seg.end_mono_ns - seg.start_mono_ns)) /
                       1e9;
    std::snprintf(buf, sizeof buf, "    #%zu  %s - %s  ", i + 1, hhmmss(t0).c_str(),
                  hhmmss(t0 + len).c_str());
    out << buf << "ended: "
        << (seg.end_reason.empty() ? (i + 1 == s.segments.size() &&
                                              r.status == storage::RunStatus::kRunning
                                          ? "(current)"
                                          : "died")
                                   : seg.end_reason.c_str())
        << "\n";
  }
  for (const Gap& g : s.gaps) {
    out << "    gap at " << hhmmss(g.t_s) << ": " << g.detail << "\n";
  }
  out << "  database:   " << s.database.string() << "\n";
}

void print_json(const Snapshot& s, std::ostream& out) {
  const storage::RunRow& r = s.run;
  auto last = [](const LastValue& v, const char* unit_key) {
    if (!std::isfinite(v.value)) {
      return std::string("null");
    }
    return std::string("{\"sensor\": ") + json_string(v.sensor) + ", \"" + unit_key +
           "\": " + json_number(v.value) + ", \"t_s\": " + json_number(v.t_s) + "}";
  };
  out << "{\n";
  out << "  \"database\": " << json_string(s.database.string()) << ",\n";
  out << "  \"run\": {\"id\": " << r.id << ", \"name\": " << json_string(r.info.name)
      << ", \"status\": " << json_string(storage::to_string(r.status))
      << ", \"board\": " << json_string(r.info.board)
      << ", \"model\": " << json_string(r.info.model) << ", \"isa\": " << json_string(r.info.isa)
      << ", \"started_wall_s\": " << json_number(static_cast<double>(r.started_wall_ns) / 1e9)
      << "},\n";
  out << "  \"service\": {\"known\": " << (s.service.known ? "true" : "false")
      << ", \"active_state\": " << json_string(s.service.active_state)
      << ", \"sub_state\": " << json_string(s.service.sub_state)
      << ", \"result\": " << json_string(s.service.result) << ", \"n_restarts\": "
      << (s.service.n_restarts >= 0 ? std::to_string(s.service.n_restarts) : "null")
      << ", \"status_text\": " << json_string(s.service.status_text) << "},\n";
  out << "  \"phase\": {\"name\": " << (s.phase.empty() ? "null" : json_string(s.phase))
      << ", \"index\": " << (s.phase_index >= 0 ? std::to_string(s.phase_index) : "null")
      << ", \"count\": " << s.phase_count << "},\n";
  out << "  \"progress\": {\"elapsed_s\": " << json_number(s.elapsed_s)
      << ", \"total_s\": " << json_number(s.total_s) << ", \"fraction\": "
      << json_number(s.total_s > 0 ? std::min(1.0, s.elapsed_s / s.total_s) : kNaN) << "},\n";
  out << "  \"inferences\": " << s.inferences << ",\n";
  out << "  \"recent_p50_s\": " << json_number(s.recent_p50_s) << ",\n";
  out << "  \"last\": {\"temperature\": " << last(s.hottest, "value_c")
      << ", \"frequency\": " << last(s.frequency, "value_hz")
      << ", \"power\": " << last(s.power, "value_w") << "},\n";
  out << "  \"segments\": [";
  for (std::size_t i = 0; i < s.segments.size(); ++i) {
    const storage::SegmentRow& seg = s.segments[i];
    out << (i == 0 ? "\n" : ",\n") << "    {\"id\": " << seg.id
        << ", \"t0_s\": " << json_number(static_cast<double>(seg.t0_run_ns) / 1e9)
        << ", \"duration_s\": "
        << json_number(
               static_cast<double>(std::max<std::int64_t>(0, seg.end_mono_ns - seg.start_mono_ns)) /
               1e9)
        << ", \"boot_id\": " << json_string(seg.boot_id)
        << ", \"end_reason\": " << json_string(seg.end_reason) << "}";
  }
  out << (s.segments.empty() ? "" : "\n  ") << "],\n";
  out << "  \"gaps\": [";
  for (std::size_t i = 0; i < s.gaps.size(); ++i) {
    out << (i == 0 ? "\n" : ",\n") << "    {\"t_s\": " << json_number(s.gaps[i].t_s)
        << ", \"detail\": " << json_string(s.gaps[i].detail) << "}";
  }
  out << (s.gaps.empty() ? "" : "\n  ") << "]\n";
  out << "}\n";
}

} // namespace

ServiceState query_service(const std::string& unit) {
  ServiceState st;
  std::error_code ec;
  // sd_booted(3)'s test: systemd is the service manager iff /run/systemd/system exists.
  if (!std::filesystem::exists("/run/systemd/system", ec)) {
    st.active_state = "unknown (no systemd)";
    return st;
  }
  if (!valid_unit_name(unit)) {
    st.active_state = "unknown (invalid unit name)";
    return st;
  }
  // One short-lived child process; acceptable for an interactive command (never in the daemon).
  const std::string command = "systemctl show --no-pager -p ActiveState -p SubState -p Result "
                              "-p NRestarts -p StatusText -p LoadState " +
                              unit + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    st.active_state = "unknown (cannot run systemctl)";
    return st;
  }
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) {
    text += buf;
  }
  const int rc = pclose(pipe);
  std::istringstream lines(text);
  std::string line;
  std::string load_state;
  while (std::getline(lines, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (key == "ActiveState") {
      st.active_state = value;
    } else if (key == "SubState") {
      st.sub_state = value;
    } else if (key == "Result") {
      st.result = value;
    } else if (key == "StatusText") {
      st.status_text = value;
    } else if (key == "NRestarts") {
      st.n_restarts = std::atol(value.c_str());
    } else if (key == "LoadState") {
      load_state = value;
    }
  }
  if (rc != 0 || st.active_state.empty()) {
    st = ServiceState{};
    st.active_state = "unknown (systemctl failed)";
    return st;
  }
  st.known = true;
  if (load_state == "not-found") {
    st.active_state = "not installed (" + unit + " not found)";
    st.sub_state.clear();
  }
  return st;
}

int cmd_status(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string db_arg;
  std::string config_arg;
  std::string unit = kDefaultUnit;
  bool json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& target) {
      if (i + 1 >= args.size()) {
        err << "edgesoak status: error: " << a << " needs a value\n";
        return false;
      }
      target = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      out << kUsage;
      return kExitOk;
    }
    if (a == "--json") {
      json = true;
    } else if (a == "--db") {
      if (!value(db_arg)) {
        return kExitUsage;
      }
    } else if (a == "--config") {
      if (!value(config_arg)) {
        return kExitUsage;
      }
    } else if (a == "--unit") {
      if (!value(unit)) {
        return kExitUsage;
      }
      if (!valid_unit_name(unit)) {
        err << "edgesoak status: error: invalid unit name '" << unit << "'\n";
        return kExitUsage;
      }
    } else {
      err << "edgesoak status: error: unknown argument '" << a << "'\n" << kUsage;
      return kExitUsage;
    }
  }

  Snapshot s;
  std::optional<std::string> run_name;
  std::error_code ec;
  if (config_arg.empty() && db_arg.empty() && std::filesystem::exists(kDefaultConfig, ec)) {
    config_arg = kDefaultConfig;
  }
  if (!config_arg.empty()) {
    config::LoadResult loaded = config::load_file(config_arg);
    if (!loaded.ok()) {
      for (const auto& d : loaded.diagnostics) {
        err << d.to_string() << "\n";
      }
      err << "edgesoak status: error: invalid configuration " << config_arg << "\n";
      return kExitUsage;
    }
    run_name = loaded.config->run.name;
    s.database = loaded.config->storage.database;
  }
  if (!db_arg.empty()) {
    s.database = db_arg;
  } else if (s.database.empty()) {
    s.database = kDefaultDatabase;
  }
  s.service = query_service(unit);

  if (!std::filesystem::exists(s.database, ec)) {
    err << "edgesoak status: error: no database at " << s.database.string()
        << " (nothing recorded yet); service: " << s.service.active_state << "\n";
    return kExitRuntime;
  }
  auto reader = storage::Reader::open(s.database);
  if (!reader) {
    err << "edgesoak status: error: " << s.database.string() << ": " << reader.error().message
        << "\n";
    return kExitRuntime;
  }
  if (auto r = read_snapshot(**reader, run_name, s); !r) {
    err << "edgesoak status: error: " << s.database.string() << ": " << r.error().message
        << "\n";
    return kExitRuntime;
  }
  if (json) {
    print_json(s, out);
  } else {
    print_text(s, out);
  }
  return kExitOk;
}

} // namespace es::service
