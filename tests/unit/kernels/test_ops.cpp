// Every operator x every built ISA path vs the naive reference oracles, bit-exact, on odd
// shapes (1, 3, 7, 15, 16, 17, primes), all paddings, strides 1 and 2, zero points at the
// extremes and saturating outputs.
#include "test_support.hpp"
#include "workloads/kernels/ops.hpp"
#include "workloads/kernels/reference/ref_ops.hpp"
#include "workloads/kernels/winograd.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace es::kernels {
namespace {

using test::random_s32;
using test::random_s8;

struct ConvCase {
  int in_h, in_w, in_c, out_c, k, stride, pad, groups;
  int in_zp = 0;
  int out_zp = 0;
  float gain = 1.0f;                  ///< > 1 saturates
  Activation act = Activation::kNone;
  int kw = 0;                          ///< 0: square kernel
  int pad_r = -1;                      ///< asymmetric padding (bottom/right), -1: same as pad
  int extreme = 0;                     ///< +1/-1: every input 127, every weight +-127, bias 0
  int in_gap = 0;                      ///< input is a channel slice: pixels in_c + in_gap apart
  int stride_w = 0;                    ///< 0: same as stride (which is then the vertical one)
};

std::string describe(const ConvCase& c) {
  return std::to_string(c.in_h) + "x" + std::to_string(c.in_w) + "x" + std::to_string(c.in_c) + "->" +
         std::to_string(c.out_c) + " k" + std::to_string(c.k) + "x" + std::to_string(c.kw ? c.kw : c.k) +
         " s" + std::to_string(c.stride) + (c.stride_w ? "x" + std::to_string(c.stride_w) : std::string()) + " p" + std::to_string(c.pad) + "/" + std::to_string(c.pad_r) +
         " g" + std::to_string(c.groups) + " zin" + std::to_string(c.in_zp) + " zout" +
         std::to_string(c.out_zp) + " gain" + std::to_string(c.gain);
}

// Runs one convolution on `kernels` and on the oracle; expects identical bytes.
// `force_winograd`: build the Winograd operator directly (where the ISA has one) even for shapes
// create_conv() would run direct (tiny maps), so every edge of the tiling is exercised, once
// per schedule (fused and phased).
void check_conv_once(const KernelSet& kernels, const ConvCase& c, std::uint32_t seed, bool fc,
                     bool force_winograd, WinogradSchedule schedule,
                     WinogradTile tile = WinogradTile::kAuto);

void check_conv(const KernelSet& kernels, const ConvCase& c, std::uint32_t seed, bool fc = false,
                bool force_winograd = false) {
  if (!force_winograd || kernels.gemm16 == nullptr) {
    check_conv_once(kernels, c, seed, fc, false, WinogradSchedule::kAuto);
    return;
  }
  for (WinogradTile tile : {WinogradTile::k2x2, WinogradTile::k2x4}) {
    check_conv_once(kernels, c, seed, fc, true, WinogradSchedule::kFused, tile);
    check_conv_once(kernels, c, seed, fc, true, WinogradSchedule::kPhased, tile);
  }
}

void check_conv_once(const KernelSet& kernels, const ConvCase& c, std::uint32_t seed, bool fc,
                     bool force_winograd, WinogradSchedule schedule, WinogradTile tile) {
  std::mt19937 rng(seed);
  ref::ConvGeometry g;
  g.in_h = c.in_h;
  g.in_w = c.in_w;
  g.in_c = c.in_c;
  g.out_c = c.out_c;
  g.kernel_h = c.k;
  g.kernel_w = c.kw ? c.kw : c.k;
  g.stride_h = c.stride;
  g.stride_w = c.stride_w ? c.stride_w : c.stride;
  g.pad_top = g.pad_left = c.pad;
  g.pad_bottom = g.pad_right = c.pad_r < 0 ? c.pad : c.pad_r;
  g.groups = c.groups;
  const int cin_g = c.in_c / c.groups;
  const std::size_t k_total = static_cast<std::size_t>(g.kernel_h) * g.kernel_w * cin_g;
  auto input = random_s8(rng, static_cast<std::size_t>(c.in_h) * c.in_w * c.in_c + kBufferSlack);
  auto weights = random_s8(rng, static_cast<std::size_t>(c.out_c) * k_total, -127, 127);
  auto bias = random_s32(rng, static_cast<std::size_t>(c.out_c), -5000, 5000);
  if (c.extreme != 0) { // the largest |accumulator| the shape allows (with Z_in = -128)
    std::fill(input.begin(), input.end(), std::int8_t{127});
    std::fill(weights.begin(), weights.end(), static_cast<std::int8_t>(127 * c.extreme));
    std::fill(bias.begin(), bias.end(), 0);
  }
  // Requantization scales sized so |acc| ~ sqrt(K) * 73 * 73 maps to ~40 LSB, +-50% per channel.
  std::vector<float> scales(static_cast<std::size_t>(c.out_c));
  for (auto& s : scales) {
    const float u = static_cast<float>(rng() % 1000) / 1000.0f;
    s = c.gain * 40.0f / (std::sqrt(static_cast<float>(k_total)) * 73.0f * 73.0f) * (0.5f + u);
  }
  ConvDesc d;
  d.geometry = g;
  d.input = QuantParams{1.0f, c.in_zp};
  d.output = QuantParams{1.0f, c.out_zp};
  d.activation = c.act;
  d.weights = weights.data();
  d.bias = bias.data();
  d.weight_scales = scales.data();
  d.fully_connected = fc;
  auto op = create_conv(d, kernels);
  ASSERT_TRUE(op.ok()) << op.error().message;
  if (force_winograd) {
    op = Result<std::unique_ptr<Operator>>(create_winograd_conv(d, kernels, schedule, tile));
  }

  const std::size_t out_n = static_cast<std::size_t>(g.out_h()) * g.out_w() * c.out_c;
  std::vector<std::int8_t> expected(out_n);
  std::vector<float> requant(scales.size());
  for (std::size_t i = 0; i < scales.size(); ++i) {
    requant[i] = requant_scale(1.0f, scales[i], 1.0f);
  }
  const RequantParams rq = make_requant_params(d.output, c.act);
  ref::conv2d(g, input.data(), c.in_zp, weights.data(), bias.data(), requant.data(), rq, expected.data());

  // Write into a wider tensor (channel slice) to exercise output strides.
  // The operator reads the same values from a wider tensor when in_gap > 0 (a channel slice).
  const std::size_t in_stride = static_cast<std::size_t>(c.in_c + c.in_gap);
  std::vector<std::int8_t> sliced(static_cast<std::size_t>(c.in_h) * c.in_w * in_stride + kBufferSlack, 0x33);
  for (std::size_t p = 0; p < static_cast<std::size_t>(c.in_h) * c.in_w; ++p) {
    std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(p * c.in_c), c.in_c, sliced.begin() + static_cast<std::ptrdiff_t>(p * in_stride));
  }
  const std::size_t stride = static_cast<std::size_t>(c.out_c) + 5;
  std::vector<std::int8_t> actual(static_cast<std::size_t>(g.out_h()) * g.out_w() * stride + kBufferSlack, 0x55);
  AlignedBuffer scratch(op.value()->scratch_bytes() + 64);
  OpBuffers b;
  b.input = c.in_gap > 0 ? sliced.data() : input.data();
  b.input_stride = in_stride;
  b.output = actual.data() + 2;
  b.output_stride = stride;
  b.scratch = scratch.data();
  op.value()->setup(b);
  op.value()->run_serial();

