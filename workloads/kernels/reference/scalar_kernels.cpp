// The reference KernelSet: portable scalar microkernels with the same packing/indirection
// contract as the SIMD paths (microkernels.hpp), built without ISA flags on every target.
//
// GEMM packing, per block of NR = 8 output channels:
//   [8 x int32 bias - Z_in * sum(w)] [ks x kc x 8 int8, channel-minor] [8 x float scale]
// Depthwise packing, per channel (tile 1): [int32 bias'] [ks int8, padded to 4] [float scale]
#include "workloads/kernels/microkernels.hpp"

#include <chrono>
#include <cstring>

namespace es::kernels {
namespace {

constexpr std::size_t kMr = 4;
constexpr std::size_t kNr = 8;

std::size_t gemm_block_bytes(std::size_t kc, std::size_t ks) {
  return kNr * sizeof(std::int32_t) + ks * kc * kNr + kNr * sizeof(float);
}

std::size_t gemm_packed_size(std::size_t nc, std::size_t kc, std::size_t ks) {
  return (nc + kNr - 1) / kNr * gemm_block_bytes(kc, ks);
}

void gemm_pack(const GemmPackArgs& args, void* packed) {
  auto* out = static_cast<unsigned char*>(packed);
  const std::size_t k_total = args.ks * args.kc;
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr) {
    std::int32_t bias[kNr] = {};
    float scale[kNr] = {};
    std::memset(out, 0, gemm_block_bytes(args.kc, args.ks));
    auto* w = reinterpret_cast<std::int8_t*>(out + kNr * sizeof(std::int32_t));
    for (std::size_t j = 0; j < kNr && n0 + j < args.nc; ++j) {
      const std::int8_t* src = args.weights + (n0 + j) * k_total;
      std::int32_t sum = 0;
      for (std::size_t k = 0; k < k_total; ++k) {
        w[k * kNr + j] = src[k];
        sum += src[k];
      }
      bias[j] = args.bias[n0 + j] - args.input_zero_point * sum;
      scale[j] = args.scale[n0 + j];
    }
    std::memcpy(out, bias, sizeof bias);
    std::memcpy(out + kNr * sizeof(std::int32_t) + k_total * kNr, scale, sizeof scale);
    out += gemm_block_bytes(args.kc, args.ks);
  }
}

void igemm(const IgemmArgs& args) {
  note_kernel_use(Isa::kReference, KernelKind::kIgemm);
  const auto* block = static_cast<const unsigned char*>(args.packed_w);
  const std::size_t block_bytes = gemm_block_bytes(args.kc, args.ks);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += kNr, block += block_bytes) {
    std::int32_t acc[kMr][kNr];
    std::int32_t bias[kNr];
    float scale[kNr];
    std::memcpy(bias, block, sizeof bias);
    std::memcpy(scale, block + kNr * sizeof(std::int32_t) + args.ks * args.kc * kNr, sizeof scale);
    for (std::size_t r = 0; r < kMr; ++r) {
      for (std::size_t j = 0; j < kNr; ++j) {
        acc[r][j] = bias[j];
      }
    }
    const auto* w = reinterpret_cast<const std::int8_t*>(block + kNr * sizeof(std::int32_t));
    for (std::size_t t = 0; t < args.ks; ++t) {
      for (std::size_t r = 0; r < kMr; ++r) {
        const void* p = args.a[t * kMr + r];
        const auto* row = static_cast<const std::int8_t*>(p);
        if (p != args.zero) {
          row += args.a_offset;
        }
        const std::int8_t* wt = w + t * args.kc * kNr;
        for (std::size_t k = 0; k < args.kc; ++k) {
          const std::int32_t av = row[k];
          for (std::size_t j = 0; j < kNr; ++j) {
            acc[r][j] += av * wt[k * kNr + j];
          }
        }
      }
    }
    const std::size_t n_valid = args.nc - n0 < kNr ? args.nc - n0 : kNr;
    for (std::size_t r = 0; r < args.mr; ++r) {
      std::int8_t* c = args.c + r * args.c_row_stride + n0;
      for (std::size_t j = 0; j < n_valid; ++j) {
        c[j] = requantize_fp32(acc[r][j], scale[j], args.rq);
      }
    }
  }
}

std::size_t dw_block_bytes(std::size_t ks) {
  return sizeof(std::int32_t) + (ks + 3) / 4 * 4 + sizeof(float);
}

std::size_t dwconv_packed_size(std::size_t channels, std::size_t ks) {
  return channels * dw_block_bytes(ks);
}

