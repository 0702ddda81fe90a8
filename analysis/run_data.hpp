#pragma once
// es::analysis run data: everything about a run except the inferences, loaded through the
// storage read API. Inferences (up to 100 M rows) are never held in memory; report.cpp streams
// them once. Samples (10 Hz x a few sensors x hours = a few hundred thousand) are held.

#include "daemon/core/records.hpp"
#include "daemon/core/result.hpp"
#include "daemon/storage/reader.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace es::analysis {

// --- Interface ---

/// A phase of the run (from `phase_start` events), on the run timeline.
struct Phase {
  std::string name;         ///< "idle", "load", "cooldown", or "run" when there are no phases
  bool load = true;         ///< `load=1` in the event detail (inference phase)
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;  ///< next phase start or run end
};

/// One sensor's ok samples (failed reads are counted in `gaps`, never stored as numbers).
struct SensorSeries {
  std::uint32_t id = 0;
  SensorSpec spec;
  std::vector<std::int64_t> t_ns; ///< run timeline, ascending
  std::vector<double> value;      ///< same length as t_ns
  std::uint64_t gaps = 0;         ///< samples with status != ok
};

/// A run without its inferences.
struct RunData {
  storage::RunRow run;
  std::vector<storage::SegmentRow> segments;
  std::vector<SensorSeries> sensors;
  std::vector<storage::EventRow> events;
  std::vector<Phase> phases;
  std::uint64_t inference_count = 0;
  /// Run length used for windows: max(run.duration_ns, last sample/event time).
  std::int64_t duration_ns = 0;
};

/// Resolves "latest" or a decimal id to a run id. kInvalidArgument for other text.
[[nodiscard]] Result<std::int64_t> resolve_run_id(storage::Reader& reader, std::string_view spec);

/// Loads run row, segments, sensors with samples, events and phases.
[[nodiscard]] Result<RunData> load_run_data(storage::Reader& reader, std::int64_t run_id);

/// Parses "key=value key2=value2" (values without spaces) into a map. Words without '='
/// are ignored.
std::map<std::string, std::string> parse_key_values(std::string_view detail);

/// Phases from `phase_start` events (detail `name=<n> load=<0|1> ...`). With no phase events
/// the whole run is one load phase named "run".
std::vector<Phase> phases_from_events(const std::vector<storage::EventRow>& events,
                                      std::int64_t duration_ns);

/// Human name of a run status ("running", "completed", ...), independent of es_storage.
const char* run_status_name(storage::RunStatus status) noexcept;

} // namespace es::analysis
