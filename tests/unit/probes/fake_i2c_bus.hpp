#pragma once
// FakeI2cBus: an in-memory I2C bus for tests (mraa's mock_board_i2c pattern).
//
// Holds a 16-bit register map per 7-bit address, records every write, and injects faults:
// fail_next(n, errc) makes the next n transfers fail with that errno; nack(addr) makes an
// address stop acknowledging (ENXIO, like a missing or unplugged chip). With
// emulate_ina219(addr) the fake also behaves like the chip where it matters: writing RST to
// the config register restores power-on values and clears calibration, and calibration bit 0
// cannot be set.

#include "probes/i2c_bus.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <vector>

namespace es::probes::test {

class FakeI2cBus final : public I2cBus {
public:
  struct Write {
    std::uint8_t addr;
    std::uint8_t reg;
    std::uint16_t value;
  };

  void set_reg(std::uint8_t addr, std::uint8_t reg, std::uint16_t value) {
    m_regs[addr][reg] = value;
  }
  [[nodiscard]] std::uint16_t reg(std::uint8_t addr, std::uint8_t reg) const {
    const auto a = m_regs.find(addr);
    if (a == m_regs.end()) {
      return 0;
    }
    const auto r = a->second.find(reg);
    return r == a->second.end() ? 0 : r->second;
  }
  /// The next `n` transfers fail with `err`.
  void fail_next(int n, std::errc err = std::errc::io_error) {
    m_fail_count = n;
    m_fail_errc = err;
  }
  /// Makes `addr` NACK (or answer again with on = false).
  void nack(std::uint8_t addr, bool on = true) {
    if (on) {
      m_nack.insert(addr);
    } else {
      m_nack.erase(addr);
    }
  }
  void emulate_ina219(std::uint8_t addr) {
    m_ina219.insert(addr);
    set_reg(addr, 0x00, 0x399F);
  }
  [[nodiscard]] const std::vector<Write>& writes() const noexcept { return m_writes; }
  [[nodiscard]] int transfers() const noexcept { return m_transfers; }
  /// Called after each successful read of (addr, reg): lets a test script register changes.
  std::function<void(std::uint8_t, std::uint8_t)> on_read;

  Result<std::uint16_t> read_reg16_be(std::uint8_t addr, std::uint8_t r) override {
    if (auto e = fault(addr)) {
      return *e;
    }
    const std::uint16_t v = reg(addr, r);
    if (on_read) {
      on_read(addr, r);
    }
    return v;
  }
  Result<void> write_reg16_be(std::uint8_t addr, std::uint8_t r, std::uint16_t v) override {
    if (auto e = fault(addr)) {
      return *e;
    }
    m_writes.push_back(Write{addr, r, v});
    if (m_ina219.count(addr) != 0) {
      if (r == 0x00 && (v & 0x8000) != 0) {
        m_regs[addr] = {{0x00, 0x399F}, {0x05, 0}, {0x03, 0}, {0x04, 0}};
        return ok();
      }
      if (r == 0x05) {
        v = static_cast<std::uint16_t>(v & 0xFFFE);
      }
    }
    m_regs[addr][r] = v;
    return ok();
  }
  [[nodiscard]] std::string describe() const override { return "fake-i2c"; }

private:
  std::optional<Error> fault(std::uint8_t addr) {
    ++m_transfers;
    if (m_fail_count > 0) {
      --m_fail_count;
      return i2c_errno_error(static_cast<int>(m_fail_errc), "fake transfer");
    }
    if (m_nack.count(addr) != 0) {
      return i2c_errno_error(ENXIO, "fake transfer");
    }
    return std::nullopt;
  }

  std::map<std::uint8_t, std::map<std::uint8_t, std::uint16_t>> m_regs;
  std::vector<Write> m_writes;
  std::set<std::uint8_t> m_nack;
  std::set<std::uint8_t> m_ina219;
  int m_fail_count = 0;
  std::errc m_fail_errc = std::errc::io_error;
  int m_transfers = 0;
};

} // namespace es::probes::test