  std::size_t mismatches = 0;
  std::size_t saturated = 0;
  for (std::size_t p = 0; p < out_n / c.out_c; ++p) {
    for (int oc = 0; oc < c.out_c; ++oc) {
      const std::int8_t e = expected[p * c.out_c + oc];
      const std::int8_t a = actual[p * stride + 2 + oc];
      saturated += (e == 127 || e == -128) ? 1 : 0;
      if (e != a && mismatches++ < 5) {
        ADD_FAILURE() << to_string(kernels.isa)
                      << (force_winograd ? (schedule == WinogradSchedule::kFused ? " winograd-fused" : " winograd-phased") : "")
                      << (force_winograd ? (tile == WinogradTile::k2x4 ? "-2x4" : "-2x2") : "")
                      << " " << describe(c) << ": pixel " << p << " channel "
                      << oc << " expected " << int(e) << " got " << int(a);
      }
    }
    // Bytes outside the slice stay untouched.
    ASSERT_EQ(actual[p * stride], 0x55);
    ASSERT_EQ(actual[p * stride + 1], 0x55);
  }
  EXPECT_EQ(mismatches, 0u) << describe(c);
  if (c.gain <= 1.0f && c.act == Activation::kNone && std::abs(c.out_zp) < 100 && std::abs(c.in_zp) < 100) {
    EXPECT_LT(saturated, out_n / 2 + 1) << "test data saturates: " << describe(c);
  }
}

class OpsTest : public ::testing::TestWithParam<Isa> {};

TEST_P(OpsTest, ConvPointwiseOddShapes) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  std::uint32_t seed = 1;
  for (int c_in : {1, 3, 7, 15, 16, 17, 32, 37}) {
    for (int c_out : {1, 7, 8, 15, 16, 17, 24, 33, 64}) {
      check_conv(*k, ConvCase{3, 5, c_in, c_out, 1, 1, 0, 1, -7, 3}, seed++);
    }
  }
}

// Threads run arbitrary tile ranges; a 1x1 layer batches its row preparation across the tiles
// of one range (8 at a time). Ranges of odd lengths, including ones that end on a partial
// row tile, must give exactly the serial result, which check_conv compares with the oracle.
TEST_P(OpsTest, ConvTileRangesMatchSerial) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  std::mt19937 rng(77);
  struct Shape {
    int h, w, c_in, c_out, kernel, stride;
  };
  for (const Shape& sh : {Shape{11, 7, 24, 40, 1, 1}, Shape{9, 10, 17, 33, 1, 1}, Shape{7, 8, 16, 20, 3, 1},
                          Shape{19, 13, 24, 40, 1, 2}}) {
    check_conv(*k, ConvCase{sh.h, sh.w, sh.c_in, sh.c_out, sh.kernel, sh.stride, sh.kernel / 2, 1, 4, -3}, 900);
    ref::ConvGeometry g;
    g.in_h = sh.h;
    g.in_w = sh.w;
    g.in_c = sh.c_in;
    g.out_c = sh.c_out;
    g.kernel_h = g.kernel_w = sh.kernel;
    g.stride_h = g.stride_w = sh.stride;
    g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = sh.kernel / 2;
    g.groups = 1;
    auto input = random_s8(rng, static_cast<std::size_t>(sh.h) * sh.w * sh.c_in + kBufferSlack);
    auto weights = random_s8(rng, static_cast<std::size_t>(sh.c_out) * sh.kernel * sh.kernel * sh.c_in, -127, 127);
    auto bias = random_s32(rng, static_cast<std::size_t>(sh.c_out), -3000, 3000);
    std::vector<float> scales(static_cast<std::size_t>(sh.c_out), 2e-3f);
    ConvDesc d;
    d.geometry = g;
    d.input = QuantParams{1.0f, 4};
    d.output = QuantParams{1.0f, -3};
    d.weights = weights.data();
    d.bias = bias.data();
    d.weight_scales = scales.data();
    auto op = create_conv(d, *k);
    ASSERT_TRUE(op.ok());
    const std::size_t out_n = static_cast<std::size_t>(g.out_h()) * g.out_w() * sh.c_out;
    std::vector<std::int8_t> serial(out_n + kBufferSlack), pieces(out_n + kBufferSlack);
    AlignedBuffer scratch(op.value()->scratch_bytes() + 64);
    OpBuffers b;
    b.input = input.data();
    b.input_stride = static_cast<std::size_t>(sh.c_in);
    b.output = serial.data();
    b.output_stride = static_cast<std::size_t>(sh.c_out);
    b.scratch = scratch.data();
    op.value()->setup(b);
    op.value()->run_serial();
    b.output = pieces.data();
    std::fill_n(static_cast<std::uint8_t*>(scratch.data()), op.value()->scratch_bytes(), std::uint8_t{0x5A});
    op.value()->setup(b);
    for (std::size_t phase = 0; phase < op.value()->phase_count(); ++phase) {
      const std::size_t tiles = op.value()->tile_count(phase);
      static constexpr std::size_t kLengths[] = {1, 2, 5, 9, 17, 3};
      for (std::size_t t = 0, i = 0; t < tiles; ++i) {
        const std::size_t e = std::min(tiles, t + kLengths[i % 6]);
        op.value()->run_tiles(phase, t, e);
        t = e;
      }
    }
    EXPECT_TRUE(std::equal(serial.begin(), serial.begin() + static_cast<std::ptrdiff_t>(out_n), pieces.begin()))
        << to_string(k->isa) << " " << sh.h << "x" << sh.w << "x" << sh.c_in << "->" << sh.c_out;
  }
}

