#pragma once
// es::workloads::InferenceSession: one inference stream's engine instance, as the run engine
// uses it. The run engine times run() with the monotonic clock; the session only computes.

#include "daemon/core/result.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace es::workloads {

// --- Interface ---

struct WorkloadOptions {
  std::string model = "mobilenet_v2";
  int threads = 1;       ///< threads that split each inference (the calling thread is one)
  std::vector<int> cpus; ///< pin pool threads to these CPUs (round-robin); empty = no pinning
  std::string isa = "auto"; ///< "auto", "reference", or an ISA name; EDGESOAK_ISA overrides auto
};

/// Static description of a built-in model.
struct ModelInfo {
  std::string name;
  std::string description;
  std::uint64_t macs = 0;
  std::uint64_t parameters = 0;
  int input_h = 0, input_w = 0, input_c = 0;
};

/// Every built-in model.
std::vector<ModelInfo> list_models();

class InferenceSession {
public:
  virtual ~InferenceSession() = default;

  /// Builds the model (weights packed once, arena allocated, pool started, reference checksum
  /// computed). kInvalidArgument for an unknown model or ISA, kUnsupported if the ISA is not
  /// available on this CPU.
  [[nodiscard]] static Result<std::unique_ptr<InferenceSession>>
  create(const WorkloadOptions& options);

  /// Runs one inference on the session's fixed input. Returns the output checksum.
  /// No allocation and no locks in steady state. Must be called from one thread at a time.
  virtual std::uint64_t run() = 0;

  /// The checksum run() must return (computed at create time).
  [[nodiscard]] virtual std::uint64_t reference_checksum() const = 0;

  [[nodiscard]] virtual const ModelInfo& model() const = 0;
  /// The ISA actually used ("reference", "avx2", "avx512vnni", "neon", "neondot", ...).
  [[nodiscard]] virtual std::string isa() const = 0;
  /// Detected CPU features, for the run metadata ("avx2 avx512f avx512vnni").
  [[nodiscard]] virtual std::string cpu_features() const = 0;
};

} // namespace es::workloads
