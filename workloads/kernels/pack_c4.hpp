#pragma once
// Weight packing shared by the "c4" IGEMMs: every 32-bit lane of a weight vector holds 4
// consecutive input channels of one output channel (sdot on NEON dotprod, vpdpbusd on AVX-VNNI
// and AVX-512 VNNI). The paths differ only in NR and in the zero-point fold, so they pass both.
//
// Built with the library's baseline flags (never an ISA file's -m flags): pack time only, and a
// plain function, not an inline template, so no copy compiled for one ISA can be linked into
// another's callers.
//
// Block of NR output channels (j < NR), kc4 = round_up(kc, 4):
//   [NR x int32 bias'] [ks x kc4/4 x NR x 4 int8: w[t][k/4][j][k%4]] [NR x float scale]
//   bias'[j] = bias[j] - (Z_in + fold) * sum_k w[j][k]
// with fold = 0 for signed activations (sdot) and 128 for the u8-flipped ones (q ^ 0x80 =
// q + 128) of vpdpbusd. Padding channels and padding outputs are zero.

#include "workloads/kernels/microkernels.hpp"

#include <cstddef>
#include <cstdint>

namespace es::kernels {

/// Bytes of one NR-channel block.
std::size_t c4_block_bytes(std::size_t nr, std::size_t kc, std::size_t ks);
/// Bytes of nc output channels (whole blocks).
std::size_t c4_packed_size(std::size_t nr, std::size_t nc, std::size_t kc, std::size_t ks);
/// Packs args into blocks of nr channels (layout above).
void c4_pack(std::size_t nr, std::int32_t zero_point_fold, const GemmPackArgs& args, void* packed);

} // namespace es::kernels
