// Faults -> gaps, run continues: every file-based probe (cpufreq, thermal, hwmon sysfs back-end,
// system, rpi sysfs fallback, rails, devfreq) on a temp copy of a board tree, with one attribute
// that vanishes, fails to read (EIO), holds garbage, is empty or is huge. The faulted sensor is a
// gap (never a number), the probe's other sensors stay fine, sample() never throws, and the
// sensor recovers when the file is good again.
//
// Probes keep attribute files open and re-read them with pread (SysfsFile). On real sysfs
// (kernfs) a removed attribute's open descriptor then fails with ENODEV; a regular file in a temp
// dir would keep returning its old content. So this binary interposes pread(): a descriptor whose
// path is registered in g_faults fails with the registered errno. That emulates kernfs removal
// (ENODEV) and a device read error (EIO) on the kept descriptor exactly where the probes see
// them; everything else goes to libc's pread.
#include "probes/probe_set.hpp"
#include "tests/unit/probes/fixture_util.hpp"
#include "tests/unit/probes/probe_test_util.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <dlfcn.h>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>
#include <unistd.h>

namespace {

std::mutex g_faults_mutex;
std::map<std::string, int> g_faults; // canonical path -> errno for pread on a descriptor of it
std::atomic<bool> g_any_fault{false};
std::string g_fd_dir; // "<procfs root>/self/fd/" (no /proc literal outside sysfs_reader.hpp)

int fault_for_fd(int fd) {
  if (!g_any_fault.load(std::memory_order_acquire)) {
    return 0;
  }
  char target[PATH_MAX];
  const std::string link = g_fd_dir + std::to_string(fd);
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n <= 0) {
    return 0;
  }
  std::string path(target, static_cast<std::size_t>(n));
  const std::string deleted = " (deleted)";
  if (path.size() > deleted.size() &&
      path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0) {
    path.resize(path.size() - deleted.size());
  }
  const std::lock_guard lock(g_faults_mutex);
  const auto it = g_faults.find(path);
  return it == g_faults.end() ? 0 : it->second;
}

using PreadFn = ssize_t (*)(int, void*, size_t, off_t);

PreadFn real_pread() {
  static const auto fn = reinterpret_cast<PreadFn>(::dlsym(RTLD_NEXT, "pread"));
  return fn;
}

} // namespace

// Interposes libc's pread for the whole test binary (es_probes is linked statically).
extern "C" ssize_t pread(int fd, void* buf, size_t count, off_t offset) {
  if (const int err = fault_for_fd(fd); err != 0) {
    errno = err;
    return -1;
  }
  return real_pread()(fd, buf, count, offset);
}

