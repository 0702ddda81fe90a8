#pragma once
// es::kernels::measure_peak: this core's int8 multiply-accumulate peak for one KernelSet.
//
// Two measurements, the larger wins: the ISA's instruction-level loop (KernelSet::
// peak_macs_per_second) and the IGEMM microkernel itself on an L1-resident problem (MR rows,
// 2 x NR channels, K = 512). Both are timed in thread CPU time, so the figure is what the core
// can do even while other processes share it. bench reports inference GMAC/s as % of this x
// threads.

#include "workloads/kernels/microkernels.hpp"

namespace es::kernels {

// --- Interface ---

/// MACs per CPU second of one thread; runs for about `seconds` in total.
double measure_peak_macs(const KernelSet& kernels, double seconds);

/// Seconds of CPU time consumed by the calling thread.
double thread_cpu_seconds() noexcept;

} // namespace es::kernels
