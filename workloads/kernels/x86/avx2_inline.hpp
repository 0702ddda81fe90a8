#pragma once
// Small AVX2 helpers shared by the x86 translation units that are compiled with at least
// -mavx2 -mfma (avx2.cpp, avx2_winograd.cpp, avxvnni.cpp). Everything here has internal
// linkage (an unnamed namespace), so each TU gets its own copy compiled with its own flags and
// the linker never merges copies across -m flag sets (the ODR hazard of shared inline code).
// Never include it from a baseline-flags file.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace es::kernels::x86 {
namespace {

// fp32 requantization of 8 int32 accumulators: float multiply, clamp, round-to-nearest-even
// (quant.hpp's scheme; no FMA: these TUs build with -ffp-contract=off).
inline __m256i requant8(__m256i acc, __m256 scale, __m256 lo, __m256 hi) {
  __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), scale);
  f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
  return _mm256_cvtps_epi32(f);
}

// The same, clamped above only (the lower clamp happens after the saturating packs).
inline __m256i quant8_upper(__m256i acc, __m256 scale, __m256 hi) {
  return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), scale), hi));
}

// The same without the upper clamp, for RequantParams::bounded_scale (|acc * scale| <= 2^30, so
// the conversion cannot overflow); the caller clamps after its saturating packs.
inline __m256i quant8_unclamped(__m256i acc, __m256 scale) {
  return _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), scale));
}

// Packs two requantized 8-lane int32 vectors into 16 bytes, q0's lanes then q1's: saturating
// packs, + Z_out (zp as int16), clamp below, and above when kClampMax (outputs that skipped the
// float upper clamp, RequantParams::bounded_scale). The depthwise row and Winograd epilogues.
template <bool kClampMax>
inline __m128i pack16(__m256i q0, __m256i q1, __m256i zp, __m128i out_min, __m128i out_max) {
  const __m256i p16 = _mm256_adds_epi16(_mm256_packs_epi32(q0, q1), zp); // [q0 0-3, q1 0-3 | q0 4-7, q1 4-7]
  const __m256i p8 = _mm256_packs_epi16(p16, p16);
  __m128i bytes = _mm_max_epi8(
      _mm_unpacklo_epi32(_mm256_castsi256_si128(p8), _mm256_extracti128_si256(p8, 1)), out_min);
  if constexpr (kClampMax) {
    bytes = _mm_min_epi8(bytes, out_max);
  }
  return bytes;
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

// Broadcasts the int32 at p (a pair of int16 or a quad of int8) to all lanes.
inline __m256i bcast32(const void* p) {
  std::int32_t v = 0;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// The 3x32 c2 main loop shared by the IGEMM (avx2.cpp) and the Winograd GEMM
// (avx2_winograd.cpp): for each of `pairs` input-channel pairs, broadcast each row's int16 pair
// and multiply-add it into kCols vectors of 8 outputs, weights [pair][32 outputs x 2] int16.
// Returns w past the pairs consumed.
template <std::size_t kRows, std::size_t kCols>
inline const std::int16_t* madd_pairs_3x32(__m256i (&acc)[kRows][kCols], const std::int16_t* const (&rows)[kRows],
                                           std::size_t pairs, const std::int16_t* w) {
  for (std::size_t k = 0; k < pairs; ++k, w += 64) {
    #pragma GCC unroll 4
    for (std::size_t r = 0; r < kRows; ++r) {
      const __m256i v = bcast32(rows[r] + 2 * k);
      #pragma GCC unroll 4
      for (std::size_t j = 0; j < kCols; ++j) {
        const __m256i b = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 16 * j));
        acc[r][j] = _mm256_add_epi32(acc[r][j], _mm256_madd_epi16(v, b));
      }
    }
  }
  return w;
}

} // namespace
} // namespace es::kernels::x86
