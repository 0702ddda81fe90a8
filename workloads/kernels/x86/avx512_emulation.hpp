#pragma once
// Test-only: scalar stand-ins for the AVX-512 intrinsics that x86/avx512vnni.cpp uses, so that
// tests/unit/kernels can compile that file a second time (with -mavx2 and
// ES_KERNELS_EMULATE_AVX512) and run its packing, u8 flip, bias fold, 8x32 tiling, masked
// tails and epilogue bit-exactly against the oracle on CPUs without AVX-512 — which is every
// machine this project is developed and tested on (qemu-x86_64 7.2 raises SIGILL on vpdpbusd,
// both its VEX and EVEX forms).
//
// Each function follows the Intel intrinsics guide's operation for its instruction:
// wrapping int32 adds; vpdpbusd sums four u8 x s8 products into int32 without saturation;
// vcvtdq2ps and vmulps round to nearest even (the default MXCSR state); vmaxps/vminps return
// the second operand when the comparison is false (NaN included); vcvtps2dq rounds to nearest
// even and gives 0x80000000 for NaN and out-of-range values; vpmovsdb saturates to int8.
// The macros below rename the intrinsics and types for the rest of the including file only;
// never include this from production code.

#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace es::kernels::x86::emu512 {
namespace {

struct alignas(64) Vi {
  std::int32_t v[16];
};
struct alignas(64) Vf {
  float v[16];
};

inline std::int32_t wrap_add(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
}

inline Vi set1_epi32(std::int32_t x) {
  Vi r;
  for (auto& e : r.v) {
    e = x;
  }
  return r;
}
inline Vi set1_epi8(char x) {
  Vi r;
  std::memset(r.v, x, sizeof r.v);
  return r;
}
inline Vf set1_ps(float x) {
  Vf r;
  for (auto& e : r.v) {
    e = x;
  }
  return r;
}
inline Vi loadu_si512(const void* p) {
  Vi r;
  std::memcpy(r.v, p, sizeof r.v);
  return r;
}
inline Vi load_si512(const void* p) { return loadu_si512(p); }
inline Vf loadu_ps(const float* p) {
  Vf r;
  std::memcpy(r.v, p, sizeof r.v);
  return r;
}
inline void storeu_si512(void* p, Vi a) { std::memcpy(p, a.v, sizeof a.v); }

inline Vi xor_si512(Vi a, Vi b) {
  Vi r;
  for (int i = 0; i < 16; ++i) {
    r.v[i] = a.v[i] ^ b.v[i];
  }
  return r;
}
inline Vi add_epi32(Vi a, Vi b) {
  Vi r;
  for (int i = 0; i < 16; ++i) {
    r.v[i] = wrap_add(a.v[i], b.v[i]);
  }
  return r;
}
inline Vi dpbusd_epi32(Vi acc, Vi a, Vi b) {
  std::uint8_t ua[64];
  std::int8_t sb[64];
  std::memcpy(ua, a.v, 64);
  std::memcpy(sb, b.v, 64);
  Vi r;
  for (int i = 0; i < 16; ++i) {
    std::int32_t sum = 0; // at most 4 x 255 x 128: no overflow
    for (int j = 0; j < 4; ++j) {
      sum += static_cast<std::int32_t>(ua[4 * i + j]) * static_cast<std::int32_t>(sb[4 * i + j]);
    }
    r.v[i] = wrap_add(acc.v[i], sum);
  }
  return r;
}
inline std::int32_t reduce_add_epi32(Vi a) {
  std::int32_t s = 0;
  for (const std::int32_t e : a.v) {
    s = wrap_add(s, e);
  }
  return s;
}

inline Vf cvtepi32_ps(Vi a) {
  Vf r;
  for (int i = 0; i < 16; ++i) {
    r.v[i] = static_cast<float>(a.v[i]); // round to nearest even, like vcvtdq2ps
  }
  return r;
}
inline Vf mul_ps(Vf a, Vf b) {
  Vf r;
  for (int i = 0; i < 16; ++i) {
    r.v[i] = a.v[i] * b.v[i];
  }
  return r;
}
inline Vf max_ps(Vf a, Vf b) {
  Vf r;
  for (int i = 0; i < 16; ++i) {
    r.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];
  }
  return r;
}
inline Vf min_ps(Vf a, Vf b) {
  Vf r;
  for (int i = 0; i < 16; ++i) {
    r.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i];
  }
  return r;
}
inline Vi cvtps_epi32(Vf a) {
  Vi r;
  for (int i = 0; i < 16; ++i) {
    const float f = a.v[i];
    // [-2^31, 2^31) converts; everything else (and NaN) is the integer indefinite value.
    if (!(f >= -2147483648.0f && f < 2147483648.0f)) {
      r.v[i] = std::numeric_limits<std::int32_t>::min();
    } else {
      r.v[i] = static_cast<std::int32_t>(std::nearbyint(f));
    }
  }
  return r;
}
inline __m128i cvtsepi32_epi8(Vi a) {
  std::int8_t b[16];
  for (int i = 0; i < 16; ++i) {
    const std::int32_t x = a.v[i];
    b[i] = static_cast<std::int8_t>(x < -128 ? -128 : (x > 127 ? 127 : x));
  }
  __m128i r;
  std::memcpy(&r, b, sizeof b);
  return r;
}
inline void mask_storeu_epi8(void* p, __mmask16 k, __m128i a) {
  std::int8_t b[16];
  std::memcpy(b, &a, sizeof b);
  for (int i = 0; i < 16; ++i) {
    if ((k >> i) & 1u) {
      static_cast<std::int8_t*>(p)[i] = b[i];
    }
  }
}

} // namespace
} // namespace es::kernels::x86::emu512

#define __m512i ::es::kernels::x86::emu512::Vi
#define __m512 ::es::kernels::x86::emu512::Vf
#define _mm512_set1_epi32 ::es::kernels::x86::emu512::set1_epi32
#define _mm512_set1_epi8 ::es::kernels::x86::emu512::set1_epi8
#define _mm512_set1_ps ::es::kernels::x86::emu512::set1_ps
#define _mm512_loadu_si512 ::es::kernels::x86::emu512::loadu_si512
#define _mm512_load_si512 ::es::kernels::x86::emu512::load_si512
#define _mm512_loadu_ps ::es::kernels::x86::emu512::loadu_ps
#define _mm512_storeu_si512 ::es::kernels::x86::emu512::storeu_si512
#define _mm512_xor_si512 ::es::kernels::x86::emu512::xor_si512
#define _mm512_add_epi32 ::es::kernels::x86::emu512::add_epi32
#define _mm512_dpbusd_epi32 ::es::kernels::x86::emu512::dpbusd_epi32
#define _mm512_reduce_add_epi32 ::es::kernels::x86::emu512::reduce_add_epi32
#define _mm512_cvtepi32_ps ::es::kernels::x86::emu512::cvtepi32_ps
#define _mm512_mul_ps ::es::kernels::x86::emu512::mul_ps
#define _mm512_max_ps ::es::kernels::x86::emu512::max_ps
#define _mm512_min_ps ::es::kernels::x86::emu512::min_ps
#define _mm512_cvtps_epi32 ::es::kernels::x86::emu512::cvtps_epi32
#define _mm512_cvtsepi32_epi8 ::es::kernels::x86::emu512::cvtsepi32_epi8
#define _mm_mask_storeu_epi8 ::es::kernels::x86::emu512::mask_storeu_epi8
