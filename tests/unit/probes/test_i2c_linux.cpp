// LinuxI2cBus and Ina219Probe through the real open/ioctl/close path, against an INA219
// emulated by the LD_PRELOAD shim es_i2c_shim (i2c_shim.cpp). main() re-executes this binary
// with LD_PRELOAD set when the shim is not loaded yet, so it works under ctest and by hand.
#include "probes/commands.hpp"
#include "probes/i2c_bus.hpp"
#include "probes/ina219.hpp"
#include "probes/probe_set.hpp"
#include "tests/unit/probes/fixture_util.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <dlfcn.h>
#include <sstream>
#include <string>
#include <unistd.h>

namespace es::probes {
namespace {

using namespace std::chrono_literals;

struct Shim {
  void (*set_device)(const char*) = nullptr;
  void (*set_reg)(int, unsigned) = nullptr;
  unsigned (*get_reg)(int) = nullptr;
  void (*configure)(int, int, int, int) = nullptr;
  long (*transfers)() = nullptr;
  int (*open_fds)() = nullptr;
  bool loaded() const { return set_device != nullptr; }
};

template <typename F>
void bind(F& f, const char* name) {
  f = reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

Shim shim() {
  Shim s;
  bind(s.set_device, "es_i2c_shim_set_device");
  bind(s.set_reg, "es_i2c_shim_set_reg");
  bind(s.get_reg, "es_i2c_shim_get_reg");
  bind(s.configure, "es_i2c_shim_configure");
  bind(s.transfers, "es_i2c_shim_transfers");
  bind(s.open_fds, "es_i2c_shim_open_fds");
  return s;
}

class LinuxI2cShim : public ::testing::Test {
protected:
  void SetUp() override {
    m_shim = shim();
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    if (!m_shim.loaded()) {
      GTEST_SKIP() << "LD_PRELOAD shim not used under sanitizers (their runtime must load first)";
    }
#endif
    ASSERT_TRUE(m_shim.loaded()) << "es_i2c_shim not preloaded";
    m_dev = m_dir.path() / "dev";
    test::write_file(m_dev, "i2c-1", ""); // a plain file: only the shim makes it an adapter
    m_shim.configure(0x40, -1, 0, 0);
    m_shim.set_device((m_dev / "i2c-1").c_str());
    m_shim.set_reg(1, 0x3A98); // shunt 150 mV
    m_shim.set_reg(2, 0x5DC2); // bus 12 V, CNVR
  }
  void TearDown() override {
    if (m_shim.loaded()) {
      m_shim.set_device("");
    }
  }
  test::TempDir m_dir;
  std::filesystem::path m_dev;
  Shim m_shim;
};

TEST_F(LinuxI2cShim, RegisterAccessIsBigEndianOnTheWire) {
  auto bus = LinuxI2cBus::open(m_dev / "i2c-1");
  ASSERT_TRUE(bus.ok()) << bus.error().message;
  EXPECT_TRUE((*bus)->uses_rdwr());
  EXPECT_EQ((*bus)->read_reg16_be(0x40, 0x00).value_or(0), 0x399F);
  EXPECT_EQ((*bus)->read_reg16_be(0x40, 0x02).value_or(0), 0x5DC2);
  ASSERT_TRUE((*bus)->write_reg16_be(0x40, 0x05, 0x1001).ok());
  EXPECT_EQ(m_shim.get_reg(5), 0x1000U); // bit 0 cannot be set
  EXPECT_EQ(m_shim.open_fds(), 1);
  bus->reset();
  EXPECT_EQ(m_shim.open_fds(), 0); // closed on destruction
}

TEST_F(LinuxI2cShim, SmbusFallbackSwapsBytes) {
  m_shim.configure(0x40, -1, 1, 0);
  auto bus = LinuxI2cBus::open(m_dev / "i2c-1");
  ASSERT_TRUE(bus.ok());
  EXPECT_FALSE((*bus)->uses_rdwr());
  EXPECT_EQ((*bus)->read_reg16_be(0x40, 0x02).value_or(0), 0x5DC2);
  ASSERT_TRUE((*bus)->write_reg16_be(0x40, 0x05, 0x2000).ok());
  EXPECT_EQ(m_shim.get_reg(5), 0x2000U);
}

TEST_F(LinuxI2cShim, NackBusyAndMissingDevice) {
  auto bus = LinuxI2cBus::open(m_dev / "i2c-1");
  ASSERT_TRUE(bus.ok());
  auto nack = (*bus)->read_reg16_be(0x41, 0x00);
  ASSERT_FALSE(nack.ok());
  EXPECT_EQ(nack.error().code, ErrorCode::kNotFound);
  m_shim.configure(0x40, 0x45, 0, 0);
  auto busy = (*bus)->read_reg16_be(0x45, 0x00);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code, ErrorCode::kBusy);
  auto missing = LinuxI2cBus::open(m_dev / "i2c-9");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  // A regular file that is not an adapter fails I2C_FUNCS (ENOTTY), cleanly.
  test::write_file(m_dev, "i2c-7", "");
  EXPECT_FALSE(LinuxI2cBus::open(m_dev / "i2c-7").ok());
}

TEST_F(LinuxI2cShim, MakeProbesSamplesIna219ThroughDevfsRoot) {
  ProbeSetOptions o;
  o.roots.sysfs = m_dir.path() / "sys";
  o.roots.procfs = m_dir.path() / "proc";
  o.roots.devfs = m_dev;
  Ina219Options dev;
  dev.name = "board";
  dev.bus = 1;
  dev.shunt_ohms = 0.1;
  dev.max_current_a = 2.0;
  dev.interval = 5ms;
  o.ina219.push_back(dev);
  dev.name = "absent";
  dev.bus = 3;
  o.ina219.push_back(dev);
  auto set = make_probes(o);
  ASSERT_EQ(set.probes.size(), 1U);
  bool absent_skipped = false;
  for (const auto& s : set.skipped) {
    absent_skipped |= s.rfind("ina219 absent: ", 0) == 0 && s.find("i2c-3") != std::string::npos;
  }
  EXPECT_TRUE(absent_skipped);
  Probe& p = *set.probes.front();
  EXPECT_EQ(m_shim.get_reg(0), 0x399FU);
  EXPECT_EQ(m_shim.get_reg(5), 4096U);
  auto out = test::sample_once(p);
  EXPECT_NEAR(test::reading(p, out, "board.bus_voltage")->value, 12.0, 1e-9);
  EXPECT_NEAR(test::reading(p, out, "board.shunt_voltage")->value, 0.15, 1e-12);
  EXPECT_NEAR(test::reading(p, out, "board.current")->value, 1.5, 1e-9);
  EXPECT_NEAR(test::reading(p, out, "board.power")->value, 18.0, 1e-9);
  // A flaky adapter (every 3rd transfer fails with EIO) still yields values thanks to retries.
  m_shim.configure(0x40, -1, 0, 3);
  int ok = 0;
  for (int i = 0; i < 50; ++i) {
    auto o2 = test::sample_once(p);
    ok += test::reading(p, o2, "board.current")->status == SampleStatus::kOk ? 1 : 0;
  }
  EXPECT_GT(ok, 40);
}

TEST_F(LinuxI2cShim, DriverOwnedAddressIsSkippedWithReason) {
  m_shim.configure(0x40, 0x40, 0, 0);
  ProbeSetOptions o;
  o.roots.sysfs = m_dir.path() / "sys";
  o.roots.procfs = m_dir.path() / "proc";
  o.roots.devfs = m_dev;
  o.ina219.push_back(Ina219Options{});
  auto set = make_probes(o);
  bool reason = false;
  for (const auto& s : set.skipped) {
    reason |= s.find("kernel driver") != std::string::npos;
  }
  EXPECT_TRUE(reason);
}

TEST_F(LinuxI2cShim, ScanFindsTheIna219AndProbeCommandSuggestsIt) {
  const auto found = scan_ina2xx(m_dev);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].bus, 1);
  EXPECT_EQ(found[0].address, 0x40);
  EXPECT_EQ(found[0].chip, "ina219");
  // A chip a previous run configured no longer shows the power-on config: not guessed.
  m_shim.set_reg(0, 0x219F);
  EXPECT_TRUE(scan_ina2xx(m_dev).empty());
  m_shim.set_reg(0, 0x399F);
  // The probe command samples it and puts it in the YAML snippet.
  ProbeSetOptions o;
  o.roots.sysfs = m_dir.path() / "sys";
  o.roots.procfs = m_dir.path() / "proc";
  o.roots.devfs = m_dev;
  ProbeCommandOptions c;
  c.json = false;
  c.settle = std::chrono::milliseconds(1);
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(run_probe_command(o, c, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("board.current"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("    - name: board\n      bus: 1\n      address: 0x40"),
            std::string::npos)
      << out.str();
}

} // namespace
} // namespace es::probes

int main(int argc, char** argv) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Sanitizer runtimes must come first in the preload list: run unshimmed, tests skip.
#else
  if (!es::probes::shim().loaded() && std::getenv("ES_I2C_SHIM_REEXEC") == nullptr) {
    ::setenv("ES_I2C_SHIM_REEXEC", "1", 1);
    ::setenv("LD_PRELOAD", ES_I2C_SHIM_PATH, 1);
    ::execv("/proc/self/exe", argv);
  }
#endif
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
