#include "workloads/kernels/peak.hpp"

#include "workloads/kernels/ops.hpp"

#include <cstring>
#include <ctime>
#include <vector>

namespace es::kernels {

double thread_cpu_seconds() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

namespace {

double igemm_rate(const KernelSet& k, double seconds) {
  const std::size_t kc = 512;
  const std::size_t nc = 2 * k.nr;
  std::vector<std::int8_t> w(nc * kc);
  for (std::size_t i = 0; i < w.size(); ++i) {
    w[i] = static_cast<std::int8_t>(static_cast<int>(i * 7 % 255) - 127);
  }
  std::vector<std::int32_t> bias(nc, 0);
  std::vector<float> scale(nc, 1e-4f);
  GemmPackArgs p;
  p.nc = nc;
  p.kc = kc;
  p.ks = 1;
  p.weights = w.data();
  p.bias = bias.data();
  p.scale = scale.data();
  AlignedBuffer packed(k.gemm_packed_size(nc, kc, 1));
  k.gemm_pack(p, packed.data());
  const std::size_t elem = k.a_format == AFormat::kS16 ? 2 : 1;
  AlignedBuffer a(k.mr * (kc + 64) * elem + kBufferSlack);
  std::vector<const void*> rows(k.mr);
  for (std::size_t r = 0; r < k.mr; ++r) {
    rows[r] = a.data() + r * (kc + 64) * elem;
  }
  AlignedBuffer c(k.mr * nc + kBufferSlack);
  IgemmArgs args;
  args.mr = k.mr;
  args.nc = nc;
  args.kc = kc;
  args.ks = 1;
  args.a = rows.data();
  args.zero = nullptr;
  args.packed_w = packed.data();
  args.c = reinterpret_cast<std::int8_t*>(c.data());
  args.c_row_stride = nc;
  const double start = thread_cpu_seconds();
  double elapsed = 0.0;
  std::uint64_t calls = 0;
  do {
    for (int i = 0; i < 200; ++i) {
      k.igemm(args);
    }
    calls += 200;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < seconds);
  return static_cast<double>(calls) * static_cast<double>(k.mr * nc * kc) / elapsed;
}

} // namespace

double measure_peak_macs(const KernelSet& kernels, double seconds) {
  const double instruction = kernels.peak_macs_per_second != nullptr
                                 ? kernels.peak_macs_per_second(seconds / 2)
                                 : 0.0;
  const double kernel = igemm_rate(kernels, seconds / 2);
  return instruction > kernel ? instruction : kernel;
}

} // namespace es::kernels
