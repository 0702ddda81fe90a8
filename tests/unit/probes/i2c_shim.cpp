// LD_PRELOAD shim that turns a plain file path into an emulated /dev/i2c-N adapter with one
// INA219 on it, so LinuxI2cBus's real open/ioctl/close path runs in tests without hardware.
//
// Intercepts open/open64/openat/openat64/close/ioctl. Only the path registered with
// es_i2c_shim_set_device() is emulated; everything else goes to libc untouched. Emulated:
// I2C_FUNCS, I2C_SLAVE (EBUSY for a "driver-owned" address), I2C_RDWR (pointer write + 2-byte
// read, 3-byte register write) and I2C_SMBUS word transfers (little-endian on the wire, like
// the real SMBus). The INA219 model keeps registers 0..5: RST restores 0x399F and clears
// calibration, calibration bit 0 cannot be set, current = shunt*cal/4096 and
// power = current*bus/5000 as the chip computes them. Control functions (extern "C") are looked
// up by the test with dlsym(RTLD_DEFAULT, ...), which also tells it the shim is loaded.
#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>

namespace {

struct State {
  std::mutex mutex;
  std::string device;
  std::set<int> fds;
  int addr = 0x40;
  int busy_addr = -1;
  int selected = -1;
  bool smbus_only = false;
  int fail_every = 0;
  long transfers = 0;
  std::uint16_t regs[6] = {0x399F, 0x3A98, 0x5DC2, 0, 0, 0};
};

State& st() {
  static State* s = new State; // leaked on purpose: close() may run during static destruction
  return *s;
}

template <typename F>
F real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

std::uint16_t read_reg(State& s, int reg) {
  if (reg == 0x04 || reg == 0x03) {
    const auto shunt = static_cast<std::int16_t>(s.regs[1]);
    const long current = static_cast<long>(shunt) * s.regs[5] / 4096;
    if (reg == 0x04) {
      return static_cast<std::uint16_t>(static_cast<std::int16_t>(current));
    }
    const long bus = s.regs[2] >> 3;
    return static_cast<std::uint16_t>((current < 0 ? -current : current) * bus / 5000);
  }
  return reg >= 0 && reg < 6 ? s.regs[reg] : 0;
}

void write_reg(State& s, int reg, std::uint16_t v) {
  if (reg == 0x00 && (v & 0x8000) != 0) {
    s.regs[0] = 0x399F;
    s.regs[5] = 0;
    return;
  }
  if (reg == 0x05) {
    v = static_cast<std::uint16_t>(v & 0xFFFE);
  }
  if (reg == 0x00 || reg == 0x05) {
    s.regs[reg] = v;
  }
}

// Returns 0 or an errno for one transfer to `addr`.
int transfer_check(State& s, int addr) {
  ++s.transfers;
  if (s.fail_every > 0 && s.transfers % s.fail_every == 0) {
    return EIO;
  }
  if (addr != s.addr) {
    return ENXIO; // NACK
  }
  return 0;
}

int emulate_ioctl(State& s, unsigned long req, void* arg) {
  switch (req) {
  case I2C_FUNCS: {
    auto* funcs = static_cast<unsigned long*>(arg);
    *funcs = I2C_FUNC_SMBUS_WORD_DATA | (s.smbus_only ? 0 : I2C_FUNC_I2C);
    return 0;
  }
  case I2C_SLAVE:
  case I2C_SLAVE_FORCE: {
    const int a = static_cast<int>(reinterpret_cast<unsigned long>(arg));
    if (req == I2C_SLAVE && a == s.busy_addr) {
      errno = EBUSY;
      return -1;
    }
    s.selected = a;
    return 0;
  }
  case I2C_RDWR: {
    if (s.smbus_only) {
      errno = EOPNOTSUPP;
      return -1;
    }
    auto* data = static_cast<i2c_rdwr_ioctl_data*>(arg);
    if (data->nmsgs == 2 && data->msgs[0].len == 1 && (data->msgs[1].flags & I2C_M_RD) != 0 &&
        data->msgs[1].len == 2) {
      if (const int e = transfer_check(s, data->msgs[0].addr); e != 0) {
        errno = e;
        return -1;
      }
      const std::uint16_t v = read_reg(s, data->msgs[0].buf[0]);
      data->msgs[1].buf[0] = static_cast<std::uint8_t>(v >> 8); // MSB first on the wire
      data->msgs[1].buf[1] = static_cast<std::uint8_t>(v & 0xFF);
      return 2;
    }
    if (data->nmsgs == 1 && data->msgs[0].len == 3 && (data->msgs[0].flags & I2C_M_RD) == 0) {
      if (const int e = transfer_check(s, data->msgs[0].addr); e != 0) {
        errno = e;
        return -1;
      }
      const auto* b = data->msgs[0].buf;
      write_reg(s, b[0], static_cast<std::uint16_t>(b[1] << 8 | b[2]));
      return 1;
    }
    errno = EINVAL;
    return -1;
  }
  case I2C_SMBUS: {
    auto* a = static_cast<i2c_smbus_ioctl_data*>(arg);
    if (a->size != I2C_SMBUS_WORD_DATA) {
      errno = EINVAL;
      return -1;
    }
    if (const int e = transfer_check(s, s.selected); e != 0) {
      errno = e;
      return -1;
    }
    if (a->read_write == I2C_SMBUS_READ) {
      const std::uint16_t v = read_reg(s, a->command);
      a->data->word = static_cast<std::uint16_t>((v & 0xFF) << 8 | v >> 8); // little-endian word
    } else {
      const std::uint16_t w = a->data->word;
      write_reg(s, a->command, static_cast<std::uint16_t>((w & 0xFF) << 8 | w >> 8));
    }
    return 0;
  }
  default:
    errno = ENOTTY;
    return -1;
  }
}

int maybe_open(const char* path, int flags, mode_t mode, int (*fallback)(const char*, int, ...)) {
  State& s = st();
  {
    std::lock_guard lock(s.mutex);
    if (!s.device.empty() && path != nullptr && s.device == path) {
      // A real descriptor so close/dup/fcntl behave; the content is never used.
      const int fd = fallback("/dev/null", O_RDWR | (flags & O_CLOEXEC));
      if (fd >= 0) {
        s.fds.insert(fd);
        s.selected = -1;
      }
      return fd;
    }
  }
  return fallback(path, flags, mode);
}

} // namespace

