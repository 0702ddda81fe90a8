// AVX2 kernels (compiled with -mavx2 -mfma; only this file gets those flags).
//
// vpmaddubsw (u8 x s8 pairs summed into int16) saturates: 255*127*2 > 32767, so it cannot be
// bit-exact. Every product here is int16 x int16 -> int32 with vpmaddwd (two products summed in
// int32, never saturating for int8-range inputs), which is exact. The cost is widening: weights
// are widened to int16 once at pack time, activations once per layer by convert_a (AFormat
// kS16), depthwise inputs in the kernel.
//
// s8s8s32_igemm_6x16c2__avx2: 6 rows x 16 output channels; per pair of input channels one
//   vpbroadcastd of each row's int16 pair, two weight vectors (outputs 0-7, 8-15, each lane an
//   int16 pair), 12 vpmaddwd + 12 vpaddd into 12 accumulators.
//   Packed block (16 channels): [16 x int32 bias'] [ks x kcp/2 x 16 x 2 int16] [16 x float]
//   with kcp = round_up(kc, 2). A block whose last 8 channels are all padding runs a 6x8 loop.
// s8s8s32_dwconv_16c2__avx2: 16 channels per tile, taps paired: the two taps' inputs are
//   widened and interleaved (vpunpck{l,h}wd) so one vpmaddwd does 2 taps x 8 channels.
//   The unpack permutes channels within 128-bit lanes (lo = {0-3, 8-11}, hi = {4-7, 12-15});
//   bias, weights and scales are packed in that order and vpackssdw restores it.
//   Packed tile: [16 x int32 bias'] [ceil(ks/2) x (lo 8 pairs, hi 8 pairs) int16] [16 x float]
#include "workloads/kernels/x86/avx2_shared.hpp"

#include <immintrin.h>

#include <cstring>
#include <ctime>

namespace es::kernels {
namespace avx2 {
namespace {

constexpr std::size_t kMr = 6;
constexpr std::size_t kNr = 16;

std::size_t min_size(std::size_t a, std::size_t b) { return a < b ? a : b; }

// Requantizes 8 int32 accumulators: float multiply, clamp, round-to-nearest-even.
inline __m256i requant8(__m256i acc, __m256 scale, __m256 lo, __m256 hi) {
  __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), scale);
  f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
  return _mm256_cvtps_epi32(f);
}

// Multiplies by the scale, clamps above only, rounds to nearest even.
inline __m256i quant8_upper(__m256i acc, __m256 scale, __m256 hi) {
  return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), scale), hi));
}

// Writes the first n (<= 16) bytes of v.
inline void store_bytes(std::int8_t* dst, __m128i v, std::size_t n) {
  if (n >= 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v);
    return;
  }
  alignas(16) std::int8_t tmp[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(tmp), v);
  std::memcpy(dst, tmp, n);
}

// ------------------------------------------------------------------------------------------
// IGEMM

std::size_t gemm_block_bytes(std::size_t kc, std::size_t ks) {
  const std::size_t pairs = (kc + 1) / 2;
  return kNr * 4 + ks * pairs * kNr * 4 + kNr * 4;
}

std::size_t gemm_packed_size(std::size_t nc, std::size_t kc, std::size_t ks) {
  return (nc + kNr - 1) / kNr * gemm_block_bytes(kc, ks);
}

void gemm_pack(const GemmPackArgs& args, void* packed) {
  auto* out = static_cast<unsigned char*>(packed);
  const std::size_t pairs = (args.kc + 1) / 2;
  const std::size_t k_total = args.ks * args.kc;
  const std::size_t block = gemm_block_bytes(args.kc, args.ks);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr) {
    std::memset(out, 0, block);
    std::int32_t bias[kNr] = {};
    float scale[kNr] = {};
    auto* w = reinterpret_cast<std::int16_t*>(out + kNr * 4);
    for (std::size_t j = 0; j < kNr && n0 + j < args.nc; ++j) {
      const std::int8_t* src = args.weights + (n0 + j) * k_total;
      std::int32_t sum = 0;
      for (std::size_t t = 0; t < args.ks; ++t) {
        for (std::size_t k = 0; k < args.kc; ++k) {
          const std::int8_t v = src[t * args.kc + k];
          sum += v;
          // [t][pair][half (outputs 0-7 | 8-15)][output % 8][k % 2]
          const std::size_t index = ((t * pairs + k / 2) * kNr + j) * 2 + (k % 2);
          w[index] = v;
        }
      }
      bias[j] = args.bias[n0 + j] - args.input_zero_point * sum;
      scale[j] = args.scale[n0 + j];
    }
    std::memcpy(out, bias, sizeof bias);
    std::memcpy(out + block - kNr * 4, scale, sizeof scale);
    out += block;
  }
}

