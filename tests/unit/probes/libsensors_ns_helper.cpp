// Test helper (not a test itself): reads a fixture hwmon tree through libsensors for real.
//
// libsensors hard-codes /sys, so this process enters a private mount namespace, bind-mounts
// FIXTURE_SYS/{class,devices,bus} over /sys/{class,devices,bus} (/sys itself stays sysfs, which
// libsensors checks with statfs), and samples an HwmonProbe twice: once with the libsensors
// back-end and once with the sysfs back-end on the same (now fake) /sys. Output, one line per
// sensor:   <backend>\t<name>\t<status>\t<value>\t<source>
// Exit codes: 0 ok, 77 not permitted here (no root / no unshare / mount refused), 1 error.
#include "daemon/core/time.hpp"
#include "probes/hwmon.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sched.h>
#include <string>
#include <sys/mount.h>

namespace {

constexpr int kSkip = 77;

void dump(const char* tag, es::probes::HwmonProbe& p) {
  es::probes::ProbeOutput out;
  p.sample(out);
  for (const auto& r : out.readings) {
    const auto& s = p.sensors()[r.index];
    std::printf("%s\t%s\t%s\t%.9g\t%s\n", tag, s.name.c_str(), es::to_string(r.status), r.value,
                s.source.c_str());
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FIXTURE_SYS_DIR\n", argv[0]);
    return 1;
  }
  const std::filesystem::path fixture = argv[1];
  if (::unshare(CLONE_NEWNS) != 0) {
    std::perror("unshare(CLONE_NEWNS)");
    return kSkip;
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    std::perror("mount --make-rprivate /");
    return kSkip;
  }
  for (const char* sub : {"class", "devices", "bus"}) {
    const auto src = fixture / sub;
    if (!std::filesystem::exists(src)) {
      continue;
    }
    const std::string dst = std::string(es::probes::kDefaultSysfsRoot) + "/" + sub;
    if (::mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      std::perror(("mount --bind " + src.string() + " " + dst).c_str());
      return kSkip;
    }
  }
  const es::probes::SysfsReader sys(es::probes::kDefaultSysfsRoot);
  es::probes::HwmonOptions lib;
  lib.backend = es::probes::HwmonBackend::kLibsensors;
  lib.libsensors_config = "/dev/null"; // raw values: no compute or label rules from /etc
  es::probes::HwmonProbe via_lib(sys, std::chrono::seconds(1), lib);
  es::probes::HwmonOptions direct;
  direct.backend = es::probes::HwmonBackend::kSysfs;
  es::probes::HwmonProbe via_sysfs(sys, std::chrono::seconds(1), direct);
  dump("libsensors", via_lib);
  dump("sysfs", via_sysfs);
  if (std::getenv("ES_HELPER_TIMING") != nullptr) {
    // Per-sample cost of both back-ends on the same tree (stderr, not parsed by the test).
    for (auto* p : {&via_lib, &via_sysfs}) {
      es::probes::ProbeOutput out;
      const auto t0 = es::mono_now_ns();
      constexpr int kRounds = 2000;
      for (int i = 0; i < kRounds; ++i) {
        out.clear();
        p->sample(out);
      }
      const double per = static_cast<double>(es::mono_now_ns() - t0) / kRounds;
      std::fprintf(stderr, "%s: %zu sensors, %.0f ns per sample, %.0f ns per sensor\n",
                   es::probes::to_string(p->backend()), p->sensors().size(), per,
                   per / static_cast<double>(p->sensors().size()));
    }
  }
  return 0;
}
