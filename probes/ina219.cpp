#include "probes/ina219.hpp"

#include "daemon/core/log.hpp"
#include "daemon/core/time.hpp"
#include "probes/sysfs_reader.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <thread>

namespace es::probes {

namespace {

// Smallest value of the 1-2-5 series >= x.
double next_125(double x) {
  const double k = std::floor(std::log10(x));
  const double decade = std::pow(10.0, k);
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * decade >= x * (1.0 - 1e-9)) {
      return m * decade;
    }
  }
  return 10.0 * decade;
}

std::string hex16(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04X", v);
  return buf;
}

std::string hex8(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

// Generic calibration for both chips: cal = trunc(k / (lsb*R)) limited to `max_cal`.
Result<ina219::Calibration> calibrate_generic(double k, double power_factor, std::uint16_t max_cal,
                                              bool clear_bit0, double shunt_ohms,
                                              double max_current_a,
                                              std::optional<double> current_lsb_a) {
  if (!(shunt_ohms > 0) || !(max_current_a > 0)) {
    return make_error(ErrorCode::kInvalidArgument, "shunt_ohms and max_current_a must be > 0");
  }
  double lsb = current_lsb_a ? *current_lsb_a : next_125(max_current_a / 32767.0);
  if (!(lsb > 0)) {
    return make_error(ErrorCode::kInvalidArgument, "current LSB must be > 0");
  }
  double cal = std::floor(k / (lsb * shunt_ohms) + 1e-9);
  while (!current_lsb_a && cal > max_cal) {
    lsb = next_125(lsb * 1.000001);
    cal = std::floor(k / (lsb * shunt_ohms) + 1e-9);
  }
  if (cal > max_cal) {
    return make_error(ErrorCode::kInvalidArgument, "calibration does not fit the register");
  }
  auto c = static_cast<std::uint16_t>(cal);
  if (clear_bit0) {
    c = static_cast<std::uint16_t>(c & 0xFFFE);
  }
  if (c == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "calibration would be 0 (shunt too large for the current LSB)");
  }
  ina219::Calibration out;
  out.cal = c;
  out.current_lsb_a = k / (static_cast<double>(c) * shunt_ohms);
  out.power_lsb_w = power_factor * out.current_lsb_a;
  return out;
}

} // namespace

// --- INA219 ---

namespace ina219 {

double pga_full_scale_v(Pga pga) noexcept {
  return 0.04 * static_cast<double>(1U << static_cast<unsigned>(pga));
}

Result<Pga> pga_for(double shunt_v) {
  for (const Pga p : {Pga::kDiv1, Pga::kDiv2, Pga::kDiv4, Pga::kDiv8}) {
    if (shunt_v <= pga_full_scale_v(p) * (1.0 + 1e-9)) {
      return p;
    }
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "max_current_a x shunt_ohms exceeds the INA219's 320 mV shunt range");
}

BusVoltage decode_bus(std::uint16_t raw) noexcept {
  return BusVoltage{static_cast<double>(raw >> 3) * 0.004, (raw & 0x2) != 0, (raw & 0x1) != 0};
}

double decode_shunt_v(std::uint16_t raw) noexcept {
  return static_cast<double>(static_cast<std::int16_t>(raw)) * 10e-6;
}

double decode_current_a(std::uint16_t raw, double current_lsb_a) noexcept {
  return static_cast<double>(static_cast<std::int16_t>(raw)) * current_lsb_a;
}

double decode_power_w(std::uint16_t raw, double current_lsb_a) noexcept {
  return static_cast<double>(raw) * 20.0 * current_lsb_a;
}

Result<std::uint8_t> adc_code(int samples) {
  switch (samples) {
  case 1:
    return std::uint8_t{0b0011};
  case 2:
    return std::uint8_t{0b1001};
  case 4:
    return std::uint8_t{0b1010};
  case 8:
    return std::uint8_t{0b1011};
  case 16:
    return std::uint8_t{0b1100};
  case 32:
    return std::uint8_t{0b1101};
  case 64:
    return std::uint8_t{0b1110};
  case 128:
    return std::uint8_t{0b1111};
  default:
    return make_error(ErrorCode::kInvalidArgument,
                      "adc_samples must be 1, 2, 4, 8, 16, 32, 64 or 128");
  }
}

std::uint32_t adc_conversion_us(std::uint8_t code) noexcept {
  if ((code & 0b1000) == 0) {
    static constexpr std::array<std::uint32_t, 4> kBits{84, 148, 276, 532};
    return kBits[code & 0b11];
  }
  static constexpr std::array<std::uint32_t, 8> kAvg{532,  1060,  2130,  4260,
                                                     8510, 17020, 34050, 68100};
  return kAvg[code & 0b111];
}

std::uint16_t config_word(int bus_range_v, Pga pga, std::uint8_t bus_adc, std::uint8_t shunt_adc,
                          std::uint8_t mode) noexcept {
  const unsigned brng = bus_range_v == 16 ? 0U : 1U;
  return static_cast<std::uint16_t>(brng << 13 | static_cast<unsigned>(pga) << 11 |
                                    (bus_adc & 0xFU) << 7 | (shunt_adc & 0xFU) << 3 |
                                    (mode & 0x7U));
}

Result<Calibration> calibrate(double shunt_ohms, double max_current_a,
                              std::optional<double> current_lsb_a) {
  return calibrate_generic(0.04096, 20.0, 0xFFFE, true, shunt_ohms, max_current_a, current_lsb_a);
}

} // namespace ina219

