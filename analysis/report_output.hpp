#pragma once
// Text, JSON and CSV renderings of a RunReport. The JSON keys are a user-facing contract
// (PRODUCT.md): later work adds keys, never renames them.

#include "analysis/report.hpp"

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace es::analysis {

// --- Interface ---

/// `report --json`: run, inferences, rate_per_s, latency_ms, sensors, events (foundation keys)
/// plus phases, latency_histogram, stability, throttle_events, time_to_first_throttle_s,
/// change_points, modes, frequency_residency, energy (analysis keys). Times in seconds from the
/// run start, latencies in ms, SI units elsewhere; unknown numbers are null.
void write_report_json(const RunReport& report, std::ostream& out);

/// Human-readable summary (default `report` output).
void write_report_text(const RunReport& report, std::ostream& out);

/// CSV tables `export` writes; `name` is one of csv_table_names().
const std::vector<std::string>& csv_table_names();
/// Writes one CSV table (header line first). Returns false for an unknown name.
bool write_csv_table(const RunReport& report, const std::string& name, std::ostream& out);

/// ISO 8601 UTC from wall-clock ns ("" for 0).
std::string iso_utc(std::int64_t wall_ns);

} // namespace es::analysis
