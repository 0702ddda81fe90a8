// AVX2 kernels (compiled with -mavx2 -mfma; only this file gets those flags).
//
// vpmaddubsw (u8 x s8 pairs summed into int16) saturates: 255*127*2 > 32767, so it cannot be
// bit-exact. Every product here is int16 x int16 -> int32 with vpmaddwd (two products summed in
// int32, never saturating for int8-range inputs), which is exact. The cost is widening: weights
// are widened to int16 once at pack time, activations once per layer by convert_a (AFormat
// kS16), depthwise inputs in the kernel.
//
// s8s8s32_igemm_3x32c2__avx2: 3 rows x 32 output channels; per pair of input channels one
//   vpbroadcastd of each row's int16 pair, four weight vectors (outputs 0-7, ..., 24-31, each
//   lane an int16 pair), 12 vpmaddwd + 12 vpaddd into 12 accumulators. Blocks whose trailing
//   8-channel groups are padding skip them; 1- and 2-row tiles have their own instances.
//   Packed block (32 channels): [32 x int32 bias'] [ks x kcp/2 x 32 x 2 int16] [32 x float]
//   with kcp = round_up(kc, 2).
// s8s8s32_gemv_1x32c2__avx2 (M = 1, fully connected): memory-bound on the weights, so they stay
//   int8 ([32 x int32 bias'] [ks x kcp/2 x 32 x 2 int8] [32 x float]) and are widened in
//   registers (vpmovsxbw), half the bytes of the int16 layout.
// s8s8s32_dwconv_16c2__avx2: 16 channels per tile, taps paired: the two taps' inputs are
//   widened and interleaved (vpunpck{l,h}wd) so one vpmaddwd does 2 taps x 8 channels.
//   The unpack permutes channels within 128-bit lanes (lo = {0-3, 8-11}, hi = {4-7, 12-15});
//   bias, weights and scales are packed in that order and vpackssdw restores it.
//   Packed tile: [16 x int32 bias'] [ceil(ks/2) x (lo 8 pairs, hi 8 pairs) int16] [16 x float]
#include "workloads/kernels/peak.hpp"
#include "workloads/kernels/x86/avx2_inline.hpp"
#include "workloads/kernels/x86/avx2_shared.hpp"

#include <immintrin.h>

#include <cstring>

namespace es::kernels {
namespace avx2 {
namespace {

using x86::bcast32;
using x86::madd_pairs_3x32;
using x86::pack16;
using x86::quant8_unclamped;
using x86::quant8_upper;
using x86::requant8;
using x86::store_bytes;


std::size_t min_size(std::size_t a, std::size_t b) { return a < b ? a : b; }

// ------------------------------------------------------------------------------------------
// 3x32 IGEMM. On Zen 3 each vpbroadcastd from memory also occupies a vector shuffle pipe that
// vpaddd needs, so the 6x16 tile (one broadcast per two vpmaddwd) is pipe-bound at ~21 MAC/cycle.
// Three rows x 32 channels need one broadcast per four vpmaddwd. Weights are read as memory
// operands where registers run out (12 accumulators + broadcast).
// Packed block (32 channels): [32 x int32 bias'] [ks x kcp/2 x 32 x 2 int16] [32 x float].

constexpr std::size_t kMr3 = 3;
constexpr std::size_t kNr32 = 32;

// Blocks of 32 output channels with weights of type T (int16 for the IGEMM, int8 for the GEMV):
// [32 x int32 bias'] [ks x kcp/2 x 32 x 2 T] [32 x float], kcp = round_up(kc, 2).
template <typename T>
std::size_t c2_block_bytes(std::size_t kc, std::size_t ks) {
  const std::size_t pairs = (kc + 1) / 2;
  return kNr32 * 4 + ks * pairs * kNr32 * 2 * sizeof(T) + kNr32 * 4;
}

template <typename T>
std::size_t c2_packed_size(std::size_t nc, std::size_t kc, std::size_t ks) {
  return (nc + kNr32 - 1) / kNr32 * c2_block_bytes<T>(kc, ks);
}

template <typename T>
void c2_pack(const GemmPackArgs& args, void* packed) {
  auto* out = static_cast<unsigned char*>(packed);
  const std::size_t pairs = (args.kc + 1) / 2;
  const std::size_t k_total = args.ks * args.kc;
  const std::size_t block = c2_block_bytes<T>(args.kc, args.ks);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr32) {
    std::memset(out, 0, block);
    std::int32_t bias[kNr32] = {};
    float scale[kNr32] = {};
    auto* w = reinterpret_cast<T*>(out + kNr32 * 4);
    for (std::size_t j = 0; j < kNr32 && n0 + j < args.nc; ++j) {
      const std::int8_t* src = args.weights + (n0 + j) * k_total;
      std::int32_t sum = 0;
      for (std::size_t t = 0; t < args.ks; ++t) {
        for (std::size_t k = 0; k < args.kc; ++k) {
          const std::int8_t v = src[t * args.kc + k];
          sum += v;
          // [t][pair][output j (four vectors of 8)][k % 2]
          w[((t * pairs + k / 2) * kNr32 + j) * 2 + (k % 2)] = v;
        }
      }
      bias[j] = args.bias[n0 + j] - args.input_zero_point * sum;
      scale[j] = args.scale[n0 + j];
    }
    std::memcpy(out, bias, sizeof bias);
    std::memcpy(out + block - kNr32 * 4, scale, sizeof scale);
    out += block;
  }
}

std::size_t gemm32_block_bytes(std::size_t kc, std::size_t ks) { return c2_block_bytes<std::int16_t>(kc, ks); }
std::size_t gemm32_packed_size(std::size_t nc, std::size_t kc, std::size_t ks) {
  return c2_packed_size<std::int16_t>(nc, kc, ks);
}
void gemm32_pack(const GemmPackArgs& args, void* packed) { c2_pack<std::int16_t>(args, packed); }

// Packs 32 scaled int32 outputs (q[j] = channels 8j..8j+7), adds the output zero point, clamps
// below (and above when kClampMax: outputs that skipped the float upper clamp) and stores the
// first nc (<= 32) bytes at dst.
template <bool kClampMax>
inline void store_row32(const __m256i q[4], __m256i zp, __m256i out_min, __m256i out_max,
                        std::int8_t* dst, std::size_t nc) {
  // packs: p01 lanes [0-3, 8-11 | 4-7, 12-15], p23 likewise for 16-31.
  const __m256i p01 = _mm256_adds_epi16(_mm256_packs_epi32(q[0], q[1]), zp);
  const __m256i p23 = _mm256_adds_epi16(_mm256_packs_epi32(q[2], q[3]), zp);
  __m256i p8 = _mm256_max_epi8(_mm256_packs_epi16(p01, p23), out_min);
  if constexpr (kClampMax) {
    p8 = _mm256_min_epi8(p8, out_max);
  }
  // lanes [0-3, 8-11, 16-19, 24-27 | 4-7, 12-15, 20-23, 28-31]
  const __m128i l0 = _mm256_castsi256_si128(p8);
  const __m128i l1 = _mm256_extracti128_si256(p8, 1);
  const __m128i first = _mm_unpacklo_epi32(l0, l1);
  if (nc >= 32) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), first);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 16), _mm_unpackhi_epi32(l0, l1));
  } else {
    store_bytes(dst, first, nc);
    if (nc > 16) {
      store_bytes(dst + 16, _mm_unpackhi_epi32(l0, l1), nc - 16);
    }
  }
}

