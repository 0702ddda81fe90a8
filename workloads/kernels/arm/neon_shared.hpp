#pragma once
// Code shared by the AArch64 paths, defined once in arm/neon.cpp (built for plain armv8-a, so
// every AArch64 path may call it). Declarations only: no inline code crosses -march boundaries.
// Include only from arm/*.cpp.

#include "workloads/kernels/microkernels.hpp"

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

namespace es::kernels::neon {

/// fp32 requantization of 16 int32 accumulators (channels 0-15 in acc[0..3]) and a store of
/// the first n (<= 16) bytes.
void requant_store16(const int32x4_t (&acc)[4], const float* scale, const RequantParams& rq,
                     std::int8_t* dst, std::size_t n);

/// Depthwise kernel, packing and size (16-channel tiles, int16 weights); no coverage counting.
std::size_t dwconv_packed_size_impl(std::size_t channels, std::size_t ks);
void dwconv_pack_impl(const DwconvPackArgs& args, void* packed);
void dwconv_impl(const DwconvArgs& args);

/// Elementwise add; no coverage counting.
void vadd_impl(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y,
               const AddParams& params);

/// Max pool (SMAX); no coverage counting.
void maxpool_impl(const MaxPoolArgs& args);

} // namespace es::kernels::neon
