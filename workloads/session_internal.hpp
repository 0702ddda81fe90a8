#pragma once
// Engine assembly shared by InferenceSession::create and the bench command (not a public API).

#include "daemon/core/result.hpp"
#include "workloads/engine.hpp"
#include "workloads/models.hpp"
#include "workloads/thread_pool.hpp"
#include "workloads/workload.hpp"

#include <memory>
#include <string>

namespace es::workloads {

/// A compiled network with its pool and the kernels it runs on.
struct EngineParts {
  NetSpec spec;
  const kernels::KernelSet* kernels = nullptr;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Network> network; ///< declared after pool: destroyed first
};

/// "auto" (or empty) becomes $EDGESOAK_ISA when set; anything else is returned unchanged.
std::string resolve_isa_policy(const std::string& option);

/// Validates options, selects kernels, starts the pool and builds the network.
[[nodiscard]] Result<EngineParts> build_engine(const WorkloadOptions& options);

/// Output checksum of one run of `spec` on the reference kernels.
[[nodiscard]] Result<std::uint64_t> compute_reference_checksum(const NetSpec& spec, ThreadPool* pool);

} // namespace es::workloads