// Requantizes 32 accumulators (acc[j], j < kCols) with the scales at sp and stores nc bytes.
// kBounded: RequantParams::bounded_scale, so the upper clamp moves after the packs (one byte
// min per 32 outputs instead of four float mins).
template <bool kBounded, std::size_t kCols>
inline void requant_store_row32(const __m256i* acc, const float* sp, __m256 hi, __m256i zp,
                                __m256i out_min, __m256i out_max, std::int8_t* dst, std::size_t nc) {
  __m256i q[4];
  #pragma GCC unroll 4
  for (std::size_t j = 0; j < 4; ++j) {
    if (j >= kCols) {
      q[j] = q[0];
    } else if constexpr (kBounded) {
      q[j] = quant8_unclamped(acc[j], _mm256_loadu_ps(sp + 8 * j));
    } else {
      q[j] = quant8_upper(acc[j], _mm256_loadu_ps(sp + 8 * j), hi);
    }
  }
  store_row32<kBounded>(q, zp, out_min, out_max, dst, nc);
}

// kRows rows (1..3, exactly args.mr) x kCols vectors of 8 channels (1..4). The epilogue is
// straight-line over kRows so the 12 accumulators stay in registers (a loop bounded by args.mr
// made GCC spill and reload all of them: 5 % of a K = 16 layer).
template <bool kBounded, std::size_t kRows, std::size_t kCols>
void igemm32_block(const IgemmArgs& args, const unsigned char* block, std::size_t pairs,
                   std::int8_t* c, std::size_t nc) {
  __m256i acc[kRows][kCols];
  #pragma GCC unroll 4
  for (std::size_t j = 0; j < kCols; ++j) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32 * j));
    #pragma GCC unroll 4
    for (std::size_t r = 0; r < kRows; ++r) {
      acc[r][j] = b;
    }
  }
  const auto* w = reinterpret_cast<const std::int16_t*>(block + kNr32 * 4);
  for (std::size_t t = 0; t < args.ks; ++t) {
    const std::int16_t* rows[kRows];
    #pragma GCC unroll 4
    for (std::size_t r = 0; r < kRows; ++r) {
      const void* p = args.a[t * kMr3 + r];
      rows[r] = reinterpret_cast<const std::int16_t*>(static_cast<const unsigned char*>(p) +
                                                      (p == args.zero ? 0 : args.a_offset));
    }
    w = madd_pairs_3x32(acc, rows, pairs, w);
  }
  const auto* sp = reinterpret_cast<const float*>(w);
  const __m256 hi = _mm256_set1_ps(static_cast<float>(args.rq.output_max - args.rq.output_zero_point));
  const __m256i zp = _mm256_set1_epi16(static_cast<short>(args.rq.output_zero_point));
  const __m256i out_min = _mm256_set1_epi8(static_cast<char>(args.rq.output_min));
  const __m256i out_max = _mm256_set1_epi8(static_cast<char>(args.rq.output_max));
  #pragma GCC unroll 4
  for (std::size_t r = 0; r < kRows; ++r) {
    requant_store_row32<kBounded, kCols>(acc[r], sp, hi, zp, out_min, out_max,
                                         c + r * args.c_row_stride, nc);
  }
}

template <bool kBounded, std::size_t kRows>
void igemm32_rows(const IgemmArgs& args, const unsigned char* block, std::size_t pairs,
                  std::int8_t* c, std::size_t n) {
  if (n > 24) {
    igemm32_block<kBounded, kRows, 4>(args, block, pairs, c, n);
  } else if (n > 16) {
    igemm32_block<kBounded, kRows, 3>(args, block, pairs, c, n);
  } else if (n > 8) {
    igemm32_block<kBounded, kRows, 2>(args, block, pairs, c, n);
  } else {
    igemm32_block<kBounded, kRows, 1>(args, block, pairs, c, n);
  }
}

