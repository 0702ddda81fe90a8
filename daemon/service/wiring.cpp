#include "daemon/service/wiring.hpp"

namespace es::service {

probes::ProbeSetOptions probe_options(const config::Config& config) {
  const config::Probes& cfg = config.probes;
  probes::ProbeSetOptions po;
  po.roots.sysfs = cfg.sysfs_root;
  po.roots.procfs = cfg.procfs_root;
  po.roots.devfs = cfg.devfs_root;
  po.default_interval = cfg.interval;
  for (const auto& [name, settings] : cfg.probe) {
    po.probes[name] = probes::ProbeToggle{settings.enabled, settings.interval};
  }
  for (const auto& d : cfg.ina219) {
    probes::Ina219Options io;
    io.name = d.name;
    io.bus = d.bus;
    io.address = d.address;
    io.shunt_ohms = d.shunt_ohms;
    io.max_current_a = d.max_current_a;
    io.interval = d.interval;
    io.bus_range_v = d.bus_range_v;
    io.adc_samples = d.adc_samples;
    io.auto_gain = d.auto_gain;
    io.chip = d.chip;
    po.ina219.push_back(io);
  }
  return po;
}

} // namespace es::service
