// AArch64 Advanced SIMD kernels for cores without dot product (Cortex-A53/A57/A72/A73), built
// with -march=armv8-a. Also provides the depthwise, add and epilogue code the dotprod path
// reuses (arm/neon_shared.hpp), because SDOT cannot help a 9-tap per-channel reduction.
//
// s8s8s32_igemm_4x16__neon: 4 rows x 16 channels; A rows are int8 (AFormat kS8) widened in the
//   kernel (8 values per SXTL), weights widened to int16 at pack time; SMLAL/SMLAL2 by lane
//   (int16 x int16 -> int32, exact). Packed block: [16 int32 bias'][ks x kc8 x 16 int16]
//   [16 float], kc8 = round_up(kc, 8).
// s8s8s32_dwconv_16__neon: 16 channels per tile, SXTL + SMLAL/SMLAL2 per tap.
//   Packed tile: [16 int32 bias'][ks x 16 int16][16 float].
// Epilogue (fp32 requantization): SCVTF, FMUL, FMAX/FMIN, FCVTNS (ties to even), SQXTN, +Z.
#include "workloads/kernels/arm/neon_shared.hpp"
#include "workloads/kernels/peak.hpp"

#include <arm_neon.h>

#include <cstring>

namespace es::kernels {
namespace neon {
namespace {

constexpr std::size_t kMr = 4;
constexpr std::size_t kNr = 16;
constexpr std::size_t kDwTile = 16;

std::size_t min_size(std::size_t a, std::size_t b) { return a < b ? a : b; }
std::size_t round8(std::size_t v) { return (v + 7) / 8 * 8; }

std::size_t gemm_block_bytes(std::size_t kc, std::size_t ks) {
  return kNr * 4 + ks * round8(kc) * kNr * 2 + kNr * 4;
}

std::size_t gemm_packed_size(std::size_t nc, std::size_t kc, std::size_t ks) {
  return (nc + kNr - 1) / kNr * gemm_block_bytes(kc, ks);
}

void gemm_pack(const GemmPackArgs& args, void* packed) {
  auto* out = static_cast<unsigned char*>(packed);
  const std::size_t kc8 = round8(args.kc);
  const std::size_t block = gemm_block_bytes(args.kc, args.ks);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr) {
    std::memset(out, 0, block);
    std::int32_t bias[kNr] = {};
    float scale[kNr] = {};
    auto* w = reinterpret_cast<std::int16_t*>(out + kNr * 4);
    for (std::size_t j = 0; j < kNr && n0 + j < args.nc; ++j) {
      const std::int8_t* src = args.weights + (n0 + j) * args.ks * args.kc;
      std::int32_t sum = 0;
      for (std::size_t t = 0; t < args.ks; ++t) {
        for (std::size_t k = 0; k < args.kc; ++k) {
          const std::int8_t v = src[t * args.kc + k];
          sum += v;
          w[(t * kc8 + k) * kNr + j] = v;
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

struct Acc4 {
  int32x4_t v[4];
};

template <int L>
inline void mlal_step(Acc4& acc, int16x8_t w0, int16x8_t w1, int16x8_t a) {
  acc.v[0] = vmlal_laneq_s16(acc.v[0], vget_low_s16(w0), a, L);
  acc.v[1] = vmlal_high_laneq_s16(acc.v[1], w0, a, L);
  acc.v[2] = vmlal_laneq_s16(acc.v[2], vget_low_s16(w1), a, L);
  acc.v[3] = vmlal_high_laneq_s16(acc.v[3], w1, a, L);
}

template <int L>
inline void k_step(Acc4 (&acc)[kMr], const int16x8_t (&a)[kMr], const std::int16_t* w) {
  const int16x8_t w0 = vld1q_s16(w + L * 16);
  const int16x8_t w1 = vld1q_s16(w + L * 16 + 8);
  mlal_step<L>(acc[0], w0, w1, a[0]);
  mlal_step<L>(acc[1], w0, w1, a[1]);
  mlal_step<L>(acc[2], w0, w1, a[2]);
  mlal_step<L>(acc[3], w0, w1, a[3]);
}

void igemm_impl(const IgemmArgs& args) {
  const std::size_t kc8 = round8(args.kc);
  const std::size_t block_bytes = gemm_block_bytes(args.kc, args.ks);
  const auto* block = static_cast<const unsigned char*>(args.packed_w);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr, block += block_bytes) {
    Acc4 acc[kMr];
    const auto* bias = reinterpret_cast<const std::int32_t*>(block);
    for (auto& a : acc) {
      for (int j = 0; j < 4; ++j) {
        a.v[j] = vld1q_s32(bias + 4 * j);
      }
    }
    const auto* w = reinterpret_cast<const std::int16_t*>(block + kNr * 4);
    for (std::size_t t = 0; t < args.ks; ++t) {
      const std::int8_t* rows[kMr];
      for (std::size_t r = 0; r < kMr; ++r) {
        const void* p = args.a[t * kMr + r];
        rows[r] = static_cast<const std::int8_t*>(p) + (p == args.zero ? 0 : args.a_offset);
      }
      for (std::size_t k = 0; k < kc8; k += 8, w += 8 * kNr) {
        const int16x8_t a[kMr] = {vmovl_s8(vld1_s8(rows[0] + k)), vmovl_s8(vld1_s8(rows[1] + k)),
                                  vmovl_s8(vld1_s8(rows[2] + k)), vmovl_s8(vld1_s8(rows[3] + k))};
        k_step<0>(acc, a, w);
        k_step<1>(acc, a, w);
        k_step<2>(acc, a, w);
        k_step<3>(acc, a, w);
        k_step<4>(acc, a, w);
        k_step<5>(acc, a, w);
        k_step<6>(acc, a, w);
        k_step<7>(acc, a, w);
      }
    }
    const auto* scale = reinterpret_cast<const float*>(w);
    const std::size_t n = min_size(kNr, args.nc - n0);
    for (std::size_t r = 0; r < args.mr; ++r) {
      requant_store16(acc[r].v, scale, args.rq, args.c + r * args.c_row_stride + n0, n);
    }
  }
}

std::size_t dw_tile_bytes(std::size_t ks) { return kDwTile * 4 + ks * kDwTile * 2 + kDwTile * 4; }

std::size_t dwconv_packed_size(std::size_t channels, std::size_t ks) {
  return (channels + kDwTile - 1) / kDwTile * dw_tile_bytes(ks);
}

} // namespace

void requant_store16(const int32x4_t (&acc)[4], const float* scale, const RequantParams& rq,
                     std::int8_t* dst, std::size_t n) {
  const float32x4_t lo = vdupq_n_f32(static_cast<float>(rq.output_min - rq.output_zero_point));
  const float32x4_t hi = vdupq_n_f32(static_cast<float>(rq.output_max - rq.output_zero_point));
  int32x4_t q[4];
  for (int j = 0; j < 4; ++j) {
    float32x4_t f = vmulq_f32(vcvtq_f32_s32(acc[j]), vld1q_f32(scale + 4 * j));
    f = vminq_f32(vmaxq_f32(f, lo), hi);
    q[j] = vcvtnq_s32_f32(f);
  }
  const int16x8_t zp = vdupq_n_s16(static_cast<std::int16_t>(rq.output_zero_point));
  const int16x8_t s0 = vqaddq_s16(vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1])), zp);
  const int16x8_t s1 = vqaddq_s16(vcombine_s16(vqmovn_s32(q[2]), vqmovn_s32(q[3])), zp);
  const int8x16_t bytes = vcombine_s8(vqmovn_s16(s0), vqmovn_s16(s1));
  if (n >= 16) {
    vst1q_s8(dst, bytes);
    return;
  }
  std::int8_t tmp[16];
  vst1q_s8(tmp, bytes);
  std::memcpy(dst, tmp, n);
}

std::size_t dwconv_packed_size_impl(std::size_t channels, std::size_t ks) {
  return dwconv_packed_size(channels, ks);
}

void dwconv_pack_impl(const DwconvPackArgs& args, void* packed) {
  auto* out = static_cast<unsigned char*>(packed);
  const std::size_t tile_bytes = dw_tile_bytes(args.ks);
  for (std::size_t c0 = 0; c0 < args.channels; c0 += kDwTile) {
    std::memset(out, 0, tile_bytes);
    std::int32_t bias[kDwTile] = {};
    float scale[kDwTile] = {};
    auto* w = reinterpret_cast<std::int16_t*>(out + kDwTile * 4);
    for (std::size_t j = 0; j < kDwTile && c0 + j < args.channels; ++j) {
      const std::size_t c = c0 + j;
      std::int32_t sum = 0;
      for (std::size_t t = 0; t < args.ks; ++t) {
        const std::int8_t v = args.weights[c * args.ks + t];
        sum += v;
        w[t * kDwTile + j] = v;
      }
      bias[j] = args.bias[c] - args.input_zero_point * sum;
      scale[j] = args.scale[c];
    }
    std::memcpy(out, bias, sizeof bias);
    std::memcpy(out + tile_bytes - kDwTile * 4, scale, sizeof scale);
    out += tile_bytes;
  }
}

void dwconv_impl(const DwconvArgs& args) {
  const std::size_t tile_bytes = dw_tile_bytes(args.ks);
  for (std::size_t x = 0; x < args.output_width; ++x) {
    const void* const* in = args.input + x * args.input_step;
    std::int8_t* out = args.output + x * args.output_stride;
    const auto* tile = static_cast<const unsigned char*>(args.packed_w);
    for (std::size_t c = 0; c < args.channels; c += kDwTile, tile += tile_bytes) {
      const auto* bias = reinterpret_cast<const std::int32_t*>(tile);
      int32x4_t acc[4] = {vld1q_s32(bias), vld1q_s32(bias + 4), vld1q_s32(bias + 8), vld1q_s32(bias + 12)};
      const auto* w = reinterpret_cast<const std::int16_t*>(tile + kDwTile * 4);
      for (std::size_t t = 0; t < args.ks; ++t, w += kDwTile) {
        const void* p = in[t];
        const std::int8_t* src = static_cast<const std::int8_t*>(p) + (p == args.zero ? 0 : args.input_offset) + c;
        const int8x16_t v = vld1q_s8(src);
        const int16x8_t v0 = vmovl_s8(vget_low_s8(v));
        const int16x8_t v1 = vmovl_high_s8(v);
        const int16x8_t w0 = vld1q_s16(w);
        const int16x8_t w1 = vld1q_s16(w + 8);
        acc[0] = vmlal_s16(acc[0], vget_low_s16(v0), vget_low_s16(w0));
        acc[1] = vmlal_high_s16(acc[1], v0, w0);
        acc[2] = vmlal_s16(acc[2], vget_low_s16(v1), vget_low_s16(w1));
        acc[3] = vmlal_high_s16(acc[3], v1, w1);
      }
      requant_store16(acc, reinterpret_cast<const float*>(w), args.rq, out + c,
                      min_size(kDwTile, args.channels - c));
    }
  }
}

void vadd_impl(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y,
               const AddParams& p) {
  const int32x4_t am = vdupq_n_s32(p.a_multiplier);
  const int32x4_t bm = vdupq_n_s32(p.b_multiplier);
  const int32x4_t bias = vdupq_n_s32(p.bias);
  const int32x4_t shift = vdupq_n_s32(-static_cast<std::int32_t>(p.shift));
  const int32x4_t zp = vdupq_n_s32(p.output_zero_point);
  const int32x4_t vmin = vdupq_n_s32(p.output_min);
  const int32x4_t vmax = vdupq_n_s32(p.output_max);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const int16x8_t va = vmovl_s8(vld1_s8(a + i));
    const int16x8_t vb = vmovl_s8(vld1_s8(b + i));
    int32x4_t lo = vmlaq_s32(vmlaq_s32(bias, vmovl_s16(vget_low_s16(va)), am), vmovl_s16(vget_low_s16(vb)), bm);
    int32x4_t hi = vmlaq_s32(vmlaq_s32(bias, vmovl_high_s16(va), am), vmovl_high_s16(vb), bm);
    lo = vminq_s32(vmaxq_s32(vaddq_s32(vshlq_s32(lo, shift), zp), vmin), vmax);
    hi = vminq_s32(vmaxq_s32(vaddq_s32(vshlq_s32(hi, shift), zp), vmin), vmax);
    vst1_s8(y + i, vmovn_s16(vcombine_s16(vmovn_s32(lo), vmovn_s32(hi))));
  }
  for (; i < n; ++i) {
    y[i] = add_requantize(a[i], b[i], p);
  }
}

// Max pool: SMAX over the taps, 16 channels per vector and up to four vectors held across the
// taps; 8-byte vectors, then bytes for the tail, so no pointer is read past `channels`.
void maxpool_impl(const MaxPoolArgs& args) {
  const std::size_t nc = args.channels;
  const std::size_t ks = args.ks;
  const auto tap = [](const void* p, std::size_t c) { return static_cast<const std::int8_t*>(p) + c; };
  for (std::size_t x = 0; x < args.output_width; ++x) {
    const void* const* in = args.input + x * args.input_step;
    std::int8_t* out = args.output + x * args.output_stride;
    std::size_t c = 0;
    for (; c + 64 <= nc; c += 64) {
      int8x16x4_t acc = vld1q_s8_x4(tap(in[0], c));
      for (std::size_t t = 1; t < ks; ++t) {
        const int8x16x4_t v = vld1q_s8_x4(tap(in[t], c));
        acc.val[0] = vmaxq_s8(acc.val[0], v.val[0]);
        acc.val[1] = vmaxq_s8(acc.val[1], v.val[1]);
        acc.val[2] = vmaxq_s8(acc.val[2], v.val[2]);
        acc.val[3] = vmaxq_s8(acc.val[3], v.val[3]);
      }
      vst1q_s8_x4(out + c, acc);
    }
    for (; c + 16 <= nc; c += 16) {
      int8x16_t acc = vld1q_s8(tap(in[0], c));
      for (std::size_t t = 1; t < ks; ++t) {
        acc = vmaxq_s8(acc, vld1q_s8(tap(in[t], c)));
      }
      vst1q_s8(out + c, acc);
    }
    if (nc - c >= 8) {
      int8x8_t acc = vld1_s8(tap(in[0], c));
      for (std::size_t t = 1; t < ks; ++t) {
        acc = vmax_s8(acc, vld1_s8(tap(in[t], c)));
      }
      vst1_s8(out + c, acc);
      c += 8;
    }
    for (; c < nc; ++c) {
      std::int8_t best = *tap(in[0], c);
      for (std::size_t t = 1; t < ks; ++t) {
        best = *tap(in[t], c) > best ? *tap(in[t], c) : best;
      }
      out[c] = best;
    }
  }
}

namespace {

void igemm(const IgemmArgs& args) {
  note_kernel_use(Isa::kNeon, KernelKind::kIgemm);
  igemm_impl(args);
}

void dwconv(const DwconvArgs& args) {
  note_kernel_use(Isa::kNeon, KernelKind::kDwconv);
  dwconv_impl(args);
}

void vadd(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y, const AddParams& p) {
  note_kernel_use(Isa::kNeon, KernelKind::kVadd);
  vadd_impl(n, a, b, y, p);
}

void maxpool(const MaxPoolArgs& args) {
  note_kernel_use(Isa::kNeon, KernelKind::kMaxpool);
  maxpool_impl(args);
}

// SMLAL by lane chains, 4 MACs each (8 accumulators).
double peak(double seconds) {
  int32x4_t acc[8];
  for (int i = 0; i < 8; ++i) {
    acc[i] = vdupq_n_s32(i);
  }
  const int16x8_t a = vdupq_n_s16(3);
  const int16x4_t b = vdup_n_s16(5);
  const double start = thread_cpu_seconds();
  double elapsed = 0.0;
  std::uint64_t iterations = 0;
  do {
    for (int it = 0; it < 100000; ++it) {
      acc[0] = vmlal_laneq_s16(acc[0], b, a, 0);
      acc[1] = vmlal_laneq_s16(acc[1], b, a, 1);
      acc[2] = vmlal_laneq_s16(acc[2], b, a, 2);
      acc[3] = vmlal_laneq_s16(acc[3], b, a, 3);
      acc[4] = vmlal_laneq_s16(acc[4], b, a, 4);
      acc[5] = vmlal_laneq_s16(acc[5], b, a, 5);
      acc[6] = vmlal_laneq_s16(acc[6], b, a, 6);
      acc[7] = vmlal_laneq_s16(acc[7], b, a, 7);
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
  return static_cast<double>(iterations) * 8.0 * 4.0 / elapsed;
}

KernelSet make_set() {
  KernelSet s;
  s.isa = Isa::kNeon;
  s.igemm_name = "s8s8s32_igemm_4x16__neon_mlal_lane";
  s.dwconv_name = "s8s8s32_dwconv_16__neon_mlal";
  s.mr = kMr;
  s.nr = kNr;
  s.kc_align = 8;
  s.a_format = AFormat::kS8;
  s.gemm_packed_size = gemm_packed_size;
  s.gemm_pack = gemm_pack;
  s.igemm = igemm;
  s.dw_channel_tile = kDwTile;
  s.dwconv_packed_size = dwconv_packed_size;
  s.dwconv_pack = dwconv_pack_impl;
  s.dwconv = dwconv;
  s.vadd = vadd;
  s.peak_macs_per_second = peak;
  s.peak_instruction = "smlal by lane";
  s.maxpool = maxpool;
  return s;
}

} // namespace
} // namespace neon

const KernelSet* kernels_neon() {
  static const KernelSet set = neon::make_set();
  return &set;
}

} // namespace es::kernels
