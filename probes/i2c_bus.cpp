#include "probes/i2c_bus.hpp"

#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <system_error>
#include <unistd.h>

namespace es::probes {

Error i2c_errno_error(int err, const std::string& what) {
  const std::string text = what + ": " + std::error_code(err, std::generic_category()).message();
  switch (err) {
  case ENXIO:
  case EREMOTEIO:
    return make_error(ErrorCode::kNotFound, text + " (nack)");
  case ETIMEDOUT:
    return make_error(ErrorCode::kTimeout, text);
  case EBUSY:
  case EAGAIN:
    return make_error(ErrorCode::kBusy, text);
  default:
    return make_error(ErrorCode::kIo, text);
  }
}

Result<std::unique_ptr<LinuxI2cBus>> LinuxI2cBus::open(const std::filesystem::path& device) {
  const int fd = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Error{err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                 device.string() +
                     ": open: " + std::error_code(err, std::generic_category()).message()};
  }
  unsigned long funcs = 0;
  if (::ioctl(fd, I2C_FUNCS, &funcs) != 0) {
    const int err = errno;
    ::close(fd);
    return i2c_errno_error(err, device.string() + ": I2C_FUNCS (not an i2c adapter?)");
  }
  const bool rdwr = (funcs & I2C_FUNC_I2C) != 0;
  if (!rdwr && (funcs & I2C_FUNC_SMBUS_WORD_DATA) != I2C_FUNC_SMBUS_WORD_DATA) {
    ::close(fd);
    return make_error(ErrorCode::kUnsupported,
                      device.string() + ": adapter supports neither I2C_RDWR nor SMBus words");
  }
  return std::unique_ptr<LinuxI2cBus>(new LinuxI2cBus(fd, device.string(), rdwr));
}

LinuxI2cBus::~LinuxI2cBus() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

Result<void> LinuxI2cBus::select(std::uint8_t addr) {
  if (m_selected == addr) {
    return ok();
  }
  // I2C_SLAVE fails with EBUSY while a kernel driver owns the address; I2C_SLAVE_FORCE would
  // race with that driver, so it is deliberately not used (hardware.md §1.13).
  if (::ioctl(m_fd, I2C_SLAVE, static_cast<unsigned long>(addr)) != 0) {
    return i2c_errno_error(errno, m_path + ": I2C_SLAVE");
  }
  m_selected = addr;
  return ok();
}

Result<std::uint16_t> LinuxI2cBus::read_reg16_be(std::uint8_t addr, std::uint8_t reg) {
  // I2C_SLAVE once per address even in I2C_RDWR mode: it is the kernel's only check that no
  // driver (ina2xx) owns the address, and RDWR alone would silently fight that driver.
  if (auto s = select(addr); !s) {
    return s.error();
  }
  if (m_rdwr) {
    std::uint8_t ptr = reg;
    std::uint8_t buf[2] = {0, 0};
    i2c_msg msgs[2] = {
        {addr, 0, 1, &ptr},
        {addr, I2C_M_RD, 2, buf},
    };
    i2c_rdwr_ioctl_data xfer{msgs, 2};
    const int n = ::ioctl(m_fd, I2C_RDWR, &xfer);
    if (n < 0) {
      return i2c_errno_error(errno, m_path + ": I2C_RDWR read");
    }
    if (n != 2) {
      return make_error(ErrorCode::kIo, m_path + ": I2C_RDWR read: short transfer");
    }
    // The one byte-order conversion: MSB first on the wire.
    return static_cast<std::uint16_t>((buf[0] << 8) | buf[1]);
  }
  i2c_smbus_data data{};
  i2c_smbus_ioctl_data args{I2C_SMBUS_READ, reg, I2C_SMBUS_WORD_DATA, &data};
  if (::ioctl(m_fd, I2C_SMBUS, &args) != 0) {
    return i2c_errno_error(errno, m_path + ": SMBus read word");
  }
  // SMBus words are little-endian on the wire; INA2xx sends MSB first, so swap.
  return static_cast<std::uint16_t>(((data.word & 0xFF) << 8) | (data.word >> 8));
}

Result<void> LinuxI2cBus::write_reg16_be(std::uint8_t addr, std::uint8_t reg, std::uint16_t value) {
  if (auto s = select(addr); !s) {
    return s.error();
  }
  if (m_rdwr) {
    std::uint8_t buf[3] = {reg, static_cast<std::uint8_t>(value >> 8),
                           static_cast<std::uint8_t>(value & 0xFF)};
    i2c_msg msg{addr, 0, 3, buf};
    i2c_rdwr_ioctl_data xfer{&msg, 1};
    const int n = ::ioctl(m_fd, I2C_RDWR, &xfer);
    if (n < 0) {
      return i2c_errno_error(errno, m_path + ": I2C_RDWR write");
    }
    if (n != 1) {
      return make_error(ErrorCode::kIo, m_path + ": I2C_RDWR write: short transfer");
    }
    return ok();
  }
  i2c_smbus_data data{};
  data.word = static_cast<std::uint16_t>(((value & 0xFF) << 8) | (value >> 8));
  i2c_smbus_ioctl_data args{I2C_SMBUS_WRITE, reg, I2C_SMBUS_WORD_DATA, &data};
  if (::ioctl(m_fd, I2C_SMBUS, &args) != 0) {
    return i2c_errno_error(errno, m_path + ": SMBus write word");
  }
  return ok();
}

} // namespace es::probes
