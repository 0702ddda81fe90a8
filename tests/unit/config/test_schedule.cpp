// resolve_phases: percent, rest, exact sums, --duration overrides, rounding.
#include "config/config.hpp"
#include "tests/unit/config/test_helpers.hpp"

#include <gtest/gtest.h>

namespace es::config {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

Phase absolute(const std::string& name, nanoseconds d, bool load = true) {
  Phase p;
  p.name = name;
  p.length_kind = PhaseLength::kAbsolute;
  p.duration = d;
  p.load = load;
  return p;
}

Phase percent(const std::string& name, double pct, bool load = true) {
  Phase p;
  p.name = name;
  p.length_kind = PhaseLength::kPercent;
  p.percent = pct;
  p.load = load;
  return p;
}

Phase rest(const std::string& name) {
  Phase p;
  p.name = name;
  p.length_kind = PhaseLength::kRest;
  return p;
}

Config with_phases(nanoseconds run_duration, std::vector<Phase> phases) {
  Config c;
  c.run.duration = run_duration;
  c.run.phases = std::move(phases);
  return c;
}

/// Resolves and checks the invariants every schedule has: contiguous, sums to total, > 0.
std::vector<ResolvedPhase> resolve(const Config& c, nanoseconds total) {
  Result<std::vector<ResolvedPhase>> r = resolve_phases(c, total);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) {
    return {};
  }
  nanoseconds next{0};
  for (const ResolvedPhase& p : *r) {
    EXPECT_EQ(p.start, next) << p.name;
    EXPECT_GT(p.duration.count(), 0) << p.name;
    next += p.duration;
  }
  EXPECT_EQ(next, total);
  return *r;
}

std::vector<nanoseconds> lengths(const std::vector<ResolvedPhase>& phases) {
  std::vector<nanoseconds> out;
  for (const ResolvedPhase& p : phases) {
    out.push_back(p.duration);
  }
  return out;
}

TEST(ConfigSchedule, ShippedDefaultPercentAndRest) {
  const LoadResult r = load_file(test::shipped("edgesoak.yaml"));
  ASSERT_TRUE(r.ok());
  const auto phases = resolve(*r.config, 3h);
  ASSERT_EQ(phases.size(), 3U);
  EXPECT_EQ(lengths(phases), (std::vector<nanoseconds>{9min, 153min, 18min}));
  EXPECT_EQ(phases[1].start, 9min);
  EXPECT_EQ(phases[2].start, 162min);
  EXPECT_FALSE(phases[0].load);
  EXPECT_TRUE(phases[1].load);
  // The README demo: --duration 60s keeps the same shares.
  EXPECT_EQ(lengths(resolve(*r.config, 60s)), (std::vector<nanoseconds>{3s, 51s, 6s}));
}

TEST(ConfigSchedule, AbsoluteWithRest) {
  const Config c = with_phases(1h, {absolute("a", 5min, false), rest("b"), absolute("c", 5min)});
  EXPECT_EQ(lengths(resolve(c, 1h)), (std::vector<nanoseconds>{5min, 50min, 5min}));
  // A longer override only grows "rest".
  EXPECT_EQ(lengths(resolve(c, 2h)), (std::vector<nanoseconds>{5min, 110min, 5min}));
  // A shorter override that still fits keeps the absolute phases.
  EXPECT_EQ(lengths(resolve(c, 11min)), (std::vector<nanoseconds>{5min, 1min, 5min}));
}

TEST(ConfigSchedule, OverrideShorterThanAbsolutePhasesScalesEverything) {
  const Config c = with_phases(1h, {absolute("a", 5min, false), rest("b"), absolute("c", 5min)});
  // 60s < 10min of absolute phases: the 1h schedule (5m, 50m, 5m) is scaled by 60s/1h.
  EXPECT_EQ(lengths(resolve(c, 60s)), (std::vector<nanoseconds>{5s, 50s, 5s}));
  // Exactly the absolute phases: "rest" would get nothing, so scale as well.
  EXPECT_EQ(lengths(resolve(c, 10min)), (std::vector<nanoseconds>{50s, 500s, 50s}));
}

TEST(ConfigSchedule, NoRestExactSumAndOverrides) {
  const Config c =
      with_phases(1h, {absolute("a", 10min), absolute("b", 20min), absolute("c", 30min)});
  EXPECT_EQ(lengths(resolve(c, 1h)), (std::vector<nanoseconds>{10min, 20min, 30min}));
  EXPECT_EQ(lengths(resolve(c, 30min)), (std::vector<nanoseconds>{5min, 10min, 15min}));
  EXPECT_EQ(lengths(resolve(c, 2h)), (std::vector<nanoseconds>{20min, 40min, 60min}));
}

