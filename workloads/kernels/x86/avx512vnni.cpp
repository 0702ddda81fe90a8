// AVX-512 VNNI kernels (vpdpbusd zmm; Cascade Lake, Ice Lake, Sapphire Rapids, Zen 4/5), built
// with -mavx512f -mavx512bw -mavx512vl -mavx512vnni. Depthwise and add reuse the AVX2 code.
//
// s8s8s32_igemm_8x32c4__avx512vnni: 8 rows x 32 channels, 16 zmm accumulators; per group of 4
//   input channels: 2 weight loads (64 bytes each = 16 outputs x 4 int8), 8 vpbroadcastd,
//   16 vpdpbusd. vpdpbusd is u8 x s8 summed into int32 without saturation (exact); A is kU8
//   (q ^ 0x80 = q + 128) and the packing folds -(Z_in + 128) * sum(w) into the bias.
//   Packed block: [32 int32 bias'][ks x kc4/4 x (32 outputs x 4 int8)][32 float].
//   Epilogue: cvtdq2ps, mulps, clamp, cvtps2dq (ties to even), +Z, vpmovsdb, masked store.
#include "workloads/kernels/pack_c4.hpp"
#include "workloads/kernels/peak.hpp"
#include "workloads/kernels/x86/avx2_shared.hpp"

#include <immintrin.h>

#include <cstring>

#if defined(ES_KERNELS_EMULATE_AVX512)
// Test-only build (tests/unit/kernels compiles this file a second time with -mavx2 and this
// macro): the AVX-512 intrinsics below are scalar emulations, so this path's packing, u8 flip,
// bias fold, tiling and epilogue are verified on machines without AVX-512.
#include "workloads/kernels/x86/avx512_emulation.hpp"
#define kernels_avx512vnni kernels_avx512vnni_emulated
#define avx512vnni avx512vnni_emulated
#endif

namespace es::kernels {
namespace avx512vnni {
namespace {

constexpr std::size_t kMr = 8;
constexpr std::size_t kNr = 32;

std::size_t round4(std::size_t v) { return (v + 3) / 4 * 4; }

// Packing: pack_c4.hpp (shared with the other c4 paths; fold 128 for u8-flipped activations).
std::size_t gemm_block_bytes(std::size_t kc, std::size_t ks) { return c4_block_bytes(kNr, kc, ks); }

std::size_t gemm_packed_size(std::size_t nc, std::size_t kc, std::size_t ks) {
  return c4_packed_size(kNr, nc, kc, ks);
}

void gemm_pack(const GemmPackArgs& args, void* packed) { c4_pack(kNr, 128, args, packed); }

inline __m512i bcast4(const std::uint8_t* p) {
  std::int32_t v = 0;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Requantizes 16 accumulators and stores the first n (<= 16) bytes.
inline void requant_store(__m512i acc, __m512 scale, __m512 lo, __m512 hi, __m512i zp, std::int8_t* dst,
                          std::size_t n) {
  __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
  f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
  const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f), zp);
  const __m128i bytes = _mm512_cvtsepi32_epi8(q);
  if (n >= 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), bytes);
  } else {
    _mm_mask_storeu_epi8(dst, static_cast<__mmask16>((1u << n) - 1u), bytes);
  }
}

template <bool kFull>
void igemm_block(const IgemmArgs& args, const unsigned char* block, std::size_t quads,
                 std::int8_t* c, std::size_t nc) {
  const __m512i bias0 = _mm512_loadu_si512(block);
  const __m512i bias1 = _mm512_loadu_si512(block + 64);
  __m512i acc[kMr][2];
  for (std::size_t r = 0; r < kMr; ++r) {
    acc[r][0] = bias0;
    acc[r][1] = bias1;
  }
  const auto* w = block + kNr * 4;
  for (std::size_t t = 0; t < args.ks; ++t) {
    const std::uint8_t* rows[kMr];
    for (std::size_t r = 0; r < kMr; ++r) {
      const void* p = args.a[t * kMr + r];
      rows[r] = static_cast<const std::uint8_t*>(p) + (p == args.zero ? 0 : args.a_offset);
    }
    for (std::size_t q = 0; q < quads; ++q, w += 128) {
      const __m512i b0 = _mm512_load_si512(w);
      const __m512i b1 = _mm512_load_si512(w + 64);
      for (std::size_t r = 0; r < kMr; ++r) {
        const __m512i v = bcast4(rows[r] + 4 * q);
        acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], v, b0);
        if (kFull) {
          acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], v, b1);
        }
      }
    }
  }
  const auto* sp = reinterpret_cast<const float*>(w);
  const __m512 s0 = _mm512_loadu_ps(sp);
  const __m512 s1 = _mm512_loadu_ps(sp + 16);
  const __m512 lo = _mm512_set1_ps(static_cast<float>(args.rq.output_min - args.rq.output_zero_point));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(args.rq.output_max - args.rq.output_zero_point));
  const __m512i zp = _mm512_set1_epi32(args.rq.output_zero_point);
  for (std::size_t r = 0; r < args.mr; ++r) {
    std::int8_t* dst = c + r * args.c_row_stride;
    requant_store(acc[r][0], s0, lo, hi, zp, dst, nc < 16 ? nc : 16);
    if (kFull) {
      requant_store(acc[r][1], s1, lo, hi, zp, dst + 16, nc - 16);
    }
  }
}

