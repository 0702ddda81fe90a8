// The requantization scheme itself: rounding, clamps, activation ranges, ADD parameters.
#include "workloads/kernels/quant.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

namespace es::kernels {
namespace {

TEST(Quant, Fp32RoundsHalfToEven) {
  const RequantParams rq{0, -128, 127};
  EXPECT_EQ(requantize_fp32(1, 0.5f, rq), 0);   // 0.5 -> 0
  EXPECT_EQ(requantize_fp32(3, 0.5f, rq), 2);   // 1.5 -> 2
  EXPECT_EQ(requantize_fp32(5, 0.5f, rq), 2);   // 2.5 -> 2
  EXPECT_EQ(requantize_fp32(-1, 0.5f, rq), 0);  // -0.5 -> -0
  EXPECT_EQ(requantize_fp32(-3, 0.5f, rq), -2); // -1.5 -> -2
}

TEST(Quant, Fp32ClampsAndAddsZeroPoint) {
  const RequantParams rq{-128, -128, 127};
  EXPECT_EQ(requantize_fp32(1000000, 1.0f, rq), 127);
  EXPECT_EQ(requantize_fp32(-1000000, 1.0f, rq), -128);
  EXPECT_EQ(requantize_fp32(10, 1.0f, rq), -118);
  const RequantParams narrow{5, -10, 20};
  EXPECT_EQ(requantize_fp32(100, 1.0f, narrow), 20);
  EXPECT_EQ(requantize_fp32(-100, 1.0f, narrow), -10);
  // Accumulators beyond 2^24 lose low bits exactly like cvtdq2ps.
  EXPECT_EQ(requantize_fp32(1 << 30, 0x1.0p-24f, RequantParams{0, -128, 127}), 64);
}

TEST(Quant, ScalesBoundedOnlyInZeroToHalf) {
  const float ok[] = {0.0f, 1e-6f, 0.25f, 0.5f};
  EXPECT_TRUE(scales_bounded(ok, 4));
  EXPECT_TRUE(scales_bounded(ok, 0));
  const float above[] = {0.1f, std::nextafter(0.5f, 1.0f)};
  EXPECT_FALSE(scales_bounded(above, 2));
  const float negative[] = {0.1f, -1e-9f};
  EXPECT_FALSE(scales_bounded(negative, 2));
  const float nan[] = {std::nanf("")};
  EXPECT_FALSE(scales_bounded(nan, 1));
  // The bound behind it: the largest |acc| times 0.5 stays below 2^31 in float.
  EXPECT_LT(std::fabs(static_cast<float>(INT32_MIN) * 0.5f), 0x1.0p31f);
}

TEST(Quant, ActivationRanges) {
  const QuantParams relu6{6.0f / 255.0f, -128};
  RequantParams p = make_requant_params(relu6, Activation::kRelu6);
  EXPECT_EQ(p.output_min, -128);
  EXPECT_EQ(p.output_max, 127);
  const QuantParams wide{0.1f, 0};
  p = make_requant_params(wide, Activation::kRelu6);
  EXPECT_EQ(p.output_min, 0);
  EXPECT_EQ(p.output_max, 60);
  p = make_requant_params(wide, Activation::kRelu);
  EXPECT_EQ(p.output_min, 0);
  EXPECT_EQ(p.output_max, 127);
  p = make_requant_params(wide, Activation::kNone);
  EXPECT_EQ(p.output_min, -128);
}

TEST(Quant, AddParamsMatchRealArithmetic) {
  const QuantParams a{0.0625f, 0};
  const QuantParams b{0.0627451f, -128};
  const QuantParams y{0.0627451f, -128};
  const AddParams p = make_add_params(a, b, y, Activation::kRelu);
  EXPECT_GE(p.shift, 12u);
  EXPECT_LE(p.shift, 30u);
  for (int qa = -128; qa <= 127; qa += 17) {
    for (int qb = -128; qb <= 127; qb += 13) {
      const double real = static_cast<double>(a.scale) * (qa - a.zero_point) +
                          static_cast<double>(b.scale) * (qb - b.zero_point);
      const double q = std::max(-128.0, std::min(127.0, std::round(real / static_cast<double>(y.scale)) +
                                                            y.zero_point));
      const int got = add_requantize(static_cast<std::int8_t>(qa), static_cast<std::int8_t>(qb), p);
      EXPECT_LE(std::abs(got - q), 1.0) << qa << " + " << qb;
    }
  }
}

TEST(Quant, RequantScaleIsFloatArithmetic) {
  const float in = 0.0078125f;
  const float w = 0.0021f;
  const float out = 6.0f / 255.0f;
  const float product = in * w;
  EXPECT_EQ(requant_scale(in, w, out), product / out);
}

} // namespace
} // namespace es::kernels
