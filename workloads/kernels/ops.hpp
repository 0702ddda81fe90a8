#pragma once
// es::kernels operators: TFLite-semantics int8 operators built once on a KernelSet.
//
// Lifecycle (XNNPACK's create/setup/run split):
//   1. create(desc, kernels): validates shapes, packs weights once (ISA-specific layout).
//   2. setup(buffers):        binds input/output/scratch addresses, builds indirection buffers.
//                             Called once per arena layout; no allocation after this.
//   3. run_tiles(phase, b, e) for every phase in order, each phase's tiles in any order and on
//                             any threads (a barrier between phases). No allocation, no locks.
// Operators never own threads; the engine's pool splits tiles (workloads/thread_pool.hpp).
//
// Activations are NHWC int8 with a pixel stride (elements between pixels, >= channels), so a
// convolution can write straight into a channel slice of a concatenated tensor.

#include "daemon/core/result.hpp"
#include "workloads/kernels/microkernels.hpp"
#include "workloads/kernels/quant.hpp"
#include "workloads/kernels/reference/ref_ops.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace es::kernels {

// --- Interface ---

/// Bytes of readable slack every activation buffer must have after its last element
/// (SIMD kernels read whole vectors; see microkernels.hpp).
inline constexpr std::size_t kBufferSlack = 256;

/// Heap block aligned to 64 bytes.
class AlignedBuffer {
public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t bytes);
  [[nodiscard]] std::uint8_t* data() { return m_data.get(); }
  [[nodiscard]] const std::uint8_t* data() const { return m_data.get(); }
  [[nodiscard]] std::size_t size() const { return m_size; }

private:
  struct Free {
    void operator()(std::uint8_t* p) const noexcept;
  };
  std::unique_ptr<std::uint8_t[], Free> m_data;
  std::size_t m_size = 0;
};

/// Buffers an operator reads and writes. Strides are elements between pixels.
struct OpBuffers {
  const std::int8_t* input = nullptr;
  std::size_t input_stride = 0;
  const std::int8_t* input_b = nullptr; ///< second operand (add)
  std::int8_t* output = nullptr;
  std::size_t output_stride = 0;
  void* scratch = nullptr; ///< scratch_bytes() bytes, 64-byte aligned, private to this run
};

/// An operator bound to buffers, executed as phases of independent tiles.
class Operator {
public:
  virtual ~Operator() = default;
  /// Binds buffers and builds address tables. Call again whenever the buffers move.
  virtual void setup(const OpBuffers& buffers) = 0;
  [[nodiscard]] virtual std::size_t phase_count() const { return 1; }
  [[nodiscard]] virtual std::size_t tile_count(std::size_t phase) const = 0;
  /// Runs tiles [begin, end) of `phase`. Thread-safe across disjoint tile ranges.
  virtual void run_tiles(std::size_t phase, std::size_t begin, std::size_t end) = 0;
  /// Scratch bytes needed while running (0 if none).
  [[nodiscard]] virtual std::size_t scratch_bytes() const { return 0; }
  /// Multiply-accumulates per run (convolutions and fully connected only).
  [[nodiscard]] virtual std::uint64_t macs() const { return 0; }
  /// Kernel class for profiles: "conv1x1", "conv3x3", "dw3x3", "fc", "add", "gap", ...
  [[nodiscard]] virtual const char* kind() const = 0;
  /// Runs every phase and tile on the calling thread.
  void run_serial();
};

/// A convolution (any kernel, stride, padding, groups) or, with a 1x1 geometry over a 1x1
/// input, a fully connected layer. Depthwise geometry (groups == in_c == out_c) selects the
/// channel-tiled depthwise kernels; everything else runs the IGEMM.
struct ConvDesc {
  ref::ConvGeometry geometry;
  QuantParams input;
  QuantParams output;
  Activation activation = Activation::kNone;
  const std::int8_t* weights = nullptr;  ///< [out_c][kh][kw][in_c / groups]
  const std::int32_t* bias = nullptr;    ///< [out_c]
  const float* weight_scales = nullptr;  ///< [out_c]
  bool fully_connected = false;          ///< only changes kind() ("fc")
};

/// Builds a convolution operator (packs the weights). kInvalidArgument for bad shapes.
[[nodiscard]] Result<std::unique_ptr<Operator>> create_conv(const ConvDesc& desc,
                                                            const KernelSet& kernels);

/// Elementwise add of two tensors of `elements` int8 values (contiguous).
[[nodiscard]] std::unique_ptr<Operator> create_add(std::size_t elements, const AddParams& params,
                                                   const KernelSet& kernels);

/// Global average pool (MEAN over H, W) of pixels x channels.
[[nodiscard]] std::unique_ptr<Operator> create_global_avg_pool(std::size_t pixels,
                                                               std::size_t channels,
                                                               QuantParams input,
                                                               QuantParams output);

/// Max pool on the kernels' maxpool; output keeps the input quantization.
[[nodiscard]] std::unique_ptr<Operator> create_max_pool(const ref::PoolGeometry& geometry,
                                                        const KernelSet& kernels);

/// Average pool over in-image taps.
[[nodiscard]] std::unique_ptr<Operator> create_avg_pool(const ref::PoolGeometry& geometry,
                                                        QuantParams input, QuantParams output);

/// Copies `channels` channels of every pixel from input to output (one concat operand; the
/// output pointer and stride select the slice). Engines normally avoid it by writing producers
/// straight into the slice.
[[nodiscard]] std::unique_ptr<Operator> create_channel_copy(std::size_t pixels,
                                                            std::size_t channels);

} // namespace es::kernels
