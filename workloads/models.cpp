#include "workloads/models.hpp"

#include <cmath>

namespace es::workloads {
namespace {

using kernels::Activation;
using kernels::QuantParams;

// Activation quantization conventions (networks.md).
QuantParams q_of(double scale, int zp) { return QuantParams{static_cast<float>(scale), zp}; }
const QuantParams kQImage = q_of(1.0 / 128.0, 0);
const QuantParams kQRelu6 = q_of(6.0 / 255.0, -128);
const QuantParams kQRelu = q_of(8.0 / 255.0, -128);
const QuantParams kQResOut = q_of(16.0 / 255.0, -128);
const QuantParams kQLinear = q_of(1.0 / 16.0, 0);
const QuantParams kQLogitsMbv1 = q_of(1.0 / 32.0, 0);
const QuantParams kQLogitsMbv2 = q_of(1.0 / 16.0, 0);
const QuantParams kQLogitsResnet = q_of(1.0 / 4.0, 0);

constexpr double kWeightIntStd = 73.6;

std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t hash_at(std::uint64_t seed, std::uint64_t i) {
  return mix64(mix64(seed) + (i + 1) * 0x9E3779B97F4A7C15ull);
}

constexpr std::uint64_t kStreamWeights = 0;
constexpr std::uint64_t kStreamScales = 0x5CA1E;
constexpr std::uint64_t kStreamBias = 0xB1A5;
constexpr std::uint64_t kStreamInput = 0x1A9E7;

class Builder {
public:
  Builder(std::string name, std::string description) {
    m_net.name = std::move(name);
    m_net.description = std::move(description);
  }

  int tensor(int h, int w, int c, QuantParams q) {
    m_net.tensors.push_back(TensorSpec{h, w, c, q});
    return static_cast<int>(m_net.tensors.size()) - 1;
  }

  int input(int h, int w, int c) {
    m_net.input = tensor(h, w, c, kQImage);
    return m_net.input;
  }

  const TensorSpec& t(int index) const { return m_net.tensors[static_cast<std::size_t>(index)]; }

  // Convolution into a new tensor; pad < 0 means (k - 1) / 2.
  int conv(int x, int out_c, int k, int s, Activation act, QuantParams q, int groups = 1,
           int pad = -1, const std::string& label = "") {
    const int p = pad < 0 ? (k - 1) / 2 : pad;
    const int oh = (t(x).h + 2 * p - k) / s + 1;
    const int ow = (t(x).w + 2 * p - k) / s + 1;
    const int y = tensor(oh, ow, out_c, q);
    conv_into(x, y, 0, out_c, k, s, act, groups, p, label);
    return y;
  }

  // Convolution writing channels [offset, offset + out_c) of an existing tensor.
  void conv_into(int x, int y, int offset, int out_c, int k, int s, Activation act, int groups,
                 int pad, const std::string& label) {
    LayerSpec l;
    l.kind = LayerKind::kConv;
    l.input = x;
    l.output = y;
    l.output_channel_offset = offset;
    l.kernel = k;
    l.stride = s;
    l.pad = pad;
    l.groups = groups;
    l.out_c = out_c;
    l.activation = act;
    const int cin_g = t(x).c / groups;
    const double gain = t(x).q.zero_point == -128 ? std::sqrt(2.0) : 1.0;
    l.weight_std = gain / std::sqrt(static_cast<double>(k * k * cin_g));
    l.weight_layer = ++m_weight_layers;
    l.label = label;
    m_net.layers.push_back(l);
  }

  int maxpool(int x, int k, int s, int pad) {
    const int oh = (t(x).h + 2 * pad - k) / s + 1;
    const int ow = (t(x).w + 2 * pad - k) / s + 1;
    const int y = tensor(oh, ow, t(x).c, t(x).q);
    LayerSpec l;
    l.kind = LayerKind::kMaxPool;
    l.input = x;
    l.output = y;
    l.kernel = k;
    l.stride = s;
    l.pad = pad;
    l.out_c = t(x).c;
    l.label = "maxpool " + std::to_string(k) + "x" + std::to_string(k) + "/" + std::to_string(s);
    m_net.layers.push_back(l);
    return y;
  }

  int add(int a, int b, Activation act, QuantParams q, const std::string& label) {
    const int y = tensor(t(a).h, t(a).w, t(a).c, q);
    LayerSpec l;
    l.kind = LayerKind::kAdd;
    l.input = a;
    l.input_b = b;
    l.output = y;
    l.out_c = t(a).c;
    l.activation = act;
    l.label = label;
    m_net.layers.push_back(l);
    return y;
  }

