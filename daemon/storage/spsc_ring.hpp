#pragma once
// Internal to es_storage: a bounded lock-free single-producer/single-consumer ring.
//
// The producer (a workload or probe thread) owns m_tail, the consumer (the writer thread) owns
// m_head; each publishes its index with a release store and reads the other's with an acquire
// load. Both keep a cached copy of the other index so the common case touches only its own cache
// line. Indices grow without wrapping (64-bit) and are masked, so capacity is a power of two and
// full/empty need no spare slot.

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace es::storage::detail {

// --- Interface ---

/// Cache-line size used to keep the producer's and the consumer's indices apart (64 on every
/// supported board; std::hardware_destructive_interference_size warns on g++ 12).
inline constexpr std::size_t kCacheLineBytes = 64;

template <typename T>
class SpscRing {
public:
  /// Capacity is rounded up to a power of two (minimum 2).
  explicit SpscRing(std::size_t capacity)
      : m_capacity(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity)),
        m_mask(m_capacity - 1), m_slots(std::make_unique<T[]>(m_capacity)) {}

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  /// Producer only. Returns false if the ring is full (nothing is written).
  bool try_push(const T& value) noexcept {
    const std::uint64_t tail = m_tail.load(std::memory_order_relaxed);
    if (tail - m_cached_head >= m_capacity) {
      m_cached_head = m_head.load(std::memory_order_acquire);
      if (tail - m_cached_head >= m_capacity) {
        return false;
      }
    }
    m_slots[tail & m_mask] = value;
    m_tail.store(tail + 1, std::memory_order_release);
    return true;
  }

  /// Consumer only. Calls fn(const T&) for up to max_items queued items, oldest first, then
  /// frees their slots. Returns how many were consumed.
  template <typename Fn>
  std::size_t drain(Fn&& fn, std::size_t max_items = SIZE_MAX) {
    const std::uint64_t head = m_head.load(std::memory_order_relaxed);
    const std::uint64_t tail = m_tail.load(std::memory_order_acquire);
    std::uint64_t count = tail - head;
    if (count > max_items) {
      count = max_items;
    }
    for (std::uint64_t i = 0; i < count; ++i) {
      fn(m_slots[(head + i) & m_mask]);
    }
    m_head.store(head + count, std::memory_order_release);
    return static_cast<std::size_t>(count);
  }

  /// Approximate number of queued items (any thread).
  [[nodiscard]] std::size_t size_approx() const noexcept {
    return static_cast<std::size_t>(m_tail.load(std::memory_order_acquire) -
                                    m_head.load(std::memory_order_acquire));
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }

private:
  const std::size_t m_capacity;
  const std::size_t m_mask;
  std::unique_ptr<T[]> m_slots;
  // Producer's line: its index and its cached view of the consumer.
  alignas(kCacheLineBytes) std::atomic<std::uint64_t> m_tail{0};
  std::uint64_t m_cached_head = 0;
  // Consumer's line.
  alignas(kCacheLineBytes) std::atomic<std::uint64_t> m_head{0};
  // Keeps whatever follows the ring off the consumer's line.
  alignas(kCacheLineBytes) char m_pad[1] = {};
};

} // namespace es::storage::detail
