#include "probes/probe_set.hpp"

#include "daemon/core/log.hpp"
#include "probes/cpufreq.hpp"
#include "probes/hwmon.hpp"
#include "probes/ina219.hpp"
#include "probes/system.hpp"
#include "probes/thermal.hpp"

#include <exception>
#include <functional>

namespace es::probes {

namespace {

// A factory returns a probe with sensors, or nullptr and a reason.
using Factory = std::function<std::unique_ptr<Probe>(const ProbeSetOptions&, std::string& why)>;

template <typename P>
std::unique_ptr<Probe> keep_if_any(std::unique_ptr<P> p, std::string& why, std::string reason) {
  if (p->sensors().empty()) {
    why = std::move(reason);
    return nullptr;
  }
  return p;
}

std::string shown(const std::filesystem::path& root, const char* rel) {
  return (root / rel).string();
}

// Power-monitor chips the rails probe reads with rail semantics (hardware.md §1.9, §1.11).
std::vector<std::string> rail_chip_names() {
  return {"ina209", "ina219", "ina220", "ina226", "ina230", "ina231", "ina233",
          "ina237", "ina238", "ina260", "ina3221"};
}

const std::vector<std::pair<std::string, Factory>>& factories() {
  static const std::vector<std::pair<std::string, Factory>> k{
      {"cpufreq",
       [](const ProbeSetOptions& o, std::string& why) -> std::unique_ptr<Probe> {
         const SysfsReader sysfs(o.roots.sysfs);
         return keep_if_any(std::make_unique<CpufreqProbe>(sysfs, o.interval_for("cpufreq")), why,
                            "no cpufreq policies under " +
                                shown(o.roots.sysfs, "devices/system/cpu"));
       }},
      {"thermal",
       [](const ProbeSetOptions& o, std::string& why) -> std::unique_ptr<Probe> {
         const SysfsReader sysfs(o.roots.sysfs);
         return keep_if_any(std::make_unique<ThermalProbe>(sysfs, o.interval_for("thermal")), why,
                            "no zones under " + shown(o.roots.sysfs, "class/thermal"));
       }},
      {"hwmon",
       [](const ProbeSetOptions& o, std::string& why) -> std::unique_ptr<Probe> {
         const SysfsReader sysfs(o.roots.sysfs);
         HwmonOptions h;
         h.backend = o.hwmon_backend;
         if (o.toggle("rails").enabled) {
           h.exclude_chips = rail_chip_names();
         }
         return keep_if_any(std::make_unique<HwmonProbe>(sysfs, o.interval_for("hwmon"), h), why,
                            "no hwmon chips under " + shown(o.roots.sysfs, "class/hwmon"));
       }},
      {"system",
       [](const ProbeSetOptions& o, std::string& why) -> std::unique_ptr<Probe> {
         const SysfsReader procfs(o.roots.procfs);
         return keep_if_any(std::make_unique<SystemProbe>(procfs, o.interval_for("system")), why,
                            "nothing readable under " + o.roots.procfs.string());
       }},
  };
  return k;
}

} // namespace

ProbeToggle ProbeSetOptions::toggle(const std::string& name) const {
  const auto it = probes.find(name);
  return it == probes.end() ? ProbeToggle{} : it->second;
}

std::chrono::nanoseconds ProbeSetOptions::interval_for(const std::string& name) const {
  const auto t = toggle(name);
  return t.interval.count() > 0 ? t.interval : default_interval;
}

const std::vector<std::string>& known_probe_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, f] : factories()) {
      n.push_back(name);
    }
    return n;
  }();
  return names;
}

ProbeSet make_probes(const ProbeSetOptions& options) {
  ProbeSet set;
  for (const auto& [name, factory] : factories()) {
    if (!options.toggle(name).enabled) {
      set.skipped.push_back(name + ": disabled");
      continue;
    }
    try {
      std::string why;
      auto p = factory(options, why);
      if (p) {
        set.probes.push_back(std::move(p));
      } else {
        set.skipped.push_back(name + ": " + why);
      }
    } catch (const std::exception& e) {
      set.skipped.push_back(name + ": discovery failed: " + e.what());
    } catch (...) {
      set.skipped.push_back(name + ": discovery failed");
    }
  }
  // User-space INA219/INA226 devices: one probe (and one /dev/i2c-N descriptor) each.
  for (const auto& dev : options.ina219) {
    const std::string label = "ina219 " + dev.name;
    try {
      const auto path = options.roots.devfs / ("i2c-" + std::to_string(dev.bus));
      auto bus = LinuxI2cBus::open(path);
      if (!bus) {
        set.skipped.push_back(label + ": " + bus.error().message);
        continue;
      }
      auto probe = Ina219Probe::create(dev, std::move(*bus));
      if (!probe) {
        std::string why = probe.error().message;
        if (probe.error().code == ErrorCode::kBusy) {
          why += " (a kernel driver such as ina2xx owns the address; the rails probe reads it "
                 "through hwmon)";
        }
        set.skipped.push_back(label + ": " + why);
        continue;
      }
      set.probes.push_back(std::move(*probe));
    } catch (const std::exception& e) {
      set.skipped.push_back(label + ": " + e.what());
    }
  }
  return set;
}

} // namespace es::probes