  int gap(int x) {
    const int y = tensor(1, 1, t(x).c, t(x).q);
    LayerSpec l;
    l.kind = LayerKind::kGlobalAvgPool;
    l.input = x;
    l.output = y;
    l.out_c = t(x).c;
    l.label = "global average pool";
    m_net.layers.push_back(l);
    return y;
  }

  int fc(int x, int out_c, QuantParams q) {
    const int y = tensor(1, 1, out_c, q);
    LayerSpec l;
    l.kind = LayerKind::kFullyConnected;
    l.input = x;
    l.output = y;
    l.out_c = out_c;
    const double gain = t(x).q.zero_point == -128 ? std::sqrt(2.0) : 1.0;
    l.weight_std = gain / std::sqrt(static_cast<double>(t(x).c));
    l.weight_layer = ++m_weight_layers;
    l.label = "FC " + std::to_string(t(x).c) + "->" + std::to_string(out_c);
    m_net.layers.push_back(l);
    return y;
  }

  NetSpec finish(int output) {
    m_net.output = output;
    return std::move(m_net);
  }

private:
  NetSpec m_net;
  int m_weight_layers = 0;
};

std::string dw_label(int k, int s) {
  return "dw " + std::to_string(k) + "x" + std::to_string(k) + "/" + std::to_string(s);
}

NetSpec mobilenet_v1() {
  Builder b("mobilenet_v1", "MobileNetV1 1.0 224 (ReLU6, TFLite-style quantized)");
  int x = b.input(224, 224, 3);
  x = b.conv(x, 32, 3, 2, Activation::kRelu6, kQRelu6, 1, -1, "conv 3x3/2");
  const int cfg[][2] = {{1, 64},  {2, 128}, {1, 128}, {2, 256}, {1, 256}, {2, 512}, {1, 512},
                        {1, 512}, {1, 512}, {1, 512}, {1, 512}, {2, 1024}, {1, 1024}};
  for (const auto& [s, c] : cfg) {
    x = b.conv(x, b.t(x).c, 3, s, Activation::kRelu6, kQRelu6, b.t(x).c, -1, dw_label(3, s));
    x = b.conv(x, c, 1, 1, Activation::kRelu6, kQRelu6, 1, -1, "pw 1x1");
  }
  x = b.gap(x);
  x = b.fc(x, 1000, kQLogitsMbv1);
  return b.finish(x);
}

// Inverted residual stack shared by MobileNetV2 and EfficientNet-Lite0:
// rows of (expansion t, kernel k, output channels c, repeats n, first stride s).
int inverted_residuals(Builder& b, int x, const int (*cfg)[5], int rows) {
  for (int row = 0; row < rows; ++row) {
    const auto [t, k, c, n, s0] = std::tuple{cfg[row][0], cfg[row][1], cfg[row][2], cfg[row][3], cfg[row][4]};
    for (int r = 0; r < n; ++r) {
      const int s = r == 0 ? s0 : 1;
      const int in = x;
      int h = x;
      if (t != 1) {
        h = b.conv(h, b.t(x).c * t, 1, 1, Activation::kRelu6, kQRelu6, 1, -1, "expand 1x1");
      }
      h = b.conv(h, b.t(h).c, k, s, Activation::kRelu6, kQRelu6, b.t(h).c, -1, dw_label(k, s));
      h = b.conv(h, c, 1, 1, Activation::kNone, kQLinear, 1, -1, "project 1x1 (linear)");
      if (s == 1 && b.t(in).c == c) {
        h = b.add(h, in, Activation::kNone, kQLinear, "residual add");
      }
      x = h;
    }
  }
  return x;
}

NetSpec mobilenet_v2() {
  Builder b("mobilenet_v2", "MobileNetV2 1.0 224 (linear bottlenecks, residual adds)");
  int x = b.input(224, 224, 3);
  x = b.conv(x, 32, 3, 2, Activation::kRelu6, kQRelu6, 1, -1, "conv 3x3/2");
  const int cfg[][5] = {{1, 3, 16, 1, 1}, {6, 3, 24, 2, 2},  {6, 3, 32, 3, 2}, {6, 3, 64, 4, 2},
                        {6, 3, 96, 3, 1}, {6, 3, 160, 3, 2}, {6, 3, 320, 1, 1}};
  x = inverted_residuals(b, x, cfg, 7);
  x = b.conv(x, 1280, 1, 1, Activation::kRelu6, kQRelu6, 1, -1, "conv 1x1");
  x = b.gap(x);
  x = b.fc(x, 1000, kQLogitsMbv2);
  return b.finish(x);
}

NetSpec efficientnet_lite0() {
  Builder b("efficientnet_lite0", "EfficientNet-Lite0 224 (ReLU6, no squeeze-excite; 3x3 and 5x5 depthwise)");
  int x = b.input(224, 224, 3);
  x = b.conv(x, 32, 3, 2, Activation::kRelu6, kQRelu6, 1, -1, "stem conv 3x3/2");
  const int cfg[][5] = {{1, 3, 16, 1, 1},  {6, 3, 24, 2, 2},  {6, 5, 40, 2, 2}, {6, 3, 80, 3, 2},
                        {6, 5, 112, 3, 1}, {6, 5, 192, 4, 2}, {6, 3, 320, 1, 1}};
  x = inverted_residuals(b, x, cfg, 7);
  x = b.conv(x, 1280, 1, 1, Activation::kRelu6, kQRelu6, 1, -1, "head conv 1x1");
  x = b.gap(x);
  x = b.fc(x, 1000, kQLogitsMbv2);
  return b.finish(x);
}

NetSpec resnet(const char* name, const char* description, bool bottleneck, const int (&reps)[4]) {
  Builder b(name, description);
  int x = b.input(224, 224, 3);
  x = b.conv(x, 64, 7, 2, Activation::kRelu, kQRelu, 1, 3, "conv 7x7/2");
  x = b.maxpool(x, 3, 2, 1);
  const int widths[4] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage) {
    for (int r = 0; r < reps[stage]; ++r) {
      const int s = (r == 0 && stage > 0) ? 2 : 1;
      const int width = widths[stage];
      const int in = x;
      int h = x;
      int out_c = width;
      if (bottleneck) {
        out_c = width * 4;
        h = b.conv(x, width, 1, 1, Activation::kRelu, kQRelu, 1, -1, "1x1");
        h = b.conv(h, width, 3, s, Activation::kRelu, kQRelu, 1, -1, "3x3/" + std::to_string(s));
        h = b.conv(h, out_c, 1, 1, Activation::kNone, kQLinear, 1, -1, "1x1 (linear)");
      } else {
        h = b.conv(x, width, 3, s, Activation::kRelu, kQRelu, 1, -1, "3x3/" + std::to_string(s));
        h = b.conv(h, out_c, 3, 1, Activation::kNone, kQLinear, 1, -1, "3x3 (linear)");
      }
      int shortcut = in;
      if (s != 1 || b.t(in).c != out_c) {
        shortcut = b.conv(in, out_c, 1, s, Activation::kNone, kQLinear, 1, -1,
                          "downsample 1x1/" + std::to_string(s) + " (linear)");
      }
      x = b.add(h, shortcut, Activation::kRelu, kQResOut, "residual add + ReLU");
    }
  }
  x = b.gap(x);
  x = b.fc(x, 1000, kQLogitsResnet);
  return b.finish(x);
}

NetSpec squeezenet1_1() {
  Builder b("squeezenet1_1", "SqueezeNet 1.1 (fire modules; expand 1x1 and 3x3 concatenated in place)");
  int x = b.input(224, 224, 3);
  x = b.conv(x, 64, 3, 2, Activation::kRelu, kQRelu, 1, 0, "conv 3x3/2");
  auto fire = [&b](int in, int squeeze, int e1, int e3) {
    const int s = b.conv(in, squeeze, 1, 1, Activation::kRelu, kQRelu, 1, -1, "fire squeeze 1x1");
    const int y = b.tensor(b.t(s).h, b.t(s).w, e1 + e3, kQRelu);
    b.conv_into(s, y, 0, e1, 1, 1, Activation::kRelu, 1, 0, "fire expand 1x1");
    b.conv_into(s, y, e1, e3, 3, 1, Activation::kRelu, 1, 1, "fire expand 3x3");
    return y;
  };
  x = b.maxpool(x, 3, 2, 0);
  x = fire(x, 16, 64, 64);
  x = fire(x, 16, 64, 64);
  x = b.maxpool(x, 3, 2, 0);
  x = fire(x, 32, 128, 128);
  x = fire(x, 32, 128, 128);
  x = b.maxpool(x, 3, 2, 0);
  x = fire(x, 48, 192, 192);
  x = fire(x, 48, 192, 192);
  x = fire(x, 64, 256, 256);
  x = fire(x, 64, 256, 256);
  // Linear classifier conv (the original has a ReLU here): with synthetic weights a ReLU kills
  // about a third of the classes, and dead logits make a weak checksum.
  x = b.conv(x, 1000, 1, 1, Activation::kNone, kQLinear, 1, -1, "classifier conv 1x1 (linear)");
  x = b.gap(x);
  return b.finish(x);
}

} // namespace

