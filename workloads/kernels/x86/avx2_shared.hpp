#pragma once
// AVX2 code shared with the VNNI paths, defined once in x86/avx2.cpp (every VNNI CPU has AVX2,
// so calling it from those paths is safe). Declarations only: no inline code crosses the -m
// flag boundary. Include only from x86/*.cpp.

#include "workloads/kernels/microkernels.hpp"

#include <cstddef>
#include <cstdint>

namespace es::kernels::avx2 {

/// Depthwise (16-channel tiles, taps paired with vpmaddwd); no coverage counting.
std::size_t dwconv_packed_size_impl(std::size_t channels, std::size_t ks);
void dwconv_pack_impl(const DwconvPackArgs& args, void* packed);
void dwconv_impl(const DwconvArgs& args);

/// Elementwise add; no coverage counting.
void vadd_impl(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y,
               const AddParams& params);

/// Fills the Winograd F(2x2, 3x3) entries (x86/avx2_winograd.cpp).
void add_winograd(KernelSet& set);

/// Max pool (vpmaxsb); no coverage counting.
void maxpool_impl(const MaxPoolArgs& args);

} // namespace es::kernels::avx2