TEST_P(OpsTest, ConvSpatialStridesAndPadding) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  std::uint32_t seed = 100;
  for (int kernel : {1, 2, 3, 5, 7}) {
    for (int stride : {1, 2}) {
      for (int pad = 0; pad <= kernel / 2 + (kernel == 2 ? 1 : 0); ++pad) {
        for (int c_in : {3, 8, 19}) {
          for (int c_out : {5, 16, 23}) {
            ConvCase c{kernel + 4, kernel + 6, c_in, c_out, kernel, stride, pad, 1, 11, -5};
            check_conv(*k, c, seed++);
          }
        }
      }
    }
  }
}

TEST_P(OpsTest, ConvAsymmetricPaddingAndRectangularKernel) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  ConvCase c{9, 7, 12, 20, 3, 2, 0, 1, -3, 2};
  c.pad_r = 1;
  check_conv(*k, c, 7);
  ConvCase r{8, 11, 6, 17, 1, 1, 0, 1, 5, -9};
  r.kw = 5;
  r.pad_r = 2;
  check_conv(*k, r, 8);
  // 1x1 with bottom/right padding only: the extra output rows and columns read padding.
  for (int stride : {1, 2}) {
    ConvCase p{6, 7, 64, 24, 1, stride, 0, 1, 7, -2}; // a row of 64-channel pixels > kBufferSlack
    p.pad_r = 1;
    check_conv(*k, p, 9 + static_cast<std::uint32_t>(stride));
  }
}

TEST_P(OpsTest, ConvZeroPointExtremesAndSaturation) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  std::uint32_t seed = 300;
  for (int in_zp : {-128, 127, 0}) {
    for (int out_zp : {-128, 127, 0}) {
      for (float gain : {1.0f, 30.0f}) {
        check_conv(*k, ConvCase{6, 7, 13, 19, 3, 1, 1, 1, in_zp, out_zp, gain}, seed++);
        check_conv(*k, ConvCase{5, 5, 16, 17, 1, 1, 0, 1, in_zp, out_zp, gain}, seed++);
      }
    }
  }
  // Fused ReLU / ReLU6 clamps.
  ConvCase relu{6, 6, 16, 16, 3, 1, 1, 1, -128, -128, 1.0f, Activation::kRelu};
  check_conv(*k, relu, seed++);
  ConvCase relu6{6, 6, 16, 16, 3, 1, 1, 1, 0, -10, 1.0f, Activation::kRelu6};
  check_conv(*k, relu6, seed++);
}

// Scales above 0.5 (RequantParams::bounded_scale false) must keep the float upper clamp: with
// scales near 10^6, acc * scale passes 2^31 and an unclamped conversion returns INT32_MIN, so a
// kernel taking the bounded-scale epilogue here writes -128 where the oracle writes 127.
TEST_P(OpsTest, HugeScalesKeepTheFloatClamp) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  std::uint32_t seed = 350;
  for (Activation act : {Activation::kNone, Activation::kRelu6}) {
    for (int out_zp : {-128, 0, 127}) {
      check_conv(*k, ConvCase{5, 7, 16, 40, 1, 1, 0, 1, 3, out_zp, 1e9f, act}, seed++);   // 1x1
      check_conv(*k, ConvCase{4, 9, 17, 33, 3, 2, 1, 1, -9, out_zp, 1e9f, act}, seed++);  // 3x3/2
      check_conv(*k, ConvCase{6, 7, 48, 48, 3, 1, 1, 48, 5, out_zp, 1e9f, act}, seed++);  // dw s1
      check_conv(*k, ConvCase{6, 7, 32, 32, 3, 2, 1, 32, 5, out_zp, 1e9f, act}, seed++);  // dw s2
      check_conv(*k, ConvCase{1, 1, 64, 37, 1, 1, 0, 1, -1, out_zp, 1e9f, act}, seed++, true); // fc
      // Winograd output stages (forced; every tile shape and schedule the ISA has).
      check_conv(*k, ConvCase{6, 9, 24, 20, 3, 1, 1, 1, 7, out_zp, 1e9f, act}, seed++, false, true);
      check_conv(*k, ConvCase{9, 8, 24, 20, 3, 2, 1, 1, 7, out_zp, 1e9f, act}, seed++, false, true);
    }
  }
}

TEST_P(OpsTest, ConvLargeChannelsAndRows) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  check_conv(*k, ConvCase{14, 14, 64, 96, 1, 1, 0, 1, -128, 0}, 400);
  check_conv(*k, ConvCase{9, 9, 96, 40, 3, 2, 1, 1, 3, -128}, 401);
  check_conv(*k, ConvCase{7, 7, 256, 33, 3, 1, 1, 1, -128, 5}, 402);
  check_conv(*k, ConvCase{23, 29, 3, 32, 3, 2, 1, 1, 0, -128}, 403);   // stem (im2col)
  check_conv(*k, ConvCase{21, 21, 3, 64, 7, 2, 3, 1, 0, -128}, 404);   // 7x7 stem
  // Strided 1x1 (downsample): A rows converted compact from every second pixel, fused into the
  // tiles (one weight chunk) or in a prep phase (two chunks), also from a channel slice.
  check_conv(*k, ConvCase{13, 11, 40, 48, 1, 2, 0, 1, 7, -2}, 420);
  check_conv(*k, ConvCase{13, 11, 40, 416, 1, 2, 0, 1, 7, -2}, 421);
  for (int kernel : {1, 3}) { // unequal strides: 2 down, 1 across and the reverse
    ConvCase tall{10, 9, 24, 40, kernel, 2, 0, 1, -9, 4};
    tall.stride_w = 1;
    check_conv(*k, tall, 423 + static_cast<std::uint32_t>(kernel));
    ConvCase wide{9, 10, 24, 40, kernel, 1, 0, 1, 5, -4};
    wide.stride_w = 2;
    check_conv(*k, wide, 425 + static_cast<std::uint32_t>(kernel));
  }
  ConvCase strided_slice{12, 9, 24, 40, 1, 2, 0, 1, -9, 4};
  strided_slice.in_gap = 3;
  check_conv(*k, strided_slice, 422);
  // Stems reading a channel slice (pixels further apart than their channels), every padding.
  for (int pad = 0; pad <= 3; ++pad) {
    ConvCase sliced{17, 19, 3, 24, 7, 2, pad, 1, -100, 7};
    sliced.in_gap = 5;
    check_conv(*k, sliced, 405 + static_cast<std::uint32_t>(pad));
    ConvCase small{11, 13, 5, 40, 3, pad == 0 ? 1 : 2, pad % 2, 1, 90, -3};
    small.in_gap = 1;
    check_conv(*k, small, 410 + static_cast<std::uint32_t>(pad));
  }
}

