#include "probes/devfreq.hpp"

#include "daemon/core/time.hpp"

#include <string>
#include <vector>

namespace es::probes {

DevfreqProbe::DevfreqProbe(const SysfsReader& sysfs, std::chrono::nanoseconds interval)
    : ProbeBase("devfreq", interval) {
  auto names = sysfs.list("class/devfreq");
  if (!names) {
    finish_discovery();
    return;
  }
  for (const auto& n : *names) {
    const std::string dir = "class/devfreq/" + n;
    Device d;
    d.name = n;
    const std::string base = "devfreq." + sanitize_name(n);
    auto attach = [&](const std::string& rel, const std::string& suffix, SysfsFile& f,
                      std::optional<std::uint32_t>& idx, SensorKind kind, const char* unit) {
      if (!sysfs.read_int(rel).ok()) {
        return;
      }
      f = SysfsFile(sysfs.path(rel));
      idx = add_sensor(SensorSpec{base + "." + suffix, kind, unit, "sysfs:/" + rel});
    };
    attach(dir + "/cur_freq", "cur", d.cur, d.i_cur, SensorKind::kFrequency, "Hz");
    attach(dir + "/max_freq", "max_limit", d.max, d.i_max, SensorKind::kFrequency, "Hz");
    attach(dir + "/min_freq", "min_limit", d.min, d.i_min, SensorKind::kFrequency, "Hz");
    // GPU load (per-mille): next to the devfreq device on most BSPs; L4T keeps it in gpu.0
    // (jetson_stats' search list).
    std::vector<std::string> loads{dir + "/device/load"};
    if (n.find("gpu") != std::string::npos || n.find("ga10b") != std::string::npos ||
        n.find("gv11b") != std::string::npos || n.find("gp10b") != std::string::npos) {
      loads.push_back("devices/gpu.0/load");
      loads.push_back("devices/platform/gpu.0/load");
    }
    for (const auto& l : loads) {
      if (!d.i_load) {
        attach(l, "load", d.load, d.i_load, SensorKind::kUtilization, "ratio");
      }
    }
    if (d.i_cur || d.i_max) {
      m_devices.push_back(std::move(d));
    }
  }
  finish_discovery();
}

void DevfreqProbe::do_sample(ProbeOutput& out) {
  for (auto& d : m_devices) {
    auto read = [&](SysfsFile& f, std::optional<std::uint32_t> idx,
                    double scale) -> std::optional<std::int64_t> {
      if (!idx) {
        return std::nullopt;
      }
      auto v = f.read_int();
      const std::int64_t t = mono_now_ns();
      if (!v || *v < 0) {
        emit_gap(out, *idx, t);
        return std::nullopt;
      }
      emit(out, *idx, static_cast<double>(*v) * scale, t);
      return *v;
    };
    read(d.cur, d.i_cur, 1.0);
    const auto max = read(d.max, d.i_max, 1.0);
    read(d.min, d.i_min, 1.0);
    read(d.load, d.i_load, 1e-3);
    if (max && d.prev_max && *max != *d.prev_max) {
      out.events.push_back(ProbeEvent{
          mono_now_ns(), "devfreq_max_limit",
          "device=" + d.name + " from_hz=" + std::to_string(*d.prev_max) + " to_hz=" +
              std::to_string(*max) + (*max < *d.prev_max ? " change=cap" : " change=uncap")});
    }
    if (max) {
      d.prev_max = max;
    }
  }
}

} // namespace es::probes
