#include "probes/probe_set.hpp"

#include "daemon/core/log.hpp"
#include "probes/cpufreq.hpp"
#include "probes/devfreq.hpp"
#include "probes/hwmon.hpp"
#include "probes/ina219.hpp"
#include "probes/rails.hpp"
#include "probes/rpi.hpp"
#include "probes/system.hpp"
#include "probes/thermal.hpp"

#include <exception>
#include <functional>
#include <mutex>

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
  return {"ina209", "ina219", "ina220", "ina226", "ina230", "ina231",
          "ina233", "ina237", "ina238", "ina260", "ina3221"};
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
                            "no hwmon sensors (besides rail monitors) under " +
                                shown(o.roots.sysfs, "class/hwmon"));
       }},
      {"system",
       [](const ProbeSetOptions& o, std::string& why) -> std::unique_ptr<Probe> {
         const SysfsReader procfs(o.roots.procfs);
         return keep_if_any(std::make_unique<SystemProbe>(procfs, o.interval_for("system")), why,
                            "nothing readable under " + o.roots.procfs.string());
       }},
      {"rpi",
       [](const ProbeSetOptions& o, std::string& why) -> std::unique_ptr<Probe> {
         const SysfsReader sysfs(o.roots.sysfs);
         std::unique_ptr<rpi::Mailbox> mailbox;
         if (auto m = rpi::VcioMailbox::open(o.roots.devfs / "vcio")) {
           mailbox = std::move(*m);
         }
         return keep_if_any(
             std::make_unique<RpiProbe>(sysfs, std::move(mailbox), o.interval_for("rpi")), why,
             "no firmware mailbox at " + (o.roots.devfs / "vcio").string() +
                 " and no get_throttled or rpi_volt under " + o.roots.sysfs.string());
       }},
      {"rails",
       [](const ProbeSetOptions& o, std::string& why) -> std::unique_ptr<Probe> {
         const SysfsReader sysfs(o.roots.sysfs);
         return keep_if_any(std::make_unique<RailsProbe>(sysfs, o.interval_for("rails")), why,
                            "no ina2xx/ina3221 hwmon, ina3221x iio or RAPL rails under " +
                                o.roots.sysfs.string());
       }},
      {"pmic",
       [](const ProbeSetOptions& o, std::string& why) -> std::unique_ptr<Probe> {
         if (!o.toggle("rails").enabled) {
           why = "disabled with rails";
           return nullptr;
         }
         const auto interval = o.toggle("pmic").interval.count() > 0
                                   ? o.toggle("pmic").interval
                                   : std::max<std::chrono::nanoseconds>(o.interval_for("rails"),
                                                                        std::chrono::seconds(1));
         // Mailbox gencmd first: no fork.
         if (auto m = rpi::VcioMailbox::open(o.roots.devfs / "vcio")) {
           std::shared_ptr<rpi::Mailbox> mb(std::move(*m));
           if (rpi::gencmd(*mb, "pmic_read_adc").ok()) {
             auto p =
                 std::make_unique<PmicProbe>([mb] { return rpi::gencmd(*mb, "pmic_read_adc"); },
                                             "mailbox:gencmd pmic_read_adc", interval);
             return keep_if_any(std::move(p), why, "pmic_read_adc returned no rails");
           }
         }
         const std::string model = detect_board(o.roots).model;
         const bool pi5 =
             model.rfind("Raspberry Pi", 0) == 0 && (model.find("Pi 5") != std::string::npos ||
                                                     model.find("Module 5") != std::string::npos);
         if (!pi5) {
           why = "not a Raspberry Pi 5 (model '" + model + "')";
           return nullptr;
         }
         const std::string cmd = o.vcgencmd;
         auto p = std::make_unique<PmicProbe>(
             [cmd]() -> Result<std::string> {
               // One vcgencmd at a time in the whole process.
               static std::mutex one_at_a_time;
               std::lock_guard lock(one_at_a_time);
               return run_command({cmd, "pmic_read_adc"}, std::chrono::milliseconds(2000));
             },
             "exec:" + cmd + " pmic_read_adc", interval);
         return keep_if_any(std::move(p), why, cmd + " pmic_read_adc failed or printed no rails");
       }},
      {"devfreq",
       [](const ProbeSetOptions& o, std::string& why) -> std::unique_ptr<Probe> {
         const SysfsReader sysfs(o.roots.sysfs);
         return keep_if_any(std::make_unique<DevfreqProbe>(sysfs, o.interval_for("devfreq")), why,
                            "no devices under " + shown(o.roots.sysfs, "class/devfreq"));
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
