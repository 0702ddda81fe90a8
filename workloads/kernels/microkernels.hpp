#pragma once
// es::kernels::KernelSet: the per-ISA microkernel table, and the contract every ISA implements.
//
// One KernelSet per ISA path (reference/, x86/, arm/). Operators (ops.hpp) are written once
// against this table; an ISA only supplies packing and microkernels. To add or port an ISA,
// implement the functions below in its own translation units (ISA flags on those files only),
// return the table from kernels_<isa>(), and run tests/unit/kernels: every entry is checked
// bit-exact against the reference oracle on odd shapes.
//
// Naming (XNNPACK style): <dtype>_<op>_<tile>__<isa>, e.g. "s8s8s32_igemm_6x16c2__avx2".
//
// ---------------------------------------------------------------------------------------------
// IGEMM (convolution and fully connected; Dukhan's indirect convolution)
//
//   C[m][n] = requant( bias'[n] + sum_{t<ks} sum_{k<kc} A[t][m][k] * W[n][t][k] )
//
// * A is never copied into a matrix: for every tile of MR output rows the caller supplies
//   ks * MR row pointers, tap-major: a[t * MR + r]. A pointer equal to `zero` (the padding row,
//   filled with Z_in) is used as is; every other pointer gets `a_offset` bytes added (the channel
//   offset of a group). Rows r >= mr must still be valid pointers (callers repeat a valid row);
//   their results are discarded.
// * A rows hold activations in the set's AFormat: kS8 = the int8 tensor itself; kS16 = int8
//   values sign-extended to int16 by convert_a(); kU8 = q ^ 0x80 (= q + 128 unsigned) by
//   convert_a(), whose packing folds -(Z_in + 128) * sum(w) into the bias instead. A kernel may read round_up(kc, kc_align)
//   elements per pointer; the caller keeps that many bytes readable (arena slack), and the
//   packed weights are zero for the padding channels, so whatever is read there does not matter.
// * Packed weights are a sequence of equal-size blocks of NR output channels; block j starts at
//   j * gemm_packed_size(nr, kc, ks) bytes. Layout inside a block is private to the ISA
//   (typically [NR int32 bias with -Z_in * sum(w) folded][K x NR data][NR float scale]).
//   gemm_pack receives weights as [nc][ks][kc] (tap-major, OHWI for one group).
// * Output: mr rows x nc channels, row r at c + r * c_row_stride bytes, channels contiguous.
//   nc may span several NR blocks and end in a partial one.
//
// DWCONV (depthwise, channel multiplier 1)
//
//   out[x][c] = requant( bias'[c] + sum_{t<ks} in_t(x)[c] * W[c][t] )
//
// * For output pixel x (0 <= x < output_width) the tap pointers are
//   input[x * input_step + t], t < ks; each is an int8 NHWC pixel (channels contiguous) or
//   `zero`; non-zero pointers get input_offset bytes added. The tap order is the caller's
//   (ops use kx-major, t = kx * kh + ky, so neighbouring pixels share pointers).
// * dwconv_pack receives weights as [channels][ks] in that same tap order.
// * A kernel may read up to round_up(channels, dw_channel_tile) bytes from each pointer.
//
// Requantization is quant.hpp's fp32 scheme; per-channel float scales come from the packing.
//
// MAXPOOL (int8; the output keeps the input quantization)
//
//   out[x][c] = max_{t<ks} in_t(x)[c]
//
// * Tap pointers as for DWCONV (pixel x uses input[x * input_step + t]), but no pointer is
//   special: the caller points padding taps at a row of -128, the identity of max, so padded
//   taps need no test (the oracle skips them and starts from -128: the same result).
// * A kernel reads exactly `channels` bytes from each pointer and writes exactly `channels`
//   bytes per output pixel (inputs and outputs may be channel slices of wider tensors).
// ---------------------------------------------------------------------------------------------

#include "workloads/kernels/isa.hpp"
#include "workloads/kernels/quant.hpp"

#include <cstddef>
#include <cstdint>

