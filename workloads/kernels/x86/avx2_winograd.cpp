// AVX2 Winograd F(2x2, 3x3) stages (compiled with -mavx2 -mfma, like avx2.cpp). The algebra,
// the exactness argument and the data layout are in winograd.hpp; here only the SIMD.
//
// wino_input:  16 channels per step: the 4x4 window's pixels widened to int16, Z_in subtracted
//              (|d| <= 255), B^T d B with 32 int16 add/sub (|V| <= 1020, no wrap).
// gemm16:      s16s16s32_gemm_3x32c2__avx2: the IGEMM's 3x32 register tile (12 accumulators,
//              one vpbroadcastd per row and channel pair, weights as memory operands), plain
//              int16 rows in and int32 rows out (no bias, no requantization); narrow blocks
//              skip their padding columns.
// wino_output: 8 channels per vector: A^T M A (int32, wrapping), an arithmetic shift by 2 (exact:
//              the sum is 4 * the true accumulator), + bias, then the IGEMM's fp32 epilogue
//              (vcvtdq2ps, vmulps, clamp above, vcvtps2dq, saturating packs + Z_out, clamp below).
#include "workloads/kernels/microkernels.hpp"
#include "workloads/kernels/x86/avx2_inline.hpp"
#include "workloads/kernels/x86/avx2_shared.hpp"

#include <immintrin.h>

#include <cstring>

namespace es::kernels::avx2 {
namespace {

using x86::madd_pairs_3x32;
using x86::pack16;
using x86::quant8_unclamped;
using x86::quant8_upper;
using x86::store_bytes;

constexpr std::size_t kWinoMr = 3;
constexpr std::size_t kWinoNr = 32;

std::size_t wino_block_bytes(std::size_t kc) { return (kc + 1) / 2 * kWinoNr * 4; }

std::size_t gemm16_packed_size(std::size_t nc, std::size_t kc) {
  return (nc + kWinoNr - 1) / kWinoNr * wino_block_bytes(kc);
}

// Blocks of 32 output channels: [kc pairs][32 channels][2] int16, zero beyond nc and kc.
void gemm16_pack(std::size_t nc, std::size_t kc, const std::int16_t* u, void* packed) {
  const std::size_t pairs = (kc + 1) / 2;
  auto* out = static_cast<std::int16_t*>(packed);
  for (std::size_t n0 = 0; n0 < nc; n0 += kWinoNr) {
    std::int16_t* w = out + n0 / kWinoNr * pairs * kWinoNr * 2;
    std::memset(w, 0, wino_block_bytes(kc));
    for (std::size_t j = 0; j < kWinoNr && n0 + j < nc; ++j) {
      for (std::size_t k = 0; k < kc; ++k) {
        w[((k / 2) * kWinoNr + j) * 2 + k % 2] = u[(n0 + j) * kc + k];
      }
    }
  }
}

// ------------------------------------------------------------------------------------------
// Input transform

// The kRows input rows of one row of tiles, read 16 channels at a time as int16 with Z_in
// subtracted (|d| <= 255); pixels outside the image read as 0, i.e. as Z_in.
// F(2,3)'s B^T over the 4 rows of column j: r[i][j] for i < 4 (|r| <= 510).
template <std::size_t kCols>
inline void f23_rows(const __m256i* d, __m256i (&r)[4][kCols], int j) {
  r[0][j] = _mm256_sub_epi16(d[0], d[2]);
  r[1][j] = _mm256_add_epi16(d[1], d[2]);
  r[2][j] = _mm256_sub_epi16(d[2], d[1]);
  r[3][j] = _mm256_sub_epi16(d[1], d[3]);
}

template <int kRows>
struct WindowRows {
  explicit WindowRows(const WinoInputArgs& a)
      : zp(_mm256_set1_epi16(static_cast<short>(a.zero_point))), stride(a.input_stride), in_w(a.in_w) {
    for (int i = 0; i < kRows; ++i) {
      const int y = a.y0 + i;
      row[i] = y >= 0 && y < a.in_h
                   ? a.input + static_cast<std::size_t>(y) * static_cast<std::size_t>(a.in_w) * a.input_stride
                   : nullptr;
    }
  }
  // d[i] = channels [c0, c0 + 16) of window row i at input column x.
  void column(int x, std::size_t c0, __m256i* d) const {
    const bool in = x >= 0 && x < in_w;
    for (int i = 0; i < kRows; ++i) {
      d[i] = in && row[i] != nullptr
                 ? _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
                                        row[i] + static_cast<std::size_t>(x) * stride + c0))),
                                    zp)
                 : _mm256_setzero_si256();
    }
  }
  const std::int8_t* row[kRows];
  __m256i zp;
  std::size_t stride;
  int in_w;
};