inline __m256i bcast_pair(const std::int16_t* p) {
  std::int32_t v = 0;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// One 1 x 16 tile (fully connected layers and other single-row tiles: the 6-row kernel would
// compute five duplicate rows).
void igemm_row(const IgemmArgs& args, const unsigned char* block, std::size_t pairs,
               std::int8_t* c, std::size_t nc) {
  __m256i acc0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
  __m256i acc1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32));
  __m256i acc2 = _mm256_setzero_si256();
  __m256i acc3 = _mm256_setzero_si256();
  const auto* w = reinterpret_cast<const std::int16_t*>(block + kNr * 4);
  for (std::size_t t = 0; t < args.ks; ++t) {
    const void* p = args.a[t * kMr];
    const auto* r0 = reinterpret_cast<const std::int16_t*>(
        static_cast<const unsigned char*>(p) + (p == args.zero ? 0 : args.a_offset));
    std::size_t k = 0;
    for (; k + 2 <= pairs; k += 2, w += 64) {
      const __m256i v0 = bcast_pair(r0 + 2 * k);
      const __m256i v1 = bcast_pair(r0 + 2 * k + 2);
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(v0, _mm256_load_si256(reinterpret_cast<const __m256i*>(w))));
      acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(v0, _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 16))));
      acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(v1, _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32))));
      acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(v1, _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 48))));
    }
    for (; k < pairs; ++k, w += 32) {
      const __m256i v0 = bcast_pair(r0 + 2 * k);
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(v0, _mm256_load_si256(reinterpret_cast<const __m256i*>(w))));
      acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(v0, _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 16))));
    }
  }
  acc0 = _mm256_add_epi32(acc0, acc2);
  acc1 = _mm256_add_epi32(acc1, acc3);
  const auto* sp = reinterpret_cast<const float*>(w);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(args.rq.output_min - args.rq.output_zero_point));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(args.rq.output_max - args.rq.output_zero_point));
  const __m256i zp = _mm256_set1_epi16(static_cast<short>(args.rq.output_zero_point));
  const __m256i q0 = requant8(acc0, _mm256_loadu_ps(sp), lo, hi);
  const __m256i q1 = requant8(acc1, _mm256_loadu_ps(sp + 8), lo, hi);
  const __m256i p16 = _mm256_adds_epi16(_mm256_packs_epi32(q0, q1), zp);
  const __m256i p8 = _mm256_packs_epi16(p16, p16);
  store_bytes(c, _mm_unpacklo_epi32(_mm256_castsi256_si128(p8), _mm256_extracti128_si256(p8, 1)), nc);
}

