// describe(): the human summary printed by `edgesoak validate` and logged at daemon start.
#include "config/config.hpp"

#include "daemon/core/time.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>

namespace es::config {

namespace {

std::string rate_text(double rate_per_s) {
  if (rate_per_s <= 0) {
    return "max";
  }
  std::ostringstream out;
  out << rate_per_s << "/s";
  return out.str();
}

std::string cpus_text(const std::vector<int>& cpus) {
  if (cpus.empty()) {
    return "any";
  }
  // Compress ascending runs back into "0-3,6".
  std::string out;
  std::size_t i = 0;
  while (i < cpus.size()) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) {
      ++j;
    }
    if (!out.empty()) {
      out += ",";
    }
    out += std::to_string(cpus[i]);
    if (j > i) {
      out += "-" + std::to_string(cpus[j]);
    }
    i = j + 1;
  }
  return out;
}

} // namespace

std::string describe(const Config& config) { return describe(config, config.run.duration); }

std::string describe(const Config& config, std::chrono::nanoseconds total) {
  std::ostringstream out;
  out << "run:      " << config.run.name << " (board " << config.run.board << "), "
      << format_duration(total);
  if (total != config.run.duration) {
    out << " (overrides run.duration " << format_duration(config.run.duration) << ")";
  }
  out << "\n";
  Result<std::vector<ResolvedPhase>> phases = resolve_phases(config, total);
  if (!phases) {
    out << "phases:   cannot resolve: " << phases.error().message << "\n";
  } else {
    out << "phases:\n";
    const auto pad = [](std::string text, std::size_t width) {
      text.resize(std::max(width, text.size()), ' ');
      return text;
    };
    std::size_t name_width = 0;
    std::size_t start_width = 0;
    std::size_t length_width = 0;
    for (const ResolvedPhase& p : *phases) {
      name_width = std::max(name_width, p.name.size());
      start_width = std::max(start_width, format_duration(p.start).size());
      length_width = std::max(length_width, format_duration(p.duration).size());
    }
    for (const ResolvedPhase& p : *phases) {
      out << "  " << pad(p.name, name_width) << "  at " << pad(format_duration(p.start), start_width)
          << "  for " << pad(format_duration(p.duration), length_width) << "  "
          << (p.load ? "load, rate " + rate_text(p.rate_per_s) : std::string("idle")) << "\n";
    }
  }
  const Workload& w = config.workload;
  out << "workload: " << w.model << ", " << w.threads << " thread" << (w.threads == 1 ? "" : "s")
      << " x " << w.streams << " stream" << (w.streams == 1 ? "" : "s") << ", cpus "
      << cpus_text(w.cpus) << ", rate " << rate_text(w.rate_per_s) << ", isa " << w.isa
      << ", verify every " << w.verify_every << "\n";
  const Probes& p = config.probes;
  out << "probes:   every " << format_duration(p.interval) << ";";
  for (const std::string_view name : kProbeNames) {
    const std::string key(name);
    out << " " << key << " ";
    if (p.settings(key).enabled) {
      out << format_duration(p.interval_for(key));
    } else {
      out << "off";
    }
  }
  out << "\n";
  out << "roots:    sysfs " << p.sysfs_root.string() << ", procfs " << p.procfs_root.string()
      << ", devfs " << p.devfs_root.string() << "\n";
  for (const Ina219Device& d : p.ina219) {
    std::array<char, 8> address{};
    std::snprintf(address.data(), address.size(), "0x%02x", static_cast<unsigned>(d.address));
    out << "ina219:   " << d.name << " (" << d.chip << ") bus " << d.bus << " address "
        << address.data() << ", shunt " << d.shunt_ohms << " ohm, max " << d.max_current_a
        << " A, every " << format_duration(d.interval) << "\n";
  }
  out << "database: " << config.storage.database.string() << " (commit every "
      << format_duration(config.storage.commit_interval) << ", queue "
      << config.storage.queue_capacity << " rows)\n";
  if (config.safety.max_temperature_c) {
    out << "safety:   stop the load at " << *config.safety.max_temperature_c << " C held for "
        << format_duration(config.safety.hold) << "\n";
  } else {
    out << "safety:   off\n";
  }
  out << "logging:  " << config.logging.level << "\n";
  return out.str();
}

} // namespace es::config
