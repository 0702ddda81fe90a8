#include "workloads/kernels/winograd.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace es::kernels {
namespace {

std::size_t round_up(std::size_t v, std::size_t m) { return (v + m - 1) / m * m; }
std::size_t div_up(std::size_t v, std::size_t m) { return (v + m - 1) / m; }

// EDGESOAK_WINOGRAD=0 turns the path off (A/B measurements); read once.
bool winograd_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("EDGESOAK_WINOGRAD");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return enabled;
}

// One operator for the three algorithms (F(2x2), F(2x4), stride 2); they differ in the window,
// the element count E (16, 24, 25), the transforms and the weight maps.
// Scratch layout: V [E][tiles][cin_v] int16, then M [E][tiles][cout_p] int32.
// Phased schedule: 0 input transform (pieces of a tile row), 1 GEMMs (element, 32-channel block,
// group of MR-row tiles), 2 output transform (pieces of a tile row). Fused schedule: one task
// per tile row runs all three.
class WinogradConv final : public Operator {
public:
  WinogradConv(const ConvDesc& d, const KernelSet& k, WinogradSchedule schedule, WinogradTile tile)
      : m_kernels(k), m_g(d.geometry) {
    if (tile == WinogradTile::kAuto) {
      tile = k.wino24_input != nullptr && d.geometry.in_c <= kWinograd24MaxChannels ? WinogradTile::k2x4
                                                                                    : WinogradTile::k2x2;
    }
    m_stride2 = d.geometry.stride_h == 2;
    m_wide = !m_stride2 && tile == WinogradTile::k2x4;
    m_tw = m_wide ? 4 : 2;
    m_eh = m_stride2 ? 5 : 4;
    m_ew = m_stride2 ? 5 : (m_wide ? 6 : 4);
    m_elements = m_eh * m_ew;
    m_step_y = m_stride2 ? 4 : 2;
    m_step_x = m_stride2 ? 4 : m_tw;
    m_input_fn = m_stride2 ? k.wino_s2_input : (m_wide ? k.wino24_input : k.wino_input);
    m_output_fn = m_stride2 ? k.wino_s2_output : (m_wide ? k.wino24_output : k.wino_output);
    m_cin = static_cast<std::size_t>(m_g.in_c);
    m_cout = static_cast<std::size_t>(m_g.out_c);
    m_out_h = static_cast<std::size_t>(m_g.out_h());
    m_out_w = static_cast<std::size_t>(m_g.out_w());
    m_tiles_h = div_up(m_out_h, 2);
    m_tiles_w = div_up(m_out_w, m_tw);
    m_tiles = m_tiles_h * m_tiles_w;
    m_row_pieces = div_up(m_tiles_w, kTilesPerTask);
    m_cin_v = round_up(m_cin, 16);
    m_cout_p = round_up(m_cout, std::max<std::size_t>(k.gemm16_nr, 16));
    m_izp = d.input.zero_point;
    m_rq = make_requant_params(d.output, d.activation);
    m_macs = static_cast<std::uint64_t>(m_out_h) * m_out_w * m_cout * 9 * m_cin;

    // U = G2' g Gx'^T per (output channel, input channel), stored [e][o][c] and packed per e.
    // G2' = 2 G of F(2,3) (rows); Gx' is the same for 2-wide tiles, 24 G of F(4,3) for 4-wide.
    // Stride 2 uses the 5x3 [g0, g0 + g2, g2, g1, g1] map in both dimensions.
    static constexpr int kG2[4][3] = {{2, 0, 0}, {1, 1, 1}, {1, -1, 1}, {0, 0, 2}};
    static constexpr int kG4[6][3] = {{6, 0, 0}, {-4, -4, -4}, {-4, 4, -4}, {1, 2, 4}, {1, -2, 4}, {0, 0, 24}};
    static constexpr int kS2[5][3] = {{1, 0, 0}, {1, 0, 1}, {0, 0, 1}, {0, 1, 0}, {0, 1, 0}};
    const int (*gy)[3] = m_stride2 ? kS2 : kG2;
    const int (*gx)[3] = m_stride2 ? kS2 : (m_wide ? kG4 : kG2);
    std::vector<std::int16_t> u(m_elements * m_cout * m_cin);
    for (std::size_t o = 0; o < m_cout; ++o) {
      for (std::size_t c = 0; c < m_cin; ++c) {
        int g[3][3];
        for (int ky = 0; ky < 3; ++ky) {
          for (int kx = 0; kx < 3; ++kx) {
            g[ky][kx] = d.weights[((o * 3 + static_cast<std::size_t>(ky)) * 3 + static_cast<std::size_t>(kx)) * m_cin + c];
          }
        }
        int t[5][3] = {};
        for (std::size_t i = 0; i < m_eh; ++i) {
          for (int kx = 0; kx < 3; ++kx) {
            for (int ky = 0; ky < 3; ++ky) {
              t[i][kx] += gy[i][ky] * g[ky][kx];
            }
          }
        }
        for (std::size_t i = 0; i < m_eh; ++i) {
          for (std::size_t j = 0; j < m_ew; ++j) {
            int v = 0;
            for (int kx = 0; kx < 3; ++kx) {
              v += t[i][kx] * gx[j][kx];
            }
            u[((i * m_ew + j) * m_cout + o) * m_cin + c] = static_cast<std::int16_t>(v);
          }
        }
      }
    }
    m_plane_packed = k.gemm16_packed_size(m_cout, m_cin);
    m_packed = AlignedBuffer(m_elements * m_plane_packed);
    for (std::size_t e = 0; e < m_elements; ++e) {
      k.gemm16_pack(m_cout, m_cin, u.data() + e * m_cout * m_cin, m_packed.data() + e * m_plane_packed);
    }
    m_bias.assign(m_cout_p, 0);
    m_scale.assign(m_cout_p, 0.0f);
    for (std::size_t o = 0; o < m_cout; ++o) {
      m_bias[o] = d.bias[o];
      m_scale[o] = requant_scale(d.input.scale, d.weight_scales[o], d.output.scale);
    }
    m_rq.bounded_scale = scales_bounded(m_scale.data(), m_cout);

    // GEMM tasks: one packed block of gemm16_nr output channels (C_in x 32 int16: 4-32 KB, L1
    // resident) against a group of MR-row tiles that stream past it. Looping the blocks inside
    // the MR rows instead re-read every block from L2 for every 3 rows (0.67 bytes per MAC; the
    // 28x28x128 layer ran its GEMMs at 49 GMAC/s that way).
    m_block_packed = k.gemm16_packed_size(k.gemm16_nr, m_cin);
    m_n_blocks = div_up(m_cout, k.gemm16_nr);
    m_m_tiles = div_up(m_tiles, k.gemm16_mr);
    m_m_groups = div_up(m_m_tiles, kMTilesPerTask);
    m_v_bytes = round_up(m_elements * m_tiles * m_cin_v * 2, 64);
    // Small transformed weights (ResNet's 56x56x64 layers: 128 KB for F(2x2), 192 KB for
    // F(2x4)) stay in L2 while each task runs all three stages on one tile row, so V and M stay
    // in L2 too; the phased form writes and re-reads them through L3 (4.8 MB per 56x56x64
    // layer). Measured on ResNet-18's four 56x56x64 layers: 3-7 % faster (3 interleaved runs,
    // loaded machine). Large weights are read once in the phased form instead of once per tile
    // row.
    m_fused = schedule == WinogradSchedule::kAuto ? m_elements * m_plane_packed <= kFusedMaxWeightBytes
                                                  : schedule == WinogradSchedule::kFused;
  }

