#include "workloads/kernels/reference/ref_ops.hpp"

#include <algorithm>

namespace es::kernels::ref {

void conv2d(const ConvGeometry& g, const std::int8_t* input, std::int32_t input_zero_point,
            const std::int8_t* weights, const std::int32_t* bias, const float* scales,
            const RequantParams& rq, std::int8_t* output) {
  const int cin_g = g.in_c / g.groups;
  const int cout_g = g.out_c / g.groups;
  const int oh = g.out_h();
  const int ow = g.out_w();
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      for (int oc = 0; oc < g.out_c; ++oc) {
        const int group = oc / cout_g;
        std::int32_t acc = bias[oc];
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) {
            continue;
          }
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) {
              continue;
            }
            const std::int8_t* px =
                input + (static_cast<std::size_t>(iy) * g.in_w + ix) * g.in_c + group * cin_g;
            const std::int8_t* w =
                weights + ((static_cast<std::size_t>(oc) * g.kernel_h + ky) * g.kernel_w + kx) * cin_g;
            for (int ic = 0; ic < cin_g; ++ic) {
              acc += (static_cast<std::int32_t>(px[ic]) - input_zero_point) * w[ic];
            }
          }
        }
        output[(static_cast<std::size_t>(oy) * ow + ox) * g.out_c + oc] =
            requantize_fp32(acc, scales[oc], rq);
      }
    }
  }
}

void fully_connected(std::size_t in_c, std::size_t out_c, const std::int8_t* input,
                     std::int32_t input_zero_point, const std::int8_t* weights,
                     const std::int32_t* bias, const float* scales, const RequantParams& rq,
                     std::int8_t* output) {
  for (std::size_t o = 0; o < out_c; ++o) {
    std::int32_t acc = bias[o];
    for (std::size_t i = 0; i < in_c; ++i) {
      acc += (static_cast<std::int32_t>(input[i]) - input_zero_point) * weights[o * in_c + i];
    }
    output[o] = requantize_fp32(acc, scales[o], rq);
  }
}

void add(std::size_t n, const std::int8_t* a, const std::int8_t* b, std::int8_t* y,
         const AddParams& params) {
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = add_requantize(a[i], b[i], params);
  }
}

void global_avg_pool(std::size_t pixels, std::size_t channels, const std::int8_t* input,
                     std::int32_t input_zero_point, float scale, const RequantParams& rq,
                     std::int8_t* output) {
  for (std::size_t c = 0; c < channels; ++c) {
    std::int32_t acc = -static_cast<std::int32_t>(pixels) * input_zero_point;
    for (std::size_t p = 0; p < pixels; ++p) {
      acc += input[p * channels + c];
    }
    output[c] = requantize_fp32(acc, scale, rq);
  }
}

void max_pool(const PoolGeometry& g, const std::int8_t* input, std::int32_t output_min,
              std::int32_t output_max, std::int8_t* output) {
  const int oh = g.out_h();
  const int ow = g.out_w();
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      for (int c = 0; c < g.channels; ++c) {
        std::int32_t best = -128;
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) {
              continue;
            }
            best = std::max<std::int32_t>(
                best, input[(static_cast<std::size_t>(iy) * g.in_w + ix) * g.channels + c]);
          }
        }
        best = std::min(std::max(best, output_min), output_max);
        output[(static_cast<std::size_t>(oy) * ow + ox) * g.channels + c] =
            static_cast<std::int8_t>(best);
      }
    }
  }
}

void avg_pool(const PoolGeometry& g, const std::int8_t* input, QuantParams input_q,
              QuantParams output_q, const RequantParams& rq, std::int8_t* output) {
  const int oh = g.out_h();
  const int ow = g.out_w();
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      for (int c = 0; c < g.channels; ++c) {
        std::int32_t acc = 0;
        std::uint32_t count = 0;
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) {
              continue;
            }
            acc += input[(static_cast<std::size_t>(iy) * g.in_w + ix) * g.channels + c] -
                   input_q.zero_point;
            ++count;
          }
        }
        const float scale = mean_scale(input_q.scale, output_q.scale, count == 0 ? 1 : count);
        output[(static_cast<std::size_t>(oy) * ow + ox) * g.channels + c] =
            requantize_fp32(acc, scale, rq);
      }
    }
  }
}

void concat(std::size_t pixels, std::size_t count, const std::int8_t* const* inputs,
            const std::size_t* channels, std::int8_t* output) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    total += channels[i];
  }
  for (std::size_t p = 0; p < pixels; ++p) {
    std::size_t offset = 0;
    for (std::size_t i = 0; i < count; ++i) {
      for (std::size_t c = 0; c < channels[i]; ++c) {
        output[p * total + offset + c] = inputs[i][p * channels[i] + c];
      }
      offset += channels[i];
    }
  }
}

} // namespace es::kernels::ref
