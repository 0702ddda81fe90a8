#pragma once
// es::probes::HwmonProbe: every hwmon chip and feature (temp, in, curr, power, energy, fan,
// freq), with units normalised to C, V, A, W, J, rpm, Hz.
//
// Two back-ends read the same kernel attributes and produce the same sensor names:
// - libsensors (lm-sensors 3.6): honours /etc/sensors3.conf labels, compute and ignore rules.
//   It hard-codes /sys, so it is only usable when the sysfs root *is* /sys.
// - a direct sysfs reader with an injectable root (fixtures, --sysfs-root), one open file
//   descriptor per attribute re-read with pread (cheaper than libsensors' fopen/fscanf/fclose
//   per value, see tests/bench/probes).
// HwmonBackend::kAuto picks libsensors when the root is /sys and libsensors initialises and
// finds at least one chip, the sysfs reader otherwise. backend() reports the choice; each
// sensor's `source` starts with "libsensors:" or "sysfs:".
//
// Sensor names: hwmon.<chip>.<feature>, where chip is the sanitized `name` attribute and
// feature the sanitized label ("Core 0" -> core_0) or, without a label, the feature name
// ("temp1"). Chips whose name occurs more than once get ".<device>" appended, the basename of
// their `device` link ("coretemp.0" -> coretemp_0), or hwmonN if there is none. Examples:
// hwmon.coretemp.core_0, hwmon.coretemp.package_id_0, hwmon.nvme.composite,
// hwmon.cpu_thermal.temp1, hwmon.pwmfan.fan1.
//
// Quirks handled: INA3221 in4..in7 are in uV, not mV (hardware.md §1.11); -256 C is a gap.
// Chips listed in HwmonOptions::exclude_chips are left to other probes (make_probes hands the
// INA2xx/INA3221 power monitors to the rails probe to avoid double rows).

#include "probes/probe_base.hpp"
#include "probes/sysfs_reader.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es::probes {

// --- Interface ---

enum class HwmonBackend {
  kAuto,       ///< libsensors if the root is /sys and it works, else sysfs
  kSysfs,      ///< direct sysfs reader
  kLibsensors, ///< libsensors only (no sensors if it fails)
};

/// "auto", "sysfs", "libsensors".
[[nodiscard]] const char* to_string(HwmonBackend b) noexcept;

struct HwmonOptions {
  HwmonBackend backend = HwmonBackend::kAuto;
  /// hwmon `name`s to leave out (exact match).
  std::vector<std::string> exclude_chips;
  /// libsensors configuration file; empty = the system's (/etc/sensors3.conf + sensors.d).
  /// "/dev/null" gives raw values without compute/label/ignore rules. The first HwmonProbe
  /// that initialises libsensors in a process decides (the library has global state).
  std::filesystem::path libsensors_config;
};

/// How a raw hwmon attribute value maps to SI.
struct HwmonUnit {
  SensorKind kind = SensorKind::kOther;
  const char* unit = "";
  double scale = 1.0; ///< SI value = raw * scale (sysfs raw integers)
};

/// Unit of attribute type `type` ("temp", "in", "curr", "power", "energy", "fan", "freq") for
/// channel `channel` of chip `chip`; nullopt for types we do not record.
[[nodiscard]] std::optional<HwmonUnit> hwmon_unit(std::string_view chip, std::string_view type,
                                                  int channel) noexcept;

/// Splits an attribute file name "temp12_input" into {"temp", 12, "input"}.
struct HwmonAttr {
  std::string type;
  int channel = 0;
  std::string item;
};
[[nodiscard]] std::optional<HwmonAttr> parse_hwmon_attr(std::string_view file);

class HwmonProbe final : public ProbeBase {
public:
  HwmonProbe(const SysfsReader& sysfs, std::chrono::nanoseconds interval,
             HwmonOptions options = {});
  ~HwmonProbe() override;
  HwmonProbe(const HwmonProbe&) = delete;
  HwmonProbe& operator=(const HwmonProbe&) = delete;

  /// The back-end actually in use (never kAuto after construction).
  [[nodiscard]] HwmonBackend backend() const noexcept { return m_backend; }

protected:
  void do_sample(ProbeOutput& out) override;

private:
  struct Channel {
    std::uint32_t index = 0;
    bool temperature = false;
    double scale = 1.0;
    SysfsFile file;             ///< sysfs back-end
    const void* chip = nullptr; ///< libsensors back-end: const sensors_chip_name*
    int subfeature = -1;        ///< libsensors subfeature number
  };

  bool discover_sysfs(const SysfsReader& sysfs, const HwmonOptions& options);
  bool discover_libsensors(const HwmonOptions& options);

  HwmonBackend m_backend = HwmonBackend::kSysfs;
  std::vector<Channel> m_channels;
  bool m_libsensors_ref = false;
};

} // namespace es::probes
