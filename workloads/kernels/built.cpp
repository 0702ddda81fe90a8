// Stubs for ISA paths that are not compiled into this binary (ruy's have_built_path_for_*.cc).
// CMake defines ES_BUILT_<ISA>=1 for every ISA whose translation units are part of es_kernels;
// this file is compiled without ISA flags.
#include "workloads/kernels/microkernels.hpp"

namespace es::kernels {

#if !defined(ES_BUILT_AVX2)
const KernelSet* kernels_avx2() { return nullptr; }
#endif
#if !defined(ES_BUILT_AVXVNNI)
const KernelSet* kernels_avxvnni() { return nullptr; }
#endif
#if !defined(ES_BUILT_AVX512VNNI)
const KernelSet* kernels_avx512vnni() { return nullptr; }
#endif
#if !defined(ES_BUILT_NEON)
const KernelSet* kernels_neon() { return nullptr; }
#endif
#if !defined(ES_BUILT_NEONDOT)
const KernelSet* kernels_neondot() { return nullptr; }
#endif
#if !defined(ES_BUILT_NEONI8MM)
const KernelSet* kernels_neoni8mm() { return nullptr; }
#endif

IsaMask compiled_isas() noexcept {
  IsaMask mask = static_cast<IsaMask>(Isa::kReference);
#if defined(ES_BUILT_AVX2)
  mask |= static_cast<IsaMask>(Isa::kAvx2);
#endif
#if defined(ES_BUILT_AVXVNNI)
  mask |= static_cast<IsaMask>(Isa::kAvxVnni);
#endif
#if defined(ES_BUILT_AVX512VNNI)
  mask |= static_cast<IsaMask>(Isa::kAvx512Vnni);
#endif
#if defined(ES_BUILT_NEON)
  mask |= static_cast<IsaMask>(Isa::kNeon);
#endif
#if defined(ES_BUILT_NEONDOT)
  mask |= static_cast<IsaMask>(Isa::kNeonDot);
#endif
#if defined(ES_BUILT_NEONI8MM)
  mask |= static_cast<IsaMask>(Isa::kNeonI8mm);
#endif
  return mask;
}

} // namespace es::kernels
