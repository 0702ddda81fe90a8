// AVX-VNNI kernels (VEX-encoded vpdpbusd ymm; Alder Lake / Zen 5 and later), built with
// -mavx2 -mfma -mavxvnni. Depthwise and add reuse the AVX2 code (x86/avx2_shared.hpp).
//
// s8s8s32_igemm_6x16c4__avxvnni: 6 rows x 16 channels, 12 ymm accumulators. vpdpbusd multiplies
//   unsigned by signed bytes and sums 4 products into int32 without saturation (exact), so A
//   is presented as kU8 (q ^ 0x80 = q + 128) and the packing folds -(Z_in + 128) * sum(w).
//   Packed block: [16 int32 bias'][ks x kc4/4 x (16 outputs x 4 int8)][16 float],
//   kc4 = round_up(kc, 4).
#include "workloads/kernels/pack_c4.hpp"
#include "workloads/kernels/peak.hpp"
#include "workloads/kernels/x86/avx2_inline.hpp"
#include "workloads/kernels/x86/avx2_shared.hpp"

#include <immintrin.h>

#include <cstring>

#if defined(ES_KERNELS_EMULATE_VNNI)
// Test-only build (tests/unit/kernels compiles this file a second time with -mavx2 and this
// macro): vpdpbusd is emulated exactly with AVX2 so the packing, the u8 flip, the bias fold and
// the epilogue of this path are verified on machines without AVX-VNNI.
namespace {
inline __m256i emulated_dpbusd(__m256i acc, __m256i a, __m256i b) {
  const __m256i a_even = _mm256_and_si256(a, _mm256_set1_epi16(0x00FF));
  const __m256i a_odd = _mm256_srli_epi16(a, 8);
  const __m256i b_even = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8);
  const __m256i b_odd = _mm256_srai_epi16(b, 8);
  return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(a_even, b_even),
                                                _mm256_madd_epi16(a_odd, b_odd)));
}
} // namespace
#define ES_DPBUSD_YMM emulated_dpbusd
#define kernels_avxvnni kernels_avxvnni_emulated
#define avxvnni avxvnni_emulated
#else
#define ES_DPBUSD_YMM _mm256_dpbusd_avx_epi32
#endif

namespace es::kernels {
namespace avxvnni {
namespace {

using x86::bcast32;
using x86::requant8;
using x86::store_bytes;

constexpr std::size_t kMr = 6;
constexpr std::size_t kNr = 16;

std::size_t round4(std::size_t v) { return (v + 3) / 4 * 4; }

// Packing: pack_c4.hpp (shared with the other c4 paths; fold 128 for u8-flipped activations).
std::size_t gemm_block_bytes(std::size_t kc, std::size_t ks) { return c4_block_bytes(kNr, kc, ks); }

std::size_t gemm_packed_size(std::size_t nc, std::size_t kc, std::size_t ks) {
  return c4_packed_size(kNr, nc, kc, ks);
}

void gemm_pack(const GemmPackArgs& args, void* packed) { c4_pack(kNr, 128, args, packed); }

template <bool kFull>
void igemm_block(const IgemmArgs& args, const unsigned char* block, std::size_t quads,
                 std::int8_t* c, std::size_t nc) {
  const __m256i bias0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
  const __m256i bias1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32));
  __m256i acc[kMr][2];
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
    for (std::size_t q = 0; q < quads; ++q, w += 64) {
      const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
      const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32));
      for (std::size_t r = 0; r < kMr; ++r) {
        const __m256i v = bcast32(rows[r] + 4 * q);
        acc[r][0] = ES_DPBUSD_YMM(acc[r][0], v, b0);
        if (kFull) {
          acc[r][1] = ES_DPBUSD_YMM(acc[r][1], v, b1);
        }
      }
    }
  }
  const auto* sp = reinterpret_cast<const float*>(w);
  const __m256 s0 = _mm256_loadu_ps(sp);
  const __m256 s1 = _mm256_loadu_ps(sp + 8);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(args.rq.output_min - args.rq.output_zero_point));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(args.rq.output_max - args.rq.output_zero_point));
  const __m256i zp = _mm256_set1_epi16(static_cast<short>(args.rq.output_zero_point));
  for (std::size_t r = 0; r < args.mr; ++r) {
    const __m256i q0 = requant8(acc[r][0], s0, lo, hi);
    const __m256i q1 = kFull ? requant8(acc[r][1], s1, lo, hi) : q0;
    const __m256i p16 = _mm256_adds_epi16(_mm256_packs_epi32(q0, q1), zp);
    const __m256i p8 = _mm256_packs_epi16(p16, p16);
    const __m128i bytes =
        _mm_unpacklo_epi32(_mm256_castsi256_si128(p8), _mm256_extracti128_si256(p8, 1));
    store_bytes(c + r * args.c_row_stride, bytes, nc);
  }
}