namespace es::kernels {

// --- Interface ---

/// How the IGEMM expects activation rows.
enum class AFormat : std::uint8_t {
  kS8,  ///< int8 as stored in tensors
  kS16, ///< int8 values widened to int16 (convert_a), channel count padded to kc_align
  kU8,  ///< int8 values with the sign bit flipped (q + 128 as uint8; convert_a), for u8 x s8
        ///< dot products (x86 VNNI); the zero/padding row holds Z_in ^ 0x80
};

/// Input of gemm_pack: one group's weights, bias and per-channel requantization scales.
struct GemmPackArgs {
  std::size_t nc = 0;             ///< output channels
  std::size_t kc = 0;             ///< input channels per tap
  std::size_t ks = 1;             ///< taps (kh * kw)
  const std::int8_t* weights = nullptr; ///< [nc][ks][kc]
  const std::int32_t* bias = nullptr;   ///< [nc]
  const float* scale = nullptr;         ///< [nc] requant_scale() values
  std::int32_t input_zero_point = 0;    ///< Z_in, folded into the packed bias
};

/// One IGEMM tile call.
struct IgemmArgs {
  std::size_t mr = 0;       ///< valid rows (1..MR)
  std::size_t nc = 0;       ///< output channels to compute
  std::size_t kc = 0;       ///< input channels per tap (logical, before padding)
  std::size_t ks = 1;       ///< taps
  const void* const* a = nullptr; ///< ks * MR row pointers, tap-major
  const void* zero = nullptr;     ///< padding row; not offset
  std::size_t a_offset = 0;       ///< bytes added to every non-zero pointer
  const void* packed_w = nullptr; ///< first NR block of this tile
  std::int8_t* c = nullptr;       ///< output row 0, first channel
  std::size_t c_row_stride = 0;   ///< bytes between output rows
  RequantParams rq;
};

/// Input of dwconv_pack.
struct DwconvPackArgs {
  std::size_t channels = 0;
  std::size_t ks = 0;
  const std::int8_t* weights = nullptr; ///< [channels][ks], caller's tap order
  const std::int32_t* bias = nullptr;   ///< [channels]
  const float* scale = nullptr;         ///< [channels]
  std::int32_t input_zero_point = 0;
  std::size_t kernel_h = 0;             ///< kernel rows (ks / kernel_h columns); 0 = unknown
};

/// One depthwise call: a run of output pixels (normally one output row).
struct DwconvArgs {
  std::size_t channels = 0;
  std::size_t output_width = 0;
  std::size_t ks = 0;
  const void* const* input = nullptr; ///< pixel x uses input[x * input_step + t]
  std::size_t input_step = 0;         ///< pointers between consecutive output pixels
  const void* zero = nullptr;
  std::size_t input_offset = 0;       ///< bytes added to non-zero pointers
  const void* packed_w = nullptr;
  std::int8_t* output = nullptr;
  std::size_t output_stride = 0;      ///< bytes between output pixels
  RequantParams rq;
  std::size_t kernel_h = 0;           ///< kernel rows, as given to dwconv_pack (0 = unknown)
};

using GemmPackedSizeFn = std::size_t (*)(std::size_t nc, std::size_t kc, std::size_t ks);
using GemmPackFn = void (*)(const GemmPackArgs& args, void* packed);
using IgemmFn = void (*)(const IgemmArgs& args);
/// Widens `rows` rows of `channels` int8 values to the AFormat; padding channels up to
/// round_up(channels, kc_align) are written as 0. Strides are in elements.
using ConvertAFn = void (*)(std::size_t rows, std::size_t channels, const std::int8_t* src,
                            std::size_t src_stride, void* dst, std::size_t dst_stride);
using DwconvPackedSizeFn = std::size_t (*)(std::size_t channels, std::size_t ks);
using DwconvPackFn = void (*)(const DwconvPackArgs& args, void* packed);
using DwconvFn = void (*)(const DwconvArgs& args);
/// y[i] = add_requantize(a[i], b[i]) for i < n.
using VaddFn = void (*)(std::size_t n, const std::int8_t* a, const std::int8_t* b,
                        std::int8_t* y, const AddParams& params);
/// Runs the ISA's core int8 multiply-accumulate instruction stream (independent accumulators,
/// no memory traffic) for about `seconds` on the calling thread and returns MACs per second.
using PeakFn = double (*)(double seconds);

// ---------------------------------------------------------------------------------------------
// WINOGRAD F(2x2, 3x3) (optional; a set without it leaves the pointers null)
//
// For 3x3 stride-1 convolutions (groups 1), exact in integers (see winograd.hpp):
// * wino_input: a run of `tiles` 2x2 output tiles along one tile row; tile t reads the 4x4 input
//   window at (y0, x0 + 2t); pixels outside the image count as Z_in. Writes
//   V[e][tile][c] = (B^T (x - Z_in) B)[e] as int16, e < 16, for c < round_up(channels, 16):
//   element (e, tile) at v + e * plane_stride + tile * row_stride. Channels >= `channels` may
//   hold anything (their weights are zero).
// * gemm16, per element e: M[e] = V[e] U[e], i.e. C[r][n] = sum_{k<kc} A_r[k] * U[k][n] for
//   r < mr rows of int16 A (row r at a + r * a_stride), packed int16 U (gemm16_pack: blocks of
//   gemm16_nr output channels), int32 C rows at c + r * c_stride. Writes round_up(nc, 8)
//   columns (C rows must have room); reads round_up(kc, 2) elements of A and U.
// * wino_output: the same run of tiles: Y = A^T M A / 4 + bias, fp32 requantization, int8
//   out; output pixels beyond `rows` x `out_w` are not written.
using Gemm16PackedSizeFn = std::size_t (*)(std::size_t nc, std::size_t kc);
/// Packs one transformed-weight plane u[nc][kc] (int16).
using Gemm16PackFn = void (*)(std::size_t nc, std::size_t kc, const std::int16_t* u, void* packed);

struct WinoInputArgs {
  const std::int8_t* input = nullptr; ///< NHWC image, first channel
  std::size_t input_stride = 0;       ///< elements between pixels
  int in_h = 0, in_w = 0;
  int y0 = 0;                         ///< input row of the tiles' top edge (may be negative)
  int x0 = 0;                         ///< input column of tile 0's left edge (may be negative)
  std::size_t tiles = 0;              ///< tiles in this row
  std::size_t channels = 0;
  std::int32_t zero_point = 0;        ///< Z_in
  std::int16_t* v = nullptr;          ///< element (0, first tile of the row)
  std::size_t plane_stride = 0;       ///< int16 elements between transform elements e
  std::size_t row_stride = 0;         ///< int16 elements between tiles (>= round_up(ch, 16))
};

struct Gemm16Args {
  std::size_t mr = 0;                 ///< rows, 1..gemm16_mr
  std::size_t nc = 0;                 ///< output channels (a multiple of gemm16_nr or the rest)
  std::size_t kc = 0;                 ///< input channels
  const std::int16_t* a = nullptr;
  std::size_t a_stride = 0;           ///< int16 elements between rows
  const void* packed_u = nullptr;     ///< first block
  std::int32_t* c = nullptr;
  std::size_t c_stride = 0;           ///< int32 elements between rows
};

struct WinoOutputArgs {
  const std::int32_t* m = nullptr;    ///< element (0, first tile of the row)
  std::size_t plane_stride = 0;       ///< int32 elements between transform elements e
  std::size_t row_stride = 0;         ///< int32 elements between tiles
  std::size_t tiles = 0;
  std::size_t channels = 0;
  const std::int32_t* bias = nullptr; ///< [round_up(channels, 16)], true bias (input is Z_in-free)
  const float* scale = nullptr;       ///< [round_up(channels, 16)] requant_scale() values
  RequantParams rq;
  std::int8_t* output = nullptr;      ///< pixel (oy0, 0)
  std::size_t output_stride = 0;      ///< elements between pixels
  std::size_t out_w = 0;              ///< valid output columns from the first tile on
  std::size_t row_pitch = 0;          ///< pixels between output rows (the image width)
  std::size_t rows = 2;               ///< valid output rows of this tile row (1 or 2)
};

using WinoInputFn = void (*)(const WinoInputArgs& args);
using Gemm16Fn = void (*)(const Gemm16Args& args);
using WinoOutputFn = void (*)(const WinoOutputArgs& args);

/// One max-pool call: a run of output pixels (normally one output row); see MAXPOOL above.
struct MaxPoolArgs {
  std::size_t channels = 0;
  std::size_t output_width = 0;
  std::size_t ks = 0;
  const void* const* input = nullptr; ///< pixel x uses input[x * input_step + t]
  std::size_t input_step = 0;         ///< pointers between consecutive output pixels
  std::int8_t* output = nullptr;
  std::size_t output_stride = 0;      ///< bytes between output pixels
};
using MaxPoolFn = void (*)(const MaxPoolArgs& args);

/// The microkernels of one ISA path.
struct KernelSet {
  Isa isa = Isa::kReference;
  const char* igemm_name = "";
  const char* dwconv_name = "";

