#pragma once
// es::kernels dispatch: which ISA paths are built, which the CPU supports, and which one runs.
//
// Detection happens once (cpu_features.hpp). The policy is "auto" (the most capable path that is
// both built and supported) or an explicit ISA name; an explicit name that is not built or not
// supported is an error, never a silent fallback. Forcing a lower tier is allowed: it is an
// experiment knob (power/thermal per ISA) and a debugging aid (ruy's RUY_PATHS).

#include "daemon/core/result.hpp"
#include "workloads/kernels/cpu_features.hpp"
#include "workloads/kernels/isa.hpp"
#include "workloads/kernels/microkernels.hpp"

#include <cstdint>
#include <string_view>

namespace es::kernels {

// --- Interface ---

/// Paths compiled into this binary (ruy's have_built_path_for).
IsaMask built_isas() noexcept;

/// Paths both built and executable on a CPU with `features`.
IsaMask usable_isas(const CpuFeatures& features) noexcept;

/// The table of `isa`, or nullptr if that path is not built or this CPU cannot run it (a path's
/// table is only ever built on a CPU that supports it; see microkernels.hpp).
const KernelSet* kernels_for(Isa isa) noexcept;

/// Resolves a policy ("auto", "reference", "avx2", ...) against `features`.
/// kInvalidArgument for an unknown name, kUnsupported if not built or not supported.
[[nodiscard]] Result<const KernelSet*> select_kernels(std::string_view policy,
                                                      const CpuFeatures& features);

/// Number of threads that ran microkernels of `isa` and `kind` since the last reset_coverage()
/// (0 = never ran).
std::uint64_t coverage_count(Isa isa, KernelKind kind) noexcept;

/// Zeroes the coverage counters (tests).
void reset_coverage() noexcept;

} // namespace es::kernels