void igemm(const IgemmArgs& args) {
  note_kernel_use(Isa::kAvxVnni, KernelKind::kIgemm);
  const std::size_t quads = round4(args.kc) / 4;
  const std::size_t block_bytes = gemm_block_bytes(args.kc, args.ks);
  const auto* block = static_cast<const unsigned char*>(args.packed_w);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr, block += block_bytes) {
    const std::size_t n = args.nc - n0 < kNr ? args.nc - n0 : kNr;
    if (n > 8) {
      igemm_block<true>(args, block, quads, args.c + n0, n);
    } else {
      igemm_block<false>(args, block, quads, args.c + n0, n);
    }
  }
}

void convert_a(std::size_t rows, std::size_t channels, const std::int8_t* src, std::size_t src_stride,
               void* dst, std::size_t dst_stride) {
  note_kernel_use(Isa::kAvxVnni, KernelKind::kConvert);
  auto* out = static_cast<std::uint8_t*>(dst);
  const std::size_t padded = round4(channels);
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int8_t* s = src + r * src_stride;
    std::uint8_t* d = out + r * dst_stride;
    std::size_t c = 0;
    for (; c + 32 <= channels; c += 32) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + c));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + c), _mm256_xor_si256(v, flip));
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
  note_kernel_use(Isa::kAvxVnni, KernelKind::kDwconv);
  avx2::dwconv_impl(args);
}

void vadd(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y, const AddParams& p) {
  note_kernel_use(Isa::kAvxVnni, KernelKind::kVadd);
  avx2::vadd_impl(n, a, b, y, p);
}

void maxpool(const MaxPoolArgs& args) {
  note_kernel_use(Isa::kAvxVnni, KernelKind::kMaxpool);
  avx2::maxpool_impl(args);
}

// 12 vpdpbusd ymm chains (32 MACs each).
double peak(double seconds) {
  __m256i a0 = _mm256_set1_epi32(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  __m256i a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  const __m256i x = _mm256_set1_epi8(3);
  const __m256i y = _mm256_set1_epi8(5);
  const double start = thread_cpu_seconds();
  double elapsed = 0.0;
  std::uint64_t iterations = 0;
  do {
    for (int it = 0; it < 100000; ++it) {
      a0 = ES_DPBUSD_YMM(a0, x, y);
      a1 = ES_DPBUSD_YMM(a1, x, y);
      a2 = ES_DPBUSD_YMM(a2, x, y);
      a3 = ES_DPBUSD_YMM(a3, x, y);
      a4 = ES_DPBUSD_YMM(a4, x, y);
      a5 = ES_DPBUSD_YMM(a5, x, y);
      a6 = ES_DPBUSD_YMM(a6, x, y);
      a7 = ES_DPBUSD_YMM(a7, x, y);
      a8 = ES_DPBUSD_YMM(a8, x, y);
      a9 = ES_DPBUSD_YMM(a9, x, y);
      a10 = ES_DPBUSD_YMM(a10, x, y);
      a11 = ES_DPBUSD_YMM(a11, x, y);
    }
    iterations += 100000;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < seconds);
  __m256i sum = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                 _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
  sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_add_epi32(a8, a9), _mm256_add_epi32(a10, a11)));
  volatile int sink = _mm256_extract_epi32(sum, 0);
  (void)sink;
  return static_cast<double>(iterations) * 12.0 * 32.0 / elapsed;
}

KernelSet make_set() {
  KernelSet s;
  s.isa = Isa::kAvxVnni;
  s.igemm_name = "s8s8s32_igemm_6x16c4__avxvnni";
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
  s.peak_instruction = "vpdpbusd ymm";
  s.maxpool = maxpool;
  return s;
}

} // namespace
} // namespace avxvnni

const KernelSet* kernels_avxvnni() {
  static const KernelSet set = avxvnni::make_set();
  return &set;
}

} // namespace es::kernels