  // IGEMM geometry and functions.
  std::uint32_t mr = 1;       ///< rows per tile
  std::uint32_t nr = 1;       ///< output channels per packed block
  std::uint32_t kc_align = 1; ///< per-tap channel granularity the kernel reads
  AFormat a_format = AFormat::kS8;
  GemmPackedSizeFn gemm_packed_size = nullptr;
  GemmPackFn gemm_pack = nullptr;
  IgemmFn igemm = nullptr;
  ConvertAFn convert_a = nullptr; ///< required iff a_format != kS8
  /// Optional single-row path (M = 1: fully connected layers, 1x1 outputs), memory-bound on the
  /// weights, so it may use its own, smaller packing. Same IgemmArgs with mr = 1; tap t's row
  /// is a[t * mr] (the set's mr). nullptr: M = 1 runs through igemm.
  GemmPackedSizeFn gemv_packed_size = nullptr;
  GemmPackFn gemv_pack = nullptr;
  IgemmFn gemv = nullptr;

  // Depthwise.
  std::uint32_t dw_channel_tile = 1;
  DwconvPackedSizeFn dwconv_packed_size = nullptr;
  DwconvPackFn dwconv_pack = nullptr;
  DwconvFn dwconv = nullptr;

  // Elementwise.
  VaddFn vadd = nullptr;