  void setup(const OpBuffers& b) override {
    m_input = b.input;
    m_input_stride = b.input_stride;
    m_output = b.output;
    m_output_stride = b.output_stride;
    m_v = static_cast<std::int16_t*>(b.scratch);
    m_m = reinterpret_cast<std::int32_t*>(static_cast<std::uint8_t*>(b.scratch) + m_v_bytes);
  }

  [[nodiscard]] std::size_t phase_count() const override { return m_fused ? 1 : 3; }

  [[nodiscard]] std::size_t tile_count(std::size_t phase) const override {
    if (m_fused) {
      return m_tiles_h;
    }
    return phase == 1 ? m_elements * m_n_blocks * m_m_groups : m_tiles_h * m_row_pieces;
  }

  void run_tiles(std::size_t phase, std::size_t begin, std::size_t end) override {
    if (m_fused) { // one tile row per task, all three stages while its V and M rows are in L2
      for (std::size_t ty = begin; ty < end; ++ty) {
        transform_input(ty, 0, m_tiles_w);
        const std::size_t t_end = (ty + 1) * m_tiles_w;
        for (std::size_t e = 0; e < m_elements; ++e) {
          for (std::size_t block = 0; block < m_n_blocks; ++block) {
            for (std::size_t m0 = ty * m_tiles_w; m0 < t_end; m0 += m_kernels.gemm16_mr) {
              gemm(e, block, m0, std::min<std::size_t>(m_kernels.gemm16_mr, t_end - m0));
            }
          }
        }
        transform_output(ty, 0, m_tiles_w);
      }
      return;
    }
    if (phase == 1) {
      const std::size_t mr = m_kernels.gemm16_mr;
      for (std::size_t t = begin; t < end; ++t) {
        const std::size_t e = t / (m_n_blocks * m_m_groups);
        const std::size_t rem = t % (m_n_blocks * m_m_groups);
        const std::size_t block = rem / m_m_groups;
        const std::size_t mt_end = std::min(m_m_tiles, (rem % m_m_groups + 1) * kMTilesPerTask);
        for (std::size_t mt = rem % m_m_groups * kMTilesPerTask; mt < mt_end; ++mt) {
          gemm(e, block, mt * mr, std::min(mr, m_tiles - mt * mr));
        }
      }
      return;
    }
    for (std::size_t task = begin; task < end; ++task) {
      const std::size_t ty = task / m_row_pieces;
      const std::size_t tx0 = task % m_row_pieces * kTilesPerTask;
      const std::size_t n = std::min(kTilesPerTask, m_tiles_w - tx0);
      if (phase == 0) {
        transform_input(ty, tx0, n);
      } else {
        transform_output(ty, tx0, n);
      }
    }
  }

