#pragma once
// INA219 (and INA226) current/power monitors read from user space over I2C.
//
// Three layers (STYLE.md §2.3):
//  1. Pure functions in namespace ina219 / ina226: register decode, calibration, config words.
//     Tested with the golden vectors of hardware.md §1.5-1.8 and §1.12.
//  2. Ina2xxDevice: a thin device over I2cBus& that configures, calibrates and reads one chip,
//     honouring CNVR (conversion ready) and OVF (math overflow), re-calibrating after a
//     brown-out (Cal reads 0), optionally stepping the PGA gain up on overflow (INA219).
//  3. Ina219Probe: the Probe. Sensors, named after Ina219Options::name (N):
//       N.bus_voltage    V   (bus register; stays valid during OVF)
//       N.shunt_voltage  V   (signed)
//       N.current        A   (signed; kInvalid while OVF is set, never a number)
//       N.power          W   (kInvalid while OVF is set)
//     plus probe.N.read_cost. I2C errors are retried with back-off inside a sample, become
//     kUnavailable gaps when they persist, are logged rate-limited (logger "probe.ina219"), and
//     after repeated failed samples the probe backs off (tries every 2, 4, ... samples up to
//     about one second) until the device answers again ("i2c_recovered" event).
//
// Units: all decoded values are SI (V, A, W). Internally on-chip LSBs follow the datasheets.

#include "probes/i2c_bus.hpp"
#include "probes/probe_base.hpp"
#include "probes/probe_set.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace es {
class RateLimiter;
} // namespace es

