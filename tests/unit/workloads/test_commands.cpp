// bench/models commands: exit codes and output formats.
#include "workloads/commands.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace es::workloads {
namespace {

TEST(Commands, ModelsTableAndJson) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(cmd_models({}, out, err), 0);
  EXPECT_NE(out.str().find("resnet50"), std::string::npos);
  EXPECT_NE(out.str().find("4089.2"), std::string::npos);
  std::ostringstream json;
  EXPECT_EQ(cmd_models({"--json"}, json, err), 0);
  EXPECT_EQ(json.str().front(), '[');
  EXPECT_NE(json.str().find("\"macs\":300774272"), std::string::npos);
  EXPECT_EQ(cmd_models({"--bogus"}, out, err), 2);
}

TEST(Commands, BenchUsageErrors) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(cmd_bench({}, out, err), 2);
  EXPECT_EQ(cmd_bench({"--model", "mobilenet_v2", "--threads", "0"}, out, err), 2);
  EXPECT_EQ(cmd_bench({"--model", "nope"}, out, err), 2);
  EXPECT_EQ(cmd_bench({"--model", "mobilenet_v2", "--isa", "sse9"}, out, err), 2);
  EXPECT_EQ(cmd_bench({"--help"}, out, err), 0);
}

TEST(Commands, BenchPrintsResultLineAndJson) {
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(cmd_bench({"--model", "squeezenet1_1", "--runs", "3", "--warmup", "1", "--profile"}, out, err), 0)
      << err.str();
  const std::string text = out.str();
  EXPECT_NE(text.find("RESULT runtime=edgesoak model=squeezenet1_1 threads=1 runs=3 median_ms="),
            std::string::npos);
  EXPECT_NE(text.find("gmacs_per_s="), std::string::npos);
  EXPECT_NE(text.find("matches reference"), std::string::npos);
  EXPECT_NE(text.find("PROFILE runtime=edgesoak"), std::string::npos);
  std::ostringstream json;
  ASSERT_EQ(cmd_bench({"--model", "squeezenet1_1", "--runs", "2", "--warmup", "0", "--json", "--threads", "2"},
                      json, err),
            0);
  for (const char* key : {"\"model\":", "\"threads\":2", "\"isa\":", "\"runs\":2", "\"median_ms\":",
                          "\"p90_ms\":", "\"p99_ms\":", "\"min_ms\":", "\"mean_ms\":", "\"gmacs\":",
                          "\"macs\":349151936", "\"verified\":true"}) {
    EXPECT_NE(json.str().find(key), std::string::npos) << key << " in " << json.str();
  }
}

} // namespace
} // namespace es::workloads
