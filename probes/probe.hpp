#pragma once
// es::probes::Probe: one source of sensor readings (cpufreq, thermal zones, hwmon, INA219, ...).
//
// The service runs each probe on its own thread on absolute deadlines (no drift), stamps nothing
// itself: the probe sets each reading's CLOCK_MONOTONIC time at the moment it read it. A failed
// read is a Reading with status kUnavailable/kInvalid, never a made-up number and never a throw
// (the service still catches, marks the probe degraded and keeps the run alive).
// Probes never read es::config (STYLE.md rule 3): es_service builds them from ProbeSetOptions.

#include "daemon/core/records.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace es::probes {

// --- Interface ---

/// One reading of one of the probe's sensors.
struct Reading {
  std::uint32_t index = 0; ///< index into Probe::sensors()
  std::int64_t t_ns = 0;   ///< CLOCK_MONOTONIC when read
  double value = 0;        ///< SI units of the sensor; ignored unless status is kOk
  SampleStatus status = SampleStatus::kOk;
};

/// Something a probe noticed (throttle flag set/cleared, sensor vanished/recovered, cap change).
struct ProbeEvent {
  std::int64_t t_ns = 0;
  std::string kind;
  std::string detail;
};

/// What one sample() call produced. Reused between calls (clear() keeps capacity).
struct ProbeOutput {
  std::vector<Reading> readings;
  std::vector<ProbeEvent> events;
  void clear() {
    readings.clear();
    events.clear();
  }
};

class Probe {
public:
  virtual ~Probe() = default;

  /// Short stable name: "cpufreq", "thermal", "system", "ina219.board", ...
  [[nodiscard]] virtual std::string name() const = 0;

  /// The sensors this probe reports, discovered at construction. Stable for the probe's life.
  [[nodiscard]] virtual const std::vector<SensorSpec>& sensors() const = 0;

  /// How often the service should call sample().
  [[nodiscard]] virtual std::chrono::nanoseconds interval() const = 0;

  /// Reads every sensor once and appends readings (and any events) to `out`.
  /// Should not throw; failures become readings with a non-ok status.
  virtual void sample(ProbeOutput& out) = 0;
};

} // namespace es::probes
