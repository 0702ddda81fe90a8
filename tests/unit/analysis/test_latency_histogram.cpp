// Tests analysis/latency_histogram.cpp: percentile accuracy against exact order statistics.
#include "analysis/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace es::analysis {
namespace {

double exact_rank(std::vector<std::int64_t> v, double q) {
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
  return static_cast<double>(v[rank - 1]) / 1e6;
}

TEST(LatencyHistogram, PercentilesWithinPointOnePercentOfExact) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> d(std::log(12e6), 0.35);
  std::vector<std::int64_t> values(500'000);
  LatencyHistogram h;
  for (auto& v : values) {
    v = static_cast<std::int64_t>(d(rng));
    h.add(v);
  }
  for (double q : {0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999}) {
    const double exact = exact_rank(values, q);
    EXPECT_NEAR(h.quantile_ms(q), exact, exact * 1e-3) << "q=" << q;
  }
  EXPECT_DOUBLE_EQ(h.min_ms(), static_cast<double>(*std::min_element(values.begin(), values.end())) / 1e6);
  EXPECT_DOUBLE_EQ(h.max_ms(), static_cast<double>(*std::max_element(values.begin(), values.end())) / 1e6);
  long double sum = 0;
  for (auto v : values) {
    sum += static_cast<long double>(v);
  }
  const double mean = static_cast<double>(sum / values.size()) / 1e6;
  EXPECT_NEAR(h.mean_ms(), mean, mean * 1e-12);
  long double ss = 0;
  for (auto v : values) {
    const long double dlt = static_cast<long double>(v) / 1e6L - mean;
    ss += dlt * dlt;
  }
  EXPECT_NEAR(h.stddev_ms(), std::sqrt(static_cast<double>(ss / values.size())), 1e-9);
}

TEST(LatencyHistogram, DiscreteValuesAndTinySets) {
  LatencyHistogram h;
  EXPECT_TRUE(std::isnan(h.quantile_ms(0.5)));
  h.add(5'000'000);
  EXPECT_DOUBLE_EQ(h.quantile_ms(0.5), 5.0);
  h.add(7'000'000);
  h.add(9'000'000);
  EXPECT_NEAR(h.quantile_ms(0.5), 7.0, 7e-3);
  EXPECT_DOUBLE_EQ(h.quantile_ms(1.0), 9.0);
  EXPECT_DOUBLE_EQ(h.quantile_ms(0.0), 5.0);
}

TEST(LatencyHistogram, OutOfRangeValuesKeepExactExtremes) {
  LatencyHistogram h;
  h.add(0);
  h.add(50);                 // below the 100 ns axis
  h.add(2'000'000'000'000);  // 2000 s, above the axis
  h.add(1'000'000);
  EXPECT_EQ(h.count(), 4U);
  EXPECT_DOUBLE_EQ(h.min_ms(), 0.0);
  EXPECT_DOUBLE_EQ(h.max_ms(), 2'000'000.0);
  std::uint64_t total = 0;
  for (const auto& b : h.display_bins_ms()) {
    total += b.count;
  }
  EXPECT_EQ(total, 4U);
}

TEST(LatencyHistogram, DisplayBinsNarrowerThanOnePercentAndSumToCount) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> d(3'000'000, 40'000'000);
  LatencyHistogram h;
  for (int i = 0; i < 100'000; ++i) {
    h.add(d(rng));
  }
  const auto bins = h.display_bins_ms();
  ASSERT_FALSE(bins.empty());
  std::uint64_t total = 0;
  for (const auto& b : bins) {
    EXPECT_LT(b.hi / b.lo - 1.0, 0.01);
    total += b.count;
  }
  EXPECT_EQ(total, h.count());
  EXPECT_LE(bins.front().lo, h.min_ms());
  EXPECT_GE(bins.back().hi, h.max_ms());
}

TEST(LatencyHistogram, MergeEqualsSingleHistogram) {
  std::mt19937_64 rng(9);
  std::lognormal_distribution<double> d(std::log(5e6), 0.2);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 20'000; ++i) {
    const auto v = static_cast<std::int64_t>(d(rng));
    (i % 3 == 0 ? a : b).add(v);
    all.add(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_DOUBLE_EQ(a.quantile_ms(0.99), all.quantile_ms(0.99));
  EXPECT_NEAR(a.mean_ms(), all.mean_ms(), 1e-9);
  EXPECT_NEAR(a.stddev_ms(), all.stddev_ms(), 1e-9);
  EXPECT_DOUBLE_EQ(a.min_ms(), all.min_ms());
}

TEST(LatencyHistogram, ShareWithinMedian) {
  LatencyHistogram h;
  for (int i = 0; i < 900; ++i) {
    h.add(10'000'000);
  }
  for (int i = 0; i < 100; ++i) {
    h.add(20'000'000);
  }
  EXPECT_NEAR(h.share_within(10.0, 0.05), 0.9, 1e-9);
  EXPECT_NEAR(h.share_within(10.0, 1.5), 1.0, 1e-9);
}

} // namespace
} // namespace es::analysis
