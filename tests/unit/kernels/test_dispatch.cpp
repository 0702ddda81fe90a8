// Dispatch policy and the coverage guard (ruy's "did the fast path actually run?").
#include "test_support.hpp"
#include "workloads/kernels/ops.hpp"

namespace es::kernels {
namespace {

TEST(Dispatch, ReferenceAlwaysBuiltAndSelectable) {
  EXPECT_NE(built_isas() & static_cast<IsaMask>(Isa::kReference), 0u);
  auto set = select_kernels("reference", detect_cpu_features());
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set.value()->isa, Isa::kReference);
}

TEST(Dispatch, UnknownIsaIsInvalidArgument) {
  auto set = select_kernels("sse9", detect_cpu_features());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kInvalidArgument);
}

TEST(Dispatch, UnsupportedIsaIsAnErrorNotAFallback) {
  CpuFeatures none; // a CPU with no SIMD at all
  for (Isa isa : all_isas()) {
    if (isa == Isa::kReference) {
      continue;
    }
    auto set = select_kernels(to_string(isa), none);
    ASSERT_FALSE(set.ok()) << to_string(isa);
    EXPECT_EQ(set.error().code, ErrorCode::kUnsupported);
  }
  auto fallback = select_kernels("auto", none);
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback.value()->isa, Isa::kReference);
}

TEST(Dispatch, AutoPicksMostCapableUsable) {
  CpuFeatures f = detect_cpu_features();
  auto set = select_kernels("auto", f);
  ASSERT_TRUE(set.ok());
  const IsaMask usable = usable_isas(f);
  EXPECT_NE(usable & static_cast<IsaMask>(set.value()->isa), 0u);
  // Nothing usable ranks above the choice.
  const Isa order[] = {Isa::kAvx512Vnni, Isa::kAvxVnni, Isa::kAvx2, Isa::kNeonI8mm, Isa::kNeonDot, Isa::kNeon,
                       Isa::kReference};
  for (Isa isa : order) {
    if (isa == set.value()->isa) {
      break;
    }
    EXPECT_EQ(usable & static_cast<IsaMask>(isa), 0u) << to_string(isa) << " usable but not chosen";
  }
}

TEST(Dispatch, ParseAndNames) {
  for (Isa isa : all_isas()) {
    auto parsed = parse_isa(to_string(isa));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, isa);
  }
  EXPECT_EQ(parse_isa("i8mm"), Isa::kNeonI8mm);
  EXPECT_FALSE(parse_isa("auto").has_value());
  EXPECT_EQ(mask_to_string(static_cast<IsaMask>(Isa::kReference) | static_cast<IsaMask>(Isa::kAvx2)),
            "reference avx2");
}

// A path's table lives in the path's translation unit, and building it may execute the path's
// instructions (GCC 12 initialized the AVX-512 table with zmm stores), so nothing may build a
// table the CPU cannot run. On an AVX2-only machine this test died with SIGILL before
// kernels_for() and select_kernels() checked the CPU first.
TEST(Dispatch, UnsupportedPathsAreNeverTouched) {
  const CpuFeatures& f = detect_cpu_features();
  EXPECT_NE(built_isas() & static_cast<IsaMask>(Isa::kReference), 0u);
  for (Isa isa : all_isas()) {
    const KernelSet* k = kernels_for(isa);
    if (!cpu_supports(f, isa) || (built_isas() & static_cast<IsaMask>(isa)) == 0) {
      EXPECT_EQ(k, nullptr) << to_string(isa);
    } else {
      ASSERT_NE(k, nullptr) << to_string(isa);
      EXPECT_EQ(k->isa, isa);
    }
  }
  auto best = select_kernels("auto", f);
  ASSERT_TRUE(best.ok());
  EXPECT_TRUE(cpu_supports(f, best.value()->isa));
}

// The SIMD path this machine should run must be compiled in: a build that silently lost its
// ISA files (CMake checks failing) would otherwise pass every other test on the reference path.
TEST(CoverageGuard, ExpectedPathsAreBuilt) {
  const CpuFeatures& f = detect_cpu_features();
#if defined(__x86_64__)
  if (f.avx2) {
    EXPECT_NE(built_isas() & static_cast<IsaMask>(Isa::kAvx2), 0u) << "AVX2 CPU but avx2 path not built";
  }
#elif defined(__aarch64__)
  EXPECT_NE(built_isas() & static_cast<IsaMask>(Isa::kNeon), 0u) << "aarch64 build without the neon path";
  if (f.dotprod) {
    EXPECT_NE(built_isas() & static_cast<IsaMask>(Isa::kNeonDot), 0u);
  }
#endif
  (void)f;
}

// Runs a conv, a depthwise conv and an add on every usable path and checks that the path's own
// microkernels ran (not another path's).
TEST(CoverageGuard, EveryUsablePathRunsItsOwnKernels) {
  const IsaMask usable = usable_isas(detect_cpu_features());
  int checked = 0;
  for (Isa isa : all_isas()) {
    if ((usable & static_cast<IsaMask>(isa)) == 0) {
      continue;
    }
    const KernelSet& k = *kernels_for(isa);
    EXPECT_EQ(k.isa, isa);
    reset_coverage();
    std::vector<std::int8_t> w(16 * 9 * 16, 3);
    std::vector<std::int32_t> bias(16, 1);
    std::vector<float> scale(16, 0.01f);
    std::vector<std::int8_t> in(16 * 16 * 16 + kBufferSlack, 1);
    std::vector<std::int8_t> out(16 * 16 * 16 + kBufferSlack);
    // groups 1: Winograd where the path has it, else the IGEMM; 2: IGEMM; 16: depthwise.
    for (int groups : {1, 2, 16}) {
      ConvDesc d;
      d.geometry.in_h = d.geometry.in_w = 16; // 64 tiles: enough for create_conv to pick Winograd
      d.geometry.in_c = d.geometry.out_c = 16;
      d.geometry.kernel_h = d.geometry.kernel_w = 3;
      d.geometry.pad_top = d.geometry.pad_left = d.geometry.pad_bottom = d.geometry.pad_right = 1;
      d.geometry.groups = groups;
      d.weights = w.data();
      d.bias = bias.data();
      d.weight_scales = scale.data();
      auto op = create_conv(d, k);
      ASSERT_TRUE(op.ok());
      AlignedBuffer scratch(op.value()->scratch_bytes() + 64);
      OpBuffers b;
      b.input = in.data();
      b.input_stride = 16;
      b.output = out.data();
      b.output_stride = 16;
      b.scratch = scratch.data();
      op.value()->setup(b);
      op.value()->run_serial();
    }
    auto add = create_add(64, make_add_params({0.1f, 0}, {0.1f, 0}, {0.2f, 0}, Activation::kNone), k);
    OpBuffers ab;
    ab.input = in.data();
    ab.input_b = in.data();
    ab.output = out.data();
    add->setup(ab);
    add->run_serial();
    EXPECT_GT(coverage_count(isa, KernelKind::kIgemm), 0u) << to_string(isa) << " igemm never ran";
    EXPECT_GT(coverage_count(isa, KernelKind::kDwconv), 0u) << to_string(isa) << " dwconv never ran";
    EXPECT_GT(coverage_count(isa, KernelKind::kVadd), 0u) << to_string(isa) << " vadd never ran";
    if (k.gemm16 != nullptr) {
      EXPECT_GT(coverage_count(isa, KernelKind::kWinograd), 0u) << to_string(isa) << " winograd never ran";
    }
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

} // namespace
} // namespace es::kernels
