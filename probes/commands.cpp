#include "probes/commands.hpp"

#include "daemon/core/exit_codes.hpp"
#include "probes/ina219.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace es::probes {

namespace {

constexpr const char* kUsage =
    "usage: edgesoak probe [--json] [--sysfs-root DIR] [--procfs-root DIR] [--devfs-root DIR]\n"
    "                      [--no-i2c-scan]\n"
    "Discovers the board and every sensor, prints each with value, unit and source, and a\n"
    "YAML snippet for the probes: block of the configuration.\n";

struct Row {
  std::string probe;
  SensorSpec spec;
  Reading reading;
  bool have = false;
};

std::string format_value(const Row& r) {
  if (!r.have) {
    return "-";
  }
  if (r.reading.status != SampleStatus::kOk) {
    return std::string("(") + to_string(r.reading.status) + ")";
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6g", r.reading.value);
  return buf;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) {
    return "null";
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string hex_addr(int a) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", a);
  return buf;
}

// The YAML snippet for the config's probes: block (keys of config/edgesoak.yaml).
std::string config_snippet(const ProbeSetOptions& o, const std::set<std::string>& built,
                           const std::map<std::string, std::size_t>& counts,
                           const std::vector<Ina219Options>& ina) {
  std::ostringstream y;
  y << "probes:\n";
  y << "  interval: 1s\n";
  const Roots defaults;
  if (o.roots.sysfs != defaults.sysfs) {
    y << "  sysfs_root: " << o.roots.sysfs.string() << "\n";
  }
  if (o.roots.procfs != defaults.procfs) {
    y << "  procfs_root: " << o.roots.procfs.string() << "\n";
  }
  if (o.roots.devfs != defaults.devfs) {
    y << "  devfs_root: " << o.roots.devfs.string() << "\n";
  }
  const std::vector<std::pair<std::string, std::string>> keys{
      {"cpufreq", "cpufreq"}, {"thermal", "thermal"}, {"hwmon", "hwmon"},    {"system", "system"},
      {"rpi", "rpi"},         {"rails", "rails"},     {"devfreq", "devfreq"}};
  for (const auto& [key, probe] : keys) {
    std::size_t n = 0;
    if (const auto it = counts.find(probe); it != counts.end()) {
      n = it->second;
    }
    bool found = built.count(probe) != 0;
    if (key == "rails" && built.count("pmic") != 0) {
      found = true;
      n += counts.count("pmic") != 0 ? counts.at("pmic") : 0;
    }
    y << "  " << key << ": {enabled: " << (found ? "true" : "false") << "}";
    y << std::string(std::max<int>(1, 10 - static_cast<int>(key.size())), ' ') << "# "
      << (found ? std::to_string(n) + " sensors found" : "nothing found on this machine") << "\n";
  }
  if (ina.empty()) {
    y << "  ina219: []\n";
  } else {
    y << "  ina219:\n";
    for (const auto& d : ina) {
      y << "    - name: " << d.name << "\n";
      y << "      bus: " << d.bus << "\n";
      y << "      address: " << hex_addr(d.address) << "\n";
      y << "      shunt_ohms: " << d.shunt_ohms << "       # check the resistor on your board\n";
      y << "      max_current_a: " << d.max_current_a << "\n";
      y << "      chip: " << d.chip << "\n";
    }
  }
  return y.str();
}

} // namespace

std::string json_quote(std::string_view s) {
  std::string o = "\"";
  for (const char c : s) {
    switch (c) {
    case '"':
      o += "\\\"";
      break;
    case '\\':
      o += "\\\\";
      break;
    case '\n':
      o += "\\n";
      break;
    case '\t':
      o += "\\t";
      break;
    case '\r':
      o += "\\r";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x",
                      static_cast<unsigned>(static_cast<unsigned char>(c)));
        o += buf;
      } else {
        o += c;
      }
    }
  }
  o += '"';
  return o;
}

