// Tests analysis/series.cpp and analysis/run_data.cpp pure helpers.
#include "analysis/run_data.hpp"
#include "analysis/series.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace es::analysis {
namespace {

SensorSeries make(std::vector<double> t_s, std::vector<double> v) {
  SensorSeries s;
  s.spec = SensorSpec{"x", SensorKind::kFrequency, "Hz", ""};
  for (double t : t_s) {
    s.t_ns.push_back(static_cast<std::int64_t>(t * 1e9));
  }
  s.value = std::move(v);
  return s;
}

TEST(RunData, ParsesKeyValues) {
  const auto kv = parse_key_values("name=load load=1  threads=4 junk");
  EXPECT_EQ(kv.at("name"), "load");
  EXPECT_EQ(kv.at("load"), "1");
  EXPECT_EQ(kv.at("threads"), "4");
  EXPECT_EQ(kv.count("junk"), 0U);
}

TEST(RunData, PhasesFromEvents) {
  std::vector<storage::EventRow> ev{{0, "phase_start", "name=idle load=0"},
                                    {60'000'000'000, "phase_start", "name=load load=1"},
                                    {70'000'000'000, "checksum_mismatch", "x=1"},
                                    {3540'000'000'000, "phase_start", "name=cooldown load=0"}};
  const auto p = phases_from_events(ev, 3600'000'000'000);
  ASSERT_EQ(p.size(), 3U);
  EXPECT_FALSE(p[0].load);
  EXPECT_TRUE(p[1].load);
  EXPECT_EQ(p[1].start_ns, 60'000'000'000);
  EXPECT_EQ(p[1].end_ns, 3540'000'000'000);
  EXPECT_EQ(p[2].end_ns, 3600'000'000'000);
  const auto none = phases_from_events({}, 10);
  ASSERT_EQ(none.size(), 1U);
  EXPECT_TRUE(none[0].load);
}

TEST(Series, StatsValueAtAndTimeWeightedMean) {
  const auto s = make({0, 1, 2, 3}, {1, 2, 3, 4});
  const auto st = series_stats(s);
  EXPECT_DOUBLE_EQ(st.min, 1);
  EXPECT_DOUBLE_EQ(st.max, 4);
  EXPECT_DOUBLE_EQ(st.mean, 2.5);
  EXPECT_TRUE(std::isnan(value_at(s, -1)));
  EXPECT_DOUBLE_EQ(value_at(s, 1'500'000'000), 2);
  EXPECT_DOUBLE_EQ(time_weighted_mean(s, 0, 2'000'000'000, 5'000'000'000), 1.5);
}

TEST(Series, ResidencyCountsTimeAtEachLevel) {
  // 1.5 GHz for 3 s, 1.0 GHz for 1 s (sample-and-hold, 1 s interval).
  const auto s = make({0, 1, 2, 3, 4}, {1.5e9, 1.5e9, 1.5e9, 1.0e9, 1.0e9});
  const auto r = residency(s, 1e6, {Phase{"load", true, 0, 4'000'000'000}});
  ASSERT_EQ(r.size(), 2U);
  EXPECT_DOUBLE_EQ(r[0].value, 1.5e9);
  EXPECT_NEAR(r[0].seconds, 3.0, 1e-9);
  EXPECT_NEAR(r[1].seconds, 1.0, 1e-9);
  EXPECT_NEAR(r[0].share, 0.75, 1e-9);
}

TEST(Series, WindowEnvelopesHoldSlowSensorsButNotGaps) {
  // 1 s sampling, 2 s windows for the first part, then a 7 s gap.
  const auto s = make({0.5, 1.5, 2.5, 3.5, 10.5}, {1, 3, 5, 7, 9});
  const auto w = window_envelopes(s, 1'000'000'000, 12);
  EXPECT_DOUBLE_EQ(w[0].mean, 1);
  EXPECT_DOUBLE_EQ(w[3].mean, 7);
  EXPECT_EQ(w[5].samples, 0U);
  EXPECT_DOUBLE_EQ(w[5].mean, 7);     // held: 2 s after the last sample (< 3 intervals)
  EXPECT_TRUE(std::isnan(w[8].mean)); // 5 s after the last sample: a gap
  EXPECT_DOUBLE_EQ(w[10].mean, 9);
  const auto two = window_envelopes(s, 2'000'000'000, 6);
  EXPECT_DOUBLE_EQ(two[0].mean, 2);
  EXPECT_DOUBLE_EQ(two[0].min, 1);
  EXPECT_DOUBLE_EQ(two[0].max, 3);
  EXPECT_EQ(two[0].samples, 2U);
}

TEST(Series, ValueHistogramUsesFixedWidth) {
  const auto h = value_histogram({50.1, 50.2, 50.7, 51.3}, 0.5);
  ASSERT_EQ(h.size(), 3U);
  EXPECT_DOUBLE_EQ(h[0].lo, 50.0);
  EXPECT_EQ(h[0].count, 2U);
  EXPECT_EQ(h[1].count, 1U);
  EXPECT_EQ(h[2].count, 1U);
}

} // namespace
} // namespace es::analysis