void dwconv_pack(const DwconvPackArgs& args, void* packed) {
  auto* out = static_cast<unsigned char*>(packed);
  for (std::size_t c = 0; c < args.channels; ++c) {
    std::memset(out, 0, dw_block_bytes(args.ks));
    std::int32_t sum = 0;
    for (std::size_t t = 0; t < args.ks; ++t) {
      sum += args.weights[c * args.ks + t];
    }
    const std::int32_t bias = args.bias[c] - args.input_zero_point * sum;
    std::memcpy(out, &bias, sizeof bias);
    std::memcpy(out + sizeof bias, args.weights + c * args.ks, args.ks);
    std::memcpy(out + sizeof bias + (args.ks + 3) / 4 * 4, &args.scale[c], sizeof(float));
    out += dw_block_bytes(args.ks);
  }
}

void dwconv(const DwconvArgs& args) {
  note_kernel_use(Isa::kReference, KernelKind::kDwconv);
  const std::size_t block_bytes = dw_block_bytes(args.ks);
  for (std::size_t x = 0; x < args.output_width; ++x) {
    const void* const* taps = args.input + x * args.input_step;
    const auto* block = static_cast<const unsigned char*>(args.packed_w);
    std::int8_t* out = args.output + x * args.output_stride;
    for (std::size_t c = 0; c < args.channels; ++c, block += block_bytes) {
      std::int32_t acc = 0;
      float scale = 0.0f;
      std::memcpy(&acc, block, sizeof acc);
      std::memcpy(&scale, block + sizeof acc + (args.ks + 3) / 4 * 4, sizeof scale);
      const auto* w = reinterpret_cast<const std::int8_t*>(block + sizeof acc);
      for (std::size_t t = 0; t < args.ks; ++t) {
        const auto* p = static_cast<const std::int8_t*>(taps[t]);
        if (taps[t] != args.zero) {
          p += args.input_offset;
        }
        acc += static_cast<std::int32_t>(p[c]) * w[t];
      }
      out[c] = requantize_fp32(acc, scale, args.rq);
    }
  }
}

void vadd(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y,
          const AddParams& params) {
  note_kernel_use(Isa::kReference, KernelKind::kVadd);
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = add_requantize(a[i], b[i], params);
  }
}

// Max of the taps, one byte at a time; padding taps point at -128 rows (microkernels.hpp).
void maxpool(const MaxPoolArgs& args) {
  note_kernel_use(Isa::kReference, KernelKind::kMaxpool);
  for (std::size_t x = 0; x < args.output_width; ++x) {
    const void* const* in = args.input + x * args.input_step;
    std::int8_t* out = args.output + x * args.output_stride;
    for (std::size_t c = 0; c < args.channels; ++c) {
      std::int8_t best = -128;
      for (std::size_t t = 0; t < args.ks; ++t) {
        const std::int8_t v = static_cast<const std::int8_t*>(in[t])[c];
        best = v > best ? v : best;
      }
      out[c] = best;
    }
  }
}

// Scalar peak: independent int32 multiply-adds the compiler cannot fold away.
double peak(double seconds) {
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t macs = 0;
  volatile std::int32_t seed = 3;
  std::int32_t acc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::int32_t m = seed;
  double elapsed = 0.0;
  do {
    for (int i = 0; i < 4096; ++i) {
      for (auto& a : acc) {
        a = a * m + 1;
      }
    }
    macs += 4096 * 8;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  seed = acc[0] + acc[7];
  return static_cast<double>(macs) / elapsed;
}

KernelSet make_set() {
  KernelSet s;
  s.isa = Isa::kReference;
  s.igemm_name = "s8s8s32_igemm_4x8__scalar";
  s.dwconv_name = "s8s8s32_dwconv_1c__scalar";
  s.mr = kMr;
  s.nr = kNr;
  s.kc_align = 1;
  s.a_format = AFormat::kS8;
  s.gemm_packed_size = gemm_packed_size;
  s.gemm_pack = gemm_pack;
  s.igemm = igemm;
  s.dw_channel_tile = 1;
  s.dwconv_packed_size = dwconv_packed_size;
  s.dwconv_pack = dwconv_pack;
  s.dwconv = dwconv;
  s.vadd = vadd;
  s.peak_macs_per_second = peak;
  s.peak_instruction = "scalar imul";
  s.maxpool = maxpool;
  return s;
}

} // namespace

const KernelSet* kernels_reference() {
  static const KernelSet set = make_set();
  return &set;
}

} // namespace es::kernels