std::uint64_t LayerSpec::macs(const std::vector<TensorSpec>& tensors) const {
  const TensorSpec& in = tensors[static_cast<std::size_t>(input)];
  switch (kind) {
  case LayerKind::kConv: {
    const std::uint64_t oh = static_cast<std::uint64_t>((in.h + 2 * pad - kernel) / stride + 1);
    const std::uint64_t ow = static_cast<std::uint64_t>((in.w + 2 * pad - kernel) / stride + 1);
    return oh * ow * static_cast<std::uint64_t>(out_c) * kernel * kernel *
           static_cast<std::uint64_t>(in.c / groups);
  }
  case LayerKind::kFullyConnected:
    return static_cast<std::uint64_t>(in.h) * in.w * in.c * static_cast<std::uint64_t>(out_c);
  default:
    return 0;
  }
}

std::uint64_t LayerSpec::parameters(const std::vector<TensorSpec>& tensors) const {
  const TensorSpec& in = tensors[static_cast<std::size_t>(input)];
  switch (kind) {
  case LayerKind::kConv:
    return static_cast<std::uint64_t>(out_c) * kernel * kernel * (in.c / groups) +
           static_cast<std::uint64_t>(out_c);
  case LayerKind::kFullyConnected:
    return static_cast<std::uint64_t>(in.h) * in.w * in.c * out_c + static_cast<std::uint64_t>(out_c);
  default:
    return 0;
  }
}

