#pragma once
// Lock-free live statistics for the progress line and STATUS=: recent latencies per worker,
// latest values of interesting sensors. Written by workload/probe threads with relaxed atomics,
// read by the supervisor; approximate by design (it is a display, the database is the record).

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace es::service {

// --- Interface ---

/// A ring of the most recent latencies of one worker.
class LatencyRing {
public:
  static constexpr std::size_t kSize = 512;

  /// Called by the owning worker only.
  void record(std::int64_t latency_ns) noexcept {
    const std::uint64_t n = m_count.load(std::memory_order_relaxed);
    m_values[n % kSize].store(latency_ns, std::memory_order_relaxed);
    m_count.store(n + 1, std::memory_order_release);
  }

  /// Appends up to kSize recent values to `out` (any thread).
  void snapshot(std::vector<std::int64_t>& out) const {
    const std::uint64_t n = m_count.load(std::memory_order_acquire);
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, kSize));
    for (std::size_t i = 0; i < k; ++i) {
      out.push_back(m_values[i].load(std::memory_order_relaxed));
    }
  }

private:
  std::array<std::atomic<std::int64_t>, kSize> m_values{};
  std::atomic<std::uint64_t> m_count{0};
};

/// Median of recent latencies across rings, in ms; NaN when there are none.
inline double recent_p50_ms(const std::vector<std::unique_ptr<LatencyRing>>& rings) {
  std::vector<std::int64_t> values;
  for (const auto& ring : rings) {
    ring->snapshot(values);
  }
  if (values.empty()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  return static_cast<double>(*mid) / 1e6;
}

/// Latest value of one sensor (NaN = no valid reading yet or last read failed).
struct LiveValue {
  std::atomic<double> value{std::numeric_limits<double>::quiet_NaN()};
  std::atomic<std::int64_t> t_ns{0};
};

} // namespace es::service
