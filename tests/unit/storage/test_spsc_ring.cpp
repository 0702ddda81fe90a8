// The lock-free single-producer/single-consumer ring behind InferenceSink and SampleSink.

#include "daemon/storage/spsc_ring.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace es::storage::detail {
namespace {

TEST(StorageSpscRing, RoundsCapacityToPowerOfTwo) {
  EXPECT_EQ(SpscRing<int>(1).capacity(), 2U);
  EXPECT_EQ(SpscRing<int>(5).capacity(), 8U);
  EXPECT_EQ(SpscRing<int>(64).capacity(), 64U);
}

TEST(StorageSpscRing, FifoFullAndWrapAround) {
  SpscRing<int> ring(4);
  int next_in = 0;
  int next_out = 0;
  for (int round = 0; round < 10; ++round) {
    while (ring.try_push(next_in)) {
      ++next_in;
    }
    EXPECT_EQ(ring.size_approx(), 4U);
    EXPECT_FALSE(ring.try_push(-1));
    const std::size_t n = ring.drain([&](int v) { EXPECT_EQ(v, next_out++); }, 3);
    EXPECT_EQ(n, 3U);
  }
  ring.drain([&](int v) { EXPECT_EQ(v, next_out++); });
  EXPECT_EQ(next_in, next_out);
  EXPECT_EQ(ring.size_approx(), 0U);
}

TEST(StorageSpscRing, ConcurrentProducerConsumerKeepsOrder) {
  constexpr std::uint64_t kItems = 200'000;
  SpscRing<std::uint64_t> ring(256);
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kItems;) {
      if (ring.try_push(i)) {
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  std::uint64_t expected = 0;
  bool in_order = true;
  while (expected < kItems) {
    const std::size_t n = ring.drain([&](std::uint64_t v) {
      in_order = in_order && v == expected;
      ++expected;
    });
    if (n == 0) {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(expected, kItems);
}

} // namespace
} // namespace es::storage::detail