int run_probe_command(const ProbeSetOptions& options, bool json, std::ostream& out,
                      std::ostream& err) {
  ProbeCommandOptions c;
  c.json = json;
  return run_probe_command(options, c, out, err);
}

int run_probe_command(const ProbeSetOptions& options_in, const ProbeCommandOptions& command,
                      std::ostream& out, std::ostream& err) {
  try {
    ProbeSetOptions options = options_in;
    std::vector<Ina219Options> scanned;
    if (options.ina219.empty() && command.scan_i2c) {
      int k = 0;
      for (const auto& f : scan_ina2xx(options.roots.devfs)) {
        Ina219Options d;
        d.name = k == 0 ? "board" : "ina" + std::to_string(k);
        d.bus = f.bus;
        d.address = f.address;
        d.chip = f.chip;
        d.shunt_ohms = 0.1;
        d.max_current_a = 3.2;
        if (f.chip == "ina226") {
          d.max_current_a = 0.8; // 81.92 mV range at 0.1 ohm
        }
        scanned.push_back(d);
        ++k;
      }
      options.ina219 = scanned;
    }
    const BoardInfo board = detect_board(options.roots);
    ProbeSet set = make_probes(options);

    // Two samples so window sensors (utilisation, residency) have a value.
    std::vector<ProbeOutput> first(set.probes.size());
    std::vector<ProbeOutput> second(set.probes.size());
    for (std::size_t i = 0; i < set.probes.size(); ++i) {
      set.probes[i]->sample(first[i]);
    }
    std::this_thread::sleep_for(command.settle);
    for (std::size_t i = 0; i < set.probes.size(); ++i) {
      set.probes[i]->sample(second[i]);
    }

    std::vector<Row> rows;
    std::vector<ProbeEvent> events;
    std::map<std::string, std::size_t> counts;
    std::set<std::string> built;
    for (std::size_t i = 0; i < set.probes.size(); ++i) {
      const Probe& p = *set.probes[i];
      built.insert(p.name());
      const auto& specs = p.sensors();
      std::vector<Row> mine(specs.size());
      for (std::size_t k = 0; k < specs.size(); ++k) {
        mine[k].probe = p.name();
        mine[k].spec = specs[k];
      }
      // Prefer the second sample; sparse sensors (trip points) only appear in the first.
      for (const auto* o : {&first[i], &second[i]}) {
        for (const auto& r : o->readings) {
          if (r.index < mine.size() && (!mine[r.index].have || r.status == SampleStatus::kOk ||
                                        mine[r.index].reading.status != SampleStatus::kOk)) {
            mine[r.index].reading = r;
            mine[r.index].have = true;
          }
        }
        events.insert(events.end(), o->events.begin(), o->events.end());
      }
      counts[p.name()] = specs.size();
      rows.insert(rows.end(), mine.begin(), mine.end());
    }
    const std::string yaml = config_snippet(options, built, counts, scanned);

    if (command.json) {
      out << "{\n  \"board\": {\"model\": " << json_quote(board.model)
          << ", \"kernel\": " << json_quote(board.kernel) << ", \"cpu\": " << json_quote(board.cpu)
          << ", \"soc\": " << json_quote(board.soc)
          << ", \"cpu_features\": " << json_quote(board.cpu_features) << "},\n";
      out << "  \"sensors\": [";
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        const bool ok = r.have && r.reading.status == SampleStatus::kOk;
        out << (i == 0 ? "\n" : ",\n") << "    {\"name\": " << json_quote(r.spec.name)
            << ", \"kind\": " << json_quote(to_string(r.spec.kind))
            << ", \"unit\": " << json_quote(r.spec.unit)
            << ", \"value\": " << (ok ? json_number(r.reading.value) : "null")
            << ", \"status\": " << json_quote(r.have ? to_string(r.reading.status) : "not_sampled")
            << ", \"source\": " << json_quote(r.spec.source)
            << ", \"probe\": " << json_quote(r.probe) << "}";
      }
      out << "\n  ],\n  \"skipped\": [";
      for (std::size_t i = 0; i < set.skipped.size(); ++i) {
        out << (i == 0 ? "" : ", ") << json_quote(set.skipped[i]);
      }
      out << "],\n  \"events\": [";
      for (std::size_t i = 0; i < events.size(); ++i) {
        out << (i == 0 ? "" : ", ") << "{\"kind\": " << json_quote(events[i].kind)
            << ", \"detail\": " << json_quote(events[i].detail) << "}";
      }
      out << "],\n  \"config_yaml\": " << json_quote(yaml) << "\n}\n";
      return kExitOk;
    }

    out << "board:   " << board.model << "\n";
    if (!board.soc.empty()) {
      out << "soc:     " << board.soc << "\n";
    }
    out << "cpu:     " << board.cpu << "\n";
    out << "kernel:  " << board.kernel << "\n";
    out << "roots:   sysfs=" << options.roots.sysfs.string()
        << " procfs=" << options.roots.procfs.string() << " devfs=" << options.roots.devfs.string()
        << "\n\n";
    std::size_t w = 20;
    for (const auto& r : rows) {
      w = std::max(w, r.spec.name.size());
    }
    out << "sensors (" << rows.size() << "):\n";
    out << "  " << std::left << std::setw(static_cast<int>(w)) << "NAME"
        << "  " << std::setw(14) << "VALUE" << std::setw(7) << "UNIT" << std::setw(12) << "KIND"
        << "SOURCE\n";
    for (const auto& r : rows) {
      out << "  " << std::left << std::setw(static_cast<int>(w)) << r.spec.name << "  "
          << std::setw(14) << format_value(r) << std::setw(7) << r.spec.unit << std::setw(12)
          << to_string(r.spec.kind) << r.spec.source << "\n";
    }
    if (!set.skipped.empty()) {
      out << "\nskipped:\n";
      for (const auto& s : set.skipped) {
        out << "  " << s << "\n";
      }
    }
    if (!events.empty()) {
      out << "\nevents:\n";
      for (const auto& e : events) {
        out << "  " << e.kind << " " << e.detail << "\n";
      }
    }
    out << "\n# configuration snippet for edgesoak.yaml:\n" << yaml;
    return kExitOk;
  } catch (const std::exception& e) {
    err << "edgesoak probe: error: " << e.what() << "\n";
    return kExitRuntime;
  } catch (...) {
    err << "edgesoak probe: error: unknown exception\n";
    return kExitRuntime;
  }
}

