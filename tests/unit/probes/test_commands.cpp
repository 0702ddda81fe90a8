#include "daemon/core/exit_codes.hpp"
#include "probes/commands.hpp"
#include "tests/unit/probes/fixture_util.hpp"

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace es::probes {
namespace {

namespace pt = boost::property_tree;

std::vector<std::string> roots_args(const std::string& board) {
  const auto root = test::board_fixture(board);
  return {"--sysfs-root",           (root / "sys").string(), "--procfs-root",
          (root / "proc").string(), "--devfs-root",          (root / "dev").string()};
}

TEST(CmdProbeFixture, JsonOnRpi5FixtureHasBoardAndSensors) {
  auto args = roots_args("rpi5");
  args.insert(args.begin(), "--json");
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(cmd_probe(args, out, err), kExitOk) << err.str();
  pt::ptree doc;
  std::istringstream in(out.str());
  ASSERT_NO_THROW(pt::read_json(in, doc)) << out.str();
  EXPECT_EQ(doc.get<std::string>("board.model"), "Raspberry Pi 5 Model B Rev 1.0");
  EXPECT_EQ(doc.get<std::string>("board.kernel"), "6.6.31+rpt-rpi-2712");
  EXPECT_EQ(doc.get<std::string>("board.cpu"), "Cortex-A76 x4");
  const std::set<std::string> kinds{"frequency", "temperature", "cooling",     "voltage", "current",
                                    "power",     "throttle",    "utilization", "memory",  "other"};
  std::set<std::string> names;
  bool saw_temp = false;
  for (const auto& [key, s] : doc.get_child("sensors")) {
    (void)key;
    const auto name = s.get<std::string>("name");
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_TRUE(kinds.count(s.get<std::string>("kind"))) << name;
    EXPECT_FALSE(s.get<std::string>("unit").empty()) << name;
    EXPECT_FALSE(s.get<std::string>("source").empty()) << name;
    EXPECT_TRUE(s.get_child_optional("value")) << name;
    if (name == "thermal.cpu-thermal") {
      saw_temp = true;
      EXPECT_DOUBLE_EQ(s.get<double>("value"), 55.6);
      EXPECT_EQ(s.get<std::string>("unit"), "C");
      EXPECT_EQ(s.get<std::string>("kind"), "temperature");
    }
  }
  EXPECT_TRUE(saw_temp);
  EXPECT_TRUE(names.count("cpufreq.policy0.cur"));
  EXPECT_TRUE(names.count("system.cpu_util"));
  EXPECT_TRUE(names.count("rpi.throttled"));
  const auto yaml = doc.get<std::string>("config_yaml");
  EXPECT_NE(yaml.find("probes:"), std::string::npos);
  EXPECT_NE(yaml.find("sysfs_root: "), std::string::npos);
  EXPECT_NE(yaml.find("rpi: {enabled: true}"), std::string::npos);
  EXPECT_NE(yaml.find("rails: {enabled: false}"), std::string::npos);
}

TEST(CmdProbeFixture, TextOutputOnJetsonOrin) {
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(cmd_probe(roots_args("jetson-orin"), out, err), kExitOk) << err.str();
  const std::string s = out.str();
  EXPECT_NE(s.find("board:   NVIDIA Jetson Orin Nano Developer Kit"), std::string::npos);
  EXPECT_NE(s.find("rails.vdd_in.power"), std::string::npos);
  EXPECT_NE(s.find("(invalid)"), std::string::npos); // cv0-thermal at -256 C
  EXPECT_NE(s.find("# configuration snippet"), std::string::npos);
}

TEST(CmdProbe, UsageErrors) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(cmd_probe({"--bogus"}, out, err), kExitUsage);
  EXPECT_NE(err.str().find("unknown argument"), std::string::npos);
  EXPECT_EQ(cmd_probe({"--sysfs-root"}, out, err), kExitUsage);
  EXPECT_EQ(cmd_probe({"--sysfs-root", "/nonexistent/x"}, out, err), kExitUsage);
  std::ostringstream help;
  EXPECT_EQ(cmd_probe({"--help"}, help, err), kExitOk);
  EXPECT_NE(help.str().find("usage: edgesoak probe"), std::string::npos);
}

TEST(CmdProbe, JsonQuote) {
  EXPECT_EQ(json_quote("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

} // namespace
} // namespace es::probes