namespace es::probes {
namespace {

namespace fs = std::filesystem;

/// Registers `err` for preads of `path` until destroyed.
class ReadFault {
public:
  ReadFault(const fs::path& path, int err) : m_path(fs::weakly_canonical(path).string()) {
    if (g_fd_dir.empty()) {
      g_fd_dir = SysfsReader(kDefaultProcfsRoot).path("self/fd").string() + "/";
    }
    const std::lock_guard lock(g_faults_mutex);
    g_faults[m_path] = err;
    g_any_fault.store(true, std::memory_order_release);
  }
  ~ReadFault() {
    const std::lock_guard lock(g_faults_mutex);
    g_faults.erase(m_path);
    g_any_fault.store(!g_faults.empty(), std::memory_order_release);
  }
  ReadFault(const ReadFault&) = delete;
  ReadFault& operator=(const ReadFault&) = delete;

private:
  std::string m_path;
};

/// Overwrites a file in place (same inode: a kept descriptor sees the new content).
void overwrite(const fs::path& p, const std::string& content) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(f) << p;
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
}

/// One attribute of one probe: the file to break and the sensors that must become gaps
/// (`derived` may be gaps too: values computed from the broken one).
struct Case {
  const char* probe;
  const char* board;
  const char* file; // relative to the board tree (sys/..., proc/...)
  std::set<std::string> gaps;
  std::set<std::string> derived;
  /// The file is hexadecimal (get_throttled): "abc" is a valid value there, not garbage.
  bool hex = false;
  /// A multi-field procfs file parsed by key/field: trailing junk after the fields is ignored
  /// (not a fault of the sensor), and for loadavg a lone 23-digit number is a (huge) double.
  bool multi_field = false;
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.probe << "@" << c.board << ":" << c.file;
}

const Case kCases[] = {
    {"cpufreq", "rpi5", "sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq",
     {"cpufreq.policy0.cur"}, {}},
    {"cpufreq", "odroid-n2", "sys/devices/system/cpu/cpufreq/policy2/scaling_max_freq",
     {"cpufreq.policy2.max_limit"}, {}},
    {"thermal", "rpi5", "sys/devices/virtual/thermal/thermal_zone0/temp",
     {"thermal.cpu-thermal"}, {}},
    {"thermal", "odroid-n2", "sys/devices/virtual/thermal/thermal_zone1/temp",
     {"thermal.ddr-thermal"}, {}},
    {"hwmon", "rpi5", "sys/devices/platform/cooling_fan/hwmon/hwmon3/fan1_input",
     {"hwmon.pwmfan.fan1"}, {}},
    {"hwmon", "x86", "sys/devices/platform/coretemp.0/hwmon/hwmon0/temp2_input",
     {"hwmon.coretemp.core_0"}, {}},
    {"system", "rpi5", "proc/loadavg", {"system.load1", "system.load5", "system.load15"}, {}, false,
     true},
    {"system", "rpi5", "proc/meminfo", {"system.mem_total", "system.mem_available"}, {}, false,
     true},
    {"rpi", "rpi4", "sys/devices/platform/soc/soc:firmware/get_throttled",
     {"rpi.throttled"},
     {"rpi.under_voltage", "rpi.arm_freq_capped", "rpi.throttling", "rpi.soft_temp_limit"},
     true},
    {"rails", "jetson-orin",
     "sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040/hwmon/hwmon1/curr1_input",
     {"rails.vdd_in.current"}, {"rails.vdd_in.power", "rails.total_power"}},
    {"devfreq", "jetson-orin",
     "sys/devices/platform/bus@0/17000000.gpu/devfreq/17000000.gpu/cur_freq",
     {"devfreq.17000000_gpu.cur"}, {}},
};

/// A temp copy of the board tree and the one probe under test, built through make_probes.
class Rig {
public:
  explicit Rig(const Case& c) : m_case(c) {
    test::materialize_tree(test::board_fixture(c.board), m_dir.path());
    ProbeSetOptions o;
    o.roots.sysfs = m_dir.path() / "sys";
    o.roots.procfs = m_dir.path() / "proc";
    o.roots.devfs = m_dir.path() / "dev";
    o.vcgencmd = "/nonexistent/vcgencmd";
    o.hwmon_backend = HwmonBackend::kSysfs;
    for (const char* p : {"cpufreq", "thermal", "hwmon", "system", "rpi", "rails", "devfreq"}) {
      o.probes[p].enabled = std::string(p) == c.probe;
    }
    auto set = make_probes(o);
    for (auto& p : set.probes) {
      if (p->name() == c.probe) {
        m_probe = std::move(p);
      }
    }
    m_file = m_dir.path() / c.file;
    m_original = test::read_file(m_file);
  }

  [[nodiscard]] Probe* probe() const { return m_probe.get(); }
  [[nodiscard]] const fs::path& file() const { return m_file; }
  [[nodiscard]] const std::string& original() const { return m_original; }

  /// One sample (must not throw), by sensor name.
  std::map<std::string, Reading> sample() {
    ProbeOutput out;
    EXPECT_NO_THROW(m_probe->sample(out)) << m_case;
    std::map<std::string, Reading> r;
    for (const auto& x : out.readings) {
      if (x.status == SampleStatus::kOk) {
        EXPECT_TRUE(std::isfinite(x.value)) << m_case;
      } else {
        EXPECT_TRUE(std::isnan(x.value)) << m_case << " " << m_probe->sensors()[x.index].name;
      }
      r[m_probe->sensors()[x.index].name] = x;
    }
    return r;
  }

  /// The faulted sensors are gaps; every other sensor that was fine in `baseline` still is.
  void expect_gaps(const std::map<std::string, Reading>& baseline,
                   const std::map<std::string, Reading>& now, const std::string& what) const {
    for (const auto& g : m_case.gaps) {
      const auto it = now.find(g);
      ASSERT_NE(it, now.end()) << m_case << " " << what << ": no reading (not even a gap) for "
                               << g;
      EXPECT_NE(it->second.status, SampleStatus::kOk)
          << m_case << " " << what << ": " << g << " = " << it->second.value;
    }
    for (const auto& [name, r] : baseline) {
      if (r.status != SampleStatus::kOk || m_case.gaps.count(name) ||
          m_case.derived.count(name)) {
        continue;
      }
      const auto it = now.find(name);
      if (it == now.end()) {
        continue; // sparse sensors are reported on change only
      }
      EXPECT_EQ(it->second.status, SampleStatus::kOk) << m_case << " " << what << ": " << name;
    }
  }

