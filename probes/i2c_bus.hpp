#pragma once
// es::probes::I2cBus: 16-bit register access on an I2C bus, behind an interface so INA2xx code
// is testable without hardware (mraa's mock I2C pattern, STYLE.md §2.3).
//
// Registers of the INA2xx family are big-endian on the wire (MSB first). Implementations return
// and take host-order values; the *only* byte swap of the project is inside LinuxI2cBus.
//
// Errors are es::Error with codes that callers can branch on:
//   kNotFound  the device did not acknowledge its address (NACK: ENXIO/EREMOTEIO)
//   kTimeout   the adapter timed out (ETIMEDOUT)
//   kBusy      the address is owned by a kernel driver or the bus is busy (EBUSY/EAGAIN)
//   kIo        anything else (EIO, short transfer, ENOTTY on a file that is not an adapter)

#include "daemon/core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace es::probes {

// --- Interface ---

class I2cBus {
public:
  virtual ~I2cBus() = default;

  /// Reads the 16-bit register `reg` of the device at 7-bit address `addr` (pointer write then
  /// 2-byte read; MSB first on the wire).
  [[nodiscard]] virtual Result<std::uint16_t> read_reg16_be(std::uint8_t addr,
                                                            std::uint8_t reg) = 0;

  /// Writes `value` to register `reg` ([reg, MSB, LSB] on the wire).
  [[nodiscard]] virtual Result<void> write_reg16_be(std::uint8_t addr, std::uint8_t reg,
                                                    std::uint16_t value) = 0;

  /// Human-readable bus name for logs ("/dev/i2c-1").
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// Maps an errno from an I2C ioctl to an es::Error (see the table above).
[[nodiscard]] Error i2c_errno_error(int err, const std::string& what);

/// User-space access to /dev/i2c-N through ioctl(I2C_RDWR) (combined write+read transaction,
/// no stop in between). Adapters without plain-I2C support fall back to SMBus word access
/// (I2C_SLAVE + I2C_SMBUS), byte-swapped here. One instance per device and thread: it keeps
/// its own file descriptor, which the kernel serialises against other users of the adapter.
class LinuxI2cBus final : public I2cBus {
public:
  /// Opens `device` (e.g. devfs_root / "i2c-1") read-write. Fails with the errno text.
  [[nodiscard]] static Result<std::unique_ptr<LinuxI2cBus>>
  open(const std::filesystem::path& device);

  ~LinuxI2cBus() override;
  LinuxI2cBus(const LinuxI2cBus&) = delete;
  LinuxI2cBus& operator=(const LinuxI2cBus&) = delete;

  [[nodiscard]] Result<std::uint16_t> read_reg16_be(std::uint8_t addr, std::uint8_t reg) override;
  [[nodiscard]] Result<void> write_reg16_be(std::uint8_t addr, std::uint8_t reg,
                                            std::uint16_t value) override;
  [[nodiscard]] std::string describe() const override { return m_path; }

  /// True if the adapter is driven with I2C_RDWR, false if with SMBus word transfers.
  [[nodiscard]] bool uses_rdwr() const noexcept { return m_rdwr; }

private:
  LinuxI2cBus(int fd, std::string path, bool rdwr)
      : m_fd(fd), m_path(std::move(path)), m_rdwr(rdwr) {}
  Result<void> select(std::uint8_t addr);

  int m_fd = -1;
  std::string m_path;
  bool m_rdwr = true;
  int m_selected = -1; ///< address set with I2C_SLAVE (SMBus mode)
};

} // namespace es::probes
