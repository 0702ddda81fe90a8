// resolve_phases: percentages and "rest" -> concrete start offsets and lengths.
//
// Lengths are computed in long double nanoseconds and rounded down; the few nanoseconds of
// rounding left over go to the "rest" phase (or the longest phase), so the schedule always
// covers exactly `total` with no gaps.
#include "config/config.hpp"

#include "daemon/core/time.hpp"

#include <algorithm>
#include <cmath>

namespace es::config {

namespace {

using std::chrono::nanoseconds;

/// Lengths for `phases` at run length `total`, with "rest" taking what is left (may be <= 0).
std::vector<long double> nominal_lengths(const std::vector<Phase>& phases, nanoseconds total,
                                         long double* fixed_out) {
  std::vector<long double> lengths(phases.size(), 0.0L);
  long double fixed = 0;
  std::size_t rest = phases.size();
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const Phase& p = phases[i];
    switch (p.length_kind) {
    case PhaseLength::kAbsolute:
      lengths[i] = static_cast<long double>(p.duration.count());
      break;
    case PhaseLength::kPercent:
      lengths[i] = static_cast<long double>(total.count()) * p.percent / 100.0L;
      break;
    case PhaseLength::kRest:
      rest = i;
      break;
    }
    fixed += lengths[i];
  }
  if (rest < phases.size()) {
    lengths[rest] = static_cast<long double>(total.count()) - fixed;
  }
  *fixed_out = fixed;
  return lengths;
}

} // namespace

Result<std::vector<ResolvedPhase>> resolve_phases(const Config& config, nanoseconds total) {
  if (total.count() <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "run duration must be positive, got " + format_duration(total));
  }
  std::vector<Phase> phases = config.run.phases;
  if (phases.empty()) {
    Phase load;
    load.name = "load";
    load.length_kind = PhaseLength::kRest;
    phases.push_back(load);
  }
  std::size_t rest = phases.size();
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const Phase& p = phases[i];
    if (p.length_kind == PhaseLength::kRest) {
      if (rest < phases.size()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "phases '" + phases[rest].name + "' and '" + p.name +
                              "' both take the rest; at most one may");
      }
      rest = i;
    } else if (p.length_kind == PhaseLength::kAbsolute && p.duration.count() <= 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        "phase '" + p.name + "' has length " + format_duration(p.duration));
    } else if (p.length_kind == PhaseLength::kPercent && !(p.percent > 0 && p.percent <= 100)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "phase '" + p.name + "' has percentage " + std::to_string(p.percent));
    }
  }
  const bool has_rest = rest < phases.size();
  const auto total_ld = static_cast<long double>(total.count());

  long double fixed = 0;
  std::vector<long double> lengths = nominal_lengths(phases, total, &fixed);
  if (has_rest && lengths[rest] < 1.0L) {
    // The other phases fill `total` (a short --duration override): scale the schedule as
    // configured for run.duration, so "rest" keeps its configured share.
    long double fixed_configured = 0;
    lengths = nominal_lengths(phases, config.run.duration, &fixed_configured);
    if (config.run.duration.count() <= 0 || lengths[rest] < 1.0L) {
      return make_error(ErrorCode::kInvalidArgument,
                        "the phases other than '" + phases[rest].name + "' take " +
                            format_duration(nanoseconds(std::llround(fixed_configured))) +
                            " of run.duration " + format_duration(config.run.duration) +
                            ", leaving nothing for it");
    }
    const long double scale = total_ld / static_cast<long double>(config.run.duration.count());
    for (long double& length : lengths) {
      length *= scale;
    }
  } else if (!has_rest &&
             std::fabs(fixed - total_ld) > static_cast<long double>(phases.size())) {
    // Phases that do not add up to an overridden total all stretch or shrink alike.
    const long double scale = total_ld / fixed;
    for (long double& length : lengths) {
      length *= scale;
    }
  }

  // Whole nanoseconds; the leftover goes to "rest", else to the longest phase.
  std::vector<std::int64_t> ns(phases.size());
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    ns[i] = static_cast<std::int64_t>(std::floor(lengths[i]));
    sum += ns[i];
  }
  const std::size_t absorb =
      has_rest ? rest
               : static_cast<std::size_t>(std::max_element(ns.begin(), ns.end()) - ns.begin());
  ns[absorb] += total.count() - sum;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    if (ns[i] < 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        "run duration " + format_duration(total) + " is too short for " +
                            std::to_string(phases.size()) + " phases");
    }
  }

  std::vector<ResolvedPhase> out;
  out.reserve(phases.size());
  std::int64_t start = 0;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    ResolvedPhase r;
    r.name = phases[i].name;
    r.start = nanoseconds(start);
    r.duration = nanoseconds(ns[i]);
    r.load = phases[i].load;
    r.rate_per_s = phases[i].rate_per_s.value_or(config.workload.rate_per_s);
    start += ns[i];
    out.push_back(std::move(r));
  }
  return out;
}

} // namespace es::config