namespace es::probes {

// --- Interface: INA219 pure functions ---

namespace ina219 {

inline constexpr std::uint8_t kRegConfig = 0x00;
inline constexpr std::uint8_t kRegShunt = 0x01;
inline constexpr std::uint8_t kRegBus = 0x02;
inline constexpr std::uint8_t kRegPower = 0x03;
inline constexpr std::uint8_t kRegCurrent = 0x04;
inline constexpr std::uint8_t kRegCalibration = 0x05;
inline constexpr std::uint16_t kConfigReset = 0x8000;
inline constexpr std::uint16_t kConfigPowerOn = 0x399F;

/// Shunt PGA setting: full-scale range 40, 80, 160, 320 mV.
enum class Pga : std::uint8_t { kDiv1 = 0, kDiv2 = 1, kDiv4 = 2, kDiv8 = 3 };

/// Full-scale shunt voltage of a PGA setting in volts (0.04 .. 0.32).
[[nodiscard]] double pga_full_scale_v(Pga pga) noexcept;

/// Smallest PGA range whose full scale is >= `shunt_v` (exact fits allowed, unlike
/// pi-ina219's strict comparison). kInvalidArgument above 320 mV.
[[nodiscard]] Result<Pga> pga_for(double shunt_v);

/// Decoded bus-voltage register (hardware.md §1.5).
struct BusVoltage {
  double volts = 0;              ///< (raw >> 3) * 4 mV
  bool conversion_ready = false; ///< CNVR, bit 1
  bool overflow = false;         ///< OVF, bit 0: current/power are meaningless
};
[[nodiscard]] BusVoltage decode_bus(std::uint16_t raw) noexcept;

/// Shunt voltage in volts: signed, LSB 10 uV at every PGA setting.
[[nodiscard]] double decode_shunt_v(std::uint16_t raw) noexcept;

/// Current in amperes from the (signed) current register.
[[nodiscard]] double decode_current_a(std::uint16_t raw, double current_lsb_a) noexcept;

/// Power in watts from the (unsigned) power register: LSB = 20 x Current_LSB.
[[nodiscard]] double decode_power_w(std::uint16_t raw, double current_lsb_a) noexcept;

/// ADC field (BADC/SADC) for 1 (12-bit) or 2..128 averaged samples; kInvalidArgument otherwise.
[[nodiscard]] Result<std::uint8_t> adc_code(int samples);

/// Conversion time of one ADC field in microseconds (datasheet table, hardware.md §1.3).
[[nodiscard]] std::uint32_t adc_conversion_us(std::uint8_t code) noexcept;

/// Configuration word: BRNG<<13 | PG<<11 | BADC<<7 | SADC<<3 | MODE (MODE 7 = continuous).
[[nodiscard]] std::uint16_t config_word(int bus_range_v, Pga pga, std::uint8_t bus_adc,
                                        std::uint8_t shunt_adc, std::uint8_t mode = 7) noexcept;

/// Calibration (hardware.md §1.6).
struct Calibration {
  std::uint16_t cal = 0;    ///< value written (bit 0 cleared: the chip cannot store it)
  double current_lsb_a = 0; ///< effective LSB of the current register = 0.04096/(cal*R)
  double power_lsb_w = 0;   ///< 20 x current_lsb_a
};

/// Calibration for `shunt_ohms` and `max_current_a`. With `current_lsb_a` unset, the LSB is
/// the smallest 1-2-5 series value >= max_current/32767 (round numbers just above the
/// datasheet minimum: 2 A/0.1 ohm -> 100 uA, 10 A/0.01 ohm -> 500 uA), raised further if Cal
/// would not fit 16 bits. kInvalidArgument for non-positive inputs.
[[nodiscard]] Result<Calibration> calibrate(double shunt_ohms, double max_current_a,
                                            std::optional<double> current_lsb_a = std::nullopt);

} // namespace ina219

// --- Interface: INA226 pure functions (same register addresses 0..5, plus 0x06 mask) ---

namespace ina226 {

inline constexpr std::uint8_t kRegMaskEnable = 0x06;
inline constexpr std::uint16_t kMaskCvrf = 1U << 3; ///< conversion ready
inline constexpr std::uint16_t kMaskOvf = 1U << 2;  ///< math overflow

/// Shunt voltage in volts: signed, LSB 2.5 uV.
[[nodiscard]] double decode_shunt_v(std::uint16_t raw) noexcept;
/// Bus voltage in volts: LSB 1.25 mV, not shifted.
[[nodiscard]] double decode_bus_v(std::uint16_t raw) noexcept;
/// Current (signed register) and power (unsigned, LSB = 25 x Current_LSB).
[[nodiscard]] double decode_current_a(std::uint16_t raw, double current_lsb_a) noexcept;
[[nodiscard]] double decode_power_w(std::uint16_t raw, double current_lsb_a) noexcept;
/// AVG field for 1, 4, 16, 64, 128, 256, 512, 1024 samples.
[[nodiscard]] Result<std::uint8_t> avg_code(int samples);
/// Config word: 0x4000 | AVG<<9 | VBUSCT<<6 | VSHCT<<3 | MODE (conversion times 1.1 ms).
[[nodiscard]] std::uint16_t config_word(std::uint8_t avg, std::uint8_t mode = 7) noexcept;
/// Cal = trunc(0.00512/(LSB*R)), 15 bits; effective LSB = 0.00512/(Cal*R).
[[nodiscard]] Result<ina219::Calibration>
calibrate(double shunt_ohms, double max_current_a,
          std::optional<double> current_lsb_a = std::nullopt);

} // namespace ina226

// --- Interface: the device ---

/// One decoded sample.
struct Ina2xxSample {
  double bus_v = 0;
  double shunt_v = 0;
  std::optional<double> current_a; ///< nullopt while the chip reports overflow
  std::optional<double> power_w;   ///< nullopt while the chip reports overflow
  bool conversion_ready = true;    ///< false: no new conversion since the previous sample
  bool overflow = false;
  bool recalibrated = false; ///< Cal was found lost and re-written during this read
  bool gain_changed = false; ///< auto-gain stepped the PGA during this read
};

/// Configures and reads one INA219/INA226 over an I2cBus. Not thread-safe.
class Ina2xxDevice {
public:
  /// Validates options (chip, address 0x40..0x4F, bus range, samples, shunt/current > 0,
  /// shunt x max current within the chip's range). Does not touch the bus.
  [[nodiscard]] static Result<Ina2xxDevice> create(const Ina219Options& options, I2cBus& bus);

  /// Resets the chip, writes configuration and calibration, and reads them back.
  [[nodiscard]] Result<void> configure();

  /// Reads one sample (4-5 register reads). Each transfer is retried per set_retry(); an error
  /// that persists is returned.
  [[nodiscard]] Result<Ina2xxSample> read();