template <bool kBounded>
void igemm32_blocks(const IgemmArgs& args) {
  const std::size_t pairs = (args.kc + 1) / 2;
  const std::size_t block_bytes = gemm32_block_bytes(args.kc, args.ks);
  const auto* block = static_cast<const unsigned char*>(args.packed_w);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr32, block += block_bytes) {
    const std::size_t n = min_size(kNr32, args.nc - n0);
    if (args.mr == 1) {
      igemm32_rows<kBounded, 1>(args, block, pairs, args.c + n0, n);
    } else if (args.mr == 2) {
      igemm32_rows<kBounded, 2>(args, block, pairs, args.c + n0, n);
    } else {
      igemm32_rows<kBounded, 3>(args, block, pairs, args.c + n0, n);
    }
  }
}

void igemm32(const IgemmArgs& args) {
  note_kernel_use(Isa::kAvx2, KernelKind::kIgemm);
  if (args.rq.bounded_scale) {
    igemm32_blocks<true>(args);
  } else {
    igemm32_blocks<false>(args);
  }
}

// ------------------------------------------------------------------------------------------
// 1 x 32 GEMV with int8 weights (M = 1).

std::size_t gemv32_block_bytes(std::size_t kc, std::size_t ks) { return c2_block_bytes<std::int8_t>(kc, ks); }
std::size_t gemv32_packed_size(std::size_t nc, std::size_t kc, std::size_t ks) {
  return c2_packed_size<std::int8_t>(nc, kc, ks);
}
void gemv32_pack(const GemmPackArgs& args, void* packed) { c2_pack<std::int8_t>(args, packed); }

// acc[j] += pair (v) x 8 channels of 16 int8 weight pairs widened to int16.
inline __m256i madd_s8w(__m256i acc, __m256i v, const std::int8_t* w) {
  const __m256i b = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(w)));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(v, b));
}

void gemv32(const IgemmArgs& args) {
  note_kernel_use(Isa::kAvx2, KernelKind::kIgemm);
  const std::size_t pairs = (args.kc + 1) / 2;
  const std::size_t block_bytes = gemv32_block_bytes(args.kc, args.ks);
  const auto* block = static_cast<const unsigned char*>(args.packed_w);
  const __m256 hi = _mm256_set1_ps(static_cast<float>(args.rq.output_max - args.rq.output_zero_point));
  const __m256i zp = _mm256_set1_epi16(static_cast<short>(args.rq.output_zero_point));
  const __m256i out_min = _mm256_set1_epi8(static_cast<char>(args.rq.output_min));
  const __m256i out_max = _mm256_set1_epi8(static_cast<char>(args.rq.output_max));
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr32, block += block_bytes) {
    // Two pairs per step into separate accumulators (more loads in flight).
    __m256i acc[8];
    for (std::size_t j = 0; j < 4; ++j) {
      acc[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32 * j));
      acc[4 + j] = _mm256_setzero_si256();
    }
    const auto* w = reinterpret_cast<const std::int8_t*>(block + kNr32 * 4);
    for (std::size_t t = 0; t < args.ks; ++t) {
      const void* p = args.a[t * kMr3];
      const auto* row = reinterpret_cast<const std::int16_t*>(static_cast<const unsigned char*>(p) +
                                                              (p == args.zero ? 0 : args.a_offset));
      std::size_t k = 0;
      for (; k + 2 <= pairs; k += 2, w += 128) {
        const __m256i v0 = bcast32(row + 2 * k);
        const __m256i v1 = bcast32(row + 2 * k + 2);
        #pragma GCC unroll 4
        for (std::size_t j = 0; j < 4; ++j) {
          acc[j] = madd_s8w(acc[j], v0, w + 16 * j);
          acc[4 + j] = madd_s8w(acc[4 + j], v1, w + 64 + 16 * j);
        }
      }
      if (k < pairs) {
        const __m256i v0 = bcast32(row + 2 * k);
        #pragma GCC unroll 4
        for (std::size_t j = 0; j < 4; ++j) {
          acc[j] = madd_s8w(acc[j], v0, w + 16 * j);
        }
        w += 64;
      }
    }
    const auto* sp = reinterpret_cast<const float*>(w);
    __m256i sum[4];
    #pragma GCC unroll 4
    for (std::size_t j = 0; j < 4; ++j) {
      sum[j] = _mm256_add_epi32(acc[j], acc[4 + j]);
    }
    requant_store_row32<false, 4>(sum, sp, hi, zp, out_min, out_max, args.c + n0,
                                  min_size(kNr32, args.nc - n0));
  }
}

void convert_a(std::size_t rows, std::size_t channels, const std::int8_t* src,
               std::size_t src_stride, void* dst, std::size_t dst_stride) {
  note_kernel_use(Isa::kAvx2, KernelKind::kConvert);
  auto* out = static_cast<std::int16_t*>(dst);
  const std::size_t padded = (channels + 1) / 2 * 2;
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int8_t* s = src + r * src_stride;
    std::int16_t* d = out + r * dst_stride;
    std::size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + c));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + c), _mm256_cvtepi8_epi16(v));
    }
    if (c + 8 <= channels) {
      const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s + c));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + c), _mm_cvtepi8_epi16(v));
      c += 8;
    }
    for (; c < channels; ++c) {
      d[c] = s[c];
    }
    for (; c < padded; ++c) {
      d[c] = 0;
    }
  }
}

// ------------------------------------------------------------------------------------------
// Depthwise

constexpr std::size_t kDwTile = 16;

// Bytes of the pair-interleaved layout every tap count uses.
std::size_t dw_generic_bytes(std::size_t ks) {
  const std::size_t pairs = (ks + 1) / 2;
  return kDwTile * 4 + pairs * kDwTile * 2 * 2 + kDwTile * 4;
}

// 3x3 tiles also carry the layout of the sliding-column stride-1 kernel (dw3x3_s1_row):
// [16 int32 bias' natural order][16 float natural order][kx 0..2: (w[0][kx], w[1][kx]) pairs
// for channels 0-7 and 8-15, then (w[2][kx], 0) pairs for channels 0-7 and 8-15].
constexpr std::size_t kSlidingBytes = 64 + 64 + 3 * 4 * 32;

