// Throughput of the int8 operators on every usable ISA, on layer shapes from the built-in
// networks, plus whole networks. Counter GMAC/s is per CPU second.
#include "workloads/engine.hpp"
#include "workloads/kernels/dispatch.hpp"
#include "workloads/kernels/ops.hpp"
#include "workloads/kernels/peak.hpp"
#include "workloads/models.hpp"

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

namespace {

using namespace es::kernels;

struct Shape {
  const char* name;
  int h, w, cin, cout, k, stride, groups;
};

const Shape kShapes[] = {
    {"conv1x1_56x56x64x256", 56, 56, 64, 256, 1, 1, 1},    // resnet50 s1 expand
    {"conv1x1_14x14x1024x256", 14, 14, 1024, 256, 1, 1, 1}, // resnet50 s3 reduce
    {"conv1x1_56x56x256x64", 56, 56, 256, 64, 1, 1, 1},    // resnet50 s1 reduce (small N)
    {"conv1x1_28x28x512x128", 28, 28, 512, 128, 1, 1, 1},  // resnet50 s2 reduce
    {"conv1x1_7x7x2048x512", 7, 7, 2048, 512, 1, 1, 1},    // resnet50 s4 reduce (K = 2048)
    {"conv3x3_56x56x64x64", 56, 56, 64, 64, 3, 1, 1},      // resnet s1
    {"conv3x3_14x14x256x256", 14, 14, 256, 256, 3, 1, 1},  // resnet50 s3
    {"conv7x7s2_224x224x3x64", 224, 224, 3, 64, 7, 2, 1},  // resnet stem
    {"conv3x3s2_224x224x3x32", 224, 224, 3, 32, 3, 2, 1},  // mobilenet stem
    {"conv1x1_56x56x24x144", 56, 56, 24, 144, 1, 1, 1},    // mbv2 expand (small K)
    {"conv1x1_56x56x144x24", 56, 56, 144, 24, 1, 1, 1},    // mbv2 project (small N)
    {"conv1x1_7x7x960x320", 7, 7, 960, 320, 1, 1, 1},      // mbv2 late
    {"conv1x1_112x112x16x96", 112, 112, 16, 96, 1, 1, 1},  // mbv2 first expand (K = 16)
    {"conv1x1_112x112x32x16", 112, 112, 32, 16, 1, 1, 1},  // mbv2 first project (N = 16)
    {"conv1x1s2_56x56x256x512", 56, 56, 256, 512, 1, 2, 1}, // resnet50 downsample (compact rows)
    {"dw3x3_112x112x32", 112, 112, 32, 32, 3, 1, 32},
    {"dw3x3s2_112x112x96", 112, 112, 96, 96, 3, 2, 96},
    {"dw3x3_56x56x144", 56, 56, 144, 144, 3, 1, 144},     // two channel chunks (128 + 16)
    {"dw3x3s2_56x56x144", 56, 56, 144, 144, 3, 2, 144},
    {"dw3x3_14x14x576", 14, 14, 576, 576, 3, 1, 576},
    {"dw5x5_14x14x672", 14, 14, 672, 672, 5, 1, 672},
    {"fc_1280x1000", 1, 1, 1280, 1000, 1, 1, 1},
    {"fc_2048x1000", 1, 1, 2048, 1000, 1, 1, 1},
};

void bm_conv(benchmark::State& state, const KernelSet* k, Shape s) {
  std::mt19937 rng(1);
  const int cin_g = s.cin / s.groups;
  std::vector<std::int8_t> w(static_cast<std::size_t>(s.cout) * s.k * s.k * cin_g);
  for (auto& v : w) {
    v = static_cast<std::int8_t>(static_cast<int>(rng() % 255) - 127);
  }
  std::vector<std::int32_t> bias(static_cast<std::size_t>(s.cout), 100);
  std::vector<float> scale(static_cast<std::size_t>(s.cout), 0.001f);
  ConvDesc d;
  d.geometry.in_h = s.h;
  d.geometry.in_w = s.w;
  d.geometry.in_c = s.cin;
  d.geometry.out_c = s.cout;
  d.geometry.kernel_h = d.geometry.kernel_w = s.k;
  d.geometry.stride_h = d.geometry.stride_w = s.stride;
  d.geometry.pad_top = d.geometry.pad_left = d.geometry.pad_bottom = d.geometry.pad_right = s.k / 2;
  d.geometry.groups = s.groups;
  d.input = {0.02f, -128};
  d.output = {0.02f, -128};
  d.weights = w.data();
  d.bias = bias.data();
  d.weight_scales = scale.data();
  auto op = create_conv(d, *k);
  if (!op) {
    state.SkipWithError(op.error().message.c_str());
    return;
  }
  std::vector<std::int8_t> in(static_cast<std::size_t>(s.h) * s.w * s.cin + kBufferSlack);
  for (auto& v : in) {
    v = static_cast<std::int8_t>(rng());
  }
  std::vector<std::int8_t> out(static_cast<std::size_t>(d.geometry.out_h()) * d.geometry.out_w() * s.cout +
                               kBufferSlack);
  AlignedBuffer scratch(op.value()->scratch_bytes() + 64);
  OpBuffers b;
  b.input = in.data();
  b.input_stride = static_cast<std::size_t>(s.cin);
  b.output = out.data();
  b.output_stride = static_cast<std::size_t>(s.cout);
  b.scratch = scratch.data();
  op.value()->setup(b);
  for (auto _ : state) {
    op.value()->run_serial();
    benchmark::ClobberMemory();
  }
  state.counters["GMAC/s"] = benchmark::Counter(static_cast<double>(op.value()->macs()) * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

void bm_network(benchmark::State& state, const KernelSet* k, std::string model) {
  auto spec = es::workloads::build_model(model);
  auto net = es::workloads::Network::create(spec.value(), *k, nullptr);
  if (!net) {
    state.SkipWithError(net.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    net.value()->run();
  }
  state.counters["GMAC/s"] = benchmark::Counter(static_cast<double>(spec.value().macs()) * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

void bm_peak(benchmark::State& state, const KernelSet* k) {
  double gmacs = 0.0;
  for (auto _ : state) {
    gmacs = measure_peak_macs(*k, 0.1) * 1e-9;
  }
  state.counters["peak_GMAC/s"] = gmacs;
}

int register_all() {
  const IsaMask usable = usable_isas(detect_cpu_features());
  for (Isa isa : all_isas()) {
    if ((usable & static_cast<IsaMask>(isa)) == 0) {
      continue;
    }
    const KernelSet* k = kernels_for(isa);
    const std::string prefix = std::string(to_string(isa)) + "/";
    benchmark::RegisterBenchmark((prefix + "peak").c_str(), bm_peak, k)->Iterations(3);
    for (const Shape& s : kShapes) {
      benchmark::RegisterBenchmark((prefix + s.name).c_str(), bm_conv, k, s)->Unit(benchmark::kMicrosecond);
    }
    for (const char* m : {"mobilenet_v2", "resnet50"}) {
      if (isa == Isa::kReference && std::string(m) == "resnet50") {
        continue;
      }
      benchmark::RegisterBenchmark((prefix + "net_" + m).c_str(), bm_network, k, std::string(m))
          ->Unit(benchmark::kMillisecond);
    }
  }
  return 0;
}

const int g_registered = register_all();

} // namespace

BENCHMARK_MAIN();