// One 6 x (16 or 8) tile over all taps.
template <bool kFull>
void igemm_block(const IgemmArgs& args, const unsigned char* block, std::size_t pairs,
                 std::int8_t* c, std::size_t nc) {
  __m256i bias0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
  __m256i bias1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32));
  __m256i acc00 = bias0, acc01 = bias1, acc10 = bias0, acc11 = bias1, acc20 = bias0, acc21 = bias1;
  __m256i acc30 = bias0, acc31 = bias1, acc40 = bias0, acc41 = bias1, acc50 = bias0, acc51 = bias1;
  const auto* w = reinterpret_cast<const std::int16_t*>(block + kNr * 4);
  const void* const* a = args.a;
  for (std::size_t t = 0; t < args.ks; ++t, a += kMr) {
    const std::int16_t* r[kMr];
    for (std::size_t i = 0; i < kMr; ++i) {
      const auto* p = static_cast<const unsigned char*>(a[i]);
      r[i] = reinterpret_cast<const std::int16_t*>(a[i] == args.zero ? p : p + args.a_offset);
    }
    const std::int16_t* r0 = r[0];
    const std::int16_t* r1 = r[1];
    const std::int16_t* r2 = r[2];
    const std::int16_t* r3 = r[3];
    const std::int16_t* r4 = r[4];
    const std::int16_t* r5 = r[5];
    for (std::size_t k = 0; k < pairs; ++k) {
      const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
      __m256i v = bcast_pair(r0 + 2 * k);
      acc00 = _mm256_add_epi32(acc00, _mm256_madd_epi16(v, b0));
      if (kFull) {
        const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 16));
        acc01 = _mm256_add_epi32(acc01, _mm256_madd_epi16(v, b1));
        v = bcast_pair(r1 + 2 * k);
        acc10 = _mm256_add_epi32(acc10, _mm256_madd_epi16(v, b0));
        acc11 = _mm256_add_epi32(acc11, _mm256_madd_epi16(v, b1));
        v = bcast_pair(r2 + 2 * k);
        acc20 = _mm256_add_epi32(acc20, _mm256_madd_epi16(v, b0));
        acc21 = _mm256_add_epi32(acc21, _mm256_madd_epi16(v, b1));
        v = bcast_pair(r3 + 2 * k);
        acc30 = _mm256_add_epi32(acc30, _mm256_madd_epi16(v, b0));
        acc31 = _mm256_add_epi32(acc31, _mm256_madd_epi16(v, b1));
        v = bcast_pair(r4 + 2 * k);
        acc40 = _mm256_add_epi32(acc40, _mm256_madd_epi16(v, b0));
        acc41 = _mm256_add_epi32(acc41, _mm256_madd_epi16(v, b1));
        v = bcast_pair(r5 + 2 * k);
        acc50 = _mm256_add_epi32(acc50, _mm256_madd_epi16(v, b0));
        acc51 = _mm256_add_epi32(acc51, _mm256_madd_epi16(v, b1));
      } else {
        v = bcast_pair(r1 + 2 * k);
        acc10 = _mm256_add_epi32(acc10, _mm256_madd_epi16(v, b0));
        v = bcast_pair(r2 + 2 * k);
        acc20 = _mm256_add_epi32(acc20, _mm256_madd_epi16(v, b0));
        v = bcast_pair(r3 + 2 * k);
        acc30 = _mm256_add_epi32(acc30, _mm256_madd_epi16(v, b0));
        v = bcast_pair(r4 + 2 * k);
        acc40 = _mm256_add_epi32(acc40, _mm256_madd_epi16(v, b0));
        v = bcast_pair(r5 + 2 * k);
        acc50 = _mm256_add_epi32(acc50, _mm256_madd_epi16(v, b0));
      }
      w += 32;
    }
  }
  const auto* sp = reinterpret_cast<const float*>(w);
  const __m256 s0 = _mm256_loadu_ps(sp);
  const __m256 s1 = _mm256_loadu_ps(sp + 8);
  // Only the upper bound is applied in float (it also keeps cvtps2dq in range); below, the
  // saturating packs and a final vpmaxsb with output_min give the same bytes as clamping first:
  // anything under output_min ends at output_min either way.
  const __m256 hi = _mm256_set1_ps(static_cast<float>(args.rq.output_max - args.rq.output_zero_point));
  const __m256i zp = _mm256_set1_epi16(static_cast<short>(args.rq.output_zero_point));
  const __m256i out_min = _mm256_set1_epi8(static_cast<char>(args.rq.output_min));
  const __m256i accs[kMr][2] = {{acc00, acc01}, {acc10, acc11}, {acc20, acc21},
                                {acc30, acc31}, {acc40, acc41}, {acc50, acc51}};
  __m256i p16[kMr];
  for (std::size_t i = 0; i < kMr; ++i) {
    const __m256i q0 = quant8_upper(accs[i][0], s0, hi);
    const __m256i q1 = kFull ? quant8_upper(accs[i][1], s1, hi) : q0;
    // lanes: [0-3, 8-11 | 4-7, 12-15] (kFull) or [0-3, 0-3 | 4-7, 4-7]
    p16[i] = _mm256_adds_epi16(_mm256_packs_epi32(q0, q1), zp);
  }
  for (std::size_t i = 0; i < kMr; i += 2) {
    // Two rows per vpacksswb: lanes [r_i 0-3, 8-11, r_j 0-3, 8-11 | r_i 4-7, 12-15, r_j ...].
    const __m256i p8 = _mm256_max_epi8(_mm256_packs_epi16(p16[i], p16[i + 1]), out_min);
    const __m128i l0 = _mm256_castsi256_si128(p8);
    const __m128i l1 = _mm256_extracti128_si256(p8, 1);
    if (i < args.mr) {
      store_bytes(c + i * args.c_row_stride, _mm_unpacklo_epi32(l0, l1), nc);
    }
    if (i + 1 < args.mr) {
      store_bytes(c + (i + 1) * args.c_row_stride, _mm_unpackhi_epi32(l0, l1), nc);
    }
  }
}

