#pragma once
// es::kernels::Isa: the instruction-set paths of the int8 kernels (ruy's Path idea).
//
// Every path computes bit-identical results; they differ only in speed. The values are bits so
// sets of paths ("built", "supported by this CPU") are plain masks.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es::kernels {

// --- Interface ---

/// One kernel path. kReference is the portable scalar oracle and is always built.
enum class Isa : std::uint32_t {
  kReference = 1u << 0,  ///< plain C++ (the oracle every other path must match bit for bit)
  kAvx2 = 1u << 1,       ///< x86-64 AVX2 (+FMA available, not used for int8)
  kAvxVnni = 1u << 2,    ///< x86-64 AVX-VNNI (VEX vpdpbusd ymm; Alder Lake and later)
  kAvx512Vnni = 1u << 3, ///< x86-64 AVX-512 F/BW/VL + VNNI (vpdpbusd zmm)
  kNeon = 1u << 4,       ///< AArch64 Advanced SIMD (Cortex-A53/A72/A73)
  kNeonDot = 1u << 5,    ///< AArch64 SDOT (ARMv8.2 dotprod; Cortex-A55/A76)
  kNeonI8mm = 1u << 6,   ///< AArch64 SMMLA (ARMv8.6 i8mm)
};

/// A set of Isa bits.
using IsaMask = std::uint32_t;

/// Lower-case name as used in configs and the EDGESOAK_ISA variable ("avx2", "neondot").
const char* to_string(Isa isa) noexcept;

/// Parses a name produced by to_string(). "i8mm" is accepted for kNeonI8mm. Returns nullopt
/// for unknown names (including "auto", which callers handle themselves).
std::optional<Isa> parse_isa(std::string_view name) noexcept;

/// Every Isa value, from the least to the most capable within each architecture.
std::vector<Isa> all_isas();

/// Space-separated names of the bits in `mask` ("reference avx2").
std::string mask_to_string(IsaMask mask);

} // namespace es::kernels