// 3x3 stride-1 convolutions: the Winograd F(2x2, 3x3) path where the ISA has one (AVX2), the
// direct path elsewhere. Odd and tiny maps (partial 2x2 tiles at the right and bottom), every
// padding, odd channel counts on both sides, extreme zero points, saturation, fused clamps.
TEST_P(OpsTest, Conv3x3Stride1Winograd) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  std::uint32_t seed = 900;
  for (auto [h, w] : {std::pair{1, 1}, {2, 3}, {3, 2}, {5, 7}, {8, 8}, {13, 6}}) {
    for (int pad : {0, 1}) {
      if (pad == 0 && (h < 3 || w < 3)) {
        continue;
      }
      for (int c_in : {16, 17, 33, 64}) {
        for (int c_out : {16, 23, 40, 71}) {
          check_conv(*k, ConvCase{h, w, c_in, c_out, 3, 1, pad, 1, -9, 4}, seed++, false, true);
        }
      }
    }
  }
  ConvCase asym{9, 10, 24, 32, 3, 1, 0, 1, 7, -3};
  asym.pad_r = 2; // bottom/right only: the last tile row and column read past the image
  check_conv(*k, asym, seed++, false, true);
  ConvCase top{7, 9, 20, 18, 3, 1, 2, 1, -50, 9};
  top.pad_r = 0;
  check_conv(*k, top, seed++, false, true);
  for (int in_zp : {-128, 127}) {
    for (int out_zp : {-128, 127}) {
      for (float gain : {1.0f, 30.0f}) {
        check_conv(*k, ConvCase{6, 7, 29, 35, 3, 1, 1, 1, in_zp, out_zp, gain}, seed++, false, true);
      }
    }
  }
  check_conv(*k, ConvCase{10, 9, 32, 48, 3, 1, 1, 1, -128, -128, 1.0f, Activation::kRelu}, seed++, false, true);
  check_conv(*k, ConvCase{10, 9, 32, 48, 3, 1, 1, 1, 3, -100, 1.0f, Activation::kRelu6}, seed++, false, true);
  // Shapes create_conv() itself sends to Winograd (>= 32 tiles): many tiles and channel chunks.
  check_conv(*k, ConvCase{28, 28, 128, 96, 3, 1, 1, 1, -128, 2}, seed++);
  check_conv(*k, ConvCase{20, 17, 64, 64, 3, 1, 1, 1, 9, -9}, seed++);    // fused (small weights)
  check_conv(*k, ConvCase{11, 13, 17, 33, 3, 1, 1, 1, 100, -7}, seed++);
  check_conv(*k, ConvCase{7, 7, 512, 40, 3, 1, 1, 1, -128, 0}, seed++); // ResNet-50 stage 5 (16 tiles)
  check_conv(*k, ConvCase{14, 14, 256, 70, 3, 1, 1, 1, -5, 5}, seed++);
}

// 3x3 stride-2 convolutions: the 5x5-window bilinear path where the ISA has one (AVX2).
TEST_P(OpsTest, Conv3x3Stride2Winograd) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  std::uint32_t seed = 1000;
  for (auto [h, w] : {std::pair{1, 1}, {2, 3}, {4, 4}, {5, 7}, {8, 9}, {13, 6}}) {
    for (int pad : {0, 1}) {
      if (pad == 0 && (h < 3 || w < 3)) {
        continue;
      }
      for (int c_in : {16, 17, 40}) {
        for (int c_out : {16, 23, 70}) {
          check_conv(*k, ConvCase{h, w, c_in, c_out, 3, 2, pad, 1, 6, -4}, seed++, false, true);
        }
      }
    }
  }
  ConvCase asym{10, 11, 24, 32, 3, 2, 0, 1, 7, -3};
  asym.pad_r = 1; // TF "SAME" padding for even sizes: bottom/right only
  check_conv(*k, asym, seed++, false, true);
  for (int in_zp : {-128, 127}) {
    for (int out_zp : {-128, 127}) {
      for (float gain : {1.0f, 30.0f}) {
        check_conv(*k, ConvCase{9, 8, 29, 35, 3, 2, 1, 1, in_zp, out_zp, gain}, seed++, false, true);
      }
    }
  }
  check_conv(*k, ConvCase{11, 9, 32, 48, 3, 2, 1, 1, -128, -128, 1.0f, Activation::kRelu}, seed++, false, true);
  // Shapes create_conv() itself sends down the stride-2 path (>= 16 output tiles).
  check_conv(*k, ConvCase{28, 28, 128, 64, 3, 2, 1, 1, -128, 2}, seed++);
  check_conv(*k, ConvCase{15, 14, 48, 40, 3, 2, 1, 1, 3, 3}, seed++);
  for (int sign : {1, -1}) { // the largest accumulators the path may see
    ConvCase c{5, 5, kWinogradMaxChannels, 16, 3, 2, 1, 1, -128, 0, 0.002f};
    c.extreme = sign;
    check_conv(*k, c, seed++, false, true);
  }
}

// The largest accumulator Winograd may see: C_in = kWinogradMaxChannels, every input 127 with
// Z_in = -128 (d = 255) and every weight +127 or -127, so 4 * y is within 2^31 of overflowing.
TEST_P(OpsTest, Conv3x3WinogradAccumulatorBound) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  for (int sign : {1, -1}) {
    ConvCase c{4, 5, kWinogradMaxChannels, 16, 3, 1, 1, 1, -128, 0, 0.002f};
    c.extreme = sign;
    check_conv(*k, c, 950, false, true);
  }
  // F(2x4, 3x3): 16 * y must fit int32, so its bound is C_in = kWinograd24MaxChannels (460).
  for (int sign : {1, -1}) {
    ConvCase c{4, 9, kWinograd24MaxChannels, 16, 3, 1, 1, 1, -128, 0, 0.002f};
    c.extreme = sign;
    check_conv(*k, c, 960, false, true);
  }
  ConvDesc d;
  d.geometry.in_h = d.geometry.in_w = 16;
  d.geometry.pad_top = d.geometry.pad_left = d.geometry.pad_bottom = d.geometry.pad_right = 1;
  d.geometry.in_c = kWinogradMaxChannels + 1;
  d.geometry.out_c = 16;
  d.geometry.kernel_h = d.geometry.kernel_w = 3;
  EXPECT_FALSE(winograd_applies(d, *k)) << "C_in above the bound must take the direct path";
  d.geometry.in_c = kWinogradMaxChannels;
  EXPECT_EQ(winograd_applies(d, *k), k->gemm16 != nullptr);
}

