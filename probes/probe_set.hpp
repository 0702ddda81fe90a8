#pragma once
// es::probes::make_probes: the one entry point the service uses to build every probe a board has.
//
// es_service turns es::config::Probes into ProbeSetOptions (probes never see es::config,
// STYLE.md rule 3), calls make_probes() once at start-up, registers every probe's sensors() with
// storage, and runs each probe on its own thread at probe->interval() on absolute deadlines.
//
// Discovery never throws and is never fatal: a probe that finds nothing (no thermal zones, no
// /dev/i2c-1, no Raspberry Pi firmware) is left out and its reason is listed in
// ProbeSet::skipped, e.g. "thermal: no zones under /sys/class/thermal".
//
// Probe names (keys of ProbeSetOptions::probes): cpufreq, thermal, hwmon, system, rpi, rails,
// pmic, devfreq ("pmic" is also off when "rails" is off; its interval is at least 1 s).
// INA219/INA226 devices are configured one by one in ProbeSetOptions::ina219 and named after
// Ina219Options::name.

#include "probes/hwmon.hpp"
#include "probes/probe.hpp"
#include "probes/sysfs_reader.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace es::probes {

// --- Interface ---

/// Where the kernel's filesystems are. Tests and `edgesoak probe --sysfs-root` point these at
/// fixture trees.
struct Roots {
  std::filesystem::path sysfs = kDefaultSysfsRoot;
  std::filesystem::path procfs = kDefaultProcfsRoot;
  std::filesystem::path devfs = kDefaultDevfsRoot;
};

/// Per-probe switch and sampling interval.
struct ProbeToggle {
  bool enabled = true;
  std::chrono::nanoseconds interval{0}; ///< 0 = ProbeSetOptions::default_interval
};

/// One INA219 (or INA226) on a user-space I2C bus (/dev/i2c-<bus> under Roots::devfs).
/// Mirrors the config keys of es::config::Ina219Device.
struct Ina219Options {
  std::string name = "ina219"; ///< sensor prefix: "<name>.bus_voltage", ...
  int bus = 1;                 ///< /dev/i2c-<bus>
  int address = 0x40;          ///< 7-bit address, 0x40..0x4F
  double shunt_ohms = 0.1;     ///< shunt resistor
  double max_current_a = 3.2;  ///< expected maximum current (sets Current_LSB)
  std::chrono::nanoseconds interval = std::chrono::milliseconds(10); ///< up to 200 Hz (5 ms)
  int bus_range_v = 32;                                              ///< 16 or 32 (INA219 BRNG)
  int adc_samples = 1;         ///< 1 (12-bit) or 2, 4, ..., 128 averaged samples
  bool auto_gain = false;      ///< INA219: raise the PGA gain on overflow
  std::string chip = "ina219"; ///< "ina219" or "ina226"
};

/// Everything make_probes needs.
struct ProbeSetOptions {
  Roots roots;
  std::chrono::nanoseconds default_interval{std::chrono::seconds(1)};
  /// Keyed by probe name (cpufreq, thermal, hwmon, system, rpi, rails, devfreq). Missing keys
  /// are enabled with the default interval.
  std::map<std::string, ProbeToggle> probes;
  std::vector<Ina219Options> ina219;
  /// hwmon back-end (see hwmon.hpp): auto = libsensors when roots.sysfs is /sys, else sysfs.
  HwmonBackend hwmon_backend = HwmonBackend::kAuto;
  /// vcgencmd used for the Pi 5 PMIC when the mailbox cannot run gencmd (searched in PATH).
  /// Only tried on boards whose model says "Raspberry Pi 5" / "Compute Module 5".
  std::string vcgencmd = "vcgencmd";

  /// The toggle for `name` (defaults if absent).
  [[nodiscard]] ProbeToggle toggle(const std::string& name) const;
  /// Effective interval for `name`.
  [[nodiscard]] std::chrono::nanoseconds interval_for(const std::string& name) const;
};

/// What make_probes built.
struct ProbeSet {
  std::vector<std::unique_ptr<Probe>> probes;
  /// One line per probe or device left out: "<probe>: <reason>".
  std::vector<std::string> skipped;
};

/// The names make_probes knows, in construction order.
[[nodiscard]] const std::vector<std::string>& known_probe_names();

/// Builds every enabled probe that finds at least one sensor. Never throws.
[[nodiscard]] ProbeSet make_probes(const ProbeSetOptions& options);

/// Who we are running on (stored with each run).
struct BoardInfo {
  std::string model;        ///< device-tree model ("Raspberry Pi 5 Model B Rev 1.0") or DMI
                            ///< "<vendor> <product>"; "unknown" if neither exists
  std::string kernel;       ///< procfs sys/kernel/osrelease ("6.6.31+rpt-rpi-2712")
  std::string cpu;          ///< "Cortex-A76 x4", or x86 "model name"
  std::string cpu_features; ///< ARM "Features" / x86 "flags" line of cpuinfo
  std::string soc;          ///< device-tree compatible SoC entry ("brcm,bcm2712") or cpuinfo
                            ///< "Hardware"; "" if unknown
};

/// Reads the board identity from the roots. Never fails: unknown fields stay "unknown"/"".
[[nodiscard]] BoardInfo detect_board(const Roots& roots);

/// Name of an ARM CPU part number from /proc/cpuinfo ("0xd0b" -> "Cortex-A76"), "" if unknown.
[[nodiscard]] std::string arm_cpu_part_name(std::string_view implementer, std::string_view part);

} // namespace es::probes