void wino_input(const WinoInputArgs& a) {
  note_kernel_use(Isa::kAvx2, KernelKind::kWinograd);
  const WindowRows<4> w(a);
  for (std::size_t t = 0; t < a.tiles; ++t) {
    const int xl = a.x0 + 2 * static_cast<int>(t);
    std::int16_t* v = a.v + t * a.row_stride;
    for (std::size_t c0 = 0; c0 < a.channels; c0 += 16) {
      // r = B^T d (over rows i), one column j at a time, then V = r B (over columns).
      __m256i r[4][4];
      for (int j = 0; j < 4; ++j) {
        __m256i d[4];
        w.column(xl + j, c0, d);
        f23_rows(d, r, j);
      }
      for (int i = 0; i < 4; ++i) {
        std::int16_t* o = v + static_cast<std::size_t>(i * 4) * a.plane_stride + c0;
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm256_sub_epi16(r[i][0], r[i][2]));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + a.plane_stride), _mm256_add_epi16(r[i][1], r[i][2]));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 2 * a.plane_stride), _mm256_sub_epi16(r[i][2], r[i][1]));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 3 * a.plane_stride), _mm256_sub_epi16(r[i][1], r[i][3]));
      }
    }
  }
}

// F(2x4, 3x3): 4x6 windows. Columns get F(4,3)'s B^T (entries up to 5, written as shifts and
// adds), rows F(2,3)'s: |V| <= 2 * 10 * 255 = 5100, and every intermediate stays below that.
void wino24_input(const WinoInputArgs& a) {
  note_kernel_use(Isa::kAvx2, KernelKind::kWinograd);
  const WindowRows<4> w(a);
  for (std::size_t t = 0; t < a.tiles; ++t) {
    const int xl = a.x0 + 4 * static_cast<int>(t);
    std::int16_t* v = a.v + t * a.row_stride;
    for (std::size_t c0 = 0; c0 < a.channels; c0 += 16) {
      __m256i r[4][6]; // F(2,3) B^T over the rows, per column
      for (int j = 0; j < 6; ++j) {
        __m256i d[4];
        w.column(xl + j, c0, d);
        f23_rows(d, r, j);
      }
      for (int i = 0; i < 4; ++i) {
        const __m256i* x = r[i];
        const __m256i d42 = _mm256_sub_epi16(x[4], x[2]);
        const __m256i d31 = _mm256_sub_epi16(x[3], x[1]);
        const __m256i t0 = _mm256_add_epi16(_mm256_slli_epi16(_mm256_sub_epi16(x[0], x[2]), 2), d42);
        const __m256i t1 = _mm256_sub_epi16(_mm256_add_epi16(x[3], x[4]), _mm256_slli_epi16(_mm256_add_epi16(x[1], x[2]), 2));
        const __m256i t2 = _mm256_add_epi16(_mm256_sub_epi16(x[4], x[3]), _mm256_slli_epi16(_mm256_sub_epi16(x[1], x[2]), 2));
        const __m256i t3 = _mm256_add_epi16(d42, _mm256_slli_epi16(d31, 1));
        const __m256i t4 = _mm256_sub_epi16(d42, _mm256_slli_epi16(d31, 1));
        const __m256i t5 = _mm256_add_epi16(_mm256_slli_epi16(_mm256_sub_epi16(x[1], x[3]), 2), _mm256_sub_epi16(x[5], x[3]));
        std::int16_t* o = v + static_cast<std::size_t>(i * 6) * a.plane_stride + c0;
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), t0);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + a.plane_stride), t1);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 2 * a.plane_stride), t2);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 3 * a.plane_stride), t3);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 4 * a.plane_stride), t4);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 5 * a.plane_stride), t5);
      }
    }
  }
}

