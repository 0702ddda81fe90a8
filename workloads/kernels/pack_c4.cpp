#include "workloads/kernels/pack_c4.hpp"

#include <cstring>
#include <vector>

namespace es::kernels {
namespace {
std::size_t round4(std::size_t v) { return (v + 3) / 4 * 4; }
} // namespace

std::size_t c4_block_bytes(std::size_t nr, std::size_t kc, std::size_t ks) {
  return nr * 4 + ks * round4(kc) * nr + nr * 4;
}

std::size_t c4_packed_size(std::size_t nr, std::size_t nc, std::size_t kc, std::size_t ks) {
  return (nc + nr - 1) / nr * c4_block_bytes(nr, kc, ks);
}

void c4_pack(std::size_t nr, std::int32_t zero_point_fold, const GemmPackArgs& args, void* packed) {
  auto* out = static_cast<unsigned char*>(packed);
  const std::size_t kc4 = round4(args.kc);
  const std::size_t block = c4_block_bytes(nr, args.kc, args.ks);
  std::vector<std::int32_t> bias(nr);
  std::vector<float> scale(nr);
  for (std::size_t n0 = 0; n0 < args.nc; n0 += nr) {
    std::memset(out, 0, block);
    std::fill(bias.begin(), bias.end(), 0);
    std::fill(scale.begin(), scale.end(), 0.0f);
    auto* w = reinterpret_cast<std::int8_t*>(out + nr * 4);
    for (std::size_t j = 0; j < nr && n0 + j < args.nc; ++j) {
      const std::int8_t* src = args.weights + (n0 + j) * args.ks * args.kc;
      std::int32_t sum = 0;
      for (std::size_t t = 0; t < args.ks; ++t) {
        for (std::size_t k = 0; k < args.kc; ++k) {
          const std::int8_t v = src[t * args.kc + k];
          sum += v;
          w[((t * kc4 + k) / 4 * nr + j) * 4 + k % 4] = v;
        }
      }
      bias[j] = args.bias[n0 + j] - (args.input_zero_point + zero_point_fold) * sum;
      scale[j] = args.scale[n0 + j];
    }
    std::memcpy(out, bias.data(), nr * 4);
    std::memcpy(out + block - nr * 4, scale.data(), nr * 4);
    out += block;
  }
}

} // namespace es::kernels
