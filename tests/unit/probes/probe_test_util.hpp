#pragma once
// Small lookups over a probe's sensors and one sample's output, for assertions.

#include "probes/probe.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace es::probes::test {

/// Index of sensor `name`, or nullopt.
inline std::optional<std::uint32_t> sensor_index(const Probe& p, std::string_view name) {
  const auto& s = p.sensors();
  for (std::uint32_t i = 0; i < s.size(); ++i) {
    if (s[i].name == name) {
      return i;
    }
  }
  return std::nullopt;
}

/// The reading of sensor `name` in `out`, or nullopt if the probe did not report it.
inline std::optional<Reading> reading(const Probe& p, const ProbeOutput& out,
                                      std::string_view name) {
  const auto idx = sensor_index(p, name);
  if (!idx) {
    return std::nullopt;
  }
  for (const auto& r : out.readings) {
    if (r.index == *idx) {
      return r;
    }
  }
  return std::nullopt;
}

/// Samples once into a fresh output.
inline ProbeOutput sample_once(Probe& p) {
  ProbeOutput out;
  p.sample(out);
  return out;
}

/// True if an event of `kind` is in `out` (and, if given, its detail contains `needle`).
inline bool has_event(const ProbeOutput& out, std::string_view kind, std::string_view needle = {}) {
  for (const auto& e : out.events) {
    if (e.kind == kind && e.detail.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace es::probes::test
