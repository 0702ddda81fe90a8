#include "workloads/kernels/dispatch.hpp"

#include <array>
#include <atomic>
#include <bit>
#include <string>

namespace es::kernels {
namespace {

constexpr std::size_t kIsaCount = 7;
constexpr std::size_t kKindCount = static_cast<std::size_t>(KernelKind::kCount);

std::array<std::atomic<std::uint64_t>, kIsaCount * kKindCount> g_coverage{};

std::size_t isa_index(Isa isa) noexcept {
  return static_cast<std::size_t>(std::countr_zero(static_cast<std::uint32_t>(isa)));
}

} // namespace

// Counting every microkernel call on one shared cache line would make threads ping-pong it
// once per tile, so each thread counts a (path, kind) only on its first use per reset epoch:
// coverage_count() is then "threads that ran it since reset", enough for the guard.
std::atomic<std::uint32_t> g_epoch{1};

void note_kernel_use(Isa isa, KernelKind kind) noexcept {
  thread_local std::array<std::uint32_t, kIsaCount * kKindCount> seen{};
  const std::size_t i = isa_index(isa) * kKindCount + static_cast<std::size_t>(kind);
  const std::uint32_t epoch = g_epoch.load(std::memory_order_relaxed);
  if (seen[i] != epoch) {
    seen[i] = epoch;
    g_coverage[i].fetch_add(1, std::memory_order_relaxed);
  }
}

std::uint64_t coverage_count(Isa isa, KernelKind kind) noexcept {
  return g_coverage[isa_index(isa) * kKindCount + static_cast<std::size_t>(kind)].load(
      std::memory_order_relaxed);
}

void reset_coverage() noexcept {
  g_epoch.fetch_add(1, std::memory_order_relaxed);
  for (auto& counter : g_coverage) {
    counter.store(0, std::memory_order_relaxed);
  }
}

namespace {

// The path's own table; runs code of that path's translation unit (see microkernels.hpp), so
// only after the CPU check.
const KernelSet* table_of(Isa isa) noexcept {
  switch (isa) {
  case Isa::kReference:
    return kernels_reference();
  case Isa::kAvx2:
    return kernels_avx2();
  case Isa::kAvxVnni:
    return kernels_avxvnni();
  case Isa::kAvx512Vnni:
    return kernels_avx512vnni();
  case Isa::kNeon:
    return kernels_neon();
  case Isa::kNeonDot:
    return kernels_neondot();
  case Isa::kNeonI8mm:
    return kernels_neoni8mm();
  }
  return nullptr;
}

bool is_built(Isa isa) noexcept { return (compiled_isas() & static_cast<IsaMask>(isa)) != 0; }

} // namespace

const KernelSet* kernels_for(Isa isa) noexcept {
  if (!is_built(isa) || !cpu_supports(detect_cpu_features(), isa)) {
    return nullptr;
  }
  return table_of(isa);
}

IsaMask built_isas() noexcept { return compiled_isas(); }

IsaMask usable_isas(const CpuFeatures& features) noexcept {
  IsaMask mask = 0;
  for (Isa isa : all_isas()) {
    if (is_built(isa) && cpu_supports(features, isa)) {
      mask |= static_cast<IsaMask>(isa);
    }
  }
  return mask;
}

Result<const KernelSet*> select_kernels(std::string_view policy, const CpuFeatures& features) {
  if (policy.empty() || policy == "auto") {
    // Most capable first.
    for (Isa isa : {Isa::kAvx512Vnni, Isa::kAvxVnni, Isa::kAvx2, Isa::kNeonI8mm, Isa::kNeonDot,
                    Isa::kNeon}) {
      if (is_built(isa) && cpu_supports(features, isa)) {
        return table_of(isa);
      }
    }
    return kernels_reference();
  }
  const auto isa = parse_isa(policy);
  if (!isa) {
    return make_error(ErrorCode::kInvalidArgument,
                      "unknown ISA '" + std::string(policy) +
                          "' (expected auto, reference, avx2, avxvnni, avx512vnni, neon, "
                          "neondot or neoni8mm)");
  }
  if (!is_built(*isa)) {
    return make_error(ErrorCode::kUnsupported,
                      std::string("ISA '") + to_string(*isa) + "' is not built into this binary");
  }
  if (!cpu_supports(features, *isa)) {
    return make_error(ErrorCode::kUnsupported, std::string("ISA '") + to_string(*isa) +
                                                   "' is not supported by this CPU (features: " +
                                                   features.to_string() + ")");
  }
  return table_of(*isa);
}

} // namespace es::kernels