std::size_t dw_tile_bytes(std::size_t ks) {
  return dw_generic_bytes(ks) + (ks == 9 ? kSlidingBytes : 0); // 9 taps: room for the 3x3 layout
}

std::size_t dwconv_packed_size(std::size_t channels, std::size_t ks) {
  return (channels + kDwTile - 1) / kDwTile * dw_tile_bytes(ks);
}

// Position of channel j (0..15) in the permuted accumulator order: lo = {0-3, 8-11},
// hi = {4-7, 12-15}; returns the index into a 16-entry array [lo 8 | hi 8].
std::size_t dw_slot(std::size_t j) {
  const std::size_t lane = j / 8;     // 128-bit lane
  const std::size_t within = j % 8;   // 0-3 -> lo, 4-7 -> hi
  const std::size_t half = within / 4;
  return half * 8 + lane * 4 + within % 4;
}

void dwconv_pack(const DwconvPackArgs& args, void* packed) {
  auto* out = static_cast<unsigned char*>(packed);
  const std::size_t pairs = (args.ks + 1) / 2;
  const std::size_t tile_bytes = dw_tile_bytes(args.ks);
  for (std::size_t c0 = 0; c0 < args.channels; c0 += kDwTile) {
    std::memset(out, 0, tile_bytes);
    std::int32_t bias[kDwTile] = {};
    float scale[kDwTile] = {};
    auto* w = reinterpret_cast<std::int16_t*>(out + kDwTile * 4);
    for (std::size_t j = 0; j < kDwTile && c0 + j < args.channels; ++j) {
      const std::size_t c = c0 + j;
      const std::size_t slot = dw_slot(j);
      std::int32_t sum = 0;
      for (std::size_t t = 0; t < args.ks; ++t) {
        const std::int8_t v = args.weights[c * args.ks + t];
        sum += v;
        // [pair][slot (lo 8 | hi 8)][t % 2]
        w[((t / 2) * kDwTile + slot) * 2 + t % 2] = v;
      }
      bias[slot] = args.bias[c] - args.input_zero_point * sum;
      scale[slot] = args.scale[c];
    }
    (void)pairs;
    std::memcpy(out, bias, sizeof bias);
    std::memcpy(out + dw_generic_bytes(args.ks) - kDwTile * 4, scale, sizeof scale);
    if (args.ks == 9 && args.kernel_h == 3) {
      unsigned char* sl = out + dw_generic_bytes(args.ks);
      std::int32_t nbias[kDwTile] = {};
      float nscale[kDwTile] = {};
      auto* sw = reinterpret_cast<std::int16_t*>(sl + 128);
      for (std::size_t j = 0; j < kDwTile && c0 + j < args.channels; ++j) {
        nbias[j] = bias[dw_slot(j)];
        nscale[j] = scale[dw_slot(j)];
        const std::int8_t* wc = args.weights + (c0 + j) * 9; // tap t = kx * 3 + ky
        const std::size_t half = j / 8;
        const std::size_t lane = j % 8;
        for (std::size_t kx = 0; kx < 3; ++kx) {
          std::int16_t* pair = sw + (kx * 4 + half) * 16;     // rows 0 and 1
          std::int16_t* single = sw + (kx * 4 + 2 + half) * 16; // row 2
          pair[2 * lane] = wc[kx * 3 + 0];
          pair[2 * lane + 1] = wc[kx * 3 + 1];
          single[2 * lane] = wc[kx * 3 + 2];
          single[2 * lane + 1] = 0;
        }
      }
      std::memcpy(sl, nbias, sizeof nbias);
      std::memcpy(sl + 64, nscale, sizeof nscale);
    }
    out += tile_bytes;
  }
}


} // namespace

inline const std::int8_t* tap_ptr(const void* p, const DwconvArgs& args) {
  const auto* b = static_cast<const std::int8_t*>(p);
  return p == args.zero ? b : b + args.input_offset;
}

// One output pixel, all channel tiles; KS > 0 fixes the tap count at compile time (3x3, 5x5)
// so the pair loop is fully unrolled.
// Taps either precomputed (pointer array) or, for kernels with more than 64 taps, resolved on
// the fly from the indirection row.
struct TapsArray {
  const std::int8_t* const* p;
  const std::int8_t* operator[](std::size_t t) const { return p[t]; }
};
struct TapsLive {
  const void* const* in;
  const DwconvArgs* args;
  const std::int8_t* operator[](std::size_t t) const { return tap_ptr(in[t], *args); }
};

template <std::size_t KS, typename Taps>
inline void dw_pixel(const DwconvArgs& args, Taps taps, std::int8_t* out,
                     std::size_t tile_bytes, __m256 lo, __m256 hi, __m256i zp) {
  const std::size_t ks = KS > 0 ? KS : args.ks;
  const std::size_t pairs = (ks + 1) / 2;
  const auto* tile = static_cast<const unsigned char*>(args.packed_w);
  for (std::size_t c = 0; c < args.channels; c += kDwTile, tile += tile_bytes) {
    __m256i acc_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tile));
    __m256i acc_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tile + 32));
    const auto* w = reinterpret_cast<const __m256i*>(tile + kDwTile * 4);
    for (std::size_t p = 0; p < pairs; ++p) {
      const std::size_t t0 = 2 * p;
      const std::size_t t1 = t0 + 1 < ks ? t0 + 1 : t0; // odd tail: its weight is zero
      const __m256i i0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(taps[t0] + c)));
      const __m256i i1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(taps[t1] + c)));
      acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(i0, i1), _mm256_load_si256(w + 2 * p)));
      acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(i0, i1), _mm256_load_si256(w + 2 * p + 1)));
    }
    const auto* sp = reinterpret_cast<const float*>(w + 2 * pairs);
    const __m256i q_lo = requant8(acc_lo, _mm256_loadu_ps(sp), lo, hi);
    const __m256i q_hi = requant8(acc_hi, _mm256_loadu_ps(sp + 8), lo, hi);
    const __m256i p16 = _mm256_adds_epi16(_mm256_packs_epi32(q_lo, q_hi), zp); // [0-7 | 8-15]
    const __m256i p8 = _mm256_packs_epi16(p16, p16);
    const __m128i bytes =
        _mm_unpacklo_epi64(_mm256_castsi256_si128(p8), _mm256_extracti128_si256(p8, 1));
    store_bytes(out + c, bytes, min_size(kDwTile, args.channels - c));
  }
}

