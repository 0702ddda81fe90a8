#include "workloads/kernels/ops.hpp"

#include "workloads/kernels/winograd.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/mman.h>

namespace es::kernels {

AlignedBuffer::AlignedBuffer(std::size_t bytes) : m_size(bytes) {
  // Buffers of 2 MiB and more (ResNet-50's packed weights from the 14x14 stage on, large
  // activation arenas) are whole 2 MiB pages and asked for transparent huge pages: every
  // inference streams such weights from DRAM, and with 4 KiB pages each page costs a table
  // walk as well (the L2 TLB covers 8 MiB; ResNet-50's weights are ~70 MiB).
  // Only the whole 2 MiB pages inside the buffer are advised and only the buffer itself is
  // touched, so the tail stays on 4 KiB pages and the resident size does not grow (ResNet-50:
  // advising the rounded-up tails too cost 26 MiB of RSS).
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  const bool huge = bytes >= kHuge;
  const std::size_t align = huge ? kHuge : 64;
  const std::size_t used = (bytes + 63) / 64 * 64 + 64;
  const std::size_t rounded = (used + align - 1) / align * align;
  m_data.reset(static_cast<std::uint8_t*>(std::aligned_alloc(align, rounded)));
  ES_CHECK(m_data != nullptr);
#if defined(MADV_HUGEPAGE)
  if (huge) {
    (void)madvise(m_data.get(), used / kHuge * kHuge, MADV_HUGEPAGE); // advisory only
  }
#endif
  std::memset(m_data.get(), 0, used);
}

void AlignedBuffer::Free::operator()(std::uint8_t* p) const noexcept { std::free(p); }

void Operator::run_serial() {
  for (std::size_t phase = 0; phase < phase_count(); ++phase) {
    run_tiles(phase, 0, tile_count(phase));
  }
}

namespace {

std::size_t round_up(std::size_t v, std::size_t m) { return (v + m - 1) / m * m; }
std::size_t div_up(std::size_t v, std::size_t m) { return (v + m - 1) / m; }

std::string kind_name(const char* prefix, int kh, int kw) {
  return std::string(prefix) + std::to_string(kh) + "x" + std::to_string(kw);
}

// Requantization scales S_in * S_w[c] / S_out for every output channel.
std::vector<float> channel_scales(const ConvDesc& d) {
  std::vector<float> s(static_cast<std::size_t>(d.geometry.out_c));
  for (std::size_t c = 0; c < s.size(); ++c) {
    s[c] = requant_scale(d.input.scale, d.weight_scales[c], d.output.scale);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// IGEMM convolution. Three ways to present A to the microkernel:
//   kDirect:  indirection pointers into the int8 input tensor (AFormat kS8).
//   kConvert: phase 0 widens the input to int16 rows in scratch (AFormat kS16); pointers there.
//   kIm2col:  few input channels (network stems): phase 0 gathers each output pixel's whole
//             receptive field into one contiguous row, so the GEMM sees K = kh*kw*C, ks = 1.
//   kRowIm2col: few input channels, when the ISA's channel alignment wastes little on a kernel
//             row: phase 0 copies the image once, converted and with its left/right padding
//             columns materialized, so one kernel row of one output pixel (kw * C values) is
//             contiguous. The GEMM sees K = kw*C per tap and ks = kh taps, and there is no
//             per-pixel gather. The 3x3x3 stride-2 stem (MobileNets) spent ~37 % of its time
//             gathering im2col rows (0.475 ms against 0.299 ms for a same-size 1x1 GEMM).
class IgemmConv final : public Operator {
public:
  enum class Mode { kDirect, kConvert, kIm2col, kRowIm2col };

  IgemmConv(const ConvDesc& d, const KernelSet& k) : m_kernels(k), m_g(d.geometry) {
    m_kind = d.fully_connected ? std::string("fc") : kind_name("conv", m_g.kernel_h, m_g.kernel_w);
    m_cin_g = static_cast<std::size_t>(m_g.in_c / m_g.groups);
    m_cout_g = static_cast<std::size_t>(m_g.out_c / m_g.groups);
    m_out_h = static_cast<std::size_t>(m_g.out_h());
    m_out_w = static_cast<std::size_t>(m_g.out_w());
    m_m = m_out_h * m_out_w;
    m_taps = static_cast<std::size_t>(m_g.kernel_h * m_g.kernel_w);
    m_izp = d.input.zero_point;
    m_rq = make_requant_params(d.output, d.activation);
    m_elem = k.a_format == AFormat::kS16 ? 2 : 1;
    if (m_g.groups == 1 && m_taps > 1 && m_cin_g <= 8) {
      // Row im2col pads every kernel row to kc_align instead of the whole receptive field: take
      // it when that costs at most 1/8 more multiplies (AVX2 3x3x3: 30 vs 28; NEON's 8-channel
      // alignment would make it 48 vs 32, so NEON keeps the full gather there).
      const std::size_t row_k = round_up(static_cast<std::size_t>(m_g.kernel_w) * m_cin_g, k.kc_align);
      const std::size_t full_k = round_up(m_taps * m_cin_g, k.kc_align);
      m_mode = static_cast<std::size_t>(m_g.kernel_h) * row_k * 8 <= full_k * 9 ? Mode::kRowIm2col : Mode::kIm2col;
    } else if (k.a_format != AFormat::kS8) {
      m_mode = Mode::kConvert;
    } else {
      m_mode = Mode::kDirect;
    }
    switch (m_mode) {
    case Mode::kIm2col:
      m_kc = m_taps * m_cin_g;
      m_ks = 1;
      break;
    case Mode::kRowIm2col:
      m_kc = static_cast<std::size_t>(m_g.kernel_w) * m_cin_g;
      m_ks = static_cast<std::size_t>(m_g.kernel_h);
      break;
    default:
      m_kc = m_cin_g;
      m_ks = m_taps;
      break;
    }
    // Padded image width in pixels, plus kc_align pixels of room so that convert_a's channel
    // padding and a window's over-read both stay inside the row (rows are prepared in parallel).
    m_padded_w = static_cast<std::size_t>(m_g.pad_left + m_g.in_w + m_g.pad_right) + k.kc_align;
    m_kc_padded = round_up(m_kc, k.kc_align);
    m_converted_stride = round_up(static_cast<std::size_t>(m_g.in_c), k.kc_align);

    // Pack each group's weights once. The OHWI layout of one group is exactly [nc][ks][kc];
    // in im2col mode the same bytes read as [nc][1][ks*kc].
    const std::vector<float> scales = channel_scales(d);
    m_rq.bounded_scale = scales_bounded(scales.data(), scales.size());
    // A single output row (fully connected) is bound by reading the weights: the set's GEMV
    // path, when it has one, uses its own (smaller) packing.
    m_gemv = m_m == 1 && k.gemv != nullptr;
    const GemmPackedSizeFn packed_size = m_gemv ? k.gemv_packed_size : k.gemm_packed_size;
    const GemmPackFn pack = m_gemv ? k.gemv_pack : k.gemm_pack;
    m_group_packed = packed_size(m_cout_g, m_kc, m_ks);
    m_block_packed = packed_size(k.nr, m_kc, m_ks);
    m_packed = AlignedBuffer(m_group_packed * static_cast<std::size_t>(m_g.groups));
    for (int g = 0; g < m_g.groups; ++g) {
      GemmPackArgs p;
      p.nc = m_cout_g;
      p.kc = m_kc;
      p.ks = m_ks;
      p.weights = d.weights + static_cast<std::size_t>(g) * m_cout_g * m_taps * m_cin_g;
      p.bias = d.bias + static_cast<std::size_t>(g) * m_cout_g;
      p.scale = scales.data() + static_cast<std::size_t>(g) * m_cout_g;
      p.input_zero_point = m_izp;
      pack(p, m_packed.data() + static_cast<std::size_t>(g) * m_group_packed);
    }

    // Padding row: Z_in in the A format.
    const std::size_t zero_elems = std::max(round_up(static_cast<std::size_t>(m_g.in_c), k.kc_align), m_kc_padded) + 64;
    m_zero = AlignedBuffer(zero_elems * m_elem + kBufferSlack);
    fill_zero_point(m_zero.data(), zero_elems);

    // Tiles: MR rows x a chunk of output channels whose packed weights stay cache resident.
    m_m_tiles = div_up(m_m, k.mr);
    const std::size_t blocks = div_up(m_cout_g, k.nr);
    std::size_t chunk_blocks = std::max<std::size_t>(1, (192 * 1024) / std::max<std::size_t>(1, m_block_packed));
    chunk_blocks = std::min(chunk_blocks, blocks);
    // A single row tile (fully connected, small maps) still needs work for several threads.
    while (m_m_tiles * div_up(blocks, chunk_blocks) * static_cast<std::size_t>(m_g.groups) < 8 &&
           chunk_blocks > 1) {
      chunk_blocks = div_up(chunk_blocks, 2);
    }
    m_n_chunk = chunk_blocks * k.nr;
    m_n_chunks = div_up(m_cout_g, m_n_chunk);
    m_chunk_packed = chunk_blocks * m_block_packed;
    // A 1x1 layer without padding reads exactly one input pixel per output pixel: its A rows are
    // converted "compact", row m from output pixel m's input pixel. Stride 1 changes nothing;
    // a strided one (ResNet's downsample 1x1/2) widens a quarter of the input instead of all
    // of it. (Any padding, also bottom or right only, gives output pixels without an input
    // pixel: those layers convert the whole input.)
    // When every A row is used by exactly one compute tile (im2col rows; compact rows) the prep
    // runs inside that tile: one barrier fewer and the rows are still in L1 when the
    // microkernel reads them.
    m_compact = m_mode == Mode::kConvert && m_taps == 1 && m_g.pad_top == 0 && m_g.pad_left == 0 &&
                m_g.pad_bottom == 0 && m_g.pad_right == 0;
    m_fused_prep = m_g.groups == 1 && m_n_chunks == 1 && (m_mode == Mode::kIm2col || m_compact);
    m_macs = static_cast<std::uint64_t>(m_m) * m_g.out_c * m_taps * m_cin_g;
  }

  void setup(const OpBuffers& b) override {
    m_input = b.input;
    m_input_stride = b.input_stride;
    m_output = b.output;
    m_output_stride = b.output_stride;
    m_scratch = static_cast<std::uint8_t*>(b.scratch);
    const std::size_t mr = m_kernels.mr;
    m_indirection.assign(m_m_tiles * m_ks * mr, nullptr);
    for (std::size_t mt = 0; mt < m_m_tiles; ++mt) {
      for (std::size_t r = 0; r < mr; ++r) {
        const std::size_t m = std::min(mt * mr + r, m_m - 1);
        if (m_mode == Mode::kIm2col) {
          m_indirection[mt * mr + r] = m_scratch + m * m_kc_padded * m_elem;
          continue;
        }
        const std::size_t oy = m / m_out_w;
        const std::size_t ox = m % m_out_w;
        if (m_mode == Mode::kRowIm2col) {
          for (std::size_t t = 0; t < m_ks; ++t) {
            const int iy = static_cast<int>(oy) * m_g.stride_h - m_g.pad_top + static_cast<int>(t);
            const void* p = m_zero.data();
            if (iy >= 0 && iy < m_g.in_h) { // padded-image column of the window: ox * stride
              p = m_scratch + (static_cast<std::size_t>(iy) * m_padded_w + ox * static_cast<std::size_t>(m_g.stride_w)) *
                                  m_cin_g * m_elem;
            }
            m_indirection[(mt * m_ks + t) * mr + r] = p;
          }
          continue;
        }
        for (std::size_t t = 0; t < m_ks; ++t) {
          const int ky = static_cast<int>(t) / m_g.kernel_w;
          const int kx = static_cast<int>(t) % m_g.kernel_w;
          const int iy = static_cast<int>(oy) * m_g.stride_h - m_g.pad_top + ky;
          const int ix = static_cast<int>(ox) * m_g.stride_w - m_g.pad_left + kx;
          const void* p = m_zero.data();
          if (iy >= 0 && iy < m_g.in_h && ix >= 0 && ix < m_g.in_w) {
            const std::size_t pixel = static_cast<std::size_t>(iy) * m_g.in_w + ix;
            if (m_mode == Mode::kDirect) {
              p = m_input + pixel * m_input_stride;
            } else if (m_compact) {
              p = m_scratch + m * converted_stride() * m_elem;
            } else {
              p = m_scratch + pixel * converted_stride() * m_elem;
            }
          }
          m_indirection[(mt * m_ks + t) * mr + r] = p;
        }
      }
    }
  }

  [[nodiscard]] std::size_t phase_count() const override {
    return m_mode == Mode::kDirect || m_fused_prep ? 1 : 2;
  }

  [[nodiscard]] std::size_t tile_count(std::size_t phase) const override {
    if (phase_count() == 2 && phase == 0) {
      return div_up(prep_rows(), m_mode == Mode::kRowIm2col ? kPadImageRows : kPrepRows);
    }
    return static_cast<std::size_t>(m_g.groups) * m_n_chunks * m_m_tiles;
  }

  void run_tiles(std::size_t phase, std::size_t begin, std::size_t end) override {
    if (phase_count() == 2 && phase == 0) {
      for (std::size_t t = begin; t < end; ++t) {
        if (m_mode == Mode::kRowIm2col) {
          pad_rows(t * kPadImageRows);
          continue;
        }
        const std::size_t r0 = t * kPrepRows;
        const std::size_t rows = std::min(kPrepRows, prep_rows() - r0);
        if (m_compact) {
          convert_compact(r0, r0 + rows);
        } else if (m_mode == Mode::kConvert) {
          m_kernels.convert_a(rows, static_cast<std::size_t>(m_g.in_c), m_input + r0 * m_input_stride,
                              m_input_stride, m_scratch + r0 * converted_stride() * m_elem,
                              converted_stride());
        } else {
          im2col(r0, rows);
        }
      }
      return;
    }
    const std::size_t mr = m_kernels.mr;
    if (m_fused_prep && m_compact) {
      run_converted_row_tiles(begin, end);
      return;
    }
    const std::size_t per_group = m_n_chunks * m_m_tiles;
    // Tile t = (group, channel chunk, row tile), row tile fastest. The indices advance without
    // a division per tile: small-K layers (MobileNet's 16- and 32-channel 1x1s) spend only a
    // few hundred cycles per tile, and two 64-bit divisions were a visible share of that.
    std::size_t g = begin / per_group;
    std::size_t nchunk = begin % per_group / m_m_tiles;
    std::size_t mt = begin % m_m_tiles;
    for (std::size_t t = begin; t < end; ++t, ++mt) {
      if (mt == m_m_tiles) {
        mt = 0;
        if (++nchunk == m_n_chunks) {
          nchunk = 0;
          ++g;
        }
      }
      const std::size_t n0 = nchunk * m_n_chunk;
      if (m_fused_prep) {
        const std::size_t r0 = mt * mr;
        const std::size_t rows = std::min(mr, m_m - r0);
        if (m_mode == Mode::kIm2col) {
          im2col(r0, rows);
        } else {
          convert_compact(r0, r0 + rows);
        }
      }
      IgemmArgs a;
      a.mr = std::min(mr, m_m - mt * mr);
      a.nc = std::min(m_n_chunk, m_cout_g - n0);
      a.kc = m_kc;
      a.ks = m_ks;
      a.a = m_indirection.data() + mt * m_ks * mr;
      a.zero = m_zero.data();
      a.a_offset = m_mode == Mode::kIm2col ? 0 : g * m_cin_g * m_elem;
      a.packed_w = m_packed.data() + g * m_group_packed + nchunk * m_chunk_packed;
      a.c = m_output + mt * mr * m_output_stride + g * m_cout_g + n0;
      a.c_row_stride = m_output_stride;
      a.rq = m_rq;
      (m_gemv ? m_kernels.gemv : m_kernels.igemm)(a);
    }
  }

  [[nodiscard]] std::size_t scratch_bytes() const override {
    switch (m_mode) {
    case Mode::kDirect:
      return 0;
    case Mode::kConvert:
      return (m_compact ? m_m : static_cast<std::size_t>(m_g.in_h) * m_g.in_w) * converted_stride() * m_elem +
             kBufferSlack;
    case Mode::kIm2col:
      return m_m * m_kc_padded * m_elem + kBufferSlack;
    case Mode::kRowIm2col:
      return static_cast<std::size_t>(m_g.in_h) * m_padded_w * m_cin_g * m_elem + kBufferSlack;
    }
    return 0;
  }

  [[nodiscard]] std::uint64_t macs() const override { return m_macs; }
  [[nodiscard]] const char* kind() const override { return m_kind.c_str(); }

private:
  static constexpr std::size_t kPrepRows = 64;
  static constexpr std::size_t kPadImageRows = 8; ///< image rows per row-im2col prep tile

  [[nodiscard]] std::size_t converted_stride() const { return m_converted_stride; }

  // Compact conversion of A rows [r0, r1) (m_compact): row m is output pixel m's input pixel,
  // one convert_a call per run of rows within an output row (a constant input stride).
  void convert_compact(std::size_t r0, std::size_t r1) {
    const std::size_t sh = static_cast<std::size_t>(m_g.stride_h);
    const std::size_t sw = static_cast<std::size_t>(m_g.stride_w);
    const std::size_t in_w = static_cast<std::size_t>(m_g.in_w);
    const std::size_t channels = static_cast<std::size_t>(m_g.in_c);
    if (sh == 1 && sw == 1 && m_out_w == in_w) { // rows are the input pixels
      m_kernels.convert_a(r1 - r0, channels, m_input + r0 * m_input_stride, m_input_stride,
                          m_scratch + r0 * converted_stride() * m_elem, converted_stride());
      return;
    }
    for (std::size_t r = r0; r < r1;) {
      const std::size_t oy = r / m_out_w;
      const std::size_t ox = r % m_out_w;
      const std::size_t n = std::min(r1 - r, m_out_w - ox);
      m_kernels.convert_a(n, channels, m_input + (oy * sh * in_w + ox * sw) * m_input_stride,
                          sw * m_input_stride, m_scratch + r * converted_stride() * m_elem,
                          converted_stride());
      r += n;
    }
  }

  // Fused-prep 1x1 layers (one group, one channel chunk, rows = input pixels): tiles are the row
  // tiles themselves. Rows are widened kPrepTiles tiles at a time (one convert_a call instead of
  // one per tile, still L1-resident when the GEMM reads them) and the arguments are built once:
  // a 112x112 32->16 layer spends only ~250 cycles per tile in the microkernel, and the per-tile
  // calls and setup were ~50 of them.
  void run_converted_row_tiles(std::size_t begin, std::size_t end) {
    constexpr std::size_t kPrepTiles = 8;
    const std::size_t mr = m_kernels.mr;
    IgemmArgs a;
    a.nc = m_cout_g;
    a.kc = m_kc;
    a.ks = m_ks;
    a.zero = m_zero.data();
    a.a_offset = 0;
    a.packed_w = m_packed.data();
    a.c_row_stride = m_output_stride;
    a.rq = m_rq;
    const IgemmFn kernel = m_gemv ? m_kernels.gemv : m_kernels.igemm;
    for (std::size_t t0 = begin; t0 < end; t0 += kPrepTiles) {
      const std::size_t t1 = std::min(end, t0 + kPrepTiles);
      const std::size_t r0 = t0 * mr;
      const std::size_t r1 = std::min(t1 * mr, m_m);
      convert_compact(r0, r1);
      for (std::size_t mt = t0; mt < t1; ++mt) {
        a.mr = std::min(mr, m_m - mt * mr);
        a.a = m_indirection.data() + mt * m_ks * mr;
        a.c = m_output + mt * mr * m_output_stride;
        kernel(a);
      }
    }
  }
  [[nodiscard]] std::size_t prep_rows() const {
    switch (m_mode) {
    case Mode::kIm2col:
      return m_m;
    case Mode::kRowIm2col:
      return static_cast<std::size_t>(m_g.in_h);
    default:
      return m_compact ? m_m : static_cast<std::size_t>(m_g.in_h) * m_g.in_w;
    }
  }

  // Row im2col prep of image rows [first, first + kPadImageRows). Each row becomes
  // [pad_left pixels of Z_in][in_w converted pixels, C contiguous][pad_right pixels of Z_in]
  // in the A format, then kc_align pixels of Z_in; a kernel may read up to kc_align - 1 values
  // past a window (their weights are zero), which stay inside those extra pixels.
  void pad_rows(std::size_t first) {
    const std::size_t last = std::min(static_cast<std::size_t>(m_g.in_h), first + kPadImageRows);
    const std::size_t left = static_cast<std::size_t>(m_g.pad_left) * m_cin_g;
    const std::size_t run = static_cast<std::size_t>(m_g.in_w) * m_cin_g;
    const std::size_t row_elems = m_padded_w * m_cin_g;
    for (std::size_t y = first; y < last; ++y) {
      std::uint8_t* dst = m_scratch + y * row_elems * m_elem;
      const std::int8_t* src = m_input + y * static_cast<std::size_t>(m_g.in_w) * m_input_stride;
      fill_zero_point(dst, left);
      if (m_kernels.a_format == AFormat::kS8) {
        for (std::size_t x = 0; x < static_cast<std::size_t>(m_g.in_w); ++x) {
          std::memcpy(dst + left + x * m_cin_g, src + x * m_input_stride, m_cin_g);
        }
      } else if (m_input_stride == m_cin_g) { // the row is one contiguous run of values
        m_kernels.convert_a(1, run, src, run, dst + left * m_elem, 0);
      } else { // pixel by pixel, in order (each call may pad into the next pixel's values)
        for (std::size_t x = 0; x < static_cast<std::size_t>(m_g.in_w); ++x) {
          m_kernels.convert_a(1, m_cin_g, src + x * m_input_stride, m_cin_g,
                              dst + (left + x * m_cin_g) * m_elem, 0);
        }
      }
      // After the run: convert_a may have padded a few values into this region.
      fill_zero_point(dst + (left + run) * m_elem, row_elems - left - run);
    }
  }

  void fill_zero_point(std::uint8_t* dst, std::size_t elems) const {
    if (m_elem == 2) {
      auto v = static_cast<std::int16_t>(m_izp);
      for (std::size_t i = 0; i < elems; ++i) {
        std::memcpy(dst + 2 * i, &v, 2);
      }
    } else if (m_kernels.a_format == AFormat::kU8) {
      std::memset(dst, static_cast<std::uint8_t>(m_izp + 128), elems);
    } else {
      std::memset(dst, static_cast<std::int8_t>(m_izp), elems);
    }
  }

  // Gathers rows [m0, m0 + rows) of the im2col matrix: taps in (ky, kx) order, channels inner,
  // Z_in for padded taps, zeros after K. Rows are gathered as int8 with one memcpy per
  // in-image run of taps, then widened by the ISA's convert_a when the A format is int16.
  void im2col(std::size_t m0, std::size_t rows) {
    const bool convert = m_kernels.a_format != AFormat::kS8;
    constexpr std::size_t kStackBytes = 16384;
    std::int8_t stack_rows[kStackBytes];
    std::vector<std::int8_t> heap_rows;
    // Up to `batch` rows are gathered as int8 and then widened by one convert_a call.
    std::size_t batch = convert ? std::max<std::size_t>(1, kStackBytes / std::max<std::size_t>(1, m_kc)) : rows;
    std::int8_t* gather = stack_rows;
    if (convert && m_kc > kStackBytes) {
      heap_rows.resize(m_kc); // only for unusually large receptive fields
      gather = heap_rows.data();
      batch = 1;
    }
    for (std::size_t b0 = m0; b0 < m0 + rows; b0 += batch) {
      const std::size_t n = std::min(batch, m0 + rows - b0);
      for (std::size_t m = b0; m < b0 + n; ++m) {
        std::int8_t* dst = convert ? gather + (m - b0) * m_kc
                                   : reinterpret_cast<std::int8_t*>(m_scratch + m * m_kc_padded);
        gather_row(m, dst);
        if (!convert) {
          std::memset(dst + m_kc, 0, m_kc_padded - m_kc);
        }
      }
      if (convert) {
        m_kernels.convert_a(n, m_kc, gather, m_kc, m_scratch + b0 * m_kc_padded * m_elem, m_kc_padded);
      }
    }
  }

  // Copies one in-image kernel row of an im2col row. The RGB stems' runs (3x3x3: 9 bytes,
  // 7x7x3: 21 bytes) get constant-size copies the compiler inlines as a few moves instead of a
  // library call per run.
  static void copy_run(std::int8_t* dst, const std::int8_t* src, std::size_t n) {
    switch (n) {
    case 9:
      std::memcpy(dst, src, 9);
      break;
    case 15:
      std::memcpy(dst, src, 15);
      break;
    case 21:
      std::memcpy(dst, src, 21);
      break;
    default:
      std::memcpy(dst, src, n);
      break;
    }
  }

  // Writes the m_kc int8 values of im2col row m.
  void gather_row(std::size_t m, std::int8_t* dst) const {
    const auto zp = static_cast<std::int8_t>(m_izp);
    const std::size_t tap_run = static_cast<std::size_t>(m_g.kernel_w) * m_cin_g;
    const int oy = static_cast<int>(m / m_out_w);
    const int ox = static_cast<int>(m % m_out_w);
    const int ix0 = ox * m_g.stride_w - m_g.pad_left;
    const bool row_inside = ix0 >= 0 && ix0 + m_g.kernel_w <= m_g.in_w;
    std::size_t k = 0;
    for (int ky = 0; ky < m_g.kernel_h; ++ky, k += tap_run) {
      const int iy = oy * m_g.stride_h - m_g.pad_top + ky;
      if (iy < 0 || iy >= m_g.in_h) {
        std::memset(dst + k, zp, tap_run);
        continue;
      }
      const std::int8_t* src_row = m_input + static_cast<std::size_t>(iy) * m_g.in_w * m_input_stride;
      if (row_inside && m_input_stride == m_cin_g) {
        copy_run(dst + k, src_row + static_cast<std::size_t>(ix0) * m_input_stride, tap_run);
        continue;
      }
      for (int kx = 0; kx < m_g.kernel_w; ++kx) {
        const int ix = ix0 + kx;
        std::int8_t* d = dst + k + static_cast<std::size_t>(kx) * m_cin_g;
        if (ix < 0 || ix >= m_g.in_w) {
          std::memset(d, zp, m_cin_g);
        } else {
          std::memcpy(d, src_row + static_cast<std::size_t>(ix) * m_input_stride, m_cin_g);
        }
      }
    }
  }

  const KernelSet& m_kernels;
  ref::ConvGeometry m_g;
  std::string m_kind;
  Mode m_mode = Mode::kDirect;
  bool m_fused_prep = false;
  bool m_gemv = false;
  std::size_t m_cin_g = 0, m_cout_g = 0, m_out_h = 0, m_out_w = 0, m_m = 0, m_taps = 0;
  std::size_t m_kc = 0, m_ks = 0, m_kc_padded = 0, m_elem = 1, m_padded_w = 0;
  std::size_t m_group_packed = 0, m_block_packed = 0, m_chunk_packed = 0, m_converted_stride = 0;
  std::size_t m_m_tiles = 0, m_n_chunk = 0, m_n_chunks = 0;
  bool m_compact = false; ///< 1x1 without padding: A row m converted from output pixel m's input
  std::uint64_t m_macs = 0;
  std::int32_t m_izp = 0;
  RequantParams m_rq;
  AlignedBuffer m_packed;
  AlignedBuffer m_zero;
  std::vector<const void*> m_indirection;
  const std::int8_t* m_input = nullptr;
  std::size_t m_input_stride = 0;
  std::int8_t* m_output = nullptr;
  std::size_t m_output_stride = 0;
  std::uint8_t* m_scratch = nullptr;
};

// Indirection rows of a sliding-window operator (depthwise, max pool), XNNPACK's layout: output
// row oy has `cols` input columns (padding included) x kernel_h pointers, kx-major, so output
// pixel x + 1 starts stride_w * kernel_h pointers after pixel x. Taps outside the image point
// at `padding`.
template <typename Geometry>
void fill_window_indirection(const Geometry& g, std::size_t out_h, std::size_t cols,
                             const std::int8_t* input, std::size_t input_stride, const void* padding,
                             std::vector<const void*>& table) {
  const std::size_t row_ptrs = cols * static_cast<std::size_t>(g.kernel_h);
  table.assign(out_h * row_ptrs, padding);
  for (std::size_t oy = 0; oy < out_h; ++oy) {
    for (std::size_t j = 0; j < cols; ++j) {
      for (int ky = 0; ky < g.kernel_h; ++ky) {
        const int iy = static_cast<int>(oy) * g.stride_h - g.pad_top + ky;
        const int ix = static_cast<int>(j) - g.pad_left;
        if (iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w) {
          table[oy * row_ptrs + j * static_cast<std::size_t>(g.kernel_h) + static_cast<std::size_t>(ky)] =
              input + (static_cast<std::size_t>(iy) * g.in_w + ix) * input_stride;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Depthwise convolution: one indirection row per output row (XNNPACK layout: taps kx-major so
// output pixel x+1 starts stride_w * kh pointers after pixel x), tiles = rows x channel chunks.
class DepthwiseConv final : public Operator {
public:
  DepthwiseConv(const ConvDesc& d, const KernelSet& k) : m_kernels(k), m_g(d.geometry) {
    m_kind = kind_name("dw", m_g.kernel_h, m_g.kernel_w);
    m_c = static_cast<std::size_t>(m_g.in_c);
    m_out_h = static_cast<std::size_t>(m_g.out_h());
    m_out_w = static_cast<std::size_t>(m_g.out_w());
    m_taps = static_cast<std::size_t>(m_g.kernel_h * m_g.kernel_w);
    m_rq = make_requant_params(d.output, d.activation);
    m_cols = (m_out_w - 1) * static_cast<std::size_t>(m_g.stride_w) + static_cast<std::size_t>(m_g.kernel_w);
    m_row_ptrs = m_cols * static_cast<std::size_t>(m_g.kernel_h);

    // Reorder taps from (ky, kx) to the kx-major indirection order.
    std::vector<std::int8_t> w(m_c * m_taps);
    for (std::size_t c = 0; c < m_c; ++c) {
      for (int ky = 0; ky < m_g.kernel_h; ++ky) {
        for (int kx = 0; kx < m_g.kernel_w; ++kx) {
          w[c * m_taps + static_cast<std::size_t>(kx * m_g.kernel_h + ky)] =
              d.weights[c * m_taps + static_cast<std::size_t>(ky * m_g.kernel_w + kx)];
        }
      }
    }
    const std::vector<float> scales = channel_scales(d);
    m_rq.bounded_scale = scales_bounded(scales.data(), scales.size());
    m_tile_bytes = k.dwconv_packed_size(k.dw_channel_tile, m_taps);
    m_packed = AlignedBuffer(k.dwconv_packed_size(m_c, m_taps));
    DwconvPackArgs p;
    p.channels = m_c;
    p.ks = m_taps;
    p.weights = w.data();
    p.bias = d.bias;
    p.scale = scales.data();
    p.input_zero_point = d.input.zero_point;
    p.kernel_h = static_cast<std::size_t>(m_g.kernel_h);
    k.dwconv_pack(p, m_packed.data());

    m_zero = AlignedBuffer(round_up(m_c, k.dw_channel_tile) + kBufferSlack);
    std::memset(m_zero.data(), static_cast<std::int8_t>(d.input.zero_point), m_zero.size());

    m_chunk = std::min(round_up(m_c, k.dw_channel_tile), round_up(128, k.dw_channel_tile));
    m_chunks = div_up(m_c, m_chunk);
    m_macs = static_cast<std::uint64_t>(m_out_h) * m_out_w * m_c * m_taps;
  }

  void setup(const OpBuffers& b) override {
    m_output = b.output;
    m_output_stride = b.output_stride;
    fill_window_indirection(m_g, m_out_h, m_cols, b.input, b.input_stride, m_zero.data(), m_indirection);
  }

  [[nodiscard]] std::size_t tile_count(std::size_t /*phase*/) const override {
    return m_out_h * m_chunks;
  }

  void run_tiles(std::size_t /*phase*/, std::size_t begin, std::size_t end) override {
    for (std::size_t t = begin; t < end; ++t) {
      const std::size_t oy = t / m_chunks;
      const std::size_t c0 = (t % m_chunks) * m_chunk;
      DwconvArgs a;
      a.channels = std::min(m_chunk, m_c - c0);
      a.output_width = m_out_w;
      a.ks = m_taps;
      a.input = m_indirection.data() + oy * m_row_ptrs;
      a.input_step = static_cast<std::size_t>(m_g.stride_w * m_g.kernel_h);
      a.zero = m_zero.data();
      a.input_offset = c0;
      a.packed_w = m_packed.data() + (c0 / m_kernels.dw_channel_tile) * m_tile_bytes;
      a.output = m_output + oy * m_out_w * m_output_stride + c0;
      a.output_stride = m_output_stride;
      a.rq = m_rq;
      a.kernel_h = static_cast<std::size_t>(m_g.kernel_h);
      m_kernels.dwconv(a);
    }
  }

  [[nodiscard]] std::uint64_t macs() const override { return m_macs; }
  [[nodiscard]] const char* kind() const override { return m_kind.c_str(); }

private:
  const KernelSet& m_kernels;
  ref::ConvGeometry m_g;
  std::string m_kind;
  std::size_t m_c = 0, m_out_h = 0, m_out_w = 0, m_taps = 0, m_cols = 0, m_row_ptrs = 0;
  std::size_t m_tile_bytes = 0, m_chunk = 0, m_chunks = 0;
  std::uint64_t m_macs = 0;
  RequantParams m_rq;
  AlignedBuffer m_packed;
  AlignedBuffer m_zero;
  std::vector<const void*> m_indirection;
  std::int8_t* m_output = nullptr;
  std::size_t m_output_stride = 0;
};

class AddOp final : public Operator {
public:
  AddOp(std::size_t n, const AddParams& p, const KernelSet& k) : m_n(n), m_params(p), m_kernels(k) {}
  void setup(const OpBuffers& b) override {
    m_a = b.input;
    m_b = b.input_b;
    m_y = b.output;
  }
  [[nodiscard]] std::size_t tile_count(std::size_t /*phase*/) const override { return div_up(m_n, kTile); }
  void run_tiles(std::size_t /*phase*/, std::size_t begin, std::size_t end) override {
    for (std::size_t t = begin; t < end; ++t) {
      const std::size_t i0 = t * kTile;
      m_kernels.vadd(std::min(kTile, m_n - i0), m_a + i0, m_b + i0, m_y + i0, m_params);
    }
  }
  [[nodiscard]] const char* kind() const override { return "add"; }

private:
  static constexpr std::size_t kTile = 4096;
  std::size_t m_n;
  AddParams m_params;
  const KernelSet& m_kernels;
  const std::int8_t* m_a = nullptr;
  const std::int8_t* m_b = nullptr;
  std::int8_t* m_y = nullptr;
};

class GlobalAvgPool final : public Operator {
public:
  GlobalAvgPool(std::size_t pixels, std::size_t channels, QuantParams in, QuantParams out)
      : m_pixels(pixels), m_channels(channels), m_izp(in.zero_point),
        m_scale(mean_scale(in.scale, out.scale, static_cast<std::uint32_t>(pixels))),
        m_rq(make_requant_params(out, Activation::kNone)) {}
  void setup(const OpBuffers& b) override {
    m_in = b.input;
    m_in_stride = b.input_stride;
    m_out = b.output;
  }
  [[nodiscard]] std::size_t tile_count(std::size_t /*phase*/) const override {
    return div_up(m_channels, kTile);
  }
  void run_tiles(std::size_t /*phase*/, std::size_t begin, std::size_t end) override {
    std::int32_t acc[kTile];
    for (std::size_t t = begin; t < end; ++t) {
      const std::size_t c0 = t * kTile;
      const std::size_t n = std::min(kTile, m_channels - c0);
      for (std::size_t c = 0; c < n; ++c) {
        acc[c] = -static_cast<std::int32_t>(m_pixels) * m_izp;
      }
      // Sums of up to 256 int8 values lie in [-32768, 32512]: exact in int16, which the
      // compiler vectorizes at twice the int32 width with the partial sums in registers.
      for (std::size_t p0 = 0; p0 < m_pixels; p0 += kInt16Pixels) {
        const std::size_t p1 = std::min(m_pixels, p0 + kInt16Pixels);
        std::int16_t part[kTile] = {};
        for (std::size_t p = p0; p < p1; ++p) {
          const std::int8_t* px = m_in + p * m_in_stride + c0;
          for (std::size_t c = 0; c < n; ++c) {
            part[c] = static_cast<std::int16_t>(part[c] + px[c]);
          }
        }
        for (std::size_t c = 0; c < n; ++c) {
          acc[c] += part[c];
        }
      }
      for (std::size_t c = 0; c < n; ++c) {
        m_out[c0 + c] = requantize_fp32(acc[c], m_scale, m_rq);
      }
    }
  }
  [[nodiscard]] const char* kind() const override { return "gap"; }

private:
  static constexpr std::size_t kTile = 256;
  static constexpr std::size_t kInt16Pixels = 256;
  std::size_t m_pixels, m_channels;
  std::int32_t m_izp;
  float m_scale;
  RequantParams m_rq;
  const std::int8_t* m_in = nullptr;
  std::size_t m_in_stride = 0;
  std::int8_t* m_out = nullptr;
};

// Max pool through the ISA's maxpool kernel: one indirection row per output row laid out like
// the depthwise one (taps kx-major, pixel x+1 starts stride_w * kh pointers after pixel x);
// padding taps point at a row of -128, the identity of max. Tiles are output rows.
class MaxPool final : public Operator {
public:
  MaxPool(const ref::PoolGeometry& g, const KernelSet& k) : m_g(g), m_kernels(k) {
    m_c = static_cast<std::size_t>(m_g.channels);
    m_out_h = static_cast<std::size_t>(m_g.out_h());
    m_out_w = static_cast<std::size_t>(m_g.out_w());
    m_cols = (m_out_w - 1) * static_cast<std::size_t>(m_g.stride_w) + static_cast<std::size_t>(m_g.kernel_w);
    m_row_ptrs = m_cols * static_cast<std::size_t>(m_g.kernel_h);
    m_low = AlignedBuffer(m_c);
    std::memset(m_low.data(), 0x80, m_c); // int8 -128
  }
  void setup(const OpBuffers& b) override {
    m_output = b.output;
    m_output_stride = b.output_stride;
    fill_window_indirection(m_g, m_out_h, m_cols, b.input, b.input_stride, m_low.data(), m_indirection);
  }
  [[nodiscard]] std::size_t tile_count(std::size_t /*phase*/) const override { return m_out_h; }
  void run_tiles(std::size_t /*phase*/, std::size_t begin, std::size_t end) override {
    for (std::size_t oy = begin; oy < end; ++oy) {
      MaxPoolArgs a;
      a.channels = m_c;
      a.output_width = m_out_w;
      a.ks = static_cast<std::size_t>(m_g.kernel_h * m_g.kernel_w);
      a.input = m_indirection.data() + oy * m_row_ptrs;
      a.input_step = static_cast<std::size_t>(m_g.stride_w * m_g.kernel_h);
      a.output = m_output + oy * m_out_w * m_output_stride;
      a.output_stride = m_output_stride;
      m_kernels.maxpool(a);
    }
  }
  [[nodiscard]] const char* kind() const override { return "maxpool"; }

private:
  ref::PoolGeometry m_g;
  const KernelSet& m_kernels;
  std::size_t m_c = 0, m_out_h = 0, m_out_w = 0, m_cols = 0, m_row_ptrs = 0;
  AlignedBuffer m_low;
  std::vector<const void*> m_indirection;
  std::int8_t* m_output = nullptr;
  std::size_t m_output_stride = 0;
};

// Average pool over the in-image taps (fp32 requantization per valid-tap count). Portable
// code: no model in models.cpp uses it.
class AvgPool final : public Operator {
public:
  AvgPool(const ref::PoolGeometry& g, QuantParams in, QuantParams out)
      : m_g(g), m_in_q(in), m_out_q(out), m_rq(make_requant_params(out, Activation::kNone)) {}
  void setup(const OpBuffers& b) override {
    m_in = b.input;
    m_in_stride = b.input_stride;
    m_out = b.output;
    m_out_stride = b.output_stride;
  }
  [[nodiscard]] std::size_t tile_count(std::size_t /*phase*/) const override {
    return static_cast<std::size_t>(m_g.out_h());
  }
  void run_tiles(std::size_t /*phase*/, std::size_t begin, std::size_t end) override {
    const auto c_count = static_cast<std::size_t>(m_g.channels);
    for (std::size_t oy = begin; oy < end; ++oy) {
      for (int ox = 0; ox < m_g.out_w(); ++ox) {
        std::int8_t* out = m_out + (oy * static_cast<std::size_t>(m_g.out_w()) + static_cast<std::size_t>(ox)) * m_out_stride;
        for (std::size_t c0 = 0; c0 < c_count; c0 += kTile) {
          const std::size_t n = std::min(kTile, c_count - c0);
          std::int32_t acc[kTile];
          for (std::size_t c = 0; c < n; ++c) {
            acc[c] = 0;
          }
          std::uint32_t count = 0;
          for (int ky = 0; ky < m_g.kernel_h; ++ky) {
            const int iy = static_cast<int>(oy) * m_g.stride_h - m_g.pad_top + ky;
            for (int kx = 0; kx < m_g.kernel_w; ++kx) {
              const int ix = ox * m_g.stride_w - m_g.pad_left + kx;
              if (iy < 0 || iy >= m_g.in_h || ix < 0 || ix >= m_g.in_w) {
                continue;
              }
              ++count;
              const std::int8_t* px =
                  m_in + (static_cast<std::size_t>(iy) * m_g.in_w + ix) * m_in_stride + c0;
              for (std::size_t c = 0; c < n; ++c) {
                acc[c] += px[c] - m_in_q.zero_point;
              }
            }
          }
          const float scale = mean_scale(m_in_q.scale, m_out_q.scale, count == 0 ? 1 : count);
          for (std::size_t c = 0; c < n; ++c) {
            out[c0 + c] = requantize_fp32(acc[c], scale, m_rq);
          }
        }
      }
    }
  }
  [[nodiscard]] const char* kind() const override { return "avgpool"; }

private:
  static constexpr std::size_t kTile = 128;
  ref::PoolGeometry m_g;
  QuantParams m_in_q, m_out_q;
  RequantParams m_rq;
  const std::int8_t* m_in = nullptr;
  std::size_t m_in_stride = 0;
  std::int8_t* m_out = nullptr;
  std::size_t m_out_stride = 0;
};

class ChannelCopy final : public Operator {
public:
  ChannelCopy(std::size_t pixels, std::size_t channels) : m_pixels(pixels), m_channels(channels) {}
  void setup(const OpBuffers& b) override {
    m_in = b.input;
    m_in_stride = b.input_stride;
    m_out = b.output;
    m_out_stride = b.output_stride;
  }
  [[nodiscard]] std::size_t tile_count(std::size_t /*phase*/) const override {
    return div_up(m_pixels, kTile);
  }
  void run_tiles(std::size_t /*phase*/, std::size_t begin, std::size_t end) override {
    for (std::size_t t = begin; t < end; ++t) {
      for (std::size_t p = t * kTile; p < std::min(m_pixels, (t + 1) * kTile); ++p) {
        std::memcpy(m_out + p * m_out_stride, m_in + p * m_in_stride, m_channels);
      }
    }
  }
  [[nodiscard]] const char* kind() const override { return "concat"; }

private:
  static constexpr std::size_t kTile = 256;
  std::size_t m_pixels, m_channels;
  const std::int8_t* m_in = nullptr;
  std::size_t m_in_stride = 0;
  std::int8_t* m_out = nullptr;
  std::size_t m_out_stride = 0;
};

} // namespace

Result<std::unique_ptr<Operator>> create_conv(const ConvDesc& d, const KernelSet& kernels) {
  const ref::ConvGeometry& g = d.geometry;
  if (g.in_h < 1 || g.in_w < 1 || g.in_c < 1 || g.out_c < 1 || g.kernel_h < 1 || g.kernel_w < 1 ||
      g.stride_h < 1 || g.stride_w < 1 || g.groups < 1 || g.pad_top < 0 || g.pad_left < 0 ||
      g.pad_bottom < 0 || g.pad_right < 0) {
    return make_error(ErrorCode::kInvalidArgument, "conv: non-positive dimension");
  }
  if (g.in_c % g.groups != 0 || g.out_c % g.groups != 0) {
    return make_error(ErrorCode::kInvalidArgument, "conv: channels not divisible by groups");
  }
  if (g.out_h() < 1 || g.out_w() < 1) {
    return make_error(ErrorCode::kInvalidArgument, "conv: kernel larger than padded input");
  }
  if (d.weights == nullptr || d.bias == nullptr || d.weight_scales == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "conv: missing weights, bias or scales");
  }
  if (g.groups > 1 && g.groups == g.in_c && g.groups == g.out_c) {
    return std::unique_ptr<Operator>(std::make_unique<DepthwiseConv>(d, kernels));
  }
  if (winograd_applies(d, kernels)) {
    return create_winograd_conv(d, kernels);
  }
  return std::unique_ptr<Operator>(std::make_unique<IgemmConv>(d, kernels));
}

std::unique_ptr<Operator> create_add(std::size_t elements, const AddParams& params,
                                     const KernelSet& kernels) {
  return std::make_unique<AddOp>(elements, params, kernels);
}

std::unique_ptr<Operator> create_global_avg_pool(std::size_t pixels, std::size_t channels,
                                                 QuantParams input, QuantParams output) {
  return std::make_unique<GlobalAvgPool>(pixels, channels, input, output);
}

std::unique_ptr<Operator> create_max_pool(const ref::PoolGeometry& geometry, const KernelSet& kernels) {
  return std::make_unique<MaxPool>(geometry, kernels);
}

std::unique_ptr<Operator> create_avg_pool(const ref::PoolGeometry& geometry, QuantParams input,
                                          QuantParams output) {
  return std::make_unique<AvgPool>(geometry, input, output);
}

std::unique_ptr<Operator> create_channel_copy(std::size_t pixels, std::size_t channels) {
  return std::make_unique<ChannelCopy>(pixels, channels);
}

} // namespace es::kernels