  /// The faulted sensors are back with their original values.
  void expect_recovered(const std::map<std::string, Reading>& baseline,
                        const std::map<std::string, Reading>& now, const std::string& what) const {
    for (const auto& g : m_case.gaps) {
      const auto it = now.find(g);
      ASSERT_NE(it, now.end()) << m_case << " " << what << ": " << g;
      EXPECT_EQ(it->second.status, SampleStatus::kOk) << m_case << " " << what << ": " << g;
      EXPECT_DOUBLE_EQ(it->second.value, baseline.at(g).value) << m_case << " " << what;
    }
  }

private:
  Case m_case;
  test::TempDir m_dir;
  std::unique_ptr<Probe> m_probe;
  fs::path m_file;
  std::string m_original;
};

class ProbeFaults : public ::testing::TestWithParam<Case> {};

TEST_P(ProbeFaults, BaselineIsFine) {
  Rig rig(GetParam());
  ASSERT_NE(rig.probe(), nullptr) << GetParam();
  ASSERT_FALSE(rig.original().empty()) << GetParam();
  const auto base = rig.sample();
  for (const auto& g : GetParam().gaps) {
    ASSERT_TRUE(base.count(g)) << GetParam() << " " << g;
    EXPECT_EQ(base.at(g).status, SampleStatus::kOk) << GetParam() << " " << g;
  }
}

// (a) The file vanishes between two samples (kernfs: ENODEV on the kept descriptor, then ENOENT
// on re-open), later comes back (a new inode): gap, gap, then recovered.
TEST_P(ProbeFaults, VanishedFileIsAGapAndRecovers) {
  Rig rig(GetParam());
  ASSERT_NE(rig.probe(), nullptr);
  const auto base = rig.sample();
  {
    const ReadFault removed(rig.file(), ENODEV);
    fs::remove(rig.file());
    rig.expect_gaps(base, rig.sample(), "vanished (ENODEV)");
  }
  rig.expect_gaps(base, rig.sample(), "vanished (ENOENT)");
  test::write_file(rig.file().parent_path(), rig.file().filename().string(), rig.original());
  rig.expect_recovered(base, rig.sample(), "came back");
}

// (b) A read error on the kept descriptor (EIO), and a path that opens but cannot be read (a
// directory: EISDIR).
TEST_P(ProbeFaults, ReadErrorIsAGapAndRecovers) {
  Rig rig(GetParam());
  ASSERT_NE(rig.probe(), nullptr);
  const auto base = rig.sample();
  {
    const ReadFault eio(rig.file(), EIO);
    rig.expect_gaps(base, rig.sample(), "EIO");
    rig.expect_gaps(base, rig.sample(), "EIO again");
  }
  rig.expect_recovered(base, rig.sample(), "after EIO");
  {
    const ReadFault removed(rig.file(), ENODEV);
    fs::remove(rig.file());
    fs::create_directory(rig.file());
    rig.expect_gaps(base, rig.sample(), "replaced (ENODEV)");
  }
  rig.expect_gaps(base, rig.sample(), "directory (EISDIR)");
  fs::remove(rig.file());
  test::write_file(rig.file().parent_path(), rig.file().filename().string(), rig.original());
  rig.expect_recovered(base, rig.sample(), "after directory");
}

// (c) garbage, (d) empty, (e) huge / overflowing: gap, never a number; bounded read, no hang.
TEST_P(ProbeFaults, BadContentIsAGapAndRecovers) {
  Rig rig(GetParam());
  ASSERT_NE(rig.probe(), nullptr);
  const auto base = rig.sample();
  const Case& c = GetParam();
  const std::string huge_digits(10U << 20U, '7'); // 10 MiB of digits
  std::vector<std::pair<std::string, std::string>> bad = {
      {c.hex ? "xyz" : "abc", c.hex ? "xyz\n" : "abc\n"},
      {"12x", "12x\n"},
      {"dash", "-\n"},
      {"NUL bytes", std::string("\0\0\0\0", 4)},
      {"NUL inside", std::string("12\0" "34\n", 6)},
      {"empty", ""},
      {"only newline", "\n"},
      {"10 MiB of digits", huge_digits},
      {"10 MiB garbage + value", std::string(10U << 20U, 'x') + rig.original()},
  };
  if (!c.multi_field) {
    bad.emplace_back("int64 overflow", "99999999999999999999999\n");
    bad.emplace_back("value + 10 MiB garbage", rig.original() + std::string(10U << 20U, 'x'));
  }
  for (const auto& [what, content] : bad) {
    overwrite(rig.file(), content);
    const auto t0 = std::chrono::steady_clock::now();
    rig.expect_gaps(base, rig.sample(), what);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1)) << what;
    overwrite(rig.file(), rig.original());
    rig.expect_recovered(base, rig.sample(), "after " + what);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryFileProbe, ProbeFaults, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           std::string n = std::string(i.param.probe) + "_" + i.param.board +
                                           "_" + std::to_string(i.index);
                           for (auto& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) {
                               ch = '_';
                             }
                           }
                           return n;
                         });

} // namespace
} // namespace es::probes