// Stride 2: a 2x2 output tile reads a 5x5 window; per dimension the even taps (g0, g2) on the
// even window positions are an integer F(2,2) and the odd tap g1 is direct:
// [d0 - d2, d2, d4 - d2, d1, d3]. |V| <= 4 * 255 = 1020.
void wino_s2_input(const WinoInputArgs& a) {
  note_kernel_use(Isa::kAvx2, KernelKind::kWinograd);
  const WindowRows<5> w(a);
  for (std::size_t t = 0; t < a.tiles; ++t) {
    const int xl = a.x0 + 4 * static_cast<int>(t);
    std::int16_t* v = a.v + t * a.row_stride;
    for (std::size_t c0 = 0; c0 < a.channels; c0 += 16) {
      __m256i r[5][5]; // the row transform, per column
      for (int j = 0; j < 5; ++j) {
        __m256i d[5];
        w.column(xl + j, c0, d);
        r[0][j] = _mm256_sub_epi16(d[0], d[2]);
        r[1][j] = d[2];
        r[2][j] = _mm256_sub_epi16(d[4], d[2]);
        r[3][j] = d[1];
        r[4][j] = d[3];
      }
      for (int i = 0; i < 5; ++i) {
        std::int16_t* o = v + static_cast<std::size_t>(i * 5) * a.plane_stride + c0;
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm256_sub_epi16(r[i][0], r[i][2]));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + a.plane_stride), r[i][2]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 2 * a.plane_stride), _mm256_sub_epi16(r[i][4], r[i][2]));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 3 * a.plane_stride), r[i][1]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 4 * a.plane_stride), r[i][3]);
      }
    }
  }
}

// ------------------------------------------------------------------------------------------
// GEMM: int16 rows x packed int16 -> int32 rows.

// kRows rows (1..3) x kCols vectors of 8 channels (1..4; narrow layers skip padding columns).
template <std::size_t kRows, std::size_t kCols>
void wgemm_block(const Gemm16Args& a, const std::int16_t* w, std::size_t pairs, std::int32_t* c) {
  __m256i acc[kRows][kCols];
  #pragma GCC unroll 4
  for (std::size_t r = 0; r < kRows; ++r) {
    #pragma GCC unroll 4
    for (std::size_t j = 0; j < kCols; ++j) {
      acc[r][j] = _mm256_setzero_si256();
    }
  }
  const std::int16_t* rows[kRows];
  #pragma GCC unroll 4
  for (std::size_t r = 0; r < kRows; ++r) {
    rows[r] = a.a + r * a.a_stride;
  }
  static_assert(kWinoNr == 32, "madd_pairs_3x32 steps 32 outputs x 2 per pair");
  madd_pairs_3x32(acc, rows, pairs, w);
  #pragma GCC unroll 4
  for (std::size_t r = 0; r < kRows; ++r) {
    #pragma GCC unroll 4
    for (std::size_t j = 0; j < kCols; ++j) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * a.c_stride + 8 * j), acc[r][j]);
    }
  }
}

template <std::size_t kRows>
void wgemm_rows(const Gemm16Args& a, const std::int16_t* w, std::size_t pairs, std::int32_t* c,
                std::size_t n) {
  if (n > 24) {
    wgemm_block<kRows, 4>(a, w, pairs, c);
  } else if (n > 16) {
    wgemm_block<kRows, 3>(a, w, pairs, c);
  } else if (n > 8) {
    wgemm_block<kRows, 2>(a, w, pairs, c);
  } else {
    wgemm_block<kRows, 1>(a, w, pairs, c);
  }
}

void gemm16(const Gemm16Args& a) {
  const std::size_t pairs = (a.kc + 1) / 2;
  const std::size_t block_elems = pairs * kWinoNr * 2;
  const auto* w = static_cast<const std::int16_t*>(a.packed_u);
  for (std::size_t n0 = 0; n0 < a.nc; n0 += kWinoNr, w += block_elems) {
    const std::size_t n = a.nc - n0 < kWinoNr ? a.nc - n0 : kWinoNr;
    if (a.mr >= 3) {
      wgemm_rows<3>(a, w, pairs, a.c + n0, n);
    } else if (a.mr == 2) {
      wgemm_rows<2>(a, w, pairs, a.c + n0, n);
    } else {
      wgemm_rows<1>(a, w, pairs, a.c + n0, n);
    }
  }
}

// ------------------------------------------------------------------------------------------
// Output transform and requantization