extern "C" {

// --- control API for the test (dlsym) ---
void es_i2c_shim_set_device(const char* path) {
  std::lock_guard lock(st().mutex);
  st().device = path != nullptr ? path : "";
}
void es_i2c_shim_set_reg(int reg, unsigned value) {
  std::lock_guard lock(st().mutex);
  if (reg >= 0 && reg < 6) {
    st().regs[reg] = static_cast<std::uint16_t>(value);
  }
}
unsigned es_i2c_shim_get_reg(int reg) {
  std::lock_guard lock(st().mutex);
  return reg >= 0 && reg < 6 ? st().regs[reg] : 0;
}
void es_i2c_shim_configure(int addr, int busy_addr, int smbus_only, int fail_every) {
  std::lock_guard lock(st().mutex);
  st().addr = addr;
  st().busy_addr = busy_addr;
  st().smbus_only = smbus_only != 0;
  st().fail_every = fail_every;
}
long es_i2c_shim_transfers() {
  std::lock_guard lock(st().mutex);
  return st().transfers;
}
int es_i2c_shim_open_fds() {
  std::lock_guard lock(st().mutex);
  return static_cast<int>(st().fds.size());
}

// --- interposed libc functions ---
int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0) {
    va_list ap;
    va_start(ap, flags);
    mode = static_cast<mode_t>(va_arg(ap, int));
    va_end(ap);
  }
  static auto fn = real<int (*)(const char*, int, ...)>("open");
  return maybe_open(path, flags, mode, fn);
}
int open64(const char* path, int flags, ...) {
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0) {
    va_list ap;
    va_start(ap, flags);
    mode = static_cast<mode_t>(va_arg(ap, int));
    va_end(ap);
  }
  static auto fn = real<int (*)(const char*, int, ...)>("open64");
  return maybe_open(path, flags, mode, fn);
}
int openat(int dirfd, const char* path, int flags, ...) {
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0) {
    va_list ap;
    va_start(ap, flags);
    mode = static_cast<mode_t>(va_arg(ap, int));
    va_end(ap);
  }
  static auto fn = real<int (*)(int, const char*, int, ...)>("openat");
  {
    State& s = st();
    std::lock_guard lock(s.mutex);
    if (!s.device.empty() && path != nullptr && s.device == path) {
      const int fd = fn(AT_FDCWD, "/dev/null", O_RDWR | (flags & O_CLOEXEC));
      if (fd >= 0) {
        s.fds.insert(fd);
        s.selected = -1;
      }
      return fd;
    }
  }
  return fn(dirfd, path, flags, mode);
}
int close(int fd) {
  static auto fn = real<int (*)(int)>("close");
  {
    std::lock_guard lock(st().mutex);
    st().fds.erase(fd);
  }
  return fn(fd);
}
int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  {
    State& s = st();
    std::lock_guard lock(s.mutex);
    if (s.fds.count(fd) != 0) {
      return emulate_ioctl(s, req, arg);
    }
  }
  static auto fn = real<int (*)(int, unsigned long, ...)>("ioctl");
  return fn(fd, req, arg);
}

} // extern "C"
