#include "workloads/engine.hpp"

#include "daemon/core/time.hpp"
#include "workloads/kernels/peak.hpp"

#include <algorithm>

namespace es::workloads {

namespace {

constexpr std::size_t kAlign = 64;

std::size_t align_up(std::size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

struct Buffer {
  std::size_t bytes = 0;
  int first = 0; // first step that uses it
  int last = 0;  // last step that uses it
  std::size_t offset = 0;
};

// First-fit placement, largest buffers first; buffers overlap in memory only if their
// lifetimes are disjoint.
std::size_t plan_arena(std::vector<Buffer>& buffers) {
  std::vector<std::size_t> order(buffers.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<std::size_t> placed;
  std::size_t total = 0;
  for (std::size_t i : order) {
    Buffer& b = buffers[i];
    if (b.bytes == 0) {
      continue;
    }
    std::vector<std::pair<std::size_t, std::size_t>> busy;
    for (std::size_t j : placed) {
      const Buffer& o = buffers[j];
      if (o.first <= b.last && b.first <= o.last) {
        busy.emplace_back(o.offset, o.offset + o.bytes);
      }
    }
    std::sort(busy.begin(), busy.end());
    std::size_t offset = 0;
    for (const auto& [lo, hi] : busy) {
      if (offset + b.bytes <= lo) {
        break;
      }
      offset = std::max(offset, align_up(hi));
    }
    b.offset = offset;
    total = std::max(total, offset + b.bytes);
    placed.push_back(i);
  }
  return total;
}

} // namespace

Network::~Network() = default;

Result<std::unique_ptr<Network>> Network::create(const NetSpec& spec,
                                                 const kernels::KernelSet& kernels,
                                                 ThreadPool* pool) {
  std::unique_ptr<Network> net(new Network(kernels, pool));
  const std::size_t tensor_count = spec.tensors.size();
  const int layer_count = static_cast<int>(spec.layers.size());

  // Buffers: one per tensor, then one scratch per layer.
  std::vector<Buffer> buffers(tensor_count + spec.layers.size());
  for (std::size_t t = 0; t < tensor_count; ++t) {
    const TensorSpec& ts = spec.tensors[t];
    buffers[t].bytes = align_up(static_cast<std::size_t>(ts.h) * ts.w * ts.c + kernels::kBufferSlack);
    buffers[t].first = layer_count;
    buffers[t].last = -1;
  }
  auto use = [&](int tensor, int step) {
    Buffer& b = buffers[static_cast<std::size_t>(tensor)];
    b.first = std::min(b.first, step);
    b.last = std::max(b.last, step);
  };
  use(spec.input, 0);
  use(spec.input, layer_count); // the input is written once and must survive every run
  use(spec.output, layer_count);

  net->m_steps.reserve(spec.layers.size());
  for (int i = 0; i < layer_count; ++i) {
    const LayerSpec& l = spec.layers[static_cast<std::size_t>(i)];
    const TensorSpec& in = spec.tensors[static_cast<std::size_t>(l.input)];
    const TensorSpec& out = spec.tensors[static_cast<std::size_t>(l.output)];
    use(l.input, i);
    use(l.output, i);
    if (l.input_b >= 0) {
      use(l.input_b, i);
    }
    Step step;
    switch (l.kind) {
    case LayerKind::kConv:
    case LayerKind::kFullyConnected: {
      const bool fc = l.kind == LayerKind::kFullyConnected;
      kernels::ConvDesc d;
      d.geometry.in_h = fc ? 1 : in.h;
      d.geometry.in_w = fc ? 1 : in.w;
      d.geometry.in_c = fc ? in.h * in.w * in.c : in.c;
      d.geometry.out_c = l.out_c;
      d.geometry.kernel_h = d.geometry.kernel_w = l.kernel;
      d.geometry.stride_h = d.geometry.stride_w = l.stride;
      d.geometry.pad_top = d.geometry.pad_left = d.geometry.pad_bottom = d.geometry.pad_right = l.pad;
      d.geometry.groups = l.groups;
      d.input = in.q;
      d.output = out.q;
      d.activation = l.activation;
      d.fully_connected = fc;
      const std::uint64_t seed = layer_seed(spec.seed, static_cast<std::uint64_t>(l.weight_layer));
      const std::size_t weight_count = static_cast<std::size_t>(l.out_c) * l.kernel * l.kernel *
                                       static_cast<std::size_t>(d.geometry.in_c / l.groups);
      const std::vector<std::int8_t> weights = generate_weights(seed, weight_count);
      std::vector<std::int32_t> bias;
      std::vector<float> scales;
      if (fc) {
        // One weight scale per tensor and no bias (ONNX QLinearMatMul has none).
        bias.assign(static_cast<std::size_t>(l.out_c), 0);
        scales.assign(static_cast<std::size_t>(l.out_c), static_cast<float>(l.weight_std / 73.6));
      } else {
        bias = generate_bias(seed, static_cast<std::size_t>(l.out_c));
        scales = generate_scales(seed, l.weight_std, static_cast<std::size_t>(l.out_c));
      }
      d.weights = weights.data();
      d.bias = bias.data();
      d.weight_scales = scales.data();
      auto op = kernels::create_conv(d, kernels);
      if (!op) {
        return op.error().with_context(spec.name + " layer " + std::to_string(i) + " (" + l.label + ")");
      }
      step.op = std::move(op.value());
      break;
    }
    case LayerKind::kMaxPool: {
      kernels::ref::PoolGeometry g;
      g.in_h = in.h;
      g.in_w = in.w;
      g.channels = in.c;
      g.kernel_h = g.kernel_w = l.kernel;
      g.stride_h = g.stride_w = l.stride;
      g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = l.pad;
      step.op = kernels::create_max_pool(g, kernels);
      break;
    }
    case LayerKind::kAdd: {
      const TensorSpec& b = spec.tensors[static_cast<std::size_t>(l.input_b)];
      const auto params = kernels::make_add_params(in.q, b.q, out.q, l.activation);
      step.op = kernels::create_add(static_cast<std::size_t>(in.h) * in.w * in.c, params, kernels);
      break;
    }
    case LayerKind::kGlobalAvgPool:
      step.op = kernels::create_global_avg_pool(static_cast<std::size_t>(in.h) * in.w,
                                                static_cast<std::size_t>(in.c), in.q, out.q);
      break;
    }
    if (!step.op) {
      return make_error(ErrorCode::kInternal, spec.name + " layer " + std::to_string(i) + ": no operator");
    }
    Buffer& scratch = buffers[tensor_count + static_cast<std::size_t>(i)];
    scratch.bytes = align_up(step.op->scratch_bytes());
    scratch.first = scratch.last = i;
    net->m_profile.push_back(LayerProfile{l.label, step.op->kind(), step.op->macs(), 0.0});
    net->m_steps.push_back(std::move(step));
  }

  net->m_arena_bytes = plan_arena(buffers);
  net->m_arena = kernels::AlignedBuffer(net->m_arena_bytes + kernels::kBufferSlack);
  auto tensor_ptr = [&](int t) {
    return reinterpret_cast<std::int8_t*>(net->m_arena.data() + buffers[static_cast<std::size_t>(t)].offset);
  };

  for (int i = 0; i < layer_count; ++i) {
    const LayerSpec& l = spec.layers[static_cast<std::size_t>(i)];
    const TensorSpec& in = spec.tensors[static_cast<std::size_t>(l.input)];
    const TensorSpec& out = spec.tensors[static_cast<std::size_t>(l.output)];
    kernels::OpBuffers b;
    b.input = tensor_ptr(l.input);
    b.input_stride = l.kind == LayerKind::kFullyConnected ? static_cast<std::size_t>(in.h) * in.w * in.c
                                                          : static_cast<std::size_t>(in.c);
    b.input_b = l.input_b >= 0 ? tensor_ptr(l.input_b) : nullptr;
    b.output = tensor_ptr(l.output) + l.output_channel_offset;
    b.output_stride = static_cast<std::size_t>(out.c);
    const Buffer& scratch = buffers[tensor_count + static_cast<std::size_t>(i)];
    b.scratch = scratch.bytes ? net->m_arena.data() + scratch.offset : nullptr;
    net->m_steps[static_cast<std::size_t>(i)].op->setup(b);
  }

  const TensorSpec& in = spec.tensors[static_cast<std::size_t>(spec.input)];
  const std::vector<std::int8_t> input =
      generate_input(spec.seed, static_cast<std::size_t>(in.h) * in.w * in.c);
  std::copy(input.begin(), input.end(), tensor_ptr(spec.input));
  const TensorSpec& out = spec.tensors[static_cast<std::size_t>(spec.output)];
  net->m_output = tensor_ptr(spec.output);
  net->m_output_size = static_cast<std::size_t>(out.h) * out.w * out.c;
  return net;
}

void Network::run_step(Step& step) {
  kernels::Operator& op = *step.op;
  for (std::size_t phase = 0; phase < op.phase_count(); ++phase) {
    const std::size_t tiles = op.tile_count(phase);
    if (m_pool == nullptr || m_pool->size() == 1) {
      op.run_tiles(phase, 0, tiles);
      continue;
    }
    step.phase = phase;
    m_pool->parallel_for(
        tiles,
        [](void* ctx, std::size_t begin, std::size_t end) {
          auto* s = static_cast<Step*>(ctx);
          s->op->run_tiles(s->phase, begin, end);
        },
        &step);
  }
}

void Network::run() {
  for (Step& step : m_steps) {
    run_step(step);
  }
}

// Single-threaded profiles use the thread's CPU time (stable on a shared machine); with a
// pool, wall time (workers' CPU time is not visible from here).
void Network::run_profiled() {
  const bool cpu_time = m_pool == nullptr || m_pool->size() == 1;
  for (std::size_t i = 0; i < m_steps.size(); ++i) {
    const double t0 = cpu_time ? kernels::thread_cpu_seconds() : static_cast<double>(mono_now_ns()) * 1e-9;
    run_step(m_steps[i]);
    const double t1 = cpu_time ? kernels::thread_cpu_seconds() : static_cast<double>(mono_now_ns()) * 1e-9;
    m_profile[i].total_ms += (t1 - t0) * 1e3;
  }
}

std::span<const std::int8_t> Network::output() const { return {m_output, m_output_size}; }

std::uint64_t Network::output_checksum() const { return fnv1a64(output()); }

std::uint64_t fnv1a64(std::span<const std::int8_t> bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::int8_t b : bytes) {
    h = (h ^ static_cast<std::uint8_t>(b)) * 1099511628211ull;
  }
  return h;
}

} // namespace es::workloads
