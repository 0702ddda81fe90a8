#pragma once
// The figures of a run report (and of `compare`), built from RunReport as Chart objects so the
// same figure is written as SVG, PNG and embedded in the HTML report.

#include "analysis/plot.hpp"
#include "analysis/report.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace es::analysis {

// --- Interface ---

/// A chart with the file stem it is written under and a one-line caption.
struct NamedChart {
  std::string name;    ///< file stem: "latency_histogram", "temperature_timeseries", ...
  std::string caption; ///< what to look for
  Chart chart;
};

/// Every figure of one run (figures without data are left out).
std::vector<NamedChart> build_figures(const RunReport& report);

/// Overlaid latency histograms (share of inferences per 0.9 % bin) of several runs.
NamedChart build_compare_histogram(const std::vector<const RunReport*>& runs,
                                   const std::vector<std::string>& labels);

/// Writes `<dir>/<name>.svg` and `<dir>/<name>.png` for each chart.
[[nodiscard]] Result<void> write_figures(const std::vector<NamedChart>& charts,
                                         const std::filesystem::path& dir);

} // namespace es::analysis