// --- INA226 ---

namespace ina226 {

double decode_shunt_v(std::uint16_t raw) noexcept {
  return static_cast<double>(static_cast<std::int16_t>(raw)) * 2.5e-6;
}

double decode_bus_v(std::uint16_t raw) noexcept {
  return static_cast<double>(raw & 0x7FFF) * 1.25e-3;
}

double decode_current_a(std::uint16_t raw, double current_lsb_a) noexcept {
  return static_cast<double>(static_cast<std::int16_t>(raw)) * current_lsb_a;
}

double decode_power_w(std::uint16_t raw, double current_lsb_a) noexcept {
  return static_cast<double>(raw) * 25.0 * current_lsb_a;
}

Result<std::uint8_t> avg_code(int samples) {
  static constexpr std::array<int, 8> kAvg{1, 4, 16, 64, 128, 256, 512, 1024};
  for (std::size_t i = 0; i < kAvg.size(); ++i) {
    if (kAvg[i] == samples) {
      return static_cast<std::uint8_t>(i);
    }
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "adc_samples for ina226 must be 1, 4, 16, 64, 128, 256, 512 or 1024");
}

std::uint16_t config_word(std::uint8_t avg, std::uint8_t mode) noexcept {
  // Bits 14:12 read 100; VBUSCT = VSHCT = 100 (1.1 ms).
  return static_cast<std::uint16_t>(0x4000U | (avg & 0x7U) << 9 | 4U << 6 | 4U << 3 |
                                    (mode & 0x7U));
}

Result<ina219::Calibration> calibrate(double shunt_ohms, double max_current_a,
                                      std::optional<double> current_lsb_a) {
  return calibrate_generic(0.00512, 25.0, 0x7FFF, false, shunt_ohms, max_current_a, current_lsb_a);
}

} // namespace ina226

// --- Ina2xxDevice ---

Result<Ina2xxDevice> Ina2xxDevice::create(const Ina219Options& o, I2cBus& bus) {
  Ina2xxDevice d(o, bus);
  if (o.chip == "ina226") {
    d.m_ina226 = true;
  } else if (o.chip != "ina219") {
    return make_error(ErrorCode::kInvalidArgument,
                      "chip must be ina219 or ina226, got '" + o.chip + "'");
  }
  if (o.address < 0x40 || o.address > 0x4F) {
    return make_error(ErrorCode::kInvalidArgument,
                      "address must be 0x40..0x4f, got " + hex8(o.address));
  }
  d.m_addr = static_cast<std::uint8_t>(o.address);
  if (!(o.shunt_ohms > 0) || !(o.max_current_a > 0)) {
    return make_error(ErrorCode::kInvalidArgument, "shunt_ohms and max_current_a must be > 0");
  }
  if (d.m_ina226) {
    if (o.max_current_a * o.shunt_ohms > 0.08192 * (1.0 + 1e-9)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "max_current_a x shunt_ohms exceeds the INA226's 81.92 mV shunt range");
    }
    auto avg = ina226::avg_code(o.adc_samples);
    if (!avg) {
      return avg.error();
    }
    d.m_adc = *avg;
    auto cal = ina226::calibrate(o.shunt_ohms, o.max_current_a);
    if (!cal) {
      return cal.error();
    }
    d.m_cal = *cal;
    d.m_config = ina226::config_word(d.m_adc);
    return d;
  }
  if (o.bus_range_v != 16 && o.bus_range_v != 32) {
    return make_error(ErrorCode::kInvalidArgument, "bus_range_v must be 16 or 32");
  }
  auto adc = ina219::adc_code(o.adc_samples);
  if (!adc) {
    return adc.error();
  }
  d.m_adc = *adc;
  auto pga = ina219::pga_for(o.max_current_a * o.shunt_ohms);
  if (!pga) {
    return pga.error();
  }
  d.m_pga = *pga;
  auto cal = ina219::calibrate(o.shunt_ohms, o.max_current_a);
  if (!cal) {
    return cal.error();
  }
  d.m_cal = *cal;
  d.m_config = ina219::config_word(o.bus_range_v, d.m_pga, d.m_adc, d.m_adc);
  return d;
}