void igemm(const IgemmArgs& args) {
  note_kernel_use(Isa::kAvx2, KernelKind::kIgemm);
  const std::size_t pairs = (args.kc + 1) / 2;
  const std::size_t block_bytes = gemm_block_bytes(args.kc, args.ks);
  const auto* block = static_cast<const unsigned char*>(args.packed_w);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr, block += block_bytes) {
    const std::size_t n = min_size(kNr, args.nc - n0);
    if (args.mr == 1) {
      igemm_row(args, block, pairs, args.c + n0, n);
    } else if (n > 8) {
      igemm_block<true>(args, block, pairs, args.c + n0, n);
    } else {
      igemm_block<false>(args, block, pairs, args.c + n0, n);
    }
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

std::size_t dw_tile_bytes(std::size_t ks) {
  const std::size_t pairs = (ks + 1) / 2;
  return kDwTile * 4 + pairs * kDwTile * 2 * 2 + kDwTile * 4;
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
    std::memcpy(out + tile_bytes - kDwTile * 4, scale, sizeof scale);
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

void dwconv_impl(const DwconvArgs& args) {
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
// Elementwise add (exact int32 arithmetic, 16 elements per step).

void vadd_impl(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y,
               const AddParams& params) {
  const __m256i am = _mm256_set1_epi32(params.a_multiplier);
  const __m256i bm = _mm256_set1_epi32(params.b_multiplier);
  const __m256i bias = _mm256_set1_epi32(params.bias);
  const __m128i shift = _mm_cvtsi32_si128(static_cast<int>(params.shift));
  const __m256i zp = _mm256_set1_epi32(params.output_zero_point);
  const __m256i vmin = _mm256_set1_epi32(params.output_min);
  const __m256i vmax = _mm256_set1_epi32(params.output_max);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i r[2];
    for (int h = 0; h < 2; ++h) {
      const __m256i va = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a + i + 8 * h)));
      const __m256i vb = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + i + 8 * h)));
      __m256i acc = _mm256_add_epi32(bias, _mm256_mullo_epi32(va, am));
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(vb, bm));
      acc = _mm256_add_epi32(_mm256_sra_epi32(acc, shift), zp);
      r[h] = _mm256_min_epi32(_mm256_max_epi32(acc, vmin), vmax);
    }
    // packs within lanes: [r0 0-3, r1 0-3 | r0 4-7, r1 4-7]
    const __m256i p16 = _mm256_packs_epi32(r[0], r[1]);
    const __m256i p16o = _mm256_permute4x64_epi64(p16, 0xD8); // [r0 0-7 | r1 0-7]
    const __m256i p8 = _mm256_packs_epi16(p16o, p16o);
    const __m128i bytes =
        _mm_unpacklo_epi64(_mm256_castsi256_si128(p8), _mm256_extracti128_si256(p8, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), bytes);
  }
  for (; i < n; ++i) {
    y[i] = add_requantize(a[i], b[i], params);
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

// ------------------------------------------------------------------------------------------
// Peak: 12 independent vpmaddwd (16 MACs each, operands from L1) + vpaddd chains, the inner-loop
// mix of the IGEMM. Timed in thread CPU time, so it reports what the core can do even on a
// shared machine. The memory clobber forces fresh loads so nothing is hoisted or merged.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

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
  s.igemm_name = "s8s8s32_igemm_6x16c2__avx2";
  s.dwconv_name = "s8s8s32_dwconv_16c2__avx2";
  s.mr = kMr;
  s.nr = kNr;
  s.kc_align = 2;
  s.a_format = AFormat::kS16;
  s.gemm_packed_size = gemm_packed_size;
  s.gemm_pack = gemm_pack;
  s.igemm = igemm;
  s.convert_a = convert_a;
  s.dw_channel_tile = kDwTile;
  s.dwconv_packed_size = dwconv_packed_size;
  s.dwconv_pack = dwconv_pack;
  s.dwconv = dwconv;
  s.vadd = vadd;
  s.peak_macs_per_second = peak;
  s.peak_instruction = "vpmaddwd+vpaddd ymm";
  return s;
}

} // namespace
} // namespace avx2

const KernelSet* kernels_avx2() {
  static const KernelSet set = avx2::make_set();
  return &set;
}

} // namespace es::kernels