// Drives an output stage over a run of tiles of 2 rows x kCols output columns. For 8 channels,
// `transform(p, plane_stride, acc)` turns the tile's M planes at p (element e at
// p + e * plane_stride) into the exact int32 accumulators acc[row][col] without bias; this adds
// the bias, requantizes as the IGEMM does, and stores the pixels inside the output.
// kBounded: RequantParams::bounded_scale (the upper clamp moves after the packs).
template <std::size_t kCols, bool kBounded, typename Transform>
void output_stage_impl(const WinoOutputArgs& a, Transform transform) {
  const __m256 hi = _mm256_set1_ps(static_cast<float>(a.rq.output_max - a.rq.output_zero_point));
  const __m256i zp = _mm256_set1_epi16(static_cast<short>(a.rq.output_zero_point));
  const __m128i out_min = _mm_set1_epi8(static_cast<char>(a.rq.output_min));
  const __m128i out_max = _mm_set1_epi8(static_cast<char>(a.rq.output_max));
  for (std::size_t t = 0; t < a.tiles; ++t) {
    const std::size_t ox = kCols * t;
    const std::size_t cols = a.out_w - ox < kCols ? a.out_w - ox : kCols;
    const std::int32_t* m = a.m + t * a.row_stride;
    for (std::size_t c0 = 0; c0 < a.channels; c0 += 16) {
      __m256i q[2][2][kCols]; // [8-channel half][output row][output column]
      for (std::size_t h = 0; h < 2; ++h) {
        const std::size_t c = c0 + 8 * h;
        __m256i acc[2][kCols];
        transform(m + c, a.plane_stride, acc);
        const __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bias + c));
        const __m256 scale = _mm256_loadu_ps(a.scale + c);
        for (std::size_t i = 0; i < 2; ++i) {
          for (std::size_t j = 0; j < kCols; ++j) {
            const __m256i v = _mm256_add_epi32(acc[i][j], bias);
            q[h][i][j] = kBounded ? quant8_unclamped(v, scale) : quant8_upper(v, scale, hi);
          }
        }
      }
      const std::size_t n = a.channels - c0 < 16 ? a.channels - c0 : 16;
      for (std::size_t i = 0; i < a.rows; ++i) {
        for (std::size_t j = 0; j < cols; ++j) {
          store_bytes(a.output + (i * a.row_pitch + ox + j) * a.output_stride + c0,
                      pack16<kBounded>(q[0][i][j], q[1][i][j], zp, out_min, out_max), n);
        }
      }
    }
  }
}

template <std::size_t kCols, typename Transform>
void output_stage(const WinoOutputArgs& a, Transform transform) {
  if (a.rq.bounded_scale) {
    output_stage_impl<kCols, true>(a, transform);
  } else {
    output_stage_impl<kCols, false>(a, transform);
  }
}

inline __m256i load_plane(const std::int32_t* p, std::size_t e, std::size_t plane_stride) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + e * plane_stride));
}

// F(2,3)'s A^T on one 4-vector: y0 = x0 + x1 + x2, y1 = x1 - x2 - x3 (wrapping int32).
inline void f23_at(__m256i x0, __m256i x1, __m256i x2, __m256i x3, __m256i& y0, __m256i& y1) {
  y0 = _mm256_add_epi32(_mm256_add_epi32(x0, x1), x2);
  y1 = _mm256_sub_epi32(_mm256_sub_epi32(x1, x2), x3);
}

// F(2,3)'s A^T over the 4 rows of a 4 x kW tile of planes (row r is planes r kW .. r kW + kW - 1),
// shared by F(2x2) (kW = 4) and F(2x4) (kW = 6).
template <std::size_t kW>
inline void f23_at_rows(const std::int32_t* p, std::size_t ps, __m256i (&s)[2][kW]) {
  for (std::size_t j = 0; j < kW; ++j) {
    f23_at(load_plane(p, j, ps), load_plane(p, kW + j, ps), load_plane(p, 2 * kW + j, ps),
           load_plane(p, 3 * kW + j, ps), s[0][j], s[1][j]);
  }
}

