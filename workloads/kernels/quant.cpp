#include "workloads/kernels/quant.hpp"

#include "daemon/core/check.hpp"

#include <cmath>
#include <cstring>

namespace es::kernels {
namespace {

std::int32_t clamp_i32(std::int32_t v, std::int32_t lo, std::int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// TFLite's TfLiteRound: round half away from zero.
std::int32_t quantize_real(float real, QuantParams q) {
  return q.zero_point + static_cast<std::int32_t>(std::round(real / q.scale));
}

std::uint32_t float_bits(float f) {
  std::uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bits_float(std::uint32_t u) {
  float f = 0.0f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

} // namespace

RequantParams make_requant_params(QuantParams output, Activation activation) {
  RequantParams p;
  p.output_zero_point = output.zero_point;
  p.output_min = -128;
  p.output_max = 127;
  if (activation == Activation::kRelu || activation == Activation::kRelu6) {
    p.output_min = clamp_i32(quantize_real(0.0f, output), -128, 127);
  }
  if (activation == Activation::kRelu6) {
    p.output_max = clamp_i32(quantize_real(6.0f, output), -128, 127);
  }
  return p;
}

float requant_scale(float input_scale, float weight_scale, float output_scale) {
  const float product = input_scale * weight_scale;
  return product / output_scale;
}

bool scales_bounded(const float* scales, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (!(scales[i] >= 0.0f && scales[i] <= 0.5f)) {
      return false;
    }
  }
  return true;
}

std::int8_t requantize_fp32(std::int32_t acc, float scale, const RequantParams& params) noexcept {
  float f = static_cast<float>(acc) * scale;
  const float lo = static_cast<float>(params.output_min - params.output_zero_point);
  const float hi = static_cast<float>(params.output_max - params.output_zero_point);
  f = f < lo ? lo : f;
  f = f > hi ? hi : f;
  // |f| <= 255 here, so adding and removing 1.5 * 2^23 rounds to the nearest integer with ties
  // to even: the same result as cvtps2dq / FCVTNS under the default rounding mode.
  const float magic = 12582912.0f;
  const float rounded = (f + magic) - magic;
  return static_cast<std::int8_t>(static_cast<std::int32_t>(rounded) + params.output_zero_point);
}

AddParams make_add_params(QuantParams a, QuantParams b, QuantParams output, Activation activation) {
  const float a_ratio = a.scale / output.scale;
  const float b_ratio = b.scale / output.scale;
  const float max_ratio = std::fabs(a_ratio) > std::fabs(b_ratio) ? std::fabs(a_ratio)
                                                                   : std::fabs(b_ratio);
  ES_CHECK(max_ratio >= 0x1.0p-10f && max_ratio < 256.0f);
  const std::int32_t exponent = static_cast<std::int32_t>(float_bits(max_ratio) >> 23) - 127;
  const std::uint32_t shift = static_cast<std::uint32_t>(20 - exponent);
  ES_CHECK(shift >= 12 && shift <= 30);
  // ratio * 2^shift, computed by adding to the exponent field, then rounded to nearest-even.
  const auto scaled = [shift](float ratio) {
    const float abs_scaled = bits_float(float_bits(std::fabs(ratio)) + (shift << 23));
    const auto m = static_cast<std::int32_t>(std::lrintf(abs_scaled));
    return ratio < 0.0f ? -m : m;
  };
  AddParams p;
  p.a_multiplier = scaled(a_ratio);
  p.b_multiplier = scaled(b_ratio);
  p.shift = shift;
  p.bias = (std::int32_t{1} << (shift - 1)) - p.a_multiplier * a.zero_point -
           p.b_multiplier * b.zero_point;
  const RequantParams rq = make_requant_params(output, activation);
  p.output_zero_point = rq.output_zero_point;
  p.output_min = rq.output_min;
  p.output_max = rq.output_max;
  return p;
}

std::int8_t add_requantize(std::int8_t a, std::int8_t b, const AddParams& p) noexcept {
  const std::int32_t acc = p.bias + static_cast<std::int32_t>(a) * p.a_multiplier +
                           static_cast<std::int32_t>(b) * p.b_multiplier;
  std::int32_t out = (acc >> p.shift) + p.output_zero_point; // arithmetic shift (C++20)
  out = clamp_i32(out, p.output_min, p.output_max);
  return static_cast<std::int8_t>(out);
}

float mean_scale(float input_scale, float output_scale, std::uint32_t n) {
  const float denominator = output_scale * static_cast<float>(n);
  return input_scale / denominator;
}

} // namespace es::kernels
