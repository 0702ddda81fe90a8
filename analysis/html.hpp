#pragma once
// The self-contained HTML report: one file, no external assets. Figures are embedded as
// data:image/svg+xml;base64 URIs (each an independent document, so cairo's glyph ids cannot
// clash between figures), tables are plain HTML.

#include "analysis/figures.hpp"
#include "analysis/report.hpp"

#include <string>
#include <vector>

namespace es::analysis {

// --- Interface ---

/// HTML page for one run with the given figures.
std::string render_html(const RunReport& report, const std::vector<NamedChart>& charts);

/// One row of `compare`.
struct CompareRow {
  std::string label; ///< "DB:RUN" or the run name
  const RunReport* report = nullptr;
};

/// HTML page for `compare`: the side-by-side table and the overlaid histogram.
std::string render_compare_html(const std::vector<CompareRow>& rows, const NamedChart& histogram);

/// HTML-escapes text.
std::string html_escape(const std::string& text);

} // namespace es::analysis
