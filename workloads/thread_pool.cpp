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

ThreadPool::ThreadPool(int threads, const std::vector<int>& cpus, std::uint32_t spin_iterations)
    : m_spin(spin_iterations) {
  const int workers = threads > 1 ? threads - 1 : 0;
  m_workers.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    m_workers.emplace_back([this, i] { worker_main(i + 1); });
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

void ThreadPool::work() {
  for (;;) {
    const std::size_t i = m_next.fetch_add(1, std::memory_order_relaxed);
    if (i >= m_tiles) {
      return;
    }
    m_fn(m_context, i, i + 1);
  }
}

void ThreadPool::worker_main(int /*index*/) {
  std::uint32_t seen = m_generation.load(std::memory_order_acquire);
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
    work();
    m_active.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallel_for(std::size_t tiles, TaskFn fn, void* context) {
  if (m_workers.empty() || tiles <= 1) {
    if (tiles > 0) {
      fn(context, 0, tiles);
    }
    return;
  }
  m_fn = fn;
  m_context = context;
  m_tiles = tiles;
  m_next.store(0, std::memory_order_relaxed);
  m_active.store(static_cast<std::int32_t>(m_workers.size()), std::memory_order_relaxed);
  m_generation.fetch_add(1, std::memory_order_seq_cst);
  if (m_sleepers.load(std::memory_order_seq_cst) > 0) {
    futex_wake_all(&m_generation);
  }
  work();
  while (m_active.load(std::memory_order_acquire) != 0) {
    cpu_relax();
  }
}

} // namespace es::workloads
