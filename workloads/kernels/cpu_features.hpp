#pragma once
// es::kernels::CpuFeatures: what this CPU (and OS) can execute, detected once.
//
// x86: CPUID leaves 1 and 7 plus XGETBV (the OS must save ymm/zmm state).
// AArch64: getauxval(AT_HWCAP/AT_HWCAP2) (ncnn's src/cpu.cpp approach).
// Features default to false (cpu_features' rule), so a failed probe never enables a path.

#include "workloads/kernels/isa.hpp"

#include <string>

namespace es::kernels {

// --- Interface ---

struct CpuFeatures {
  // x86-64
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avxvnni = false;
  // AArch64
  bool neon = false;
  bool dotprod = false;
  bool i8mm = false;

  /// Space-separated names of the present features ("avx2 fma"), for run metadata.
  [[nodiscard]] std::string to_string() const;
};

/// Detects the features of the CPU this runs on. Cached after the first call; thread-safe.
const CpuFeatures& detect_cpu_features();

/// True if a CPU with `features` can execute kernels of `isa` (kReference: always).
bool cpu_supports(const CpuFeatures& features, Isa isa) noexcept;

} // namespace es::kernels
