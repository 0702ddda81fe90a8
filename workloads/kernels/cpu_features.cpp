#include "workloads/kernels/cpu_features.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace es::kernels {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// XGETBV without needing -mxsave on this translation unit.
unsigned long long read_xcr0() {
  unsigned int eax = 0;
  unsigned int edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

CpuFeatures detect_x86() {
  CpuFeatures f;
  unsigned int eax = 0;
  unsigned int ebx = 0;
  unsigned int ecx = 0;
  unsigned int edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) {
    return f;
  }
  const bool osxsave = (ecx & (1u << 27)) != 0;
  const bool avx = (ecx & (1u << 28)) != 0;
  const bool fma = (ecx & (1u << 12)) != 0;
  if (!osxsave || !avx) {
    return f;
  }
  const unsigned long long xcr0 = read_xcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;          // SSE + AVX state
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;        // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!os_ymm) {
    return f;
  }
  unsigned int max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf < 7) {
    return f;
  }
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  f.fma = fma;
  f.avx2 = (ebx & (1u << 5)) != 0;
  if (os_zmm) {
    f.avx512f = (ebx & (1u << 16)) != 0;
    f.avx512bw = (ebx & (1u << 30)) != 0;
    f.avx512vl = (ebx & (1u << 31)) != 0;
    f.avx512vnni = (ecx & (1u << 11)) != 0;
  }
  const unsigned int max_sub = eax;
  if (max_sub >= 1) {
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    f.avxvnni = f.avx2 && (eax & (1u << 4)) != 0;
  }
  return f;
}
#endif

#if defined(__aarch64__)
CpuFeatures detect_arm() {
  CpuFeatures f;
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  f.neon = (hwcap & (1ul << 1)) != 0;     // HWCAP_ASIMD
  f.dotprod = (hwcap & (1ul << 20)) != 0; // HWCAP_ASIMDDP
  f.i8mm = (hwcap2 & (1ul << 13)) != 0;   // HWCAP2_I8MM
  return f;
}
#endif

CpuFeatures detect() {
#if defined(__x86_64__) || defined(__i386__)
  return detect_x86();
#elif defined(__aarch64__)
  return detect_arm();
#else
  return CpuFeatures{};
#endif
}

} // namespace

std::string CpuFeatures::to_string() const {
  std::string out;
  auto add = [&out](bool present, const char* name) {
    if (present) {
      if (!out.empty()) {
        out += ' ';
      }
      out += name;
    }
  };
  add(avx2, "avx2");
  add(fma, "fma");
  add(avx512f, "avx512f");
  add(avx512bw, "avx512bw");
  add(avx512vl, "avx512vl");
  add(avx512vnni, "avx512vnni");
  add(avxvnni, "avxvnni");
  add(neon, "asimd");
  add(dotprod, "asimddp");
  add(i8mm, "i8mm");
  return out;
}

const CpuFeatures& detect_cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

bool cpu_supports(const CpuFeatures& f, Isa isa) noexcept {
  switch (isa) {
  case Isa::kReference:
    return true;
  case Isa::kAvx2:
    return f.avx2;
  case Isa::kAvxVnni:
    return f.avx2 && f.avxvnni;
  case Isa::kAvx512Vnni:
    return f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni;
  case Isa::kNeon:
    return f.neon;
  case Isa::kNeonDot:
    return f.neon && f.dotprod;
  case Isa::kNeonI8mm:
    return f.neon && f.i8mm;
  }
  return false;
}

} // namespace es::kernels