  [[nodiscard]] std::size_t scratch_bytes() const override {
    return m_v_bytes + m_elements * m_tiles * m_cout_p * 4 + kBufferSlack;
  }
  [[nodiscard]] std::uint64_t macs() const override { return m_macs; }
  [[nodiscard]] const char* kind() const override { return "conv3x3"; }

private:
  // Input transform of tiles [tx0, tx0 + n) of tile row ty into V.
  void transform_input(std::size_t ty, std::size_t tx0, std::size_t n) const {
    WinoInputArgs a;
    a.input = m_input;
    a.input_stride = m_input_stride;
    a.in_h = m_g.in_h;
    a.in_w = m_g.in_w;
    a.y0 = static_cast<int>(m_step_y * ty) - m_g.pad_top;
    a.x0 = static_cast<int>(m_step_x * tx0) - m_g.pad_left;
    a.tiles = n;
    a.channels = m_cin;
    a.zero_point = m_izp;
    a.v = m_v + (ty * m_tiles_w + tx0) * m_cin_v;
    a.plane_stride = m_tiles * m_cin_v;
    a.row_stride = m_cin_v;
    m_input_fn(a);
  }

  // GEMM of element e, output block `block`, tile rows [m0, m0 + rows) (rows <= gemm16_mr).
  void gemm(std::size_t e, std::size_t block, std::size_t m0, std::size_t rows) const {
    const std::size_t n0 = block * m_kernels.gemm16_nr;
    Gemm16Args a;
    a.mr = rows;
    a.nc = std::min<std::size_t>(m_kernels.gemm16_nr, m_cout - n0);
    a.kc = m_cin;
    a.a = m_v + (e * m_tiles + m0) * m_cin_v;
    a.a_stride = m_cin_v;
    a.packed_u = m_packed.data() + e * m_plane_packed + block * m_block_packed;
    a.c = m_m + (e * m_tiles + m0) * m_cout_p + n0;
    a.c_stride = m_cout_p;
    m_kernels.gemm16(a);
  }

  // Output transform and requantization of tiles [tx0, tx0 + n) of tile row ty.
  void transform_output(std::size_t ty, std::size_t tx0, std::size_t n) const {
    WinoOutputArgs a;
    a.m = m_m + (ty * m_tiles_w + tx0) * m_cout_p;
    a.plane_stride = m_tiles * m_cout_p;
    a.row_stride = m_cout_p;
    a.tiles = n;
    a.channels = m_cout;
    a.bias = m_bias.data();
    a.scale = m_scale.data();
    a.rq = m_rq;
    a.output = m_output + (2 * ty * m_out_w + m_tw * tx0) * m_output_stride;
    a.output_stride = m_output_stride;
    a.out_w = m_out_w - m_tw * tx0;
    a.row_pitch = m_out_w;
    a.rows = std::min<std::size_t>(2, m_out_h - 2 * ty);
    m_output_fn(a);
  }