void igemm(const IgemmArgs& args) {
  note_kernel_use(Isa::kAvx512Vnni, KernelKind::kIgemm);
  const std::size_t quads = round4(args.kc) / 4;
  const std::size_t block_bytes = gemm_block_bytes(args.kc, args.ks);
  const auto* block = static_cast<const unsigned char*>(args.packed_w);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr, block += block_bytes) {
    const std::size_t n = args.nc - n0 < kNr ? args.nc - n0 : kNr;
    if (n > 16) {
      igemm_block<true>(args, block, quads, args.c + n0, n);
    } else {
      igemm_block<false>(args, block, quads, args.c + n0, n);
    }
  }
}

void convert_a(std::size_t rows, std::size_t channels, const std::int8_t* src, std::size_t src_stride,
               void* dst, std::size_t dst_stride) {
  note_kernel_use(Isa::kAvx512Vnni, KernelKind::kConvert);
  auto* out = static_cast<std::uint8_t*>(dst);
  const std::size_t padded = round4(channels);
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int8_t* s = src + r * src_stride;
    std::uint8_t* d = out + r * dst_stride;
    std::size_t c = 0;
    for (; c + 64 <= channels; c += 64) {
      _mm512_storeu_si512(d + c, _mm512_xor_si512(_mm512_loadu_si512(s + c), flip));
    }
    for (; c < channels; ++c) {
      d[c] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(s[c]) ^ 0x80u);
    }
    for (; c < padded; ++c) {
      d[c] = 0;
    }
  }
}

void dwconv(const DwconvArgs& args) {
  note_kernel_use(Isa::kAvx512Vnni, KernelKind::kDwconv);
  avx2::dwconv_impl(args);
}

void vadd(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y, const AddParams& p) {
  note_kernel_use(Isa::kAvx512Vnni, KernelKind::kVadd);
  avx2::vadd_impl(n, a, b, y, p);
}

void maxpool(const MaxPoolArgs& args) {
  note_kernel_use(Isa::kAvx512Vnni, KernelKind::kMaxpool);
  avx2::maxpool_impl(args);
}

// 12 vpdpbusd zmm chains (64 MACs each).
double peak(double seconds) {
  __m512i a0 = _mm512_set1_epi32(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  __m512i a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  const __m512i x = _mm512_set1_epi8(3);
  const __m512i y = _mm512_set1_epi8(5);
  const double start = thread_cpu_seconds();
  double elapsed = 0.0;
  std::uint64_t iterations = 0;
  do {
    for (int it = 0; it < 100000; ++it) {
      a0 = _mm512_dpbusd_epi32(a0, x, y);
      a1 = _mm512_dpbusd_epi32(a1, x, y);
      a2 = _mm512_dpbusd_epi32(a2, x, y);
      a3 = _mm512_dpbusd_epi32(a3, x, y);
      a4 = _mm512_dpbusd_epi32(a4, x, y);
      a5 = _mm512_dpbusd_epi32(a5, x, y);
      a6 = _mm512_dpbusd_epi32(a6, x, y);
      a7 = _mm512_dpbusd_epi32(a7, x, y);
      a8 = _mm512_dpbusd_epi32(a8, x, y);
      a9 = _mm512_dpbusd_epi32(a9, x, y);
      a10 = _mm512_dpbusd_epi32(a10, x, y);
      a11 = _mm512_dpbusd_epi32(a11, x, y);
    }
    iterations += 100000;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < seconds);
  __m512i sum = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                                 _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));
  sum = _mm512_add_epi32(sum, _mm512_add_epi32(_mm512_add_epi32(a8, a9), _mm512_add_epi32(a10, a11)));
  volatile int sink = _mm512_reduce_add_epi32(sum);
  (void)sink;
  return static_cast<double>(iterations) * 12.0 * 64.0 / elapsed;
}

KernelSet make_set() {
  KernelSet s;
  s.isa = Isa::kAvx512Vnni;
  s.igemm_name = "s8s8s32_igemm_8x32c4__avx512vnni";
  s.dwconv_name = "s8s8s32_dwconv_16c2__avx2";
  s.mr = kMr;
  s.nr = kNr;
  s.kc_align = 4;
  s.a_format = AFormat::kU8;
  s.gemm_packed_size = gemm_packed_size;
  s.gemm_pack = gemm_pack;
  s.igemm = igemm;
  s.convert_a = convert_a;
  s.dw_channel_tile = 16;
  s.dwconv_packed_size = avx2::dwconv_packed_size_impl;
  s.dwconv_pack = avx2::dwconv_pack_impl;
  s.dwconv = dwconv;
  s.vadd = vadd;
  s.peak_macs_per_second = peak;
  s.peak_instruction = "vpdpbusd zmm";
  s.maxpool = maxpool;
  return s;
}

} // namespace
} // namespace avx512vnni

const KernelSet* kernels_avx512vnni() {
  static const KernelSet set = avx512vnni::make_set();
  return &set;
}

} // namespace es::kernels
