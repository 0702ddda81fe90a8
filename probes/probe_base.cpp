#include "probes/probe_base.hpp"

#include "daemon/core/time.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <vector>

namespace es::probes {

ProbeBase::ProbeBase(std::string name, std::chrono::nanoseconds interval)
    : m_name(std::move(name)), m_interval(interval) {}

std::uint32_t ProbeBase::add_sensor(SensorSpec spec) {
  m_sensors.push_back(std::move(spec));
  return static_cast<std::uint32_t>(m_sensors.size() - 1);
}

void ProbeBase::finish_discovery() {
  if (m_sensors.empty() || m_cost_index) {
    return;
  }
  m_cost_index = add_sensor(
      SensorSpec{"probe." + m_name + ".read_cost", SensorKind::kOther, "s", "internal:sample()"});
}

void ProbeBase::emit(ProbeOutput& out, std::uint32_t index, double value, std::int64_t t_ns) {
  out.readings.push_back(Reading{index, t_ns, value, SampleStatus::kOk});
}

void ProbeBase::emit_gap(ProbeOutput& out, std::uint32_t index, std::int64_t t_ns,
                         SampleStatus status) {
  out.readings.push_back(Reading{index, t_ns, std::numeric_limits<double>::quiet_NaN(), status});
}

void ProbeBase::sample(ProbeOutput& out) {
  const std::int64_t t0 = mono_now_ns();
  try {
    do_sample(out);
  } catch (const std::exception& e) {
    out.events.push_back(
        ProbeEvent{mono_now_ns(), "probe_error", "probe=" + m_name + " what=" + e.what()});
  } catch (...) {
    out.events.push_back(
        ProbeEvent{mono_now_ns(), "probe_error", "probe=" + m_name + " what=unknown"});
  }
  const std::int64_t t1 = mono_now_ns();
  m_last_cost_ns = t1 - t0;
  if (!m_cost_index) {
    return;
  }
  emit(out, *m_cost_index, static_cast<double>(m_last_cost_ns) * 1e-9, t1);
}

std::string sanitize_name(std::string_view text) {
  std::string s;
  s.reserve(text.size());
  for (const char c : text) {
    if (c >= 'A' && c <= 'Z') {
      s.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
      s.push_back(c);
    } else {
      s.push_back('_');
    }
  }
  if (s.empty()) {
    s = "unnamed";
  }
  return s;
}

} // namespace es::probes
