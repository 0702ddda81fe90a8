#pragma once
// Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions, exact in integers (internal to es_kernels;
// create_conv() picks it when the KernelSet provides the stages).
//
// Lavin & Gray's minimal filtering, each 2x2 output tile from a 4x4 input window d:
//
//   Y = A^T [ U (.) V ] A,   V = B^T d B,   U = G' g G'^T
//
//   B^T = | 1  0 -1  0 |   G' = 2 G = | 2  0  0 |   A^T = | 1  1  1  0 |
//         | 0  1  1  0 |              | 1  1  1 |         | 0  1 -1 -1 |
//         | 0 -1  1  0 |              | 1 -1  1 |
//         | 0  1  0 -1 |              | 0  0  2 |
//
// Scaling G by 2 makes every transformed weight an integer (|U| <= 9 * 127 = 1143) and the
// result exactly 4 * y, where y = sum_{c,ky,kx} (x - Z_in) * w is the convolution's integer
// accumulator without bias. Why this is bit-exact with the direct convolution:
//   * d = x - Z_in in [-255, 255] (padding pixels are Z_in, so d = 0): |V| <= 4 * 255 = 1020,
//     so V and U fit int16 and vpmaddwd/SMLAL products are exact.
//   * The 16 products are summed over channels and combined by A^T . A in wrapping int32
//     arithmetic: every step is a ring operation mod 2^32, so the int32 result equals 4 * y mod
//     2^32, and it IS 4 * y whenever 4 * y fits int32. |y| <= 9 * C_in * 255 * 127, so that
//     holds for C_in <= kWinogradMaxChannels = 1841 (4 * 9 * 1842 * 255 * 127 > 2^31 - 1);
//     create_conv() uses the direct path above it. A test runs C_in = 1841 at both extremes.
//   * 4 * y >> 2 (arithmetic) = y exactly; acc = bias + y is the direct path's accumulator
//     (bias - Z_in * sum(w) + sum(x * w) is the same integer), so the fp32 requantization sees
//     the same int32 and produces the same byte.
// 2.25x fewer multiplies than the direct 3x3; the price is the transforms and an int32
// intermediate per tile, element and channel (measured in the kernels README).

#include "workloads/kernels/ops.hpp"

#include <memory>

namespace es::kernels {

/// Largest input channel count for which |4 * y| < 2^31 is guaranteed (see above).
inline constexpr int kWinogradMaxChannels = 1841;

/// True when `kernels` has Winograd stages and `desc` is a 3x3 stride-1 group-1 convolution
/// worth running with them (and EDGESOAK_WINOGRAD is not "0").
[[nodiscard]] bool winograd_applies(const ConvDesc& desc, const KernelSet& kernels);

/// How the three stages are scheduled: kFused runs all of them per tile row (small weights),
/// kPhased runs each over the whole map with a barrier between; kAuto picks by weight size.
enum class WinogradSchedule : std::uint8_t { kAuto, kFused, kPhased };

/// Builds the Winograd operator (call only when winograd_applies(); tests force a schedule).
[[nodiscard]] std::unique_ptr<Operator> create_winograd_conv(
    const ConvDesc& desc, const KernelSet& kernels, WinogradSchedule schedule = WinogradSchedule::kAuto);

} // namespace es::kernels