std::uint64_t NetSpec::macs() const {
  std::uint64_t total = 0;
  for (const auto& l : layers) {
    total += l.macs(tensors);
  }
  return total;
}

std::uint64_t NetSpec::parameters() const {
  std::uint64_t total = 0;
  for (const auto& l : layers) {
    total += l.parameters(tensors);
  }
  return total;
}

std::vector<std::string> model_names() {
  return {"mobilenet_v1", "mobilenet_v2", "resnet18", "resnet50", "squeezenet1_1",
          "efficientnet_lite0"};
}

Result<NetSpec> build_model(std::string_view name) {
  if (name == "mobilenet_v1") {
    return mobilenet_v1();
  }
  if (name == "mobilenet_v2") {
    return mobilenet_v2();
  }
  if (name == "resnet18") {
    return resnet("resnet18", "ResNet-18 224 (basic blocks)", false, {2, 2, 2, 2});
  }
  if (name == "resnet50") {
    return resnet("resnet50", "ResNet-50 v1.5 224 (stride on the 3x3)", true, {3, 4, 6, 3});
  }
  if (name == "squeezenet1_1") {
    return squeezenet1_1();
  }
  if (name == "efficientnet_lite0") {
    return efficientnet_lite0();
  }
  std::string known;
  for (const auto& n : model_names()) {
    known += (known.empty() ? "" : ", ") + n;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown model '" + std::string(name) + "' (known: " + known + ")");
}

ModelInfo model_info(const NetSpec& spec) {
  ModelInfo info;
  info.name = spec.name;
  info.description = spec.description;
  info.macs = spec.macs();
  info.parameters = spec.parameters();
  const TensorSpec& in = spec.tensors[static_cast<std::size_t>(spec.input)];
  info.input_h = in.h;
  info.input_w = in.w;
  info.input_c = in.c;
  return info;
}

std::uint64_t layer_seed(std::uint64_t global_seed, std::uint64_t layer) {
  return global_seed * 1000003ull + layer;
}

std::vector<std::int8_t> generate_weights(std::uint64_t seed, std::size_t n) {
  std::vector<std::int8_t> w(n);
  for (std::size_t i = 0; i < n; ++i) {
    w[i] = static_cast<std::int8_t>(static_cast<int>((hash_at(seed ^ kStreamWeights, i) >> 40) % 255) - 127);
  }
  return w;
}

std::vector<float> generate_scales(std::uint64_t seed, double weight_std, std::size_t n) {
  std::vector<float> s(n);
  for (std::size_t c = 0; c < n; ++c) {
    const double u = static_cast<double>(hash_at(seed ^ kStreamScales, c) >> 11) * 0x1.0p-53;
    s[c] = static_cast<float>(weight_std * (0.75 + 0.5 * u) / kWeightIntStd);
  }
  return s;
}

std::vector<std::int32_t> generate_bias(std::uint64_t seed, std::size_t n) {
  std::vector<std::int32_t> b(n);
  for (std::size_t c = 0; c < n; ++c) {
    b[c] = static_cast<std::int32_t>((hash_at(seed ^ kStreamBias, c) >> 33) % 4097) - 2048;
  }
  return b;
}

std::vector<std::int8_t> generate_input(std::uint64_t global_seed, std::size_t n) {
  std::vector<std::int8_t> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<std::int8_t>(static_cast<int>(hash_at(global_seed ^ kStreamInput, i) >> 56) - 128);
  }
  return x;
}

} // namespace es::workloads
