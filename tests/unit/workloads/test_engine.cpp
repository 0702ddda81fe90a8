// Engine and sessions: golden logits checksums (equal to XNNPACK's and ONNX Runtime's hashes for
// the four anchor networks), reference == SIMD, threads, output sanity, thread pool.
#include "workloads/engine.hpp"
#include "workloads/kernels/dispatch.hpp"
#include "workloads/thread_pool.hpp"
#include "workloads/workload.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <set>

namespace es::workloads {
namespace {

// FNV-1a of the int8 logits. The first four equal the anchors' XNNPACK hashes
// (results/2026-11-22 logs), i.e. the engine computes exactly XNNPACK's network.
const std::map<std::string, std::uint64_t> kGolden = {
    {"mobilenet_v1", 0xa8199d2511723e44ull},  {"mobilenet_v2", 0x50c06a892ffefd01ull},
    {"resnet18", 0x827af27b5ab09f5eull},      {"resnet50", 0x085a30ae751c15f5ull},
    {"squeezenet1_1", 0xf11311910c9cdf53ull},  {"efficientnet_lite0", 0xc07c9c311c4533caull},
};

const kernels::KernelSet& best_kernels() {
  auto set = kernels::select_kernels("auto", kernels::detect_cpu_features());
  return *set.value();
}

TEST(Engine, GoldenChecksumsOnBestPath) {
  ThreadPool pool(2);
  for (const auto& [name, golden] : kGolden) {
    auto spec = build_model(name);
    ASSERT_TRUE(spec.ok());
    if (best_kernels().isa == kernels::Isa::kReference && spec.value().macs() > 1000000000ull) {
      continue; // too slow on the scalar path for the default run
    }
    auto net = Network::create(spec.value(), best_kernels(), &pool);
    ASSERT_TRUE(net.ok()) << net.error().message;
    net.value()->run();
    const std::uint64_t sum = net.value()->output_checksum();
    if (golden != 0) {
      EXPECT_EQ(sum, golden) << name << " on " << kernels::to_string(best_kernels().isa) << ": got "
                             << std::hex << sum;
    }
    // Logits neither saturated nor constant.
    const auto out = net.value()->output();
    std::set<int> distinct;
    std::size_t saturated = 0;
    for (auto v : out) {
      distinct.insert(v);
      saturated += (v == 127 || v == -128) ? 1 : 0;
    }
    EXPECT_GE(distinct.size(), 8u) << name;
    EXPECT_LT(saturated, out.size() / 20) << name;
    // Repeated runs are identical.
    net.value()->run();
    EXPECT_EQ(net.value()->output_checksum(), sum);
  }
}

TEST(Engine, ReferenceMatchesSimdOnSmallModels) {
  if (best_kernels().isa == kernels::Isa::kReference) {
    GTEST_SKIP() << "no SIMD path usable here";
  }
  ThreadPool pool(2);
  for (const char* name : {"mobilenet_v2", "squeezenet1_1", "efficientnet_lite0"}) {
    auto spec = build_model(name);
    ASSERT_TRUE(spec.ok());
    auto ref = Network::create(spec.value(), *kernels::kernels_reference(), &pool);
    auto fast = Network::create(spec.value(), best_kernels(), &pool);
    ASSERT_TRUE(ref.ok() && fast.ok());
    ref.value()->run();
    fast.value()->run();
    EXPECT_EQ(ref.value()->output_checksum(), fast.value()->output_checksum()) << name;
  }
}

// Every operator's tiles split over threads without changing a bit: MobileNetV2 (depthwise,
// residual adds), ResNet-18 (Winograd F(2x4) fused and phased, the stride-2 path, max pool)
// and SqueezeNet (Winograd writing into concat slices).
TEST(Engine, ThreadCountsGiveIdenticalOutput) {
  for (const char* name : {"mobilenet_v2", "resnet18", "squeezenet1_1"}) {
    auto spec = build_model(name);
    ASSERT_TRUE(spec.ok());
    std::uint64_t first = 0;
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      auto net = Network::create(spec.value(), best_kernels(), &pool);
      ASSERT_TRUE(net.ok());
      net.value()->run();
      if (threads == 1) {
        first = net.value()->output_checksum();
      }
      EXPECT_EQ(net.value()->output_checksum(), first) << name << ", " << threads << " threads";
    }
    EXPECT_EQ(first, kGolden.at(name)) << name;
  }
}

TEST(Session, CreateRunAndReferenceChecksum) {
  WorkloadOptions o;
  o.model = "mobilenet_v2";
  o.threads = 2;
  auto s = InferenceSession::create(o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s.value()->run(), s.value()->reference_checksum());
  EXPECT_EQ(s.value()->reference_checksum(), kGolden.at("mobilenet_v2"));
  EXPECT_EQ(s.value()->model().name, "mobilenet_v2");
  EXPECT_EQ(s.value()->model().macs, 300774272ull);
  EXPECT_FALSE(s.value()->isa().empty());
}

TEST(Session, ErrorsAreValues) {
  WorkloadOptions o;
  o.model = "nope";
  auto s = InferenceSession::create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  o.model = "mobilenet_v2";
  o.isa = "sse9";
  s = InferenceSession::create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  o.isa = "auto";
  o.threads = 0;
  s = InferenceSession::create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
#if defined(__x86_64__)
  o.threads = 1;
  o.isa = "neondot";
  s = InferenceSession::create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnsupported);
#endif
}

TEST(Session, IsaOverrideAndEnvironment) {
  WorkloadOptions o;
  o.model = "squeezenet1_1";
  o.isa = "reference";
  auto s = InferenceSession::create(o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value()->isa(), "reference");
  ::setenv("EDGESOAK_ISA", "reference", 1);
  o.isa = "auto";
  s = InferenceSession::create(o);
  ::unsetenv("EDGESOAK_ISA");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value()->isa(), "reference");
  EXPECT_EQ(s.value()->run(), s.value()->reference_checksum());
}

TEST(ThreadPool, EveryTileExactlyOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (std::size_t tiles : {0u, 1u, 2u, 7u, 1000u}) {
      std::vector<std::atomic<int>> hits(tiles);
      for (int round = 0; round < 50; ++round) {
        pool.parallel_for(
            tiles,
            [](void* ctx, std::size_t b, std::size_t e) {
              auto* h = static_cast<std::vector<std::atomic<int>>*>(ctx);
              for (std::size_t i = b; i < e; ++i) {
                (*h)[i].fetch_add(1);
              }
            },
            &hits);
      }
      for (auto& h : hits) {
        EXPECT_EQ(h.load(), 50);
      }
    }
  }
}

} // namespace
} // namespace es::workloads