// 3x3 depthwise over one output row, 16 channels at a time, sliding along x (stride 1 or 2).
// Rows 0 and 1 of each input column are byte-interleaved and widened once (one vpmaddwd then
// covers both taps), row 2 is widened to int32 lanes (straight from memory, 8 channels per
// load) and multiplied against (w, 0) pairs. Each input column is prepared once and added, with
// the weights of each kernel column it serves, into every output that reads it ("scatter"):
// only the new column and the pending outputs' sums are live, 10 registers. Holding three
// prepared columns instead (12 registers) made GCC spill sums, and the column-major form is
// 12 % faster on 56x56x144 (0.208 -> 0.183 ms, Zen 3).
struct Column {
  __m256i pair_lo, pair_hi, single_lo, single_hi;
};

// A row's column pointers: Resolved when the chunk has a channel offset (tap_ptr applied once
// per row into an array), Direct when it has none (tap_ptr is then the identity, and skipping
// the copy took 112x112x32 s1 from 0.170 to 0.145 ms). Column j's rows are entries 3j..3j+2.
struct ResolvedCols {
  const std::int8_t* const* p;
  const std::int8_t* operator[](std::size_t i) const { return p[i]; }
};
struct DirectCols {
  const void* const* p;
  const std::int8_t* operator[](std::size_t i) const { return static_cast<const std::int8_t*>(p[i]); }
};

// The column whose 3 row pointers start at entry i.
template <typename Cols>
inline Column load_column(Cols cols, std::size_t i, std::size_t c) {
  const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cols[i] + c));
  const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cols[i + 1] + c));
  const std::int8_t* const p2 = cols[i + 2] + c;
  Column k;
  k.pair_lo = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r0, r1));
  k.pair_hi = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(r0, r1));
  k.single_lo = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p2)));
  k.single_hi = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p2 + 8)));
  return k;
}

// acc + column k x kernel column kx (w: that kernel column's 4 weight vectors).
struct Acc {
  __m256i lo, hi;
};
inline Acc column_madd(Acc a, const Column& k, const __m256i* w) {
  a.lo = _mm256_add_epi32(a.lo, _mm256_madd_epi16(k.pair_lo, _mm256_load_si256(w)));
  a.hi = _mm256_add_epi32(a.hi, _mm256_madd_epi16(k.pair_hi, _mm256_load_si256(w + 1)));
  a.lo = _mm256_add_epi32(a.lo, _mm256_madd_epi16(k.single_lo, _mm256_load_si256(w + 2)));
  a.hi = _mm256_add_epi32(a.hi, _mm256_madd_epi16(k.single_hi, _mm256_load_si256(w + 3)));
  return a;
}

// kStride: 1 or 2. cols: the row's (output_width - 1) * kStride + 3 columns of 3 row pointers.
// kBounded: RequantParams::bounded_scale (the upper clamp moves after the packs).
template <std::size_t kStride, bool kBounded, typename Cols>
void dw3x3_row(const DwconvArgs& args, Cols cols) {
  const std::size_t tile_bytes = dw_tile_bytes(9);
  const __m256 hi = _mm256_set1_ps(static_cast<float>(args.rq.output_max - args.rq.output_zero_point));
  const __m256i zp = _mm256_set1_epi16(static_cast<short>(args.rq.output_zero_point));
  const __m128i out_min = _mm_set1_epi8(static_cast<char>(args.rq.output_min));
  const __m128i out_max = _mm_set1_epi8(static_cast<char>(args.rq.output_max));
  const std::size_t width = args.output_width;
  const auto* tile = static_cast<const unsigned char*>(args.packed_w);
  for (std::size_t c = 0; c < args.channels; c += kDwTile, tile += tile_bytes) {
    const unsigned char* sl = tile + dw_generic_bytes(9);
    const Acc bias{_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sl)),
                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sl + 32))};
    const __m256 scale_lo = _mm256_loadu_ps(reinterpret_cast<const float*>(sl + 64));
    const __m256 scale_hi = _mm256_loadu_ps(reinterpret_cast<const float*>(sl + 96));
    const auto* w = reinterpret_cast<const __m256i*>(sl + 128); // kernel column kx at w + 4 kx
    const std::size_t n = min_size(kDwTile, args.channels - c);
    auto finish = [&](Acc a, std::size_t x) {
      const __m256i q_lo = kBounded ? quant8_unclamped(a.lo, scale_lo) : quant8_upper(a.lo, scale_lo, hi);
      const __m256i q_hi = kBounded ? quant8_unclamped(a.hi, scale_hi) : quant8_upper(a.hi, scale_hi, hi);
      store_bytes(args.output + x * args.output_stride + c, pack16<kBounded>(q_lo, q_hi, zp, out_min, out_max), n);
    };
    if constexpr (kStride == 1) {
      // a: output x (kernel columns 0, 1 added), b: output x + 1 (column 0 added).
      const Column k0 = load_column(cols, 0, c);
      const Column k1 = load_column(cols, 3, c);
      Acc a = column_madd(column_madd(bias, k0, w), k1, w + 4);
      Acc b = column_madd(bias, k1, w);
      for (std::size_t x = 0; x < width; ++x) {
        const Column k = load_column(cols, (x + 2) * 3, c); // kernel column 2 of x, 1 of x+1, 0 of x+2
        finish(column_madd(a, k, w + 8), x);
        a = column_madd(b, k, w + 4);
        b = column_madd(bias, k, w);
      }
    } else {
      // a: output x with kernel column 0 added; input column 2x+2 is column 2 of x and 0 of x+1.
      Acc a = column_madd(bias, load_column(cols, 0, c), w);
      for (std::size_t x = 0; x < width; ++x) {
        a = column_madd(a, load_column(cols, (2 * x + 1) * 3, c), w + 4);
        const Column k = load_column(cols, (2 * x + 2) * 3, c);
        finish(column_madd(a, k, w + 8), x);
        a = column_madd(bias, k, w);
      }
    }
  }
}

