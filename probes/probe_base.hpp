#pragma once
// es::probes::ProbeBase: the common part of every concrete probe.
//
// It owns the sensor list, the name and the interval, and wraps sample() so every probe reports
// its own read cost as the last sensor, "probe.<name>.read_cost" (seconds of wall time the
// sample() call took, measured on the monotonic clock). Concrete probes implement do_sample().
//
// Helpers here also fix the naming rules shared by all probes (sanitize_name, UniqueNames).

#include "daemon/core/records.hpp"
#include "probes/probe.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es::probes {

// --- Interface ---

/// Base class of the built-in probes. Not required by the service (it codes against Probe).
class ProbeBase : public Probe {
public:
  ProbeBase(std::string name, std::chrono::nanoseconds interval);

  [[nodiscard]] std::string name() const override { return m_name; }
  [[nodiscard]] const std::vector<SensorSpec>& sensors() const override { return m_sensors; }
  [[nodiscard]] std::chrono::nanoseconds interval() const override { return m_interval; }

  /// Calls do_sample() and appends the read-cost reading. Never throws: an exception from
  /// do_sample() becomes an "probe_error" event and gaps for the sensors not yet read.
  void sample(ProbeOutput& out) final;

  /// Number of measurement sensors (excluding the read-cost sensor).
  [[nodiscard]] std::size_t measurement_count() const noexcept {
    return m_cost_index ? m_sensors.size() - 1 : m_sensors.size();
  }

  /// Wall time of the last sample() call in nanoseconds (0 before the first).
  [[nodiscard]] std::int64_t last_read_cost_ns() const noexcept { return m_last_cost_ns; }

protected:
  /// Reads every sensor once. Appends readings in any order; each index at most once.
  virtual void do_sample(ProbeOutput& out) = 0;

  /// Registers a sensor during construction; returns its index.
  std::uint32_t add_sensor(SensorSpec spec);

  /// Call at the end of construction: appends "probe.<name>.read_cost" if any sensor exists.
  void finish_discovery();

  /// Appends an ok reading stamped now.
  static void emit(ProbeOutput& out, std::uint32_t index, double value, std::int64_t t_ns);
  /// Appends a gap.
  static void emit_gap(ProbeOutput& out, std::uint32_t index, std::int64_t t_ns,
                       SampleStatus status = SampleStatus::kUnavailable);

  std::vector<SensorSpec> m_sensors;

private:
  std::string m_name;
  std::chrono::nanoseconds m_interval;
  std::optional<std::uint32_t> m_cost_index;
  std::int64_t m_last_cost_ns = 0;
};

/// Makes a string safe as one component of a sensor name: lower-case ASCII letters, digits, '-'
/// and '_' are kept, everything else becomes '_' ("Package id 0" -> "package_id_0").
[[nodiscard]] std::string sanitize_name(std::string_view text);

/// Hands out unique names: the first request for "x" gets "x"; duplicates are the caller's job
/// to disambiguate up front with count(). Used to detect duplicate thermal zone types.
class NameCounter {
public:
  void add(const std::string& name) { ++m_counts[name]; }
  [[nodiscard]] int count(const std::string& name) const {
    auto it = m_counts.find(name);
    return it == m_counts.end() ? 0 : it->second;
  }

private:
  std::map<std::string, int> m_counts;
};

} // namespace es::probes
