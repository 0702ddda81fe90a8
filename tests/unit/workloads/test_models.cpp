// Layer tables: MAC and parameter counts per model (networks.md), generator determinism.
#include "workloads/models.hpp"

#include <gtest/gtest.h>

#include <map>

namespace es::workloads {
namespace {

TEST(Models, MacCountsMatchNetworksMd) {
  const std::map<std::string, std::uint64_t> expected = {
      {"mobilenet_v1", 568740352ull}, {"mobilenet_v2", 300774272ull},
      {"resnet50", 4089184256ull},    {"resnet18", 1814073344ull},
  };
  for (const auto& [name, macs] : expected) {
    auto spec = build_model(name);
    ASSERT_TRUE(spec.ok()) << name;
    EXPECT_EQ(spec.value().macs(), macs) << name;
  }
}

TEST(Models, ExtraModelsHavePublishedSizes) {
  // SqueezeNet 1.1: ~0.35 GMAC, 1.24 M parameters; EfficientNet-Lite0: ~0.39 GMAC, 4.6 M.
  auto sq = build_model("squeezenet1_1");
  ASSERT_TRUE(sq.ok());
  EXPECT_EQ(sq.value().macs(), 349151936ull);
  EXPECT_NEAR(static_cast<double>(sq.value().parameters()), 1.235e6, 0.01e6);
  auto eff = build_model("efficientnet_lite0");
  ASSERT_TRUE(eff.ok());
  EXPECT_EQ(eff.value().macs(), 385187552ull);
  EXPECT_NEAR(static_cast<double>(eff.value().parameters()), 4.63e6, 0.05e6);
}

TEST(Models, ParameterCountsMatchNetworksMd) {
  const std::map<std::string, double> expected = {
      {"mobilenet_v1", 4.22e6}, {"mobilenet_v2", 3.49e6}, {"resnet50", 25.53e6}, {"resnet18", 11.68e6}};
  for (const auto& [name, params] : expected) {
    auto spec = build_model(name);
    ASSERT_TRUE(spec.ok());
    EXPECT_NEAR(static_cast<double>(spec.value().parameters()), params, 0.006e6) << name;
  }
}

TEST(Models, ListAndUnknown) {
  const auto models = list_models();
  ASSERT_EQ(models.size(), 6u);
  for (const auto& m : models) {
    EXPECT_GT(m.macs, 0u);
    EXPECT_GT(m.parameters, 0u);
    EXPECT_EQ(m.input_h, 224);
    EXPECT_EQ(m.input_c, 3);
  }
  auto bad = build_model("vgg16");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST(Models, GeneratorsAreDeterministicAndInRange) {
  const auto w = generate_weights(layer_seed(42, 1), 10000);
  EXPECT_EQ(w, generate_weights(layer_seed(42, 1), 10000));
  int lo = 0;
  int hi = 0;
  for (auto v : w) {
    ASSERT_GE(v, -127);
    lo += v < -100 ? 1 : 0;
    hi += v > 100 ? 1 : 0;
  }
  EXPECT_GT(lo, 500); // uses most of [-127, 127]
  EXPECT_GT(hi, 500);
  const auto b = generate_bias(7, 100);
  for (auto v : b) {
    EXPECT_GE(v, -2048);
    EXPECT_LE(v, 2048);
  }
  const auto s = generate_scales(7, 0.25, 100);
  for (auto v : s) {
    EXPECT_GT(v, 0.25 * 0.74 / 73.6);
    EXPECT_LT(v, 0.25 * 1.26 / 73.6);
  }
}

} // namespace
} // namespace es::workloads