void dwconv_impl(const DwconvArgs& args) {
  constexpr std::size_t kMaxRowPointers = 3 * 258; // stride 1: rows up to 256 output pixels
  const std::size_t stride = args.input_step / 3;
  if (args.ks == 9 && args.kernel_h == 3 && args.output_width > 0 && (stride == 1 || stride == 2) &&
      args.input_step % 3 == 0) {
    // 3x3, stride 1 or 2.
    auto run = [&](auto cols) {
      if (stride == 1) {
        args.rq.bounded_scale ? dw3x3_row<1, true>(args, cols) : dw3x3_row<1, false>(args, cols);
      } else {
        args.rq.bounded_scale ? dw3x3_row<2, true>(args, cols) : dw3x3_row<2, false>(args, cols);
      }
    };
    if (args.input_offset == 0) {
      run(DirectCols{args.input});
      return;
    }
    // With a channel offset the row's pointers are resolved once here instead of once per
    // column and 16-channel tile inside the kernel (rows up to kMaxRowPointers; longer ones
    // take the per-pixel kernel below).
    const std::size_t row_pointers = ((args.output_width - 1) * stride + 3) * 3;
    if (row_pointers <= kMaxRowPointers) {
      const std::int8_t* cols[kMaxRowPointers];
      for (std::size_t i = 0; i < row_pointers; ++i) {
        cols[i] = tap_ptr(args.input[i], args);
      }
      run(ResolvedCols{cols});
      return;
    }
  }
  const std::size_t tile_bytes = dw_tile_bytes(args.ks);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(args.rq.output_min - args.rq.output_zero_point));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(args.rq.output_max - args.rq.output_zero_point));
  const __m256i zp = _mm256_set1_epi16(static_cast<short>(args.rq.output_zero_point));
  constexpr std::size_t kMaxTaps = 64;
  const std::int8_t* taps[kMaxTaps];
  for (std::size_t x = 0; x < args.output_width; ++x) {
    const void* const* in = args.input + x * args.input_step;
    std::int8_t* out = args.output + x * args.output_stride;
    if (args.ks > kMaxTaps) {
      dw_pixel<0>(args, TapsLive{in, &args}, out, tile_bytes, lo, hi, zp);
      continue;
    }
    for (std::size_t t = 0; t < args.ks; ++t) {
      taps[t] = tap_ptr(in[t], args);
    }
    const TapsArray arr{taps};
    if (args.ks == 9) {
      dw_pixel<9>(args, arr, out, tile_bytes, lo, hi, zp);
    } else if (args.ks == 25) {
      dw_pixel<25>(args, arr, out, tile_bytes, lo, hi, zp);
    } else {
      dw_pixel<0>(args, arr, out, tile_bytes, lo, hi, zp);
    }
  }
}

// ------------------------------------------------------------------------------------------
// Elementwise add: 32 elements per step, both products of each element pair from vpmaddwd.
//
// The oracle (quant.cpp add_requantize) computes acc = bias + a * ma + b * mb in int32, then
// clamp((acc >> shift) + Z_out). vpmulld is slow (2 uops and 10-cycle latency on Intel since
// Haswell); instead each multiplier m is split as m = 256 * mh + ml, ml = m & 255, mh = m >> 8
// (mah, mal for ma; mbh, mbl for mb):
//   a * ma + b * mb = [(256 a) * mah + (256 b) * mbh] + [a * mal + b * mbl]
// and each bracket is one vpmaddwd of the int16 pairs (256 a, 256 b) resp. (a, b) with the
// int16 pairs (mah, mbh) resp. (mal, mbl). Ranges, from make_add_params (quant.cpp):
//  * shift = 20 - e where e = exponent of the larger ratio in [-10, 7], so shift in [13, 30], and
//    the larger ratio scales to [2^20, 2^21): after lrintf |m| <= 2^21 for both multipliers
//    (the smaller ratio scales to no more). Hence |mh| <= 2^13 and 0 <= ml <= 255: int16.
//  * 256 a is in [-32768, 32512]: int16. |(256 a) * mh| <= 2^15 * 2^13 = 2^28, so a pair sum is
//    at most 2^29 and the second bracket below 2^16; vpmaddwd never wraps (it only does for
//    (-2^15)^2 + (-2^15)^2), and the two brackets add to a * ma + b * mb exactly, |.| <= 2^29.
//  * |bias| <= 2^(shift-1) + 2 * 2^21 * 128 <= 2^30, so acc = bias + brackets is below 2^31:
//    exactly the oracle's int32 acc (which therefore never overflows either).
// After the arithmetic shift, acc >> shift is packed to int16 with signed saturation, Z_out
// added with int16 saturation, packed to int8 with saturation and clamped to [out_min,
// out_max]. Every step is monotone and the clamp range lies inside int8, so saturating early
// only ever replaces a value by one on the same side of the clamp range, provided
// |Z_out| <= 32640 (then 32767 + Z_out >= 127 and -32768 + Z_out <= -128). Other zero points
// (never produced by int8 models) take the scalar path.
//
// Byte order: vpunpck{l,h}bw work within 128-bit lanes, so the four int32 vectors hold
// elements {0-3 | 16-19}, {4-7 | 20-23}, {8-11 | 24-27}, {12-15 | 28-31}; vpackssdw of the
// first two and of the last two, then vpacksswb, restore 0-31 without a permute.