std::chrono::microseconds Ina2xxDevice::conversion_time() const noexcept {
  if (m_ina226) {
    static constexpr std::array<int, 8> kAvg{1, 4, 16, 64, 128, 256, 512, 1024};
    return std::chrono::microseconds(2200LL * kAvg[m_adc & 0x7]);
  }
  return std::chrono::microseconds(2LL * ina219::adc_conversion_us(m_adc));
}

// Retries one transfer with exponential back-off. NACKs are retried too: a chip that is
// mid-conversion or on a noisy bus NACKs transiently.
Result<std::uint16_t> Ina2xxDevice::reg(std::uint8_t r) {
  auto backoff = m_backoff;
  for (int attempt = 1;; ++attempt) {
    auto v = m_bus->read_reg16_be(m_addr, r);
    if (v || attempt >= m_attempts) {
      return v;
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 4;
  }
}

Result<void> Ina2xxDevice::write(std::uint8_t r, std::uint16_t value) {
  auto backoff = m_backoff;
  for (int attempt = 1;; ++attempt) {
    auto w = m_bus->write_reg16_be(m_addr, r, value);
    if (w || attempt >= m_attempts) {
      return w;
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 4;
  }
}

Result<void> Ina2xxDevice::write_config_and_cal() {
  if (auto w = write(ina219::kRegConfig, m_config); !w) {
    return w;
  }
  return write(ina219::kRegCalibration, m_cal.cal);
}

Result<void> Ina2xxDevice::configure() {
  const std::string where = m_bus->describe() + " addr=" + hex8(m_addr);
  // Reset first: a previous run may have left other settings (RST clears itself).
  if (auto w = write(ina219::kRegConfig, ina219::kConfigReset); !w) {
    return w.error().with_context(where + " reset");
  }
  if (auto w = write_config_and_cal(); !w) {
    return w.error().with_context(where + " configure");
  }
  auto cfg = reg(ina219::kRegConfig);
  auto cal = reg(ina219::kRegCalibration);
  if (!cfg) {
    return cfg.error().with_context(where + " config read-back");
  }
  if (!cal) {
    return cal.error().with_context(where + " calibration read-back");
  }
  // The chip cannot store Cal bit 0 (INA219); RST reads back 0.
  if ((*cfg & 0x7FFF) != (m_config & 0x7FFF) || *cal != m_cal.cal) {
    return make_error(ErrorCode::kIo, where + ": read-back mismatch: config " + hex16(*cfg) +
                                          " (wrote " + hex16(m_config) + "), cal " + hex16(*cal) +
                                          " (wrote " + hex16(m_cal.cal) + ")");
  }
  return ok();
}

Result<Ina2xxSample> Ina2xxDevice::read() {
  Ina2xxSample s;
  std::uint16_t shunt_raw = 0;
  if (m_ina226) {
    auto mask = reg(ina226::kRegMaskEnable);
    if (!mask) {
      return mask.error();
    }
    s.conversion_ready = (*mask & ina226::kMaskCvrf) != 0;
    s.overflow = (*mask & ina226::kMaskOvf) != 0;
    auto bus = reg(ina219::kRegBus);
    if (!bus) {
      return bus.error();
    }
    s.bus_v = ina226::decode_bus_v(*bus);
  } else {
    auto bus = reg(ina219::kRegBus);
    if (!bus) {
      return bus.error();
    }
    const auto b = ina219::decode_bus(*bus);
    s.bus_v = b.volts;
    s.conversion_ready = b.conversion_ready;
    s.overflow = b.overflow;
  }
  auto shunt = reg(ina219::kRegShunt);
  if (!shunt) {
    return shunt.error();
  }
  shunt_raw = *shunt;
  s.shunt_v = m_ina226 ? ina226::decode_shunt_v(shunt_raw) : ina219::decode_shunt_v(shunt_raw);
  auto current = reg(ina219::kRegCurrent);
  if (!current) {
    return current.error();
  }
  // Reading the power register clears CNVR (INA219), so it comes last.
  auto power = reg(ina219::kRegPower);
  if (!power) {
    return power.error();
  }
  if (s.overflow) {
    // Current and power are meaningless while OVF is set (hardware.md §1.5).
    if (!m_ina226 && m_options.auto_gain && m_pga != ina219::Pga::kDiv8) {
      m_pga = static_cast<ina219::Pga>(static_cast<unsigned>(m_pga) + 1);
      const double i_max = ina219::pga_full_scale_v(m_pga) / m_options.shunt_ohms;
      auto cal = ina219::calibrate(m_options.shunt_ohms, i_max);
      if (cal) {
        m_cal = *cal;
      }
      m_config = ina219::config_word(m_options.bus_range_v, m_pga, m_adc, m_adc);
      if (auto w = write_config_and_cal(); !w) {
        return w.error();
      }
      s.gain_changed = true;
    }
    return s;
  }
  // Brown-out or reset: Cal back to 0 makes current and power read 0 although the shunt
  // shows current. Check Cal and re-write it (the kernel driver does the same).
  const double expected_counts =
      std::fabs(static_cast<double>(static_cast<std::int16_t>(shunt_raw))) * m_cal.cal /
      (m_ina226 ? 2048.0 : 4096.0);
  if (*current == 0 && *power == 0 && expected_counts >= 2.0) {
    auto cal = reg(ina219::kRegCalibration);
    if (!cal) {
      return cal.error();
    }
    if (*cal != m_cal.cal) {
      if (auto w = write_config_and_cal(); !w) {
        return w.error();
      }
      s.recalibrated = true;
      return s; // current/power unknown for this sample
    }
  }
  if (m_ina226) {
    s.current_a = ina226::decode_current_a(*current, m_cal.current_lsb_a);
    s.power_w = ina226::decode_power_w(*power, m_cal.current_lsb_a);
  } else {
    s.current_a = ina219::decode_current_a(*current, m_cal.current_lsb_a);
    s.power_w = ina219::decode_power_w(*power, m_cal.current_lsb_a);
  }
  return s;
}

// --- Ina219Probe ---

Result<std::unique_ptr<Ina219Probe>> Ina219Probe::create(const Ina219Options& options,
                                                         std::unique_ptr<I2cBus> bus) {
  if (!bus) {
    return make_error(ErrorCode::kInvalidArgument, "no bus");
  }
  auto dev = Ina2xxDevice::create(options, *bus);
  if (!dev) {
    return dev.error().with_context(options.name);
  }
  dev->set_retry(3, std::chrono::microseconds(100));
  if (auto c = dev->configure(); !c) {
    return c.error().with_context(options.name);
  }
  const auto interval =
      std::max<std::chrono::nanoseconds>(options.interval, dev->conversion_time());
  // The device holds a pointer to *bus; the unique_ptr keeps its address stable.
  return std::unique_ptr<Ina219Probe>(
      new Ina219Probe(options, std::move(bus), std::move(*dev), interval));
}

Ina219Probe::Ina219Probe(const Ina219Options& o, std::unique_ptr<I2cBus> bus, Ina2xxDevice dev,
                         std::chrono::nanoseconds interval)
    : ProbeBase(o.name, interval), m_options(o), m_bus(std::move(bus)), m_dev(std::move(dev)),
      m_limiter(std::make_unique<RateLimiter>(std::chrono::seconds(60))) {
  char addr[8];
  std::snprintf(addr, sizeof addr, "0x%02x", o.address);
  const std::string src = "i2c:" + m_bus->describe() + "@" + addr + "/" + o.chip + ":";
  m_i_bus = add_sensor(SensorSpec{o.name + ".bus_voltage", SensorKind::kVoltage, "V", src + "bus"});
  m_i_shunt =
      add_sensor(SensorSpec{o.name + ".shunt_voltage", SensorKind::kVoltage, "V", src + "shunt"});
  m_i_current =
      add_sensor(SensorSpec{o.name + ".current", SensorKind::kCurrent, "A", src + "current"});
  m_i_power = add_sensor(SensorSpec{o.name + ".power", SensorKind::kPower, "W", src + "power"});
  finish_discovery();
}

Ina219Probe::~Ina219Probe() = default;

void Ina219Probe::do_sample(ProbeOutput& out) {
  auto gaps = [&](std::int64_t t, SampleStatus st) {
    for (const auto i : {m_i_bus, m_i_shunt, m_i_current, m_i_power}) {
      emit_gap(out, i, t, st);
    }
  };
  if (m_skip > 0) {
    --m_skip;
    gaps(mono_now_ns(), SampleStatus::kUnavailable);
    return;
  }
  Result<Ina2xxSample> s = m_dev.read();
  const std::int64_t t = mono_now_ns();
  if (!s) {
    ++m_failures;
    gaps(t, SampleStatus::kUnavailable);
    if (const auto n = m_limiter->hit(t); n > 0) {
      logger("probe.ina219")
          ->warn("ina219 read failed name={} bus={} addr={} err={} count={}", m_options.name,
                 m_bus->describe(), hex8(m_options.address), s.error().message, n);
      out.events.push_back(ProbeEvent{t, "i2c_error",
                                      "name=" + m_options.name + " bus=" + m_bus->describe() +
                                          " addr=" + hex8(m_options.address) + " err=" +
                                          s.error().message + " count=" + std::to_string(n)});
    }
    if (m_failures >= 3) {
      // Back off: skip 1, 2, 4, ... samples, at most about one second's worth.
      const auto per_second = std::max<std::int64_t>(1, std::chrono::seconds(1) / interval());
      m_skip_span =
          static_cast<int>(std::min<std::int64_t>(per_second, std::max(1, m_skip_span * 2)));
      m_skip = m_skip_span;
    }
    return;
  }
  if (m_failures > 0) {
    out.events.push_back(
        ProbeEvent{t, "i2c_recovered",
                   "name=" + m_options.name + " failed_samples=" + std::to_string(m_failures)});
    m_failures = 0;
    m_skip_span = 0;
  }
  if (s->recalibrated) {
    out.events.push_back(ProbeEvent{t, "ina219_recalibrated",
                                    "name=" + m_options.name + " reason=calibration_lost"});
  }
  if (s->gain_changed) {
    char fs[32];
    std::snprintf(fs, sizeof fs, "%.0f", ina219::pga_full_scale_v(m_dev.pga()) * 1000.0);
    out.events.push_back(
        ProbeEvent{t, "ina219_gain_change", "name=" + m_options.name + " shunt_range_mv=" + fs});
  }
  if (s->overflow != m_overflowing) {
    out.events.push_back(ProbeEvent{t, s->overflow ? "ina219_overflow" : "ina219_overflow_end",
                                    "name=" + m_options.name});
    m_overflowing = s->overflow;
  }
  if (!s->conversion_ready) {
    // No new conversion since the last sample: the registers hold old data. Record a gap
    // rather than a duplicate (the interval is at least one conversion time, so this is rare).
    gaps(t, SampleStatus::kUnavailable);
    return;
  }
  emit(out, m_i_bus, s->bus_v, t);
  emit(out, m_i_shunt, s->shunt_v, t);
  const auto bad = s->overflow ? SampleStatus::kInvalid : SampleStatus::kUnavailable;
  if (s->current_a) {
    emit(out, m_i_current, *s->current_a, t);
  } else {
    emit_gap(out, m_i_current, t, bad);
  }
  if (s->power_w) {
    emit(out, m_i_power, *s->power_w, t);
  } else {
    emit_gap(out, m_i_power, t, bad);
  }
}

std::vector<FoundIna2xx> scan_ina2xx(const std::filesystem::path& devfs_root) {
  std::vector<FoundIna2xx> found;
  const SysfsReader dev(devfs_root);
  auto names = dev.list("", "i2c-");
  if (!names) {
    return found;
  }
  for (const auto& n : *names) {
    auto bus_no = parse_int(std::string_view(n).substr(4));
    if (!bus_no) {
      continue;
    }
    auto bus = LinuxI2cBus::open(dev.path(n));
    if (!bus) {
      continue;
    }
    for (int addr = 0x40; addr <= 0x4F; ++addr) {
      const auto a = static_cast<std::uint8_t>(addr);
      auto cfg = (*bus)->read_reg16_be(a, ina219::kRegConfig);
      if (!cfg) {
        continue; // NACK: nothing there; EBUSY: a kernel driver owns it
      }
      auto maker = (*bus)->read_reg16_be(a, 0xFE);
      auto die = (*bus)->read_reg16_be(a, 0xFF);
      if (maker && die && *maker == 0x5449 && *die == 0x2260) {
        found.push_back(FoundIna2xx{static_cast<int>(*bus_no), addr, "ina226"});
      } else if (*cfg == ina219::kConfigPowerOn) {
        found.push_back(FoundIna2xx{static_cast<int>(*bus_no), addr, "ina219"});
      }
    }
  }
  return found;
}

} // namespace es::probes
