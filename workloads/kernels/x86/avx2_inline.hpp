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

} // namespace
} // namespace es::kernels::x86