TEST_P(OpsTest, GroupedConv) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  check_conv(*k, ConvCase{6, 5, 12, 18, 3, 1, 1, 3, -2, 4}, 500);
  check_conv(*k, ConvCase{5, 6, 10, 10, 1, 1, 0, 2, 9, -1}, 501);
  check_conv(*k, ConvCase{9, 7, 12, 18, 1, 2, 0, 3, 9, -1}, 503); // strided 1x1, 3 groups
  check_conv(*k, ConvCase{7, 7, 8, 16, 3, 2, 1, 8, -128, 0}, 502); // depthwise, multiplier 2
}

TEST_P(OpsTest, DepthwiseOddChannels) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  std::uint32_t seed = 600;
  for (int c : {1, 3, 7, 15, 16, 17, 31, 33, 48, 131, 257}) {
    for (int kernel : {3, 5}) {
      for (int stride : {1, 2}) {
        check_conv(*k, ConvCase{7, 9, c, c, kernel, stride, kernel / 2, c, -128, 3}, seed++);
      }
    }
  }
  check_conv(*k, ConvCase{5, 5, 19, 19, 3, 1, 0, 19, 127, -128}, seed++);  // no padding
  check_conv(*k, ConvCase{6, 6, 24, 24, 3, 2, 1, 24, 0, 0, 40.0f}, seed++); // saturating
  check_conv(*k, ConvCase{1, 1, 16, 16, 3, 1, 1, 16, 5, 5}, seed++);        // all padding
  check_conv(*k, ConvCase{11, 10, 17, 17, 9, 1, 4, 17, -7, 2}, seed++);     // 81 taps
  check_conv(*k, ConvCase{8, 9, 40, 40, 4, 2, 1, 40, 1, -1}, seed++);       // even kernel
  check_conv(*k, ConvCase{3, 300, 33, 33, 3, 1, 1, 33, -5, 6}, seed++);     // rows past 256 pixels
  check_conv(*k, ConvCase{3, 300, 33, 33, 3, 2, 1, 33, 4, -6}, seed++);     // stride 2, 150 pixels
  // Past 256 pixels with channel chunks beyond the first (offset pointers): per-pixel kernel.
  check_conv(*k, ConvCase{3, 300, 150, 150, 3, 1, 1, 150, -5, 6}, seed++);
  check_conv(*k, ConvCase{3, 300, 150, 150, 3, 2, 1, 150, 4, -6}, seed++);
  check_conv(*k, ConvCase{5, 8, 17, 17, 3, 2, 0, 17, -3, 3}, seed++);       // stride 2, no padding
  check_conv(*k, ConvCase{4, 2, 16, 16, 3, 2, 1, 16, 9, -9}, seed++);       // one output column
  check_conv(*k, ConvCase{9, 4, 32, 32, 3, 1, 0, 32, 2, 1}, seed++);        // stride 1, 2 columns
}

TEST_P(OpsTest, FullyConnected) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  std::uint32_t seed = 700;
  for (int in_c : {1, 7, 16, 63, 1024}) {
    for (int out_c : {1, 10, 17, 100}) {
      check_conv(*k, ConvCase{1, 1, in_c, out_c, 1, 1, 0, 1, -128, 0}, seed++, true);
    }
  }
  // Single-row paths (GEMV): primes, NR-block boundaries, odd K, zero points, saturation.
  for (int in_c : {2, 31, 33, 131, 2039}) {
    for (int out_c : {31, 32, 33, 65, 1000}) {
      check_conv(*k, ConvCase{1, 1, in_c, out_c, 1, 1, 0, 1, 127, -128}, seed++, true);
    }
  }
  check_conv(*k, ConvCase{1, 1, 257, 97, 1, 1, 0, 1, -128, 127, 30.0f}, seed++, true);
  ConvCase relu{1, 1, 77, 45, 1, 1, 0, 1, 3, -128, 1.0f, Activation::kRelu};
  check_conv(*k, relu, seed++, true);
  // One output pixel of a spatial conv (taps, padding rows) and of a grouped conv.
  check_conv(*k, ConvCase{3, 3, 19, 37, 3, 1, 0, 1, -9, 4}, seed++);
  check_conv(*k, ConvCase{2, 2, 17, 40, 3, 1, 1, 1, 100, -3}, seed++);
  check_conv(*k, ConvCase{3, 3, 19, 37, 3, 2, 1, 1, -9, 4}, seed++);
  check_conv(*k, ConvCase{1, 1, 12, 18, 1, 1, 0, 3, -2, 4}, seed++);
}

TEST_P(OpsTest, AddMatchesOracle) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  std::mt19937 rng(800);
  const QuantParams qs[][3] = {{{0.0625f, 0}, {0.0625f, 0}, {0.0625f, 0}},
                               {{0.0625f, 0}, {0.0627451f, -128}, {0.0627451f, -128}},
                               {{0.02f, -128}, {0.5f, 127}, {0.01f, 3}},
                               {{1.0f, 5}, {0.004f, -7}, {0.9f, -128}}};
  for (const auto& q : qs) {
    for (Activation act : {Activation::kNone, Activation::kRelu}) {
      for (std::size_t n : {1u, 3u, 15u, 16u, 17u, 31u, 32u, 33u, 100u, 4099u, 10007u}) {
        const auto a = random_s8(rng, n + kBufferSlack);
        const auto b = random_s8(rng, n + kBufferSlack);
        const AddParams p = make_add_params(q[0], q[1], q[2], act);
        std::vector<std::int8_t> expected(n);
        std::vector<std::int8_t> actual(n + kBufferSlack);
        ref::add(n, a.data(), b.data(), expected.data(), p);
        auto op = create_add(n, p, *k);
        OpBuffers buf;
        buf.input = a.data();
        buf.input_b = b.data();
        buf.output = actual.data();
        op->setup(buf);
        op->run_serial();
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_EQ(expected[i], actual[i]) << "n=" << n << " i=" << i;
        }
      }
    }
  }
}

