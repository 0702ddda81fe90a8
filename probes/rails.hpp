#pragma once
// Power rails measured by kernel drivers (RailsProbe) and the Raspberry Pi 5 PMIC (PmicProbe).
//
// RailsProbe ("rails") reads, through the sysfs root:
//   - INA2xx hwmon chips (ina219/220/226/230/231/238/260, driver ina2xx): in0 shunt mV,
//     in1 bus mV, curr1 mA, power1 uW (hardware.md §1.9). Named after the I2C device:
//       rails.<chip>_<bus-addr>.{bus_voltage,shunt_voltage,current,power}
//       (rails.ina219_1-0040.current)
//   - INA3221 hwmon (Jetson Orin, JetPack 5+): per channel N with a label (VDD_IN, VDD_SOC...),
//     in N bus mV, curr N mA, in N+3 shunt **uV**, power computed as V x I (the chip has none).
//     Channels labelled "NC" or without input files are skipped, sums (in7/curr4) too.
//       rails.<label>.{voltage,current,power,shunt_voltage}          (rails.vdd_in.power)
//   - INA3221x IIO (Jetson Nano/TX, L4T <= 32): bus/i2c/drivers/ina3221x/*/iio:device*/
//     rail_name_N, in_voltageN_input mV, in_currentN_input mA, in_powerN_input mW.
//       rails.<rail_name>.{voltage,current,power}                      (rails.pom_5v_in.power)
//   - Intel RAPL powercap zones (x86 mini PCs): class/powercap/intel-rapl:*/energy_uj (uJ,
//     wraps at max_energy_range_uj) turned into average power over the window since the
//     previous sample (first sample: gap). Zones whose energy_uj is root-only are skipped.
//       rails.rapl.<zone>.power    (rails.rapl.package-0.power, rails.rapl.package-0_core.power)
//   - rails.total_power: the module input rail (VDD_IN or POM_5V_IN) when present. Rails are not
//     summed otherwise (summing sub-rails double counts, jetson_stats#51).
// Duplicate labels across chips get "_<bus-addr>" appended.
//
// PmicProbe ("pmic") parses `pmic_read_adc` (Pi 5, hardware.md §3.4), fetched through the
// firmware mailbox (gencmd, no fork) or, failing that, by running `vcgencmd pmic_read_adc` with
// a timeout from the probe's own thread (one child at a time; killed and reaped on timeout).
// Its interval is at least 1 s (each read costs ~23 ms of firmware time).
//   pmic.<rail>.{voltage,current,power}   rails paired by name (VDD_CORE_A + VDD_CORE_V)
//   pmic.ext5v.voltage, pmic.batt.voltage (voltage-only channels)
//   pmic.total_power                      sum of V x I of the PMIC outputs: NOT wall power
//                                         (there is no input-current channel)

#include "probes/probe_base.hpp"
#include "probes/sysfs_reader.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es::probes {

// --- Interface: PMIC text (unit-tested against fixtures/zeus-rpi5-pmic) ---

/// One `pmic_read_adc` line: "  VDD_CORE_A current(7)=6.22421000A".
struct PmicChannel {
  std::string rail;            ///< "VDD_CORE" (the _A/_V suffix removed)
  bool is_current = false;     ///< true for current(...)=...A, false for volt(...)=...V
  int adc_index = -1;          ///< the number in brackets
  std::optional<double> value; ///< A or V; nullopt for "nan" or unparseable numbers
};

/// Parses the whole output; unrecognised lines are skipped (the format is tolerant by design).
[[nodiscard]] std::vector<PmicChannel> parse_pmic_read_adc(std::string_view text);

/// Average power from two RAPL energy readings `dt_s` apart, handling one counter wrap at
/// `max_range_uj`. nullopt if dt_s <= 0 or the delta is impossible (more than one wrap).
[[nodiscard]] std::optional<double> rapl_power_w(std::uint64_t prev_uj, std::uint64_t cur_uj,
                                                 std::uint64_t max_range_uj, double dt_s) noexcept;

/// Runs argv[0] (searched in PATH if it has no '/') with a hard timeout, capturing stdout.
/// Never leaves a child behind: on timeout the child is killed and reaped. kTimeout, kNotFound
/// (not executable), kIo (non-zero exit).
[[nodiscard]] Result<std::string> run_command(const std::vector<std::string>& argv,
                                              std::chrono::milliseconds timeout);

// --- Interface: probes ---

class RailsProbe final : public ProbeBase {
public:
  RailsProbe(const SysfsReader& sysfs, std::chrono::nanoseconds interval);

protected:
  void do_sample(ProbeOutput& out) override;

private:
  struct Channel {
    std::uint32_t index = 0;
    SysfsFile file;
    double scale = 1.0;
  };
  /// Power computed from a voltage and a current channel (INA3221 has no power register).
  struct Product {
    std::uint32_t index = 0;
    std::size_t volt = 0; ///< indices into m_channels
    std::size_t curr = 0;
  };
  std::size_t add_channel(const std::string& name, SensorKind kind, const char* unit,
                          const SysfsReader& sysfs, const std::string& rel, double scale);

  /// RAPL energy counter turned into power.
  struct Energy {
    std::uint32_t index = 0;
    SysfsFile file;
    std::uint64_t max_range_uj = 0;
    std::optional<std::uint64_t> prev_uj;
    std::int64_t prev_t = 0;
  };

  std::vector<Channel> m_channels;
  std::vector<Product> m_products;
  std::vector<Energy> m_energy;
  std::optional<std::uint32_t> m_i_total;
  std::optional<std::size_t> m_total_from_channel; ///< a power channel index
  std::optional<std::size_t> m_total_from_product; ///< or a computed power index
};

class PmicProbe final : public ProbeBase {
public:
  /// `read` returns the pmic_read_adc text (mailbox gencmd or vcgencmd); `source` describes it
  /// ("mailbox:gencmd pmic_read_adc" or "exec:vcgencmd pmic_read_adc"). Reads once to discover
  /// the rails; no sensors if that fails.
  PmicProbe(std::function<Result<std::string>()> read, std::string source,
            std::chrono::nanoseconds interval);

protected:
  void do_sample(ProbeOutput& out) override;

private:
  struct Rail {
    std::string name; ///< as printed ("VDD_CORE")
    std::optional<std::uint32_t> i_v, i_a, i_p;
  };
  std::function<Result<std::string>()> m_read;
  std::vector<Rail> m_rails;
  std::optional<std::uint32_t> m_i_total;
};

} // namespace es::probes
