// es::RateLimiter (daemon/core/log.hpp): first occurrence logs, later ones are summarised.
#include "daemon/core/log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace es {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kSecond = 1'000'000'000;

TEST(CoreRateLimiter, FirstHitLogsThenCountsUntilThePeriodPasses) {
  RateLimiter limiter(10s);
  const std::int64_t t0 = 5 * kSecond;
  EXPECT_EQ(limiter.hit(t0), 1U);
  EXPECT_EQ(limiter.hit(t0 + 1), 0U);
  EXPECT_EQ(limiter.hit(t0 + 9 * kSecond), 0U);
  // Exactly one period later: report the two silent hits plus this one.
  EXPECT_EQ(limiter.hit(t0 + 10 * kSecond), 3U);
  EXPECT_EQ(limiter.hit(t0 + 11 * kSecond), 0U);
  EXPECT_EQ(limiter.hit(t0 + 100 * kSecond), 2U);
}

TEST(CoreRateLimiter, FirstHitAtTimeZeroStillLogs) {
  RateLimiter limiter(1s);
  EXPECT_EQ(limiter.hit(0), 1U);
  EXPECT_EQ(limiter.hit(1), 0U);
  EXPECT_EQ(limiter.hit(kSecond), 2U);
}

TEST(CoreRateLimiter, ZeroPeriodLogsEveryHit) {
  RateLimiter limiter(0s);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(limiter.hit(42), 1U);
  }
}

TEST(CoreRateLimiter, DefaultPeriodIsOneMinute) {
  RateLimiter limiter;
  EXPECT_EQ(limiter.hit(0), 1U);
  EXPECT_EQ(limiter.hit(59 * kSecond), 0U);
  EXPECT_EQ(limiter.hit(60 * kSecond), 2U);
}

TEST(CoreRateLimiter, ConcurrentHitsAreNeitherLostNorDoubleCounted) {
  RateLimiter limiter(1h);
  constexpr int kThreads = 4;
  constexpr int kHitsPerThread = 5000;
  std::atomic<std::uint64_t> reported{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kHitsPerThread; ++i) {
        reported += limiter.hit(1);
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(reported.load(), 1U); // only the very first hit logged
  // One period later the summary carries every silent hit plus this one.
  reported += limiter.hit(1 + 3600 * kSecond);
  EXPECT_EQ(reported.load(), static_cast<std::uint64_t>(kThreads * kHitsPerThread + 1));
}

} // namespace
} // namespace es