// Every int8 pair (a, b) through the ISA's vadd, for parameter sets that reach the ends of
// make_add_params' range (shift 13 and 30, multipliers of 2^21 and of 0, zero points and clamp
// bounds at the int8 extremes) and random ones. The AVX2 kernel splits the multipliers and
// saturates early (x86/avx2.cpp); this is the test that pins it to the oracle.
TEST_P(OpsTest, AddExhaustivePairs) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  struct Case {
    QuantParams a, b, out;
    Activation act;
  };
  std::vector<Case> cases = {
      {{1.0f, 0}, {1.0f, 0}, {1.0f, 0}, Activation::kNone},
      {{0.05f, -128}, {0.05f, 127}, {0.1f, 0}, Activation::kNone},
      {{0x1.0p-10f, 127}, {0x1.0p-10f, -128}, {1.0f, -128}, Activation::kNone},     // shift 30
      {{0x1.0p-10f, -128}, {0x1.0p-30f, 127}, {1.0f, 127}, Activation::kNone},     // mb = 0
      {{255.99f, 127}, {255.99f, -128}, {1.0f, 0}, Activation::kNone},              // shift 13
      {{255.99f, -128}, {-255.99f, -128}, {1.0f, 5}, Activation::kNone},            // negative ratio
      {{0x1.fffffep0f, 3}, {0x1.fffffep0f, -3}, {1.0f, -7}, Activation::kNone},     // m = 2^21
      {{0x1.0p-10f, 0}, {0x1.fffffep-11f, 0}, {1.0f, 0}, Activation::kRelu},        // both ~2^20
      {{0.02f, -128}, {0.5f, 127}, {0.01f, 3}, Activation::kRelu},
      {{1.0f, 5}, {0.004f, -7}, {0.9f, -128}, Activation::kRelu6},
      {{0.1f, 100}, {0.1f, -100}, {0.05f, 127}, Activation::kRelu},
      {{0.1f, -1}, {0.3f, 1}, {0.05f, -128}, Activation::kRelu6},
  };
  std::mt19937 rng(810);
  std::uniform_real_distribution<float> log_scale(-12.0f, 0.0f);
  while (cases.size() < 76) {
    Case c{{std::exp2(log_scale(rng)), static_cast<int>(rng() % 256) - 128},
           {std::exp2(log_scale(rng)), static_cast<int>(rng() % 256) - 128},
           {std::exp2(log_scale(rng)), static_cast<int>(rng() % 256) - 128},
           static_cast<Activation>(rng() % 3)};
    const float ratio = std::max(c.a.scale, c.b.scale) / c.out.scale;
    if (ratio >= 0x1.0p-10f && ratio < 256.0f) {
      cases.push_back(c);
    }
  }
  // a = i & 255, b = i >> 8 over all 65536 pairs; the vadd calls start one byte off alignment
  // and use odd lengths so the tails see every pair too.
  constexpr std::size_t kPairs = 65536;
  std::vector<std::int8_t> a(kPairs + 1), b(kPairs + 1), expected(kPairs), actual(kPairs + 1);
  for (std::size_t i = 0; i < kPairs; ++i) {
    a[i + 1] = static_cast<std::int8_t>(i & 255);
    b[i + 1] = static_cast<std::int8_t>(i >> 8);
  }
  for (const Case& c : cases) {
    const AddParams p = make_add_params(c.a, c.b, c.out, c.act);
    ref::add(kPairs, a.data() + 1, b.data() + 1, expected.data(), p);
    std::size_t i0 = 0;
    for (std::size_t len = 1; i0 < kPairs; len = len * 3 + 7) {
      const std::size_t n = std::min(len, kPairs - i0);
      k->vadd(n, a.data() + 1 + i0, b.data() + 1 + i0, actual.data() + 1 + i0, p);
      i0 += n;
    }
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < kPairs; ++i) {
      if (expected[i] != actual[i + 1] && mismatches++ < 5) {
        ADD_FAILURE() << to_string(k->isa) << " a=" << int(a[i + 1]) << " b=" << int(b[i + 1])
                      << " multipliers " << p.a_multiplier << "," << p.b_multiplier << " shift "
                      << p.shift << " bias " << p.bias << " zp " << p.output_zero_point << " ["
                      << p.output_min << "," << p.output_max << "]: expected " << int(expected[i])
                      << " got " << int(actual[i + 1]);
      }
    }
    ASSERT_EQ(mismatches, 0u);
  }
}

