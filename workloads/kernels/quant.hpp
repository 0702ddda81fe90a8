#pragma once
// es::kernels quantization: the one requantization scheme of edgesoak, and its parameters.
//
// Semantics are TFLite int8 (quantization_spec.md): real = scale * (q - zero_point); activations
// int8 asymmetric per tensor; weights int8 in [-127, 127] symmetric per output channel; bias
// int32 with scale S_in * S_w[c].
//
// Requantization is XNNPACK's "fp32" scheme, on every op and every ISA path:
//
//   acc    = bias[c] - Z_in * sum_k w[c][k] + sum_k q_in[k] * w[c][k]   (exact int32)
//   s[c]   = (float)(S_in * S_w[c]) / S_out                               (float arithmetic)
//   y      = clamp(round_half_even((float)acc * s[c]) + Z_out, out_min, out_max)
//
// (float)acc and the multiply each round once (to nearest even), exactly as cvtdq2ps/mulps and
// SCVTF/FMUL do, so SIMD paths reproduce the scalar oracle bit for bit. The clamp bounds carry
// the fused activation (TFLite CalculateActivationRangeQuantized). Fused multiply-add must not
// be used anywhere in this computation (es_kernels builds with -ffp-contract=off).
//
// ADD uses XNNPACK's integer form (two 21-bit multipliers and one arithmetic shift), global
// average pooling the fp32 scheme with scale S_in / (S_out * n) and bias -n * Z_in, average
// pooling the fp32 scheme per valid-tap count. Max pooling and concatenation keep the input
// quantization (TFLite requires equal scales) and only clamp.
//
// Everything here is plain data plus out-of-line functions, so the header is safe to include
// from translation units built with different -m flags (no inline code to collide in the ODR).

#include <cstddef>
#include <cstdint>

namespace es::kernels {

// --- Interface ---

/// Fused activation of an op's output.
enum class Activation : std::uint8_t {
  kNone,  ///< clamp to [-128, 127] only
  kRelu,  ///< clamp below at quantize(0)
  kRelu6, ///< clamp to [quantize(0), quantize(6)]
};

/// Scale and zero point of one tensor.
struct QuantParams {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};

/// Output side of the fp32 requantization (the per-channel scales live in packed weights).
struct RequantParams {
  std::int32_t output_zero_point = 0;
  std::int32_t output_min = -128; ///< clamp bound in the int8 domain (activation applied)
  std::int32_t output_max = 127;
  /// Every channel's scale lies in [0, 0.5] (set by the operator from its scales; see
  /// scales_bounded). Then |acc * scale| <= 2^30 for any int32 acc, so an epilogue may convert
  /// to int32 without the float upper clamp and clamp after its saturating packs instead (the
  /// result is the same: rounding is monotone and both bounds are integers).
  bool bounded_scale = false;
};

/// Parameters of the quantized ADD (XNNPACK qs8-vadd form): y = clamp(((bias + a * a_multiplier
/// + b * b_multiplier) >> shift) + Z_out). bias includes the rounding term and both zero points.
struct AddParams {
  std::int32_t a_multiplier = 0;
  std::int32_t b_multiplier = 0;
  std::int32_t bias = 0;
  std::uint32_t shift = 0;
  std::int32_t output_zero_point = 0;
  std::int32_t output_min = -128;
  std::int32_t output_max = 127;
};

/// Clamp bounds and zero point of an output with `activation` (TFLite rounding: half away from 0).
RequantParams make_requant_params(QuantParams output, Activation activation);

/// The per-channel requantization scale S_in * S_w / S_out, in float arithmetic (XNNPACK order).
float requant_scale(float input_scale, float weight_scale, float output_scale);

/// True when every scale is in [0, 0.5] (RequantParams::bounded_scale); false for NaN.
bool scales_bounded(const float* scales, std::size_t n) noexcept;

/// The scalar fp32 requantization: the oracle every SIMD epilogue reproduces.
std::int8_t requantize_fp32(std::int32_t acc, float scale, const RequantParams& params) noexcept;

/// ADD parameters for inputs a and b into `output`. Scale ratios must lie in [2^-10, 2^8).
AddParams make_add_params(QuantParams a, QuantParams b, QuantParams output, Activation activation);

/// Scalar ADD of one element pair.
std::int8_t add_requantize(std::int8_t a, std::int8_t b, const AddParams& params) noexcept;

/// Requantization scale of a mean over `n` values: S_in / (S_out * n), in float.
float mean_scale(float input_scale, float output_scale, std::uint32_t n);

} // namespace es::kernels