TEST(ConfigSchedule, MixedAbsoluteAndPercentExactSum) {
  const Config c = with_phases(1h, {absolute("a", 30min), percent("b", 50)});
  EXPECT_EQ(lengths(resolve(c, 1h)), (std::vector<nanoseconds>{30min, 30min}));
}

TEST(ConfigSchedule, PercentOnly) {
  const Config c = with_phases(10min, {percent("a", 25), percent("b", 75)});
  EXPECT_EQ(lengths(resolve(c, 10min)), (std::vector<nanoseconds>{150s, 450s}));
  EXPECT_EQ(lengths(resolve(c, 1s)), (std::vector<nanoseconds>{250ms, 750ms}));
}

TEST(ConfigSchedule, RoundingLeftoverGoesToRestOrLongest) {
  const Config thirds = with_phases(1h, {percent("a", 10), rest("b"), percent("c", 10)});
  // 7 ns: 0.7 + 5.6 + 0.7 -> floors 0, 5, 0 -> every phase needs >= 1 ns, too short.
  EXPECT_FALSE(resolve_phases(thirds, 7ns).ok());
  EXPECT_EQ(lengths(resolve(thirds, 1001ns)), (std::vector<nanoseconds>{100ns, 801ns, 100ns}));
  const Config no_rest = with_phases(7ns, {percent("a", 50), percent("b", 25), percent("c", 25)});
  // 3.5, 1.75, 1.75 -> 3, 1, 1 and the 2 ns left go to the longest.
  EXPECT_EQ(lengths(resolve(no_rest, 7ns)), (std::vector<nanoseconds>{5ns, 1ns, 1ns}));
}

TEST(ConfigSchedule, ManyTotalsKeepInvariants) {
  const LoadResult r = load_file(test::fixture("good/full.yaml"));
  ASSERT_TRUE(r.ok());
  for (const nanoseconds total : {nanoseconds(100), nanoseconds(1000), nanoseconds(1ms),
                                  nanoseconds(1s), nanoseconds(61s), nanoseconds(12min),
                                  nanoseconds(90min), nanoseconds(7h), nanoseconds(720h)}) {
    SCOPED_TRACE(total.count());
    EXPECT_EQ(resolve(*r.config, total).size(), 4U);
  }
}

TEST(ConfigSchedule, EmptyPhasesIsOneLoadPhase) {
  Config c;
  c.run.phases.clear();
  const auto phases = resolve(c, 5min);
  ASSERT_EQ(phases.size(), 1U);
  EXPECT_EQ(phases[0].name, "load");
  EXPECT_TRUE(phases[0].load);
  EXPECT_EQ(phases[0].duration, 5min);
}

TEST(ConfigSchedule, RateInheritsWorkloadUnlessOverridden) {
  Config c = with_phases(1h, {rest("a"), absolute("b", 10min)});
  c.workload.rate_per_s = 20;
  c.run.phases[1].rate_per_s = 0.0; // explicit "max"
  const auto phases = resolve(c, 1h);
  EXPECT_EQ(phases[0].rate_per_s, 20);
  EXPECT_EQ(phases[1].rate_per_s, 0);
}

TEST(ConfigSchedule, Errors) {
  const Config ok = with_phases(1h, {rest("a")});
  EXPECT_FALSE(resolve_phases(ok, 0s).ok());
  EXPECT_FALSE(resolve_phases(ok, -5s).ok());
  EXPECT_FALSE(resolve_phases(with_phases(1h, {rest("a"), rest("b")}), 1h).ok());
  EXPECT_FALSE(resolve_phases(with_phases(1h, {absolute("a", 0s), rest("b")}), 1h).ok());
  EXPECT_FALSE(resolve_phases(with_phases(1h, {percent("a", 0), rest("b")}), 1h).ok());
  EXPECT_FALSE(resolve_phases(with_phases(1h, {percent("a", 101), rest("b")}), 1h).ok());
  // Configured so "rest" never has room, even at run.duration: impossible.
  const Result<std::vector<ResolvedPhase>> full =
      resolve_phases(with_phases(1h, {absolute("a", 2h), rest("b")}), 30min);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.error().message.find("leaving nothing for it"), std::string::npos)
      << full.error().message;
  EXPECT_FALSE(resolve_phases(with_phases(1h, {percent("a", 50), percent("b", 50)}), 1ns).ok());
}

} // namespace
} // namespace es::config