// Max pool through the ISA's kernel vs the oracle: channel counts around every vector width,
// strides 1-3, symmetric and asymmetric padding (including windows that lie wholly in the
// padding), and input and output as channel slices of wider tensors. The input has no slack,
// so ASan sees any read past the last pixel's channels.
TEST_P(OpsTest, MaxPoolMatchesOracle) {
  ES_KERNELS_OR_SKIP(k, GetParam());
  ASSERT_NE(k->maxpool, nullptr);
  std::mt19937 rng(820);
  struct Window {
    int kernel, stride, pad, pad_r;
  };
  const Window windows[] = {{3, 2, 1, 1}, {3, 1, 1, 1}, {2, 2, 0, 0}, {3, 2, 0, 1},
                            {2, 1, 2, 0}, {5, 3, 2, 2}, {1, 1, 0, 0}, {3, 3, 2, 1}};
  for (const Window& w : windows) {
    for (int channels : {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 37, 63, 64, 65, 97, 127, 128, 129, 200}) {
      ref::PoolGeometry g;
      g.in_h = 7;
      g.in_w = 6;
      g.channels = channels;
      g.kernel_h = g.kernel_w = w.kernel;
      g.stride_h = g.stride_w = w.stride;
      g.pad_top = g.pad_left = w.pad;
      g.pad_bottom = g.pad_right = w.pad_r;
      const std::size_t pixels = static_cast<std::size_t>(g.in_h) * g.in_w;
      const std::size_t out_pixels = static_cast<std::size_t>(g.out_h()) * g.out_w();
      const auto c = static_cast<std::size_t>(channels);
      // Dense input for the oracle; the op reads channels [2, 2 + c) of (c + 3)-wide pixels.
      const auto x = random_s8(rng, pixels * c);
      std::vector<std::int8_t> wide(pixels * (c + 3) - 1, 0x7F);
      for (std::size_t p = 0; p < pixels; ++p) {
        std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(p * c), c, wide.begin() + static_cast<std::ptrdiff_t>(p * (c + 3) + 2));
      }
      std::vector<std::int8_t> expected(out_pixels * c);
      ref::max_pool(g, x.data(), -128, 127, expected.data());
      const std::size_t out_stride = c + 4;
      std::vector<std::int8_t> actual(out_pixels * out_stride, 0x55);
      auto op = create_max_pool(g, *k);
      OpBuffers b;
      b.input = wide.data() + 2;
      b.input_stride = c + 3;
      b.output = actual.data() + 1;
      b.output_stride = out_stride;
      op->setup(b);
      op->run_serial();
      std::size_t mismatches = 0;
      for (std::size_t p = 0; p < out_pixels; ++p) {
        ASSERT_EQ(actual[p * out_stride], 0x55) << "wrote before the slice";
        for (std::size_t ch = 0; ch < c; ++ch) {
          if (expected[p * c + ch] != actual[p * out_stride + 1 + ch] && mismatches++ < 5) {
            ADD_FAILURE() << to_string(k->isa) << " k" << w.kernel << " s" << w.stride << " p"
                          << w.pad << "/" << w.pad_r << " c" << channels << ": pixel " << p
                          << " channel " << ch << " expected " << int(expected[p * c + ch])
                          << " got " << int(actual[p * out_stride + 1 + ch]);
          }
        }
        for (std::size_t j = 1 + c; j < out_stride; ++j) {
          ASSERT_EQ(actual[p * out_stride + j], 0x55) << "wrote past the slice";
        }
      }
      EXPECT_EQ(mismatches, 0u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, OpsTest, ::testing::ValuesIn(all_isas()), test::isa_param_name);

#if defined(ES_TEST_VNNI_EMULATION)
} // namespace
const KernelSet* kernels_avxvnni_emulated();
const KernelSet* kernels_avx512vnni_emulated();
namespace {

// The AVX-VNNI kernels with vpdpbusd emulated (see CMakeLists.txt): same packing and epilogue.
TEST(VnniEmulation, AvxVnniIgemmMatchesOracle) {
  if (!detect_cpu_features().avx2) {
    GTEST_SKIP() << "needs AVX2";
  }
  const KernelSet& k = *kernels_avxvnni_emulated();
  std::uint32_t seed = 1000;
  for (int c_in : {1, 3, 7, 16, 17, 37}) {
    for (int c_out : {1, 8, 9, 16, 17, 33}) {
      check_conv(k, ConvCase{3, 5, c_in, c_out, 1, 1, 0, 1, -7, 3}, seed++);
    }
  }
  for (int in_zp : {-128, 127, 0}) {
    check_conv(k, ConvCase{6, 7, 13, 19, 3, 1, 1, 1, in_zp, -128, 30.0f}, seed++);
    check_conv(k, ConvCase{9, 9, 24, 40, 3, 2, 1, 1, in_zp, 5}, seed++);
  }
  check_conv(k, ConvCase{23, 29, 3, 32, 3, 2, 1, 1, 0, -128}, seed++); // im2col stem
  check_conv(k, ConvCase{6, 5, 12, 18, 3, 1, 1, 3, -2, 4}, seed++);     // grouped
  check_conv(k, ConvCase{7, 7, 16, 16, 3, 1, 1, 16, -128, 0}, seed++);  // depthwise (AVX2 code)
  check_conv(k, ConvCase{1, 1, 1024, 100, 1, 1, 0, 1, -128, 0}, seed++, true);
}

// The AVX-512 VNNI kernels with every AVX-512 intrinsic emulated (x86/avx512_emulation.hpp):
// the 8x32 tile's row and column tails (nc <= 16 takes the half block, masked stores below 16),
// kc not a multiple of 4, convert_a's 64-byte loop and its tail, zero points at both ends,
// saturating outputs, ReLU6, the im2col stem, groups, a channel slice and the FC.
TEST(VnniEmulation, Avx512VnniIgemmMatchesOracle) {
  if (!detect_cpu_features().avx2) {
    GTEST_SKIP() << "needs AVX2";
  }
  const KernelSet& k = *kernels_avx512vnni_emulated();
  EXPECT_EQ(k.isa, Isa::kAvx512Vnni);
  EXPECT_EQ(k.mr, 8u);
  EXPECT_EQ(k.nr, 32u);
  reset_coverage();
  std::uint32_t seed = 2000;
  for (int c_in : {1, 3, 4, 5, 17, 64, 70, 131}) {
    for (int c_out : {1, 15, 16, 17, 31, 32, 33, 65}) {
      check_conv(k, ConvCase{3, 7, c_in, c_out, 1, 1, 0, 1, -7, 3}, seed++); // 21 rows: 8+8+5
    }
  }
  for (int in_zp : {-128, 127, 0}) {
    for (int out_zp : {-128, 127}) {
      check_conv(k, ConvCase{6, 7, 13, 19, 3, 1, 1, 1, in_zp, out_zp, 30.0f}, seed++); // saturates
      check_conv(k, ConvCase{9, 9, 24, 40, 3, 2, 1, 1, in_zp, out_zp}, seed++);
    }
  }
  ConvCase relu6{5, 6, 20, 24, 3, 1, 1, 1, -100, -128};
  relu6.act = Activation::kRelu6;
  check_conv(k, relu6, seed++);
  ConvCase extreme{4, 4, 67, 18, 3, 1, 1, 1, -128, 0};
  extreme.extreme = 1;
  check_conv(k, extreme, seed++);
  extreme.extreme = -1;
  check_conv(k, extreme, seed++);
  ConvCase slice{5, 5, 70, 20, 1, 1, 0, 1, 9, -9};
  slice.in_gap = 11;
  check_conv(k, slice, seed++);
  check_conv(k, ConvCase{23, 29, 3, 32, 3, 2, 1, 1, 0, -128}, seed++); // im2col stem
  check_conv(k, ConvCase{6, 5, 12, 18, 3, 1, 1, 3, -2, 4}, seed++);     // grouped
  check_conv(k, ConvCase{7, 7, 16, 16, 3, 1, 1, 16, -128, 0}, seed++);  // depthwise (AVX2 code)
  check_conv(k, ConvCase{1, 1, 1024, 100, 1, 1, 0, 1, -128, 0}, seed++, true);
  check_conv(k, ConvCase{1, 1, 1280, 1000, 1, 1, 0, 1, -128, 0}, seed++, true);
  // The emulated path's own microkernels ran, not another path's.
  EXPECT_GT(coverage_count(Isa::kAvx512Vnni, KernelKind::kIgemm), 0u);
  EXPECT_GT(coverage_count(Isa::kAvx512Vnni, KernelKind::kConvert), 0u);
  EXPECT_GT(coverage_count(Isa::kAvx512Vnni, KernelKind::kDwconv), 0u);
}
#endif

// ISA-independent operators (shared code) against their oracles.
TEST(PoolingOps, GlobalAvgPool) {
  std::mt19937 rng(900);
  for (std::size_t pixels : {1u, 7u, 49u}) {
    for (std::size_t channels : {1u, 17u, 300u}) {
      for (int zp : {-128, 0, 127}) {
        const auto x = random_s8(rng, pixels * channels);
        const QuantParams in{0.05f, zp};
        const QuantParams out{0.04f, -3};
        std::vector<std::int8_t> expected(channels);
        std::vector<std::int8_t> actual(channels);
        ref::global_avg_pool(pixels, channels, x.data(), zp,
                             mean_scale(in.scale, out.scale, static_cast<std::uint32_t>(pixels)),
                             make_requant_params(out, Activation::kNone), expected.data());
        auto op = create_global_avg_pool(pixels, channels, in, out);
        OpBuffers b;
        b.input = x.data();
        b.input_stride = channels;
        b.output = actual.data();
        op->setup(b);
        op->run_serial();
        EXPECT_EQ(expected, actual);
      }
    }
  }
}

// Long reductions (more pixels than the int16 partial sums cover, in one and several chunks)
// with inputs pinned at -128 and at 127, channel counts across the 256-channel tile, and a
// strided input.
TEST(PoolingOps, GlobalAvgPoolLongAndExtreme) {
  std::mt19937 rng(903);
  for (std::size_t pixels : {255u, 256u, 257u, 600u}) {
    for (std::size_t channels : {3u, 33u, 256u, 257u}) {
      for (int fill : {-128, 127, 0}) {
        const std::size_t stride = channels + 5;
        auto x = random_s8(rng, pixels * stride);
        if (fill != 0) {
          std::fill(x.begin(), x.end(), static_cast<std::int8_t>(fill));
        }
        std::vector<std::int8_t> dense(pixels * channels);
        for (std::size_t p = 0; p < pixels; ++p) {
          std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(p * stride), channels,
                      dense.begin() + static_cast<std::ptrdiff_t>(p * channels));
        }
        // Output scale = input scale: the mean itself, so a wrong sum shows up unsaturated.
        const QuantParams in{0.05f, 0};
        const QuantParams out{0.05f, 0};
        std::vector<std::int8_t> expected(channels);
        std::vector<std::int8_t> actual(channels);
        ref::global_avg_pool(pixels, channels, dense.data(), 0,
                             mean_scale(in.scale, out.scale, static_cast<std::uint32_t>(pixels)),
                             make_requant_params(out, Activation::kNone), expected.data());
        if (fill != 0) {
          ASSERT_EQ(expected[0], fill);
        }
        auto op = create_global_avg_pool(pixels, channels, in, out);
        OpBuffers b;
        b.input = x.data();
        b.input_stride = stride;
        b.output = actual.data();
        op->setup(b);
        op->run_serial();
        EXPECT_EQ(expected, actual) << pixels << " pixels, " << channels << " channels, fill " << fill;
      }
    }
  }
}

TEST(PoolingOps, MaxAndAveragePool) {
  std::mt19937 rng(901);
  for (int kernel : {2, 3}) {
    for (int stride : {1, 2}) {
      for (int pad : {0, 1}) {
        for (int channels : {1, 5, 64, 130}) {
          ref::PoolGeometry g;
          g.in_h = 9;
          g.in_w = 8;
          g.channels = channels;
          g.kernel_h = g.kernel_w = kernel;
          g.stride_h = g.stride_w = stride;
          g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = pad;
          const auto x = random_s8(rng, static_cast<std::size_t>(g.in_h) * g.in_w * channels);
          const std::size_t out_n = static_cast<std::size_t>(g.out_h()) * g.out_w() * channels;
          std::vector<std::int8_t> expected(out_n);
          std::vector<std::int8_t> actual(out_n);
          OpBuffers b;
          b.input = x.data();
          b.input_stride = static_cast<std::size_t>(channels);
          b.output = actual.data();
          b.output_stride = static_cast<std::size_t>(channels);
          ref::max_pool(g, x.data(), -128, 127, expected.data());
          auto maxp = create_max_pool(g, *kernels_reference());
          maxp->setup(b);
          maxp->run_serial();
          EXPECT_EQ(expected, actual);
          const QuantParams qin{0.1f, -20};
          const QuantParams qout{0.1f, -20};
          ref::avg_pool(g, x.data(), qin, qout, make_requant_params(qout, Activation::kNone),
                        expected.data());
          auto avgp = create_avg_pool(g, qin, qout);
          avgp->setup(b);
          avgp->run_serial();
          EXPECT_EQ(expected, actual);
        }
      }
    }
  }
}

TEST(PoolingOps, ConcatViaChannelSlices) {
  std::mt19937 rng(902);
  const std::size_t pixels = 37;
  const std::size_t ca = 5;
  const std::size_t cb = 11;
  const auto a = random_s8(rng, pixels * ca);
  const auto b = random_s8(rng, pixels * cb);
  const std::int8_t* inputs[] = {a.data(), b.data()};
  const std::size_t channels[] = {ca, cb};
  std::vector<std::int8_t> expected(pixels * (ca + cb));
  std::vector<std::int8_t> actual(pixels * (ca + cb));
  ref::concat(pixels, 2, inputs, channels, expected.data());
  auto copy_a = create_channel_copy(pixels, ca);
  auto copy_b = create_channel_copy(pixels, cb);
  OpBuffers ba;
  ba.input = a.data();
  ba.input_stride = ca;
  ba.output = actual.data();
  ba.output_stride = ca + cb;
  copy_a->setup(ba);
  copy_a->run_serial();
  OpBuffers bb = ba;
  bb.input = b.data();
  bb.input_stride = cb;
  bb.output = actual.data() + ca;
  copy_b->setup(bb);
  copy_b->run_serial();
  EXPECT_EQ(expected, actual);
}

} // namespace
} // namespace es::kernels
