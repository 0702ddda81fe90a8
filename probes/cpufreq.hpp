#pragma once
// es::probes::CpufreqProbe: CPU frequency per cpufreq policy, residency per window, CPU online.
//
// Sensors (N = policy number, C = CPU number), all frequencies in Hz:
//   cpufreq.policyN.cur             scaling_cur_freq (on RPi: the *requested* clock, see rpi.hpp)
//   cpufreq.policyN.hw_cur          cpuinfo_cur_freq, only if readable at discovery (root-only)
//   cpufreq.policyN.avg             cpuinfo_avg_freq (recent kernels, hardware counters)
//   cpufreq.policyN.min_limit       scaling_min_freq
//   cpufreq.policyN.max_limit       scaling_max_freq; a change emits a "cpufreq_max_limit" event
//   cpufreq.policyN.residency_mean  time-weighted mean frequency over the window since the
//                                   previous sample, from stats/time_in_state deltas. Catches
//                                   dips that point samples alias away (sbc-bench's lesson).
//   cpufreq.policyN.residency_min   lowest frequency with non-zero residency in the window
//   cpufreq.policyN.transitions     stats/total_trans delta over the window (count)
//   cpufreq.cpuC.online             devices/system/cpu/cpuC/online (1/0); changes are events
//   cpufreq.cpuC.core_throttles     x86: thermal_throttle/core_throttle_count delta over the
//                                   window (count); > 0 emits "cpu_thermal_throttle"
//   cpufreq.packageP.throttles      x86: package_throttle_count delta (first CPU of package P)
// The first sample has no window: the residency and transition sensors are gaps then, and
// again after a stats reset (counters going backwards).
//
// Policies come from devices/system/cpu/cpufreq/policy*; kernels/fixtures without that directory
// also use devices/system/cpu/cpuC/cpufreq when that is a real directory (named policyC).

#include "probes/probe_base.hpp"
#include "probes/sysfs_reader.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es::probes {

// --- Interface: pure residency maths (unit-tested) ---

/// One row of stats/time_in_state: frequency in kHz and time in 10 ms units.
struct FreqTime {
  std::uint64_t freq_khz = 0;
  std::uint64_t time_10ms = 0;
};

/// Parses time_in_state ("<kHz> <10ms units>" per line). kInvalidArgument on malformed lines.
[[nodiscard]] Result<std::vector<FreqTime>> parse_time_in_state(std::string_view text);

/// Residency statistics of one window.
struct Residency {
  double mean_hz = 0; ///< Σ f·Δt / Σ Δt
  double min_hz = 0;  ///< lowest f with Δt > 0
  double max_hz = 0;  ///< highest f with Δt > 0
  double seconds = 0; ///< Σ Δt in seconds
};

/// Residency over the window between two time_in_state snapshots. Rows are matched by
/// frequency (the table may gain or lose rows when OPPs change). Errors: kInvalidArgument if a
/// counter went backwards (stats reset) or no time passed (window shorter than 10 ms).
[[nodiscard]] Result<Residency> residency_delta(const std::vector<FreqTime>& before,
                                                const std::vector<FreqTime>& after);

// --- Interface: the probe ---

class CpufreqProbe final : public ProbeBase {
public:
  /// Discovers policies below `sysfs` (its root stands for /sys). Sensors that do not exist
  /// are not created; a machine without cpufreq yields a probe with no sensors.
  CpufreqProbe(const SysfsReader& sysfs, std::chrono::nanoseconds interval);

protected:
  void do_sample(ProbeOutput& out) override;

private:
  struct Policy {
    std::string name; ///< "policy0"
    SysfsFile cur, hw_cur, avg, min_limit, max_limit, time_in_state, total_trans;
    std::optional<std::uint32_t> i_cur, i_hw_cur, i_avg, i_min, i_max, i_res_mean, i_res_min,
        i_trans;
    std::vector<FreqTime> prev_tis;
    bool have_prev_tis = false;
    std::optional<std::int64_t> prev_trans;
    std::optional<std::int64_t> prev_max_khz;
    std::optional<std::int64_t> prev_min_khz;
  };
  struct Cpu {
    std::string name; ///< "cpu1"
    SysfsFile online;
    std::uint32_t index = 0;
    std::optional<std::int64_t> prev;
  };

  struct Counter {
    std::string name; ///< "cpu1" or "package0"
    SysfsFile file;
    std::uint32_t index = 0;
    std::optional<std::int64_t> prev;
  };

  void add_policy(const SysfsReader& sysfs, const std::string& dir, const std::string& name);
  void sample_policy(Policy& p, ProbeOutput& out);

  std::vector<Policy> m_policies;
  std::vector<Cpu> m_cpus;
  std::vector<Counter> m_counters;
};

} // namespace es::probes
