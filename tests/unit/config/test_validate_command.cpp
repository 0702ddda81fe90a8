// cmd_validate: exit codes and output on real files.
#include "config/config.hpp"
#include "daemon/core/command.hpp"
#include "daemon/core/exit_codes.hpp"
#include "tests/unit/config/test_helpers.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace es::config {
namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome validate(const std::vector<std::string>& args) {
  // The es::CommandFn shape: the CLI dispatcher stores it as a function pointer.
  const CommandFn fn = &cmd_validate;
  std::ostringstream out;
  std::ostringstream err;
  const int code = fn(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(ConfigValidateCommand, ShippedConfigsAreOk) {
  for (const char* name : {"edgesoak.yaml", "demo.yaml"}) {
    const Outcome o = validate({test::shipped(name).string()});
    EXPECT_EQ(o.code, kExitOk) << o.err;
    EXPECT_TRUE(o.err.empty()) << o.err;
    EXPECT_NE(o.out.find("run:"), std::string::npos);
    EXPECT_EQ(o.out.substr(o.out.size() - 3), "ok\n");
  }
}

TEST(ConfigValidateCommand, BadFileExitsTwoWithEveryDiagnostic) {
  const std::string path = test::fixture("bad/three_problems.yaml").string();
  const Outcome o = validate({path});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_TRUE(o.out.empty());
  EXPECT_NE(o.err.find(path + ":5:3: run.durration: unknown key; did you mean 'duration'?"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find(path + ":7:12: workload.threads: expected an integer 1..256, found '0'"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find(path + ":8:9: workload.cpus:"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("edgesoak validate: error: 3 problems in " + path), std::string::npos)
      << o.err;
}

TEST(ConfigValidateCommand, WarningsGoToErrButStillOk) {
  const Outcome o = validate({test::fixture("good/no_load_phase.yaml").string()});
  EXPECT_EQ(o.code, kExitOk);
  EXPECT_NE(o.err.find("warning: no phase has load: true"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("ok\n"), std::string::npos);
}

TEST(ConfigValidateCommand, DurationOverrideShowsResolvedPhases) {
  const Outcome o = validate({"--duration", "60s", test::shipped("edgesoak.yaml").string()});
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_NE(o.out.find("for 51s"), std::string::npos) << o.out;
  const Outcome eq = validate({"--duration=2m", test::shipped("demo.yaml").string()});
  EXPECT_EQ(eq.code, kExitOk) << eq.err;
  EXPECT_NE(eq.out.find("2m (overrides run.duration 30s)"), std::string::npos) << eq.out;
}

TEST(ConfigValidateCommand, UsageErrors) {
  EXPECT_EQ(validate({}).code, kExitUsage);
  EXPECT_EQ(validate({"--bogus", "x.yaml"}).code, kExitUsage);
  EXPECT_EQ(validate({"a.yaml", "b.yaml"}).code, kExitUsage);
  EXPECT_EQ(validate({"--duration"}).code, kExitUsage);
  const Outcome bad_duration =
      validate({"--duration", "10x", test::shipped("edgesoak.yaml").string()});
  EXPECT_EQ(bad_duration.code, kExitUsage);
  EXPECT_NE(bad_duration.err.find("--duration: invalid duration '10x'"), std::string::npos)
      << bad_duration.err;
  const Outcome missing = validate({test::fixture("nope.yaml").string()});
  EXPECT_EQ(missing.code, kExitUsage);
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << missing.err;
}

TEST(ConfigValidateCommand, Help) {
  const Outcome o = validate({"--help"});
  EXPECT_EQ(o.code, kExitOk);
  EXPECT_NE(o.out.find("usage: edgesoak validate"), std::string::npos);
  EXPECT_TRUE(o.err.empty());
}

} // namespace
} // namespace es::config