  /// Time one full conversion takes with the configured ADC settings.
  [[nodiscard]] std::chrono::microseconds conversion_time() const noexcept;

  /// Per-transfer retry policy: `attempts` tries, sleeping `first_backoff`, then 4x that, ...
  void set_retry(int attempts, std::chrono::microseconds first_backoff) noexcept {
    m_attempts = attempts < 1 ? 1 : attempts;
    m_backoff = first_backoff;
  }

  [[nodiscard]] bool is_ina226() const noexcept { return m_ina226; }
  [[nodiscard]] const ina219::Calibration& calibration() const noexcept { return m_cal; }
  [[nodiscard]] std::uint16_t config() const noexcept { return m_config; }
  [[nodiscard]] ina219::Pga pga() const noexcept { return m_pga; }

private:
  Ina2xxDevice(const Ina219Options& o, I2cBus& bus) : m_options(o), m_bus(&bus) {}
  Result<void> write_config_and_cal();
  Result<std::uint16_t> reg(std::uint8_t r);
  Result<void> write(std::uint8_t r, std::uint16_t v);

  Ina219Options m_options;
  I2cBus* m_bus;
  bool m_ina226 = false;
  std::uint8_t m_addr = 0x40;
  ina219::Pga m_pga = ina219::Pga::kDiv8;
  std::uint8_t m_adc = 3;
  ina219::Calibration m_cal;
  std::uint16_t m_config = ina219::kConfigPowerOn;
  int m_attempts = 1;
  std::chrono::microseconds m_backoff{100};
};

// --- Interface: the probe ---

class Ina219Probe final : public ProbeBase {
public:
  /// Builds the probe over `bus` (owned). Fails (for make_probes' skip list) if the options
  /// are invalid or the chip cannot be configured (NACK, EBUSY because a kernel driver owns
  /// the address, ...). The sampling interval is at least one conversion time.
  [[nodiscard]] static Result<std::unique_ptr<Ina219Probe>> create(const Ina219Options& options,
                                                                   std::unique_ptr<I2cBus> bus);

  /// Retry policy for each I2C transfer (defaults: 3 attempts, 100 us then 400 us back-off).
  void set_retry(int attempts, std::chrono::microseconds first_backoff) noexcept {
    m_dev.set_retry(attempts, first_backoff);
  }

  ~Ina219Probe() override;
  Ina219Probe(const Ina219Probe&) = delete;
  Ina219Probe& operator=(const Ina219Probe&) = delete;

  /// Consecutive failed samples so far (0 when healthy).
  [[nodiscard]] int consecutive_failures() const noexcept { return m_failures; }

protected:
  void do_sample(ProbeOutput& out) override;

private:
  Ina219Probe(const Ina219Options& o, std::unique_ptr<I2cBus> bus, Ina2xxDevice dev,
              std::chrono::nanoseconds interval);

  Ina219Options m_options;
  std::unique_ptr<I2cBus> m_bus;
  Ina2xxDevice m_dev;
  std::uint32_t m_i_bus = 0, m_i_shunt = 0, m_i_current = 0, m_i_power = 0;
  int m_failures = 0;
  int m_skip = 0;      ///< samples left to skip while backing off
  int m_skip_span = 0; ///< current back-off span in samples
  bool m_overflowing = false;
  std::unique_ptr<RateLimiter> m_limiter; ///< failure log rate limit
};

// --- Interface: discovery ---

/// One INA2xx found on a user-space bus.
struct FoundIna2xx {
  int bus = 0;      ///< N of /dev/i2c-N
  int address = 0;  ///< 0x40..0x4F
  std::string chip; ///< "ina219" (power-on config 0x399F) or "ina226" (IDs 0x5449/0x2260)
};

/// Read-only scan of every <devfs>/i2c-N at 0x40..0x4F: reads the configuration register and,
/// for INA226, the manufacturer/die ID registers. Addresses owned by a kernel driver (EBUSY)
/// are skipped (the rails probe reads those through hwmon). An INA219 is only recognised while
/// its configuration is the power-on default 0x399F (it has no ID register).
[[nodiscard]] std::vector<FoundIna2xx> scan_ina2xx(const std::filesystem::path& devfs_root);

} // namespace es::probes
