#pragma once
// Fast 3x3 convolutions exact in integers: Winograd F(2x2, 3x3) and F(2x4, 3x3) for stride 1, a
// 25-product bilinear algorithm for stride 2 (internal to es_kernels; create_conv() picks them
// when the KernelSet provides the stages).
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
//
// F(2x4, 3x3): 2 output rows x 4 columns from a 4x6 window, 24 products instead of 72 (3x).
// Rows use F(2,3) as above; columns use F(4,3) (Lavin's B^T, G, A^T with points 0, +-1, +-2):
//   B^T = | 4  0 -5  0  1  0 |   24 G = |  6  0  0 |   A^T = | 1  1  1  1  1  0 |
//         | 0 -4 -4  1  1  0 |          | -4 -4 -4 |         | 0  1 -1  2 -2  0 |
//         | 0  4 -4 -1  1  0 |          | -4  4 -4 |         | 0  1  1  4  4  0 |
//         | 0 -2 -1  2  1  0 |          |  1  2  4 |         | 0  1 -1  8 -8  1 |
//         | 0  2 -1 -2  1  0 |          |  1 -2  4 |
//         | 0  4  0 -5  0  1 |          |  0  0 24 |
//   * |V| <= 2 * 10 * 255 = 5100 and |U| <= 3 * 24 * 127 = 9144: int16, products exact.
//   * The output transform yields 48 * y mod 2^32. 48 = 3 * 16 and 3 is odd, so multiplying by
//     3^-1 mod 2^32 (0xAAAAAAAB) gives 16 * y mod 2^32, which is 16 * y whenever it fits int32,
//     i.e. |y| < 2^27: 9 * C_in * 255 * 127 < 2^27 for C_in <= kWinograd24MaxChannels = 460.
//     The arithmetic shift by 4 is then exact. Larger C_in use F(2x2, 3x3).
//
// Stride 2 (not a Winograd F(m, r), but the same three stages): a 2x2 output tile reads a 5x5
// window d. Per dimension, y0 = d0 g0 + d1 g1 + d2 g2 and y1 = d2 g0 + d3 g1 + d4 g2; the even
// taps on the even positions are an integer F(2,2) (m1 = (d0 - d2) g0, m2 = d2 (g0 + g2),
// m3 = (d4 - d2) g2, y0 = m1 + m2, y1 = m2 + m3) and the odd tap is direct:
//   V = [d0 - d2, d2, d4 - d2, d1, d3],  U = [g0, g0 + g2, g2, g1, g1],
//   y0 = p0 + p1 + p3,  y1 = p1 + p2 + p4,
// applied to rows and columns: 25 products per tile instead of 36 (1.44x). |V| <= 1020,
// |U| <= 508, and there is no scaling: the wrapping int32 sum is the direct accumulator.

#include "workloads/kernels/ops.hpp"

#include <memory>

namespace es::kernels {

/// Largest input channel count for which |4 * y| < 2^31 is guaranteed (see above).
inline constexpr int kWinogradMaxChannels = 1841;

/// F(2x4, 3x3) bound (see above): |16 * y| < 2^31 for C_in <= 460.
inline constexpr int kWinograd24MaxChannels = 460;

/// True when `kernels` has Winograd stages and `desc` is a 3x3 stride-1 (or stride-2, where the
/// set has those stages) group-1 convolution worth running with them (and EDGESOAK_WINOGRAD is
/// not "0").
[[nodiscard]] bool winograd_applies(const ConvDesc& desc, const KernelSet& kernels);

/// How the three stages are scheduled: kFused runs all of them per tile row (small weights),
/// kPhased runs each over the whole map with a barrier between; kAuto picks by weight size.
enum class WinogradSchedule : std::uint8_t { kAuto, kFused, kPhased };

/// Output tile: kAuto takes F(2x4, 3x3) where the set has it and C_in allows, else F(2x2, 3x3).
enum class WinogradTile : std::uint8_t { kAuto, k2x2, k2x4 };

/// Builds the Winograd operator (call only when winograd_applies(); tests force a schedule and
/// a tile; k2x4 falls back to k2x2 where it is unavailable or C_in is too large).
[[nodiscard]] std::unique_ptr<Operator> create_winograd_conv(
    const ConvDesc& desc, const KernelSet& kernels, WinogradSchedule schedule = WinogradSchedule::kAuto,
    WinogradTile tile = WinogradTile::kAuto);

} // namespace es::kernels
