#pragma once
// es::probes::DevfreqProbe: accelerator and memory clocks managed by devfreq (Jetson GPU and
// EMC, Mali GPUs, NPUs on Rockchip, ...), plus GPU load where the device exposes it.
//
// Sensors (D = sanitized devfreq device name, "17000000.ga10b" -> 17000000_ga10b):
//   devfreq.D.cur        cur_freq, Hz
//   devfreq.D.max_limit  max_freq, Hz; a change emits "devfreq_max_limit" (thermal capping of
//                        the GPU on Jetson shows up here, not in cpufreq)
//   devfreq.D.min_limit  min_freq, Hz
//   devfreq.D.load       <device>/load per-mille -> ratio 0..1 (Jetson GPU), if present; for
//                        GPU devices also devices/gpu.0/load and devices/platform/gpu.0/load

#include "probes/probe_base.hpp"
#include "probes/sysfs_reader.hpp"

#include <chrono>
#include <optional>
#include <vector>

namespace es::probes {

// --- Interface ---

class DevfreqProbe final : public ProbeBase {
public:
  DevfreqProbe(const SysfsReader& sysfs, std::chrono::nanoseconds interval);

protected:
  void do_sample(ProbeOutput& out) override;

private:
  struct Device {
    std::string name;
    SysfsFile cur, max, min, load;
    std::optional<std::uint32_t> i_cur, i_max, i_min, i_load;
    std::optional<std::int64_t> prev_max;
  };
  std::vector<Device> m_devices;
};

} // namespace es::probes