// F(2x2): A^T M A (wrapping int32) is 4 * y exactly (winograd.hpp); the shift by 2 is exact.
void wino_output(const WinoOutputArgs& a) {
  output_stage<2>(a, [](const std::int32_t* p, std::size_t ps, __m256i (&acc)[2][2]) {
    __m256i s[2][4]; // A^T M over the rows
    f23_at_rows(p, ps, s);
    for (std::size_t i = 0; i < 2; ++i) { // ... then over the columns
      __m256i y0;
      __m256i y1;
      f23_at(s[i][0], s[i][1], s[i][2], s[i][3], y0, y1);
      acc[i][0] = _mm256_srai_epi32(y0, 2);
      acc[i][1] = _mm256_srai_epi32(y1, 2);
    }
  });
}

// F(2x4): F(2,3)'s A^T over the rows, F(4,3)'s over the columns (entries up to 8), giving
// 48 * y mod 2^32. 48 = 3 * 16: multiplying by 3^-1 mod 2^32 (0xAAAAAAAB, vpmulld keeps the low
// 32 bits) gives 16 * y mod 2^32, which is 16 * y when |16 y| < 2^31 (C_in <= 460, see
// winograd.hpp), and the arithmetic shift by 4 is then exact.
void wino24_output(const WinoOutputArgs& a) {
  output_stage<4>(a, [](const std::int32_t* p, std::size_t ps, __m256i (&acc)[2][4]) {
    const __m256i inv3 = _mm256_set1_epi32(static_cast<int>(0xAAAAAAABu));
    __m256i s[2][6]; // A^T M over the 4 rows
    f23_at_rows(p, ps, s);
    for (std::size_t i = 0; i < 2; ++i) {
      const __m256i* x = s[i];
      const __m256i a12 = _mm256_add_epi32(x[1], x[2]);
      const __m256i s12 = _mm256_sub_epi32(x[1], x[2]);
      const __m256i a34 = _mm256_add_epi32(x[3], x[4]);
      const __m256i s34 = _mm256_sub_epi32(x[3], x[4]);
      const __m256i y[4] = {_mm256_add_epi32(_mm256_add_epi32(x[0], a12), a34),
                            _mm256_add_epi32(s12, _mm256_slli_epi32(s34, 1)),
                            _mm256_add_epi32(a12, _mm256_slli_epi32(a34, 2)),
                            _mm256_add_epi32(_mm256_add_epi32(s12, _mm256_slli_epi32(s34, 3)), x[5])};
      for (std::size_t j = 0; j < 4; ++j) {
        acc[i][j] = _mm256_srai_epi32(_mm256_mullo_epi32(y[j], inv3), 4);
      }
    }
  });
}

// Stride 2: y0 = p0 + p1 + p3, y1 = p1 + p2 + p4 per dimension; no scaling, so the wrapping
// int32 result is the direct accumulator itself.
void wino_s2_output(const WinoOutputArgs& a) {
  output_stage<2>(a, [](const std::int32_t* p, std::size_t ps, __m256i (&acc)[2][2]) {
    __m256i s[2][5];
    for (std::size_t j = 0; j < 5; ++j) {
      const __m256i m0 = load_plane(p, j, ps);
      const __m256i m1 = load_plane(p, 5 + j, ps);
      const __m256i m2 = load_plane(p, 10 + j, ps);
      const __m256i m3 = load_plane(p, 15 + j, ps);
      const __m256i m4 = load_plane(p, 20 + j, ps);
      s[0][j] = _mm256_add_epi32(_mm256_add_epi32(m0, m1), m3);
      s[1][j] = _mm256_add_epi32(_mm256_add_epi32(m1, m2), m4);
    }
    for (std::size_t i = 0; i < 2; ++i) {
      acc[i][0] = _mm256_add_epi32(_mm256_add_epi32(s[i][0], s[i][1]), s[i][3]);
      acc[i][1] = _mm256_add_epi32(_mm256_add_epi32(s[i][1], s[i][2]), s[i][4]);
    }
  });
}

} // namespace

void add_winograd(KernelSet& set) {
  set.gemm16_name = "s16s16s32_gemm_3x32c2__avx2";
  set.gemm16_mr = kWinoMr;
  set.gemm16_nr = kWinoNr;
  set.gemm16_packed_size = gemm16_packed_size;
  set.gemm16_pack = gemm16_pack;
  set.wino_input = wino_input;
  set.gemm16 = gemm16;
  set.wino_output = wino_output;
  set.wino24_input = wino24_input;
  set.wino24_output = wino24_output;
  set.wino_s2_input = wino_s2_input;
  set.wino_s2_output = wino_s2_output;
}

} // namespace es::kernels::avx2
