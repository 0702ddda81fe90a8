#pragma once
// Helpers shared by the kernel tests: deterministic random data and the ISA parameter list.

#include "workloads/kernels/cpu_features.hpp"
#include "workloads/kernels/dispatch.hpp"
#include "workloads/kernels/isa.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace es::kernels::test {

inline std::vector<std::int8_t> random_s8(std::mt19937& rng, std::size_t n, int lo = -128, int hi = 127) {
  std::vector<std::int8_t> v(n);
  for (auto& x : v) {
    x = static_cast<std::int8_t>(static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1)) + lo);
  }
  return v;
}

inline std::vector<std::int32_t> random_s32(std::mt19937& rng, std::size_t n, int lo, int hi) {
  std::vector<std::int32_t> v(n);
  for (auto& x : v) {
    x = static_cast<std::int32_t>(rng() % static_cast<unsigned>(hi - lo + 1)) + lo;
  }
  return v;
}

inline std::string isa_param_name(const ::testing::TestParamInfo<Isa>& info) {
  return to_string(info.param);
}

/// The KernelSet of `isa`, or nullptr with the reason when the test must skip.
inline const KernelSet* kernels_or_skip_reason(Isa isa, std::string& reason) {
  if ((built_isas() & static_cast<IsaMask>(isa)) == 0) {
    reason = std::string(to_string(isa)) + " is not built for this target";
    return nullptr;
  }
  if (!cpu_supports(detect_cpu_features(), isa)) {
    reason = std::string(to_string(isa)) + " is not supported by this CPU (" +
             detect_cpu_features().to_string() + ")";
    return nullptr;
  }
  return kernels_for(isa);
}

#define ES_KERNELS_OR_SKIP(var, isa)                                                             \
  std::string skip_reason_;                                                                      \
  const ::es::kernels::KernelSet* var = ::es::kernels::test::kernels_or_skip_reason(isa, skip_reason_); \
  if (var == nullptr) {                                                                          \
    GTEST_SKIP() << skip_reason_;                                                                \
  }

} // namespace es::kernels::test
