// Small out-of-line pieces of config.hpp: probe setting lookups and diagnostic formatting.
#include "config/config.hpp"

namespace es::config {

ProbeSettings default_probe_settings(std::string_view name) {
  ProbeSettings settings;
  if (name == "cpufreq") {
    settings.interval = std::chrono::milliseconds(250);
  }
  return settings;
}

ProbeSettings Probes::settings(const std::string& name) const {
  const auto it = probe.find(name);
  if (it != probe.end()) {
    return it->second;
  }
  return default_probe_settings(name);
}

std::chrono::nanoseconds Probes::interval_for(const std::string& name) const {
  const ProbeSettings s = settings(name);
  return s.interval.count() > 0 ? s.interval : interval;
}

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) {
      out += ":" + std::to_string(column);
    }
  }
  out += ": ";
  if (!key_path.empty()) {
    out += key_path + ": ";
  }
  if (severity == Severity::kWarning) {
    out += "warning: ";
  }
  out += message;
  return out;
}

std::string LoadError::to_string() const {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    out += d.to_string();
    out += '\n';
  }
  return out;
}

} // namespace es::config
