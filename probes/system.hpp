#pragma once
// es::probes::SystemProbe: CPU utilisation, memory, load, and the daemon's own footprint.
//
// Sensors (all from the procfs root, normally /proc):
//   system.cpu_util           all CPUs, ratio 0..1 over the window since the previous sample
//   system.cpuN_util          per CPU (gap while the CPU is offline or on the first sample)
//   system.mem_total          MemTotal, bytes
//   system.mem_available      MemAvailable, bytes
//   system.load1/5/15         load average (unit "tasks")
//   system.rss                this process's resident set, bytes (self/statm)
//   system.self_cpu_time      this process's user+system CPU time since start, s (self/stat)
//   system.self_cpu_util      this process's CPU use over the window, in CPUs (1.0 = one core)
//
// /proc/stat maths (hardware.md §2.5): busy = user+nice+system+irq+softirq+steal, idle =
// idle+iowait, guest is already inside user/nice. Only the "cpu" lines at the start of the file
// are read (the intr line can be 100 KB).

#include "probes/probe_base.hpp"
#include "probes/sysfs_reader.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace es::probes {

// --- Interface: pure parsing (unit-tested) ---

/// Busy and total ticks of one "cpu" line of /proc/stat.
struct CpuTicks {
  int cpu = -1; ///< -1 for the aggregate "cpu" line
  std::uint64_t busy = 0;
  std::uint64_t total = 0;
};

/// Parses the cpu lines of /proc/stat (stops at the first non-cpu line).
[[nodiscard]] Result<std::vector<CpuTicks>> parse_proc_stat_cpus(std::string_view text);

/// Utilisation between two snapshots of the same CPU; nullopt if no ticks passed or counters
/// went backwards (hotplug).
[[nodiscard]] std::optional<double> cpu_utilization(const CpuTicks& before,
                                                    const CpuTicks& after) noexcept;

/// Value of one "Key:  123 kB" line of /proc/meminfo in bytes.
[[nodiscard]] Result<std::uint64_t> meminfo_bytes(std::string_view meminfo, std::string_view key);

// --- Interface: the probe ---

class SystemProbe final : public ProbeBase {
public:
  /// `procfs`'s root stands for /proc.
  SystemProbe(const SysfsReader& procfs, std::chrono::nanoseconds interval);

protected:
  void do_sample(ProbeOutput& out) override;

private:
  SysfsFile m_stat, m_meminfo, m_loadavg, m_self_stat, m_self_statm;
  std::optional<std::uint32_t> m_i_total, m_i_mem_total, m_i_mem_avail, m_i_load1, m_i_load5,
      m_i_load15, m_i_rss, m_i_self_time, m_i_self_util;
  std::map<int, std::uint32_t> m_i_cpu; ///< cpu number -> sensor index
  std::map<int, CpuTicks> m_prev;       ///< -1 = aggregate
  std::optional<double> m_prev_self_s;
  std::int64_t m_prev_self_t = 0;
  std::size_t m_stat_bytes = 8192;
  double m_tick_s = 0.01;
  double m_page_bytes = 4096;
};

} // namespace es::probes
