// AArch64 dot-product kernels (SDOT; Cortex-A55/A76 and later), built with
// -march=armv8.2-a+dotprod. Only the IGEMM uses SDOT; depthwise and add reuse arm/neon.cpp.
//
// s8s8s32_igemm_4x16c4__neondot: 4 rows x 16 channels, 16 int32x4 accumulators. Each A row
//   loads 16 int8 (4 groups of 4 input channels); SDOT by lane multiplies one group by the
//   4-channel x 4-output weight vectors. int8 x int8 summed in int32: exact, no zero-point
//   flip needed. Packed block: [16 int32 bias'][ks x kc4/4 x (16 outputs x 4 int8)][16 float],
//   kc4 = round_up(kc, 4). A rows may be read up to 12 bytes past kc4 (values unused).
#include "workloads/kernels/arm/neon_shared.hpp"
#include "workloads/kernels/pack_c4.hpp"
#include "workloads/kernels/peak.hpp"

#include <arm_neon.h>

#include <cstring>

namespace es::kernels {
namespace neondot {
namespace {

constexpr std::size_t kMr = 4;
constexpr std::size_t kNr = 16;

std::size_t round4(std::size_t v) { return (v + 3) / 4 * 4; }

// Packing: pack_c4.hpp (shared with the other c4 paths; fold 0 for signed activations).
std::size_t gemm_block_bytes(std::size_t kc, std::size_t ks) { return c4_block_bytes(kNr, kc, ks); }

std::size_t gemm_packed_size(std::size_t nc, std::size_t kc, std::size_t ks) {
  return c4_packed_size(kNr, nc, kc, ks);
}

void gemm_pack(const GemmPackArgs& args, void* packed) { c4_pack(kNr, 0, args, packed); }

struct Acc {
  int32x4_t v[kMr][4];
};

template <int L>
inline void quad(Acc& acc, const int8x16_t (&a)[kMr], const std::int8_t* w) {
  const int8x16_t w0 = vld1q_s8(w);
  const int8x16_t w1 = vld1q_s8(w + 16);
  const int8x16_t w2 = vld1q_s8(w + 32);
  const int8x16_t w3 = vld1q_s8(w + 48);
  for (std::size_t r = 0; r < kMr; ++r) {
    acc.v[r][0] = vdotq_laneq_s32(acc.v[r][0], w0, a[r], L);
    acc.v[r][1] = vdotq_laneq_s32(acc.v[r][1], w1, a[r], L);
    acc.v[r][2] = vdotq_laneq_s32(acc.v[r][2], w2, a[r], L);
    acc.v[r][3] = vdotq_laneq_s32(acc.v[r][3], w3, a[r], L);
  }
}

void igemm(const IgemmArgs& args) {
  note_kernel_use(Isa::kNeonDot, KernelKind::kIgemm);
  const std::size_t quads = round4(args.kc) / 4;
  const std::size_t block_bytes = gemm_block_bytes(args.kc, args.ks);
  const auto* block = static_cast<const unsigned char*>(args.packed_w);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr, block += block_bytes) {
    Acc acc;
    const auto* bias = reinterpret_cast<const std::int32_t*>(block);
    for (std::size_t r = 0; r < kMr; ++r) {
      for (int j = 0; j < 4; ++j) {
        acc.v[r][j] = vld1q_s32(bias + 4 * j);
      }
    }
    const auto* w = reinterpret_cast<const std::int8_t*>(block + kNr * 4);
    for (std::size_t t = 0; t < args.ks; ++t) {
      const std::int8_t* rows[kMr];
      for (std::size_t r = 0; r < kMr; ++r) {
        const void* p = args.a[t * kMr + r];
        rows[r] = static_cast<const std::int8_t*>(p) + (p == args.zero ? 0 : args.a_offset);
      }
      std::size_t q = 0;
      for (; q + 4 <= quads; q += 4, w += 4 * 64) {
        const int8x16_t a[kMr] = {vld1q_s8(rows[0] + 4 * q), vld1q_s8(rows[1] + 4 * q),
                                  vld1q_s8(rows[2] + 4 * q), vld1q_s8(rows[3] + 4 * q)};
        quad<0>(acc, a, w);
        quad<1>(acc, a, w + 64);
        quad<2>(acc, a, w + 128);
        quad<3>(acc, a, w + 192);
      }
      if (q < quads) {
        const int8x16_t a[kMr] = {vld1q_s8(rows[0] + 4 * q), vld1q_s8(rows[1] + 4 * q),
                                  vld1q_s8(rows[2] + 4 * q), vld1q_s8(rows[3] + 4 * q)};
        const std::size_t left = quads - q;
        quad<0>(acc, a, w);
        if (left > 1) {
          quad<1>(acc, a, w + 64);
        }
        if (left > 2) {
          quad<2>(acc, a, w + 128);
        }
        w += left * 64;
      }
    }
    const auto* scale = reinterpret_cast<const float*>(w);
    const std::size_t n = args.nc - n0 < kNr ? args.nc - n0 : kNr;
    for (std::size_t r = 0; r < args.mr; ++r) {
      neon::requant_store16(acc.v[r], scale, args.rq, args.c + r * args.c_row_stride + n0, n);
    }
  }
}

void dwconv(const DwconvArgs& args) {
  note_kernel_use(Isa::kNeonDot, KernelKind::kDwconv);
  neon::dwconv_impl(args);
}

void vadd(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y, const AddParams& p) {
  note_kernel_use(Isa::kNeonDot, KernelKind::kVadd);
  neon::vadd_impl(n, a, b, y, p);
}

void maxpool(const MaxPoolArgs& args) {
  note_kernel_use(Isa::kNeonDot, KernelKind::kMaxpool);
  neon::maxpool_impl(args);
}

// SDOT chains, 16 MACs each (8 accumulators).
double peak(double seconds) {
  int32x4_t acc[8];
  for (int i = 0; i < 8; ++i) {
    acc[i] = vdupq_n_s32(i);
  }
  const int8x16_t a = vdupq_n_s8(3);
  const int8x16_t b = vdupq_n_s8(5);
  const double start = thread_cpu_seconds();
  double elapsed = 0.0;
  std::uint64_t iterations = 0;
  do {
    for (int it = 0; it < 100000; ++it) {
      for (auto& v : acc) {
        v = vdotq_s32(v, a, b);
      }
    }
    iterations += 100000;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < seconds);
  int32x4_t sum = acc[0];
  for (int i = 1; i < 8; ++i) {
    sum = vaddq_s32(sum, acc[i]);
  }
  volatile int sink = vgetq_lane_s32(sum, 0);
  (void)sink;
  return static_cast<double>(iterations) * 8.0 * 16.0 / elapsed;
}

KernelSet make_set() {
  KernelSet s;
  s.isa = Isa::kNeonDot;
  s.igemm_name = "s8s8s32_igemm_4x16c4__neondot";
  s.dwconv_name = "s8s8s32_dwconv_16__neon_mlal";
  s.mr = kMr;
  s.nr = kNr;
  s.kc_align = 4;
  s.a_format = AFormat::kS8;
  s.gemm_packed_size = gemm_packed_size;
  s.gemm_pack = gemm_pack;
  s.igemm = igemm;
  s.dw_channel_tile = 16;
  s.dwconv_packed_size = neon::dwconv_packed_size_impl;
  s.dwconv_pack = neon::dwconv_pack_impl;
  s.dwconv = dwconv;
  s.vadd = vadd;
  s.peak_macs_per_second = peak;
  s.peak_instruction = "sdot";
  s.maxpool = maxpool;
  return s;
}

} // namespace
} // namespace neondot

const KernelSet* kernels_neondot() {
  static const KernelSet set = neondot::make_set();
  return &set;
}

} // namespace es::kernels
