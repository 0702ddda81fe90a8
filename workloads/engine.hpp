#pragma once
// es::workloads::Network: a built-in model compiled for one KernelSet.
//
// At creation: weights are generated and packed once per layer, a static activation arena is
// planned from tensor lifetimes (first-fit by size, so memory is constant for the whole run),
// and every operator's indirection buffers are built against the arena. run() then executes
// the layers in order, each split over the ThreadPool, with no allocation and no locks.

#include "daemon/core/result.hpp"
#include "workloads/kernels/microkernels.hpp"
#include "workloads/kernels/ops.hpp"
#include "workloads/models.hpp"
#include "workloads/thread_pool.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace es::workloads {

// --- Interface ---

/// Time spent per layer, accumulated over profiled runs.
struct LayerProfile {
  std::string label;
  std::string kind;
  std::uint64_t macs = 0;
  double total_ms = 0.0;
};

class Network {
public:
  /// Builds `spec` on `kernels`; `pool` may be null (single-threaded) and must outlive this.
  [[nodiscard]] static Result<std::unique_ptr<Network>> create(const NetSpec& spec,
                                                               const kernels::KernelSet& kernels,
                                                               ThreadPool* pool);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  /// One inference on the fixed input.
  void run();
  /// One inference that also accumulates per-layer times into profile().
  void run_profiled();

  /// The output tensor (logits) of the last run.
  [[nodiscard]] std::span<const std::int8_t> output() const;
  /// FNV-1a 64 over the output bytes (the anchors' logits hash).
  [[nodiscard]] std::uint64_t output_checksum() const;
  /// Bytes of the activation arena.
  [[nodiscard]] std::size_t arena_bytes() const { return m_arena_bytes; }
  [[nodiscard]] const std::vector<LayerProfile>& profile() const { return m_profile; }
  [[nodiscard]] const kernels::KernelSet& kernels() const { return m_kernels; }

private:
  struct Step {
    std::unique_ptr<kernels::Operator> op;
    std::size_t phase = 0;
  };
  Network(const kernels::KernelSet& kernels, ThreadPool* pool) : m_kernels(kernels), m_pool(pool) {}
  void run_step(Step& step);

  const kernels::KernelSet& m_kernels;
  ThreadPool* m_pool;
  std::vector<Step> m_steps;
  std::vector<LayerProfile> m_profile;
  kernels::AlignedBuffer m_arena;
  std::size_t m_arena_bytes = 0;
  const std::int8_t* m_output = nullptr;
  std::size_t m_output_size = 0;
};

/// FNV-1a 64 of a byte range.
std::uint64_t fnv1a64(std::span<const std::int8_t> bytes);

} // namespace es::workloads