namespace {

struct VaddConsts {
  __m256i mult_hi; // int16 pairs (ma >> 8, mb >> 8)
  __m256i mult_lo; // int16 pairs (ma & 255, mb & 255)
  __m256i bias;
  __m128i shift;
  __m256i zp;      // int16
  __m256i vmin;    // int8
  __m256i vmax;    // int8
};

inline std::int32_t int16_pair(std::int32_t lo, std::int32_t hi) {
  return static_cast<std::int32_t>((static_cast<std::uint32_t>(lo) & 0xFFFFu) |
                                   (static_cast<std::uint32_t>(hi) << 16));
}

inline __m256i vadd_quarter(__m256i pairs_x256, const VaddConsts& k) {
  const __m256i pairs = _mm256_srai_epi16(pairs_x256, 8); // (a, b) sign-extended
  __m256i acc = _mm256_add_epi32(_mm256_madd_epi16(pairs_x256, k.mult_hi),
                                 _mm256_madd_epi16(pairs, k.mult_lo));
  acc = _mm256_add_epi32(acc, k.bias);
  return _mm256_sra_epi32(acc, k.shift);
}

inline __m256i vadd32(__m256i va, __m256i vb, const VaddConsts& k) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i ab_lo = _mm256_unpacklo_epi8(va, vb); // a0 b0 a1 b1 ... (per 128-bit lane)
  const __m256i ab_hi = _mm256_unpackhi_epi8(va, vb);
  // Zero below each byte: int16 lanes 256 a, 256 b.
  const __m256i r0 = vadd_quarter(_mm256_unpacklo_epi8(zero, ab_lo), k);
  const __m256i r1 = vadd_quarter(_mm256_unpackhi_epi8(zero, ab_lo), k);
  const __m256i r2 = vadd_quarter(_mm256_unpacklo_epi8(zero, ab_hi), k);
  const __m256i r3 = vadd_quarter(_mm256_unpackhi_epi8(zero, ab_hi), k);
  const __m256i q01 = _mm256_adds_epi16(_mm256_packs_epi32(r0, r1), k.zp);
  const __m256i q23 = _mm256_adds_epi16(_mm256_packs_epi32(r2, r3), k.zp);
  const __m256i q = _mm256_packs_epi16(q01, q23);
  return _mm256_min_epi8(_mm256_max_epi8(q, k.vmin), k.vmax);
}

} // namespace

void vadd_impl(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y,
               const AddParams& params) {
  if (params.output_zero_point < -32640 || params.output_zero_point > 32640) {
    for (std::size_t i = 0; i < n; ++i) {
      y[i] = add_requantize(a[i], b[i], params);
    }
    return;
  }
  VaddConsts k;
  k.mult_hi = _mm256_set1_epi32(int16_pair(params.a_multiplier >> 8, params.b_multiplier >> 8));
  k.mult_lo = _mm256_set1_epi32(int16_pair(params.a_multiplier & 255, params.b_multiplier & 255));
  k.bias = _mm256_set1_epi32(params.bias);
  k.shift = _mm_cvtsi32_si128(static_cast<int>(params.shift));
  k.zp = _mm256_set1_epi16(static_cast<short>(params.output_zero_point));
  k.vmin = _mm256_set1_epi8(static_cast<char>(params.output_min));
  k.vmax = _mm256_set1_epi8(static_cast<char>(params.output_max));
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
    const __m256i vb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), vadd32(va, vb, k));
  }
  if (i < n) {
    // Tail through a stack block: reads and writes exactly n - i bytes.
    alignas(32) std::int8_t ta[32] = {};
    alignas(32) std::int8_t tb[32] = {};
    alignas(32) std::int8_t ty[32];
    std::memcpy(ta, a + i, n - i);
    std::memcpy(tb, b + i, n - i);
    const __m256i va = _mm256_load_si256(reinterpret_cast<const __m256i*>(ta));
    const __m256i vb = _mm256_load_si256(reinterpret_cast<const __m256i*>(tb));
    _mm256_store_si256(reinterpret_cast<__m256i*>(ty), vadd32(va, vb, k));
    std::memcpy(y + i, ty, n - i);
  }
}

// ------------------------------------------------------------------------------------------
// Max pool: vpmaxsb over the taps, 32 channels per vector and up to four vectors (128
// channels) held across the taps so each tap pointer is dereferenced once per 128 channels.
// Max is exact; tails use 16- and 8-byte vectors, then bytes, so no pointer is read past
// `channels` (see MAXPOOL in microkernels.hpp).

namespace {

template <int V>
inline void maxpool_block(const void* const* in, std::size_t ks, std::size_t c, std::int8_t* out) {
  __m256i acc[V];
  const auto* p0 = static_cast<const std::int8_t*>(in[0]) + c;
  for (int v = 0; v < V; ++v) {
    acc[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p0 + 32 * v));
  }
  for (std::size_t t = 1; t < ks; ++t) {
    const auto* p = static_cast<const std::int8_t*>(in[t]) + c;
    for (int v = 0; v < V; ++v) {
      acc[v] = _mm256_max_epi8(acc[v], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * v)));
    }
  }
  for (int v = 0; v < V; ++v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c + 32 * v), acc[v]);
  }
}

} // namespace