  const KernelSet& m_kernels;
  ref::ConvGeometry m_g;
  std::size_t m_cin = 0, m_cout = 0, m_out_h = 0, m_out_w = 0;
  // Transform tasks: up to kTilesPerTask tiles of one tile row (enough tasks for every thread
  // even on 14x14 maps, where a whole row per task split 7 rows 4:3 over two threads).
  static constexpr std::size_t kTilesPerTask = 4;
  bool m_wide = false;              ///< F(2x4, 3x3) tiles instead of F(2x2, 3x3)
  bool m_stride2 = false;           ///< the stride-2 algorithm (5x5 windows, 25 elements)
  std::size_t m_tw = 2;             ///< output tile width (rows are always 2)
  std::size_t m_eh = 4, m_ew = 4, m_elements = 16; ///< transform elements per row/column/tile
  std::size_t m_step_y = 2, m_step_x = 2; ///< input pixels between neighbouring tiles
  WinoInputFn m_input_fn = nullptr;
  WinoOutputFn m_output_fn = nullptr;
  std::size_t m_tiles_h = 0, m_tiles_w = 0, m_tiles = 0, m_row_pieces = 0, m_cin_v = 0, m_cout_p = 0;
  static constexpr std::size_t kMTilesPerTask = 8;
  static constexpr std::size_t kFusedMaxWeightBytes = 192 * 1024;
  bool m_fused = false;
  std::size_t m_plane_packed = 0, m_block_packed = 0, m_n_blocks = 0, m_m_tiles = 0, m_m_groups = 0;
  std::size_t m_v_bytes = 0;
  std::uint64_t m_macs = 0;
  std::int32_t m_izp = 0;
  RequantParams m_rq;
  AlignedBuffer m_packed;
  std::vector<std::int32_t> m_bias;
  std::vector<float> m_scale;
  const std::int8_t* m_input = nullptr;
  std::size_t m_input_stride = 0;
  std::int8_t* m_output = nullptr;
  std::size_t m_output_stride = 0;
  std::int16_t* m_v = nullptr;
  std::int32_t* m_m = nullptr;
};

// Smallest map Winograd is used on. Tiny maps pay the transforms and the transformed weights
// (16/9 of the direct path's bytes, read once per inference) for few multiplies saved. 16 tiles
// is the smallest measured win: ResNet-50's 7x7x512 layers (16 tiles, 23 % of each tile wasted
// on the 7th row and column) took 1.47-1.60 ms against 1.78-1.93 ms direct (1 thread, 3
// interleaved runs). Smaller maps are not measured and stay direct.
constexpr std::size_t kMinTiles = 16;
// Stride 2 has 25 weight planes (25/9 of the direct path's bytes): ResNet-50's 14x14x512 ->
// 7x7 layer (16 tiles) took 2.35-2.61 ms against 1.89-1.99 ms direct, while its 28x28 and 14x14
// outputs (196 and 49 tiles) went from 1.64-1.76 to 1.34-1.45 ms (2 interleaved runs).
constexpr std::size_t kMinTilesStride2 = 32;

std::size_t winograd_tiles(const ref::ConvGeometry& g) {
  return div_up(static_cast<std::size_t>(std::max(g.out_h(), 0)), 2) *
         div_up(static_cast<std::size_t>(std::max(g.out_w(), 0)), 2);
}

} // namespace

bool winograd_applies(const ConvDesc& d, const KernelSet& k) {
  const ref::ConvGeometry& g = d.geometry;
  return k.gemm16 != nullptr && k.wino_input != nullptr && k.wino_output != nullptr &&
         k.gemm16_pack != nullptr && g.groups == 1 && g.kernel_h == 3 && g.kernel_w == 3 &&
         g.stride_h == g.stride_w && (g.stride_h == 1 || (g.stride_h == 2 && k.wino_s2_input != nullptr)) &&
         g.in_c >= 16 && g.out_c >= 16 &&
         winograd_tiles(g) >= (g.stride_h == 2 ? kMinTilesStride2 : kMinTiles) &&
         g.in_c <= kWinogradMaxChannels && winograd_enabled();
}

std::unique_ptr<Operator> create_winograd_conv(const ConvDesc& desc, const KernelSet& kernels,
                                               WinogradSchedule schedule, WinogradTile tile) {
  if (tile == WinogradTile::k2x4 && (kernels.wino24_input == nullptr || desc.geometry.in_c > kWinograd24MaxChannels)) {
    tile = WinogradTile::k2x2;
  }
  return std::make_unique<WinogradConv>(desc, kernels, schedule, tile);
}

} // namespace es::kernels
