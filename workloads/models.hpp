#pragma once
// es::workloads built-in models: layer tables and deterministic synthetic weights.
//
// mobilenet_v1, mobilenet_v2, resnet18 and resnet50 follow /work/shared/notes/networks.md (the
// anchors' netspec) exactly: same layers, MAC counts, quantization parameters, and the same
// splitmix64-hash weight/bias/scale/input generators with seed 42, so their int8 logits can be
// compared with XNNPACK's and ONNX Runtime's output hashes. squeezenet1_1 and
// efficientnet_lite0 use the same conventions (He-style weight magnitudes, ReLU/ReLU6 folded
// into output ranges: ReLU6 = (6/255, -128), ReLU = (8/255, -128), linear = (1/16, 0)).

#include "daemon/core/result.hpp"
#include "workloads/kernels/quant.hpp"
#include "workloads/workload.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace es::workloads {

// --- Interface ---

/// Shape and quantization of one activation tensor (NHWC, batch 1).
struct TensorSpec {
  int h = 1, w = 1, c = 1;
  kernels::QuantParams q;
};

enum class LayerKind : std::uint8_t { kConv, kFullyConnected, kMaxPool, kAdd, kGlobalAvgPool };

/// One layer. Convolutions may write into a channel slice of a wider tensor (concat).
struct LayerSpec {
  LayerKind kind = LayerKind::kConv;
  int input = -1;    ///< tensor index
  int input_b = -1;  ///< second operand (add)
  int output = -1;   ///< tensor index
  int output_channel_offset = 0; ///< first channel written in `output` (concat slices)
  int kernel = 1, stride = 1, pad = 0, groups = 1, out_c = 0;
  kernels::Activation activation = kernels::Activation::kNone;
  double weight_std = 0.0;  ///< real-valued std of the weights (He-style), drives the scales
  int weight_layer = 0;     ///< index fed to the weight generator (conv/fc count, from 1)
  std::string label;

  [[nodiscard]] std::uint64_t macs(const std::vector<TensorSpec>& tensors) const;
  [[nodiscard]] std::uint64_t parameters(const std::vector<TensorSpec>& tensors) const;
};

struct NetSpec {
  std::string name;
  std::string description;
  std::vector<TensorSpec> tensors;
  std::vector<LayerSpec> layers;
  int input = 0;
  int output = 0;
  std::uint64_t seed = 42;

  [[nodiscard]] std::uint64_t macs() const;
  [[nodiscard]] std::uint64_t parameters() const;
};

/// Names of the built-in models, in list order.
std::vector<std::string> model_names();

/// The layer table of a built-in model; kInvalidArgument for an unknown name.
[[nodiscard]] Result<NetSpec> build_model(std::string_view name);

/// ModelInfo (name, description, MACs, parameters, input shape) of a spec.
ModelInfo model_info(const NetSpec& spec);

// Deterministic generators (splitmix64-style hash; bit-identical to the anchors' netspec).

/// Per-layer seed: global_seed * 1000003 + layer.
std::uint64_t layer_seed(std::uint64_t global_seed, std::uint64_t layer);
/// n int8 weights uniform in [-127, 127].
std::vector<std::int8_t> generate_weights(std::uint64_t seed, std::size_t n);
/// Per-output-channel weight scales: weight_std * (0.75 + 0.5 u) / 73.6.
std::vector<float> generate_scales(std::uint64_t seed, double weight_std, std::size_t n);
/// int32 biases uniform in [-2048, 2048].
std::vector<std::int32_t> generate_bias(std::uint64_t seed, std::size_t n);
/// The network input: n int8 values.
std::vector<std::int8_t> generate_input(std::uint64_t global_seed, std::size_t n);

} // namespace es::workloads