  /// Instruction-level int8 peak of one core (bench's "% of peak").
  PeakFn peak_macs_per_second = nullptr;
  const char* peak_instruction = "";

  // Winograd F(2x2, 3x3) and its int16 GEMM with int32 output (optional).
  const char* gemm16_name = "";
  std::uint32_t gemm16_mr = 1;
  std::uint32_t gemm16_nr = 1;
  Gemm16PackedSizeFn gemm16_packed_size = nullptr;
  Gemm16PackFn gemm16_pack = nullptr;
  Gemm16Fn gemm16 = nullptr;
  WinoInputFn wino_input = nullptr;
  WinoOutputFn wino_output = nullptr;
  /// F(2x4, 3x3) (2 output rows x 4 columns, 4x6 windows, 24 elements; C_in <= 460): the same
  /// contracts with 4-column tiles (tile t reads columns x0 + 4t ..) and elements e = i * 6 + j.
  WinoInputFn wino24_input = nullptr;
  WinoOutputFn wino24_output = nullptr;
  /// Stride-2 3x3 as a 2x2-tile bilinear algorithm (25 products per tile instead of 36; see
  /// winograd.hpp): 5x5 windows, tile t reads columns x0 + 4t .., elements e = i * 5 + j.
  WinoInputFn wino_s2_input = nullptr;
  WinoOutputFn wino_s2_output = nullptr;

  // Max pooling (every table sets it).
  MaxPoolFn maxpool = nullptr;
};

/// Microkernel classes counted by the coverage guard.
enum class KernelKind : std::uint8_t { kIgemm, kDwconv, kVadd, kConvert, kWinograd, kMaxpool, kCount };

/// Records that a microkernel of `isa` ran (ruy-style coverage; a thread-local check, one
/// relaxed atomic add per thread and reset epoch).
void note_kernel_use(Isa isa, KernelKind kind) noexcept;

/// The tables of each path. kernels_reference() always exists; the others return nullptr when
/// the path is not built for this target (built.cpp stubs), never when the CPU lacks it.
/// Call them only on a CPU that supports the path (dispatch.hpp's kernels_for() checks): they
/// live in the path's translation unit, so even building the table may execute the path's
/// instructions (GCC 12 initialized the AVX-512 table with zmm stores: SIGILL on AVX2 CPUs).
/// compiled_isas() tells what is built without running any of it.
const KernelSet* kernels_reference();
const KernelSet* kernels_avx2();
const KernelSet* kernels_avxvnni();
const KernelSet* kernels_avx512vnni();
const KernelSet* kernels_neon();
const KernelSet* kernels_neondot();
const KernelSet* kernels_neoni8mm();
IsaMask compiled_isas() noexcept;

} // namespace es::kernels
