#include "workloads/thread_pool.hpp"

#include <climits>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace es::workloads {
namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

void futex_wait(std::atomic<std::uint32_t>* addr, std::uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAIT_PRIVATE, expected, nullptr,
          nullptr, 0);
}

void futex_wake_all(std::atomic<std::uint32_t>* addr) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
          nullptr, 0);
}

void pin_to(pthread_t thread, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(thread, sizeof set, &set); // best effort: a bad CPU id leaves it unpinned
}

} // namespace

constexpr unsigned kIndexBits = 22;
constexpr std::uint64_t kIndexMask = (std::uint64_t{1} << kIndexBits) - 1;
constexpr std::uint64_t kMaxTiles = kIndexMask;
constexpr std::uint64_t kGenMask = (std::uint64_t{1} << 20) - 1;

ThreadPool::ThreadPool(int threads, const std::vector<int>& cpus, std::uint32_t spin_iterations)
    : m_spin(spin_iterations) {
  const int workers = threads > 1 ? threads - 1 : 0;
  m_workers.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    m_workers.emplace_back([this] { worker_main(); });
    if (!cpus.empty()) {
      pin_to(m_workers.back().native_handle(), cpus[static_cast<std::size_t>(i + 1) % cpus.size()]);
    }
  }
  if (!cpus.empty()) {
    pin_to(pthread_self(), cpus[0]);
  }
}

ThreadPool::~ThreadPool() {
  m_stop.store(true, std::memory_order_release);
  m_generation.fetch_add(1, std::memory_order_acq_rel);
  futex_wake_all(&m_generation);
  for (auto& t : m_workers) {
    t.join();
  }
}

// Claims tiles of whatever job is posted until none is left. A successful CAS on m_work
// synchronizes with the caller's release store of that job, so m_fn/m_context are that job's,
// and they stay valid until the claimed tile is counted in m_done. The generation bits make a
// CAS against a newer job fail (ABA would need 2^20 jobs between one load and its CAS).
void ThreadPool::claim_and_run() {
  std::uint64_t v = m_work.load(std::memory_order_acquire);
  for (;;) {
    const std::uint64_t tiles = (v >> kIndexBits) & kIndexMask;
    const std::uint64_t next = v & kIndexMask;
    if (next >= tiles) {
      return;
    }
    // Claim a run of tiles: ~8 runs per thread keeps the atomics off the critical path while
    // leaving enough pieces to balance a late or slow thread.
    const std::uint64_t grain = m_grain.load(std::memory_order_relaxed);
    const std::uint64_t end = next + grain < tiles ? next + grain : tiles;
    if (m_work.compare_exchange_weak(v, v + (end - next), std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      m_fn(m_context, next, end);
      m_done.fetch_add(end - next, std::memory_order_acq_rel);
      v = m_work.load(std::memory_order_acquire);
    }
  }
}

void ThreadPool::worker_main() {
  // Generation 0 is the state at construction; a job posted before this thread first runs
  // must still be seen as new, so do not read the current value here.
  std::uint32_t seen = 0;
  for (;;) {
    std::uint32_t now = m_generation.load(std::memory_order_acquire);
    for (std::uint32_t spin = 0; now == seen && spin < m_spin; ++spin) {
      cpu_relax();
      now = m_generation.load(std::memory_order_acquire);
    }
    while (now == seen) {
      m_sleepers.fetch_add(1, std::memory_order_seq_cst);
      now = m_generation.load(std::memory_order_seq_cst);
      if (now == seen) {
        futex_wait(&m_generation, seen);
        now = m_generation.load(std::memory_order_acquire);
      }
      m_sleepers.fetch_sub(1, std::memory_order_seq_cst);
    }
    seen = now;
    if (m_stop.load(std::memory_order_acquire)) {
      return;
    }
    claim_and_run();
  }
}

void ThreadPool::run_job(std::size_t tiles, TaskFn fn, void* context) {
  m_fn = fn;
  m_context = context;
  const std::size_t runs = static_cast<std::size_t>(size()) * 8;
  m_grain.store(tiles / runs > 1 ? tiles / runs : 1, std::memory_order_relaxed);
  m_done.store(0, std::memory_order_relaxed);
  m_job = (m_job + 1) & kGenMask;
  m_work.store((m_job << (2 * kIndexBits)) | (static_cast<std::uint64_t>(tiles) << kIndexBits),
               std::memory_order_release);
  m_generation.fetch_add(1, std::memory_order_seq_cst);
  if (m_sleepers.load(std::memory_order_seq_cst) > 0) {
    futex_wake_all(&m_generation);
  }
  claim_and_run();
  // Only a tile still held by a worker remains. If that worker has been preempted (shared or
  // oversubscribed CPUs), spinning would only burn the time slice it needs: yield after a
  // short spin.
  for (std::uint32_t spin = 0; m_done.load(std::memory_order_acquire) < tiles; ++spin) {
    if (spin < 4000) {
      cpu_relax();
    } else {
      sched_yield();
    }
  }
}

namespace {
struct Offset {
  ThreadPool::TaskFn fn;
  void* context;
  std::size_t base;
};
} // namespace

void ThreadPool::parallel_for(std::size_t tiles, TaskFn fn, void* context) {
  if (m_workers.empty() || tiles <= 1) {
    if (tiles > 0) {
      fn(context, 0, tiles);
    }
    return;
  }
  if (tiles <= kMaxTiles) {
    run_job(tiles, fn, context);
    return;
  }
  for (std::size_t base = 0; base < tiles; base += kMaxTiles) {
    Offset o{fn, context, base};
    const std::size_t n = tiles - base < kMaxTiles ? tiles - base : kMaxTiles;
    run_job(
        n,
        [](void* ctx, std::size_t b, std::size_t e) {
          auto* off = static_cast<Offset*>(ctx);
          off->fn(off->context, off->base + b, off->base + e);
        },
        &o);
  }
}

} // namespace es::workloads
