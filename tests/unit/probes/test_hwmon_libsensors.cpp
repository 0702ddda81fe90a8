// libsensors against a fixture tree, for real: runs libsensors_ns_helper (private mount
// namespace + bind mounts over /sys) and checks that libsensors and the sysfs reader agree on
// names and values. Skips cleanly where unshare/mount is not permitted.
#include "tests/unit/probes/fixture_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace es::probes {
namespace {

struct Row {
  std::string status;
  double value = 0;
  std::string source;
};
using Rows = std::map<std::string, std::map<std::string, Row>>; // backend -> name -> row

int run_helper(const std::filesystem::path& sys, Rows& rows, std::string& raw) {
  const std::string cmd = std::string(ES_LIBSENSORS_HELPER) + " '" + sys.string() + "' 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return -1;
  }
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    raw += buf;
  }
  const int status = ::pclose(p);
  std::istringstream in(raw);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string backend, name, st, value, source;
    if (std::getline(ls, backend, '\t') && std::getline(ls, name, '\t') &&
        std::getline(ls, st, '\t') && std::getline(ls, value, '\t') &&
        std::getline(ls, source, '\t')) {
      rows[backend][name] = Row{st, std::strtod(value.c_str(), nullptr), source};
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void compare_backends(const std::filesystem::path& sys, std::size_t min_sensors) {
  Rows rows;
  std::string raw;
  const int rc = run_helper(sys, rows, raw);
  if (rc == 77) {
    GTEST_SKIP() << "mount namespace not permitted here: " << raw;
  }
  ASSERT_EQ(rc, 0) << raw;
  const auto& lib = rows["libsensors"];
  const auto& direct = rows["sysfs"];
  std::size_t compared = 0;
  for (const auto& [name, r] : lib) {
    if (name.rfind("probe.", 0) == 0) {
      continue;
    }
    EXPECT_EQ(r.source.rfind("libsensors:", 0), 0U) << r.source;
    const auto it = direct.find(name);
    ASSERT_NE(it, direct.end()) << "libsensors sensor missing from sysfs reader: " << name;
    EXPECT_EQ(r.status, it->second.status) << name;
    if (r.status == "ok") {
      EXPECT_NEAR(r.value, it->second.value, 1e-9 * std::max(1.0, std::fabs(r.value))) << name;
    }
    ++compared;
  }
  EXPECT_GE(compared, min_sensors) << raw;
}

TEST(HwmonLibsensorsFixture, NodeExporterTreeThroughRealLibsensors) {
  ES_REQUIRE_SHARED_FIXTURE("node_exporter-sys");
  test::TempDir d;
  test::materialize_tree(test::shared_fixture("node_exporter-sys"), d.path());
  compare_backends(d.path() / "sys", 5);
}

TEST(HwmonLibsensorsFixture, Rpi5BoardTreeThroughRealLibsensors) {
  const auto src = test::board_fixture("rpi5");
  if (!std::filesystem::exists(src / "sys/class/hwmon")) {
    GTEST_SKIP() << "no rpi5 board fixture";
  }
  test::TempDir d;
  test::materialize_tree(src, d.path());
  compare_backends(d.path() / "sys", 3);
}

} // namespace
} // namespace es::probes
