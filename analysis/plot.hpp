#pragma once
// es::analysis::Chart: a small 2-D chart model drawn with cairo into SVG or PNG.
//
// A chart collects series (lines, envelopes, histogram steps, bars, points, spans) and is
// rendered on demand; the same drawing code targets cairo's SVG surface and its image surface,
// so SVG and PNG always match. Dense scatter layers are rasterised (cairo image surface) and
// embedded, which keeps a 10 M-inference run's SVG small. cairo stays private to plot.cpp.

#include "analysis/latency_histogram.hpp"
#include "daemon/core/result.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace es::analysis {

// --- Interface ---

/// RGBA colour, components 0..1.
struct Color {
  double r = 0, g = 0, b = 0, a = 1;
  [[nodiscard]] Color with_alpha(double alpha) const { return Color{r, g, b, alpha}; }
};

/// The i-th colour of a ten-colour qualitative palette (Tableau 10).
Color palette(std::size_t i);

/// Output format of a rendered chart.
enum class ImageFormat { kSvg, kPng };

/// A chart with a title, axis labels (with units) and a legend.
class Chart {
public:
  Chart(std::string title, std::string x_label, std::string y_label);

  /// Pixel size (PNG) / point size (SVG). Default 960 x 420.
  void set_size(int width, int height);
  /// Logarithmic axes (values <= 0 are skipped).
  void set_log_x(bool on) { m_log_x = on; }
  void set_log_y(bool on) { m_log_y = on; }
  /// Fixed ranges; otherwise they follow the data with a small margin.
  void set_x_range(double lo, double hi);
  void set_y_range(double lo, double hi);

  /// Polyline; NaN values break it. `dashed` for limits and references.
  void add_line(std::vector<double> x, std::vector<double> y, Color color, std::string label,
                double width = 1.6, bool dashed = false);
  /// Filled envelope between y_lo and y_hi (min/max per window).
  void add_band(std::vector<double> x, std::vector<double> y_lo, std::vector<double> y_hi,
                Color color, std::string label);
  /// Histogram outline (and light fill) from bins.
  void add_steps(const std::vector<HistogramBin>& bins, Color color, std::string label,
                 bool normalise = false);
  /// Vertical bars centred at x with the given width (in x units).
  void add_bars(std::vector<double> x, std::vector<double> height, double bar_width, Color color,
                std::string label);
  /// Dots (rasterised layer). `radius` in pixels.
  void add_points(std::vector<double> x, std::vector<double> y, Color color, std::string label,
                  double radius = 1.2);
  /// Shaded vertical span [x0, x1] (phases, throttle events, flag bands).
  void add_span(double x0, double x1, Color color, std::string label);
  /// Vertical marker line at x.
  void add_vline(double x, Color color, std::string label);

  /// Renders to an SVG document (text).
  [[nodiscard]] std::string to_svg() const;
  /// Renders to PNG bytes.
  [[nodiscard]] std::string to_png() const;
  /// Writes the chart in the given format.
  [[nodiscard]] Result<void> write(const std::filesystem::path& path, ImageFormat format) const;

  [[nodiscard]] const std::string& title() const { return m_title; }
  [[nodiscard]] bool empty() const { return m_items.empty(); }

  struct Item; ///< one drawable series (defined in plot.cpp)

private:
  void render(void* cairo_context) const;

  std::string m_title;
  std::string m_x_label;
  std::string m_y_label;
  int m_width = 960;
  int m_height = 420;
  bool m_log_x = false;
  bool m_log_y = false;
  bool m_fixed_x = false;
  bool m_fixed_y = false;
  double m_x0 = 0, m_x1 = 1, m_y0 = 0, m_y1 = 1;
  std::vector<std::shared_ptr<const Item>> m_items;
};

/// Nice tick positions covering [lo, hi] (about `target` ticks; decades on log axes).
std::vector<double> nice_ticks(double lo, double hi, int target, bool log);

/// Short tick label ("0.5", "20", "1e+04").
std::string tick_label(double v);

/// Base64 of bytes (for data: URIs).
std::string base64(const std::string& bytes);

/// Rasterises an SVG document to PNG with librsvg (used to check SVG output renders).
[[nodiscard]] Result<std::string> rasterize_svg(const std::string& svg, int width, int height);

} // namespace es::analysis
