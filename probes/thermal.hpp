#pragma once
// es::probes::ThermalProbe: every thermal zone, its trip points, every cooling device, and the
// Coral Edge TPU's apex temperature.
//
// Sensors (T = sanitized zone `type`; zones are found by type, never by their unstable number):
//   thermal.T                      zone temperature, C. -256 C (Jetson: sensor powered off) and
//                                  values below absolute zero are kInvalid; read errors are
//                                  kUnavailable. Negative temperatures are valid (-44 C).
//   thermal.T.tripK_<type>         trip point K temperature, C (type: critical, hot, passive,
//                                  active). Configuration, so *sparse*: reported on the first
//                                  sample and whenever it changes ("thermal_trip_changed").
//                                  Kind "other", not "temperature": a threshold is not a
//                                  reading (the service's safety limit scans temperatures).
//   thermal.cooling.D              cooling device cur_state (D = sanitized device type)
//   thermal.cooling.D.max_state    sparse, like trip points
//   thermal.apex_N                 Coral Edge TPU temperature, C (class/apex/apex_N/temp)
//   thermal.apex_N.tripK           apex trip_pointK_temp, sparse (TPU clock steps 500 -> 250 ->
//                                  125 -> 62.5 MHz happen at these)
// Duplicate types get the kernel index appended: thermal.acpitz.0, thermal.acpitz.1.
// Jetson's PMIC-Die zone (a fixed 100 C placeholder) is recorded with kind "other".
//
// Events: "thermal_trip" when a zone crosses one of its trip points (up or down),
// "cooling_active"/"cooling_idle" when a cooling device leaves/returns to state 0 (kernel-side
// throttling on a cpufreq/devfreq cooling device).

#include "probes/probe_base.hpp"
#include "probes/sysfs_reader.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace es::probes {

// --- Interface ---

/// Converts a thermal/hwmon milli-degree reading to C; nullopt for the "no value" markers
/// (-256000, i.e. -256 C, and anything below -273.15 C).
[[nodiscard]] std::optional<double> millicelsius_to_c(std::int64_t mc) noexcept;

class ThermalProbe final : public ProbeBase {
public:
  /// Discovers zones, cooling devices and apex devices below `sysfs`.
  ThermalProbe(const SysfsReader& sysfs, std::chrono::nanoseconds interval);

  /// Number of zones found (for the skip reason).
  [[nodiscard]] std::size_t zone_count() const noexcept { return m_zones.size(); }

protected:
  void do_sample(ProbeOutput& out) override;

private:
  struct Sparse {
    SysfsFile file;
    std::uint32_t index = 0;
    std::string label; ///< "trip0 passive"
    std::optional<std::int64_t> last;
  };
  struct Zone {
    std::string name; ///< sensor name
    SysfsFile temp;
    std::uint32_t index = 0;
    std::vector<Sparse> trips;
    std::optional<double> last_c;
  };
  struct Cooling {
    std::string name;
    SysfsFile cur;
    std::optional<std::uint32_t> index;
    std::optional<Sparse> max;
    std::optional<std::int64_t> last;
  };

  void sample_sparse(Sparse& s, const std::string& owner, bool milli, ProbeOutput& out);

  std::vector<Zone> m_zones;
  std::vector<Cooling> m_cooling;
};

} // namespace es::probes