void maxpool_impl(const MaxPoolArgs& args) {
  const std::size_t nc = args.channels;
  const std::size_t ks = args.ks;
  for (std::size_t x = 0; x < args.output_width; ++x) {
    const void* const* in = args.input + x * args.input_step;
    std::int8_t* out = args.output + x * args.output_stride;
    std::size_t c = 0;
    for (; c + 128 <= nc; c += 128) {
      maxpool_block<4>(in, ks, c, out);
    }
    if (nc - c >= 64) {
      maxpool_block<2>(in, ks, c, out);
      c += 64;
    }
    if (nc - c >= 32) {
      maxpool_block<1>(in, ks, c, out);
      c += 32;
    }
    if (nc - c >= 16) {
      __m128i acc = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const std::int8_t*>(in[0]) + c));
      for (std::size_t t = 1; t < ks; ++t) {
        acc = _mm_max_epi8(acc, _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const std::int8_t*>(in[t]) + c)));
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c), acc);
      c += 16;
    }
    if (nc - c >= 8) {
      __m128i acc = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(static_cast<const std::int8_t*>(in[0]) + c));
      for (std::size_t t = 1; t < ks; ++t) {
        acc = _mm_max_epi8(acc, _mm_loadl_epi64(reinterpret_cast<const __m128i*>(static_cast<const std::int8_t*>(in[t]) + c)));
      }
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out + c), acc);
      c += 8;
    }
    for (; c < nc; ++c) {
      std::int8_t best = static_cast<const std::int8_t*>(in[0])[c];
      for (std::size_t t = 1; t < ks; ++t) {
        const std::int8_t v = static_cast<const std::int8_t*>(in[t])[c];
        best = v > best ? v : best;
      }
      out[c] = best;
    }
  }
}

std::size_t dwconv_packed_size_impl(std::size_t channels, std::size_t ks) {
  return dwconv_packed_size(channels, ks);
}

void dwconv_pack_impl(const DwconvPackArgs& args, void* packed) { dwconv_pack(args, packed); }

namespace {

void dwconv(const DwconvArgs& args) {
  note_kernel_use(Isa::kAvx2, KernelKind::kDwconv);
  dwconv_impl(args);
}

void vadd(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y,
          const AddParams& params) {
  note_kernel_use(Isa::kAvx2, KernelKind::kVadd);
  vadd_impl(n, a, b, y, params);
}

void maxpool(const MaxPoolArgs& args) {
  note_kernel_use(Isa::kAvx2, KernelKind::kMaxpool);
  maxpool_impl(args);
}

// ------------------------------------------------------------------------------------------
// Peak: 12 independent vpmaddwd (16 MACs each, operands from L1) + vpaddd chains, the inner-loop
// mix of the IGEMM. Timed in thread CPU time, so it reports what the core can do even on a
// shared machine (peak.hpp's thread_cpu_seconds). The memory clobber forces fresh loads so
// nothing is hoisted or merged.

double peak(double seconds) {
  alignas(64) static std::int16_t operands[12][16];
  for (int i = 0; i < 12; ++i) {
    for (int j = 0; j < 16; ++j) {
      operands[i][j] = static_cast<std::int16_t>(i + j);
    }
  }
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  __m256i a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  const __m256i b = _mm256_set1_epi16(3);
  const double start = thread_cpu_seconds();
  double elapsed = 0.0;
  std::uint64_t iterations = 0;
  const auto* ops = reinterpret_cast<const __m256i*>(operands);
  do {
    for (int it = 0; it < 100000; ++it) {
      __asm__ volatile("" ::: "memory");
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_load_si256(ops + 0), b));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_load_si256(ops + 1), b));
      a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_load_si256(ops + 2), b));
      a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_load_si256(ops + 3), b));
      a4 = _mm256_add_epi32(a4, _mm256_madd_epi16(_mm256_load_si256(ops + 4), b));
      a5 = _mm256_add_epi32(a5, _mm256_madd_epi16(_mm256_load_si256(ops + 5), b));
      a6 = _mm256_add_epi32(a6, _mm256_madd_epi16(_mm256_load_si256(ops + 6), b));
      a7 = _mm256_add_epi32(a7, _mm256_madd_epi16(_mm256_load_si256(ops + 7), b));
      a8 = _mm256_add_epi32(a8, _mm256_madd_epi16(_mm256_load_si256(ops + 8), b));
      a9 = _mm256_add_epi32(a9, _mm256_madd_epi16(_mm256_load_si256(ops + 9), b));
      a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(_mm256_load_si256(ops + 10), b));
      a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(_mm256_load_si256(ops + 11), b));
    }
    iterations += 100000;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < seconds);
  __m256i sum = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                 _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
  sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_add_epi32(a8, a9), _mm256_add_epi32(a10, a11)));
  volatile int sink = _mm256_extract_epi32(sum, 0);
  (void)sink;
  return static_cast<double>(iterations) * 12.0 * 16.0 / elapsed;
}

KernelSet make_set() {
  KernelSet s;
  s.isa = Isa::kAvx2;
  s.igemm_name = "s8s8s32_igemm_3x32c2__avx2";
  s.dwconv_name = "s8s8s32_dwconv_16c2__avx2";
  s.mr = kMr3;
  s.nr = kNr32;
  s.kc_align = 2;
  s.a_format = AFormat::kS16;
  s.gemm_packed_size = gemm32_packed_size;
  s.gemm_pack = gemm32_pack;
  s.igemm = igemm32;
  s.convert_a = convert_a;
  s.gemv_packed_size = gemv32_packed_size;
  s.gemv_pack = gemv32_pack;
  s.gemv = gemv32;
  s.dw_channel_tile = kDwTile;
  s.dwconv_packed_size = dwconv_packed_size;
  s.dwconv_pack = dwconv_pack;
  s.dwconv = dwconv;
  s.vadd = vadd;
  s.peak_macs_per_second = peak;
  s.peak_instruction = "vpmaddwd+vpaddd ymm";
  add_winograd(s);
  s.maxpool = maxpool;
  return s;
}

} // namespace
} // namespace avx2

const KernelSet* kernels_avx2() {
  static const KernelSet set = avx2::make_set();
  return &set;
}

} // namespace es::kernels
