#pragma once
// es::workloads::ThreadPool: the engine's persistent, optionally pinned worker pool.
//
// pthreadpool's shape: parallel_for(n, fn, ctx) splits n tiles over the workers and the calling
// thread (which participates). Tiles are claimed one at a time from a single atomic word that
// packs (job generation, tile count, next tile), and completion is counted in tiles, not in
// workers: a worker that is descheduled (shared machines, big.LITTLE) delays a job only by the
// tile it holds, never by not having woken up yet. Idle workers spin briefly (spin_iterations
// pause instructions) and then sleep on a futex. No allocation and no locks per call.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace es::workloads {

// --- Interface ---

class ThreadPool {
public:
  /// Work function: processes tiles [begin, end) with the caller's context.
  using TaskFn = void (*)(void* context, std::size_t begin, std::size_t end);

  /// `threads` >= 1 counts the calling thread. With a non-empty `cpus`, worker i (1-based) is
  /// pinned to cpus[i % cpus.size()] and the constructing thread to cpus[0].
  explicit ThreadPool(int threads, const std::vector<int>& cpus = {},
                      std::uint32_t spin_iterations = 100000);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Threads taking part in parallel_for, the caller included.
  [[nodiscard]] int size() const { return static_cast<int>(m_workers.size()) + 1; }

  /// Runs fn over tiles [0, tiles) and returns when all are done. Call from one thread at a time.
  void parallel_for(std::size_t tiles, TaskFn fn, void* context);

private:
  void worker_main();
  void claim_and_run();
  void run_job(std::size_t tiles, TaskFn fn, void* context);

  std::vector<std::thread> m_workers;
  std::uint32_t m_spin;
  std::uint64_t m_job = 0; ///< generation of the last posted job (caller thread only)
  alignas(64) std::atomic<std::uint32_t> m_generation{0}; ///< futex word: last posted generation
  std::atomic<std::int32_t> m_sleepers{0};
  alignas(64) std::atomic<std::uint64_t> m_work{0}; ///< [gen:20][tiles:22][next:22]
  alignas(64) std::atomic<std::uint64_t> m_done{0}; ///< tiles finished in the current job
  TaskFn m_fn = nullptr;
  void* m_context = nullptr;
  std::atomic<std::uint64_t> m_grain{1}; ///< tiles per claim in the current job
  std::atomic<bool> m_stop{false};
};

} // namespace es::workloads
