#pragma once
// es::kernels::ref: naive operator oracles (ruy's ReferenceMul role).
//
// Direct loops over the TFLite int8 definitions with quant.hpp's requantization; no packing, no
// indirection, no tiling. Tests compare every operator on every ISA path against these, bit for
// bit. Slow by design; never used by the engine.
//
// Layouts: activations NHWC (batch 1) with channels contiguous; conv weights OHWI per group,
// i.e. [out_c][kh][kw][in_c / groups]; fully connected weights [out_c][in_c].

#include "workloads/kernels/quant.hpp"

#include <cstddef>
#include <cstdint>

namespace es::kernels::ref {

// --- Interface ---

/// Shape of a 2-D convolution (also depthwise: groups == in_c == out_c).
struct ConvGeometry {
  int in_h = 1, in_w = 1, in_c = 1;
  int out_c = 1;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int groups = 1;

  [[nodiscard]] int out_h() const { return (in_h + pad_top + pad_bottom - kernel_h) / stride_h + 1; }
  [[nodiscard]] int out_w() const { return (in_w + pad_left + pad_right - kernel_w) / stride_w + 1; }
};

/// Shape of a 2-D pooling window.
struct PoolGeometry {
  int in_h = 1, in_w = 1, channels = 1;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;

  [[nodiscard]] int out_h() const { return (in_h + pad_top + pad_bottom - kernel_h) / stride_h + 1; }
  [[nodiscard]] int out_w() const { return (in_w + pad_left + pad_right - kernel_w) / stride_w + 1; }
};

/// Convolution; padded taps contribute (Z_in - Z_in) * w = 0. `scales` are requant_scale() values.
void conv2d(const ConvGeometry& g, const std::int8_t* input, std::int32_t input_zero_point,
            const std::int8_t* weights, const std::int32_t* bias, const float* scales,
            const RequantParams& rq, std::int8_t* output);

/// Fully connected: output[o] = requant(bias[o] + sum_i (input[i] - Z_in) * weights[o][i]).
void fully_connected(std::size_t in_c, std::size_t out_c, const std::int8_t* input,
                     std::int32_t input_zero_point, const std::int8_t* weights,
                     const std::int32_t* bias, const float* scales, const RequantParams& rq,
                     std::int8_t* output);

/// Elementwise quantized add of n elements.
void add(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y,
         const AddParams& params);

/// Global average pool over `pixels` NHWC pixels: acc = sum(q) - pixels * Z_in, fp32 requant
/// with `scale` = mean_scale(S_in, S_out, pixels).
void global_avg_pool(std::size_t pixels, std::size_t channels, const std::int8_t* input,
                     std::int32_t input_zero_point, float scale, const RequantParams& rq,
                     std::int8_t* output);

/// Max pool over in-image taps only, then clamp to [output_min, output_max].
void max_pool(const PoolGeometry& g, const std::int8_t* input, std::int32_t output_min,
              std::int32_t output_max, std::int8_t* output);

/// Average pool over in-image taps only (count_include_pad = false): acc = sum(q - Z_in),
/// fp32 requant with mean_scale(S_in, S_out, count).
void avg_pool(const PoolGeometry& g, const std::int8_t* input, QuantParams input_q,
              QuantParams output_q, const RequantParams& rq, std::int8_t* output);

/// Channel concatenation of `count` NHWC tensors with the same quantization.
void concat(std::size_t pixels, std::size_t count, const std::int8_t* const* inputs,
            const std::size_t* channels, std::int8_t* output);

} // namespace es::kernels::ref