int cmd_probe(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ProbeSetOptions options;
  ProbeCommandOptions command;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::filesystem::path& dst) -> bool {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        err << "edgesoak probe: error: " << a << " needs a directory\n" << kUsage;
        return false;
      }
      dst = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      out << kUsage;
      return kExitOk;
    }
    if (a == "--json") {
      command.json = true;
    } else if (a == "--no-i2c-scan") {
      command.scan_i2c = false;
    } else if (a == "--sysfs-root") {
      if (!value(options.roots.sysfs)) {
        return kExitUsage;
      }
    } else if (a == "--procfs-root") {
      if (!value(options.roots.procfs)) {
        return kExitUsage;
      }
    } else if (a == "--devfs-root") {
      if (!value(options.roots.devfs)) {
        return kExitUsage;
      }
    } else {
      err << "edgesoak probe: error: unknown argument '" << a << "'\n" << kUsage;
      return kExitUsage;
    }
  }
  for (const auto* root : {&options.roots.sysfs, &options.roots.procfs}) {
    std::error_code ec;
    if (!std::filesystem::is_directory(*root, ec)) {
      err << "edgesoak probe: error: not a directory: " << root->string() << "\n";
      return kExitUsage;
    }
  }
  return run_probe_command(options, command, out, err);
}

} // namespace es::probes
