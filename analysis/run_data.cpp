#include "analysis/run_data.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace es::analysis {

Result<std::int64_t> resolve_run_id(storage::Reader& reader, std::string_view spec) {
  if (spec.empty() || spec == "latest") {
    return reader.latest_run_id();
  }
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), id);
  if (ec != std::errc() || ptr != spec.data() + spec.size() || id <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--run: expected a positive run id or 'latest', got '" + std::string(spec) +
                          "'");
  }
  return id;
}

std::map<std::string, std::string> parse_key_values(std::string_view detail) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < detail.size()) {
    while (i < detail.size() && detail[i] == ' ') {
      ++i;
    }
    std::size_t end = detail.find(' ', i);
    if (end == std::string_view::npos) {
      end = detail.size();
    }
    const std::string_view word = detail.substr(i, end - i);
    const std::size_t eq = word.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      out[std::string(word.substr(0, eq))] = std::string(word.substr(eq + 1));
    }
    i = end;
  }
  return out;
}

std::vector<Phase> phases_from_events(const std::vector<storage::EventRow>& events,
                                      std::int64_t duration_ns) {
  std::vector<Phase> phases;
  for (const storage::EventRow& e : events) {
    if (e.kind != "phase_start") {
      continue;
    }
    const auto kv = parse_key_values(e.detail);
    Phase p;
    const auto name = kv.find("name");
    p.name = name != kv.end() ? name->second : "phase";
    const auto load = kv.find("load");
    p.load = load != kv.end() ? (load->second != "0" && load->second != "false")
                              : (p.name != "idle" && p.name != "cooldown");
    p.start_ns = e.t_ns;
    if (!phases.empty()) {
      phases.back().end_ns = e.t_ns;
    }
    phases.push_back(p);
  }
  if (phases.empty()) {
    phases.push_back(Phase{"run", true, 0, duration_ns});
    return phases;
  }
  if (phases.front().start_ns > 0) {
    // Time before the first phase event (setup) belongs to no inference phase.
    phases.insert(phases.begin(), Phase{"setup", false, 0, phases.front().start_ns});
  }
  phases.back().end_ns = std::max(duration_ns, phases.back().start_ns);
  return phases;
}

const char* run_status_name(storage::RunStatus status) noexcept {
  switch (status) {
  case storage::RunStatus::kRunning:
    return "running";
  case storage::RunStatus::kCompleted:
    return "completed";
  case storage::RunStatus::kStopped:
    return "stopped";
  case storage::RunStatus::kAborted:
    return "aborted";
  }
  return "unknown";
}

Result<RunData> load_run_data(storage::Reader& reader, std::int64_t run_id) {
  RunData data;
  auto run = reader.run(run_id);
  if (!run) {
    return run.error();
  }
  data.run = std::move(run).value();
  auto segments = reader.segments(run_id);
  if (!segments) {
    return segments.error();
  }
  data.segments = std::move(segments).value();
  auto events = reader.events(run_id);
  if (!events) {
    return events.error();
  }
  data.events = std::move(events).value();
  auto sensors = reader.sensors(run_id);
  if (!sensors) {
    return sensors.error();
  }
  std::int64_t last_ns = data.run.duration_ns;
  for (const storage::SensorRow& row : sensors.value()) {
    SensorSeries series;
    series.id = row.id;
    series.spec = row.spec;
    auto r = reader.for_each_sample(run_id, row.id, [&series](const storage::SampleRow& s) {
      // A non-finite value is not a measurement, whatever its status says.
      if (s.status == SampleStatus::kOk && std::isfinite(s.value)) {
        series.t_ns.push_back(s.t_ns);
        series.value.push_back(s.value);
      } else {
        ++series.gaps;
      }
    });
    if (!r) {
      return r.error().with_context("sensor " + row.spec.name);
    }
    if (!series.t_ns.empty()) {
      last_ns = std::max(last_ns, series.t_ns.back());
    }
    data.sensors.push_back(std::move(series));
  }
  for (const storage::EventRow& e : data.events) {
    last_ns = std::max(last_ns, e.t_ns);
  }
  auto count = reader.inference_count(run_id);
  if (!count) {
    return count.error();
  }
  data.inference_count = count.value();
  data.duration_ns = last_ns;
  data.phases = phases_from_events(data.events, data.duration_ns);
  return data;
}

} // namespace es::analysis
