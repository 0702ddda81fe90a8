#pragma once
// Config -> per-module options. The one place that knows both es::config and a leaf module's
// option structs (STYLE rule 3: probes never read es::config).

#include "config/config.hpp"
#include "probes/probe_set.hpp"

namespace es::service {

// --- Interface ---

/// The probe set a configuration asks for: roots, per-probe toggles/intervals, INA219 devices.
probes::ProbeSetOptions probe_options(const config::Config& config);

} // namespace es::service
