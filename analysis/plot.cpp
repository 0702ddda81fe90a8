#include "analysis/plot.hpp"

#include <cairo-svg.h>
#include <cairo.h>
#include <librsvg/rsvg.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

namespace es::analysis {

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kFont = "DejaVu Sans";
} // namespace

struct Chart::Item {
  enum class Type { kLine, kBand, kSteps, kBars, kPoints, kSpan, kVline } type = Type::kLine;
  std::vector<double> x, y, y2;
  Color color;
  std::string label;
  double width = 1.6;
  bool dashed = false;
};

Color palette(std::size_t i) {
  static const Color kColors[] = {
      {0.122, 0.467, 0.706, 1}, {1.000, 0.498, 0.055, 1}, {0.173, 0.627, 0.173, 1},
      {0.839, 0.153, 0.157, 1}, {0.580, 0.404, 0.741, 1}, {0.549, 0.337, 0.294, 1},
      {0.890, 0.467, 0.761, 1}, {0.498, 0.498, 0.498, 1}, {0.737, 0.741, 0.133, 1},
      {0.090, 0.745, 0.812, 1}};
  return kColors[i % 10];
}

Chart::Chart(std::string title, std::string x_label, std::string y_label)
    : m_title(std::move(title)), m_x_label(std::move(x_label)), m_y_label(std::move(y_label)) {}

void Chart::set_size(int width, int height) {
  m_width = width;
  m_height = height;
}

void Chart::set_x_range(double lo, double hi) {
  m_fixed_x = true;
  m_x0 = lo;
  m_x1 = hi;
}

void Chart::set_y_range(double lo, double hi) {
  m_fixed_y = true;
  m_y0 = lo;
  m_y1 = hi;
}

void Chart::add_line(std::vector<double> x, std::vector<double> y, Color color, std::string label,
                     double width, bool dashed) {
  auto it = std::make_shared<Item>();
  it->type = Item::Type::kLine;
  it->x = std::move(x);
  it->y = std::move(y);
  it->color = color;
  it->label = std::move(label);
  it->width = width;
  it->dashed = dashed;
  m_items.push_back(std::move(it));
}

void Chart::add_band(std::vector<double> x, std::vector<double> y_lo, std::vector<double> y_hi,
                     Color color, std::string label) {
  auto it = std::make_shared<Item>();
  it->type = Item::Type::kBand;
  it->x = std::move(x);
  it->y = std::move(y_lo);
  it->y2 = std::move(y_hi);
  it->color = color;
  it->label = std::move(label);
  m_items.push_back(std::move(it));
}

void Chart::add_steps(const std::vector<HistogramBin>& bins, Color color, std::string label,
                      bool normalise) {
  auto it = std::make_shared<Item>();
  it->type = Item::Type::kSteps;
  double total = 0;
  for (const HistogramBin& b : bins) {
    total += static_cast<double>(b.count);
  }
  for (const HistogramBin& b : bins) {
    it->x.push_back(b.lo);
    it->y2.push_back(b.hi);
    const double c = static_cast<double>(b.count);
    it->y.push_back(normalise && total > 0 ? c / total * 100.0 : c);
  }
  it->color = color;
  it->label = std::move(label);
  m_items.push_back(std::move(it));
}

void Chart::add_bars(std::vector<double> x, std::vector<double> height, double bar_width,
                     Color color, std::string label) {
  auto it = std::make_shared<Item>();
  it->type = Item::Type::kBars;
  it->x = std::move(x);
  it->y = std::move(height);
  it->width = bar_width;
  it->color = color;
  it->label = std::move(label);
  m_items.push_back(std::move(it));
}

void Chart::add_points(std::vector<double> x, std::vector<double> y, Color color,
                       std::string label, double radius) {
  auto it = std::make_shared<Item>();
  it->type = Item::Type::kPoints;
  it->x = std::move(x);
  it->y = std::move(y);
  it->color = color;
  it->label = std::move(label);
  it->width = radius;
  m_items.push_back(std::move(it));
}

void Chart::add_span(double x0, double x1, Color color, std::string label) {
  auto it = std::make_shared<Item>();
  it->type = Item::Type::kSpan;
  it->x = {x0, x1};
  it->color = color;
  it->label = std::move(label);
  m_items.push_back(std::move(it));
}

void Chart::add_vline(double x, Color color, std::string label) {
  auto it = std::make_shared<Item>();
  it->type = Item::Type::kVline;
  it->x = {x};
  it->color = color;
  it->label = std::move(label);
  m_items.push_back(std::move(it));
}

std::vector<double> nice_ticks(double lo, double hi, int target, bool log) {
  std::vector<double> out;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) {
    return out;
  }
  if (log && lo > 0) {
    const double d0 = std::floor(std::log10(lo));
    const double d1 = std::ceil(std::log10(hi));
    if (std::log10(hi / lo) >= 2) {
      const double every = std::max(1.0, std::ceil((d1 - d0) / target));
      for (double d = d0; d <= d1; d += every) {
        const double v = std::pow(10.0, d);
        if (v >= lo * 0.999 && v <= hi * 1.001) {
          out.push_back(v);
        }
      }
      return out;
    }
    for (double d = d0; d <= d1; d += 1) {
      for (double m : {1.0, 2.0, 5.0}) {
        const double v = m * std::pow(10.0, d);
        if (v >= lo * 0.999 && v <= hi * 1.001) {
          out.push_back(v);
        }
      }
    }
    if (out.size() >= 3) {
      return out;
    }
    out.clear(); // narrow log range: fall through to linear ticks
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return out;
}

std::string tick_label(double v) {
  const double a = std::abs(v);
  if (a != 0 && (a >= 1e6 || a < 1e-3)) {
    return fmt::format("{:.0e}", v);
  }
  return fmt::format("{:.6g}", v);
}

namespace {

struct Frame {
  double px0, px1, py0, py1; // plot area in pixels (py0 top)
  double x0, x1, y0, y1;     // data ranges (log10 applied if log)
  bool log_x, log_y;
  [[nodiscard]] double tx(double x) const {
    const double v = log_x ? std::log10(x) : x;
    return px0 + (v - x0) / (x1 - x0) * (px1 - px0);
  }
  [[nodiscard]] double ty(double y) const {
    const double v = log_y ? std::log10(y) : y;
    return py1 - (v - y0) / (y1 - y0) * (py1 - py0);
  }
  [[nodiscard]] bool ok_x(double x) const { return std::isfinite(x) && (!log_x || x > 0); }
  [[nodiscard]] bool ok_y(double y) const { return std::isfinite(y) && (!log_y || y > 0); }
};

void set_color(cairo_t* cr, Color c) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a); }

void text_at(cairo_t* cr, const std::string& s, double x, double y, double size, double align_x,
             double align_y, bool bold = false, double angle = 0) {
  cairo_save(cr);
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t ext;
  cairo_text_extents(cr, s.c_str(), &ext);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle);
  cairo_move_to(cr, -ext.width * align_x - ext.x_bearing, -ext.height * align_y - ext.y_bearing);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

double text_width(cairo_t* cr, const std::string& s, double size) {
  cairo_save(cr);
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t ext;
  cairo_text_extents(cr, s.c_str(), &ext);
  cairo_restore(cr);
  return ext.x_advance;
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

} // namespace

void Chart::render(void* context) const {
  auto* cr = static_cast<cairo_t*>(context);
  const double w = m_width;
  const double h = m_height;
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  // Data ranges.
  double x0 = std::numeric_limits<double>::infinity();
  double x1 = -x0;
  double y0 = x0;
  double y1 = -x0;
  const auto grow_x = [&](double v) {
    if (std::isfinite(v) && (!m_log_x || v > 0)) {
      x0 = std::min(x0, v);
      x1 = std::max(x1, v);
    }
  };
  const auto grow_y = [&](double v) {
    if (std::isfinite(v) && (!m_log_y || v > 0)) {
      y0 = std::min(y0, v);
      y1 = std::max(y1, v);
    }
  };
  bool has_bars_or_steps = false;
  for (const auto& it : m_items) {
    switch (it->type) {
    case Item::Type::kSteps:
      has_bars_or_steps = true;
      for (std::size_t i = 0; i < it->x.size(); ++i) {
        grow_x(it->x[i]);
        grow_x(it->y2[i]);
        grow_y(it->y[i]);
      }
      break;
    case Item::Type::kBars:
      has_bars_or_steps = true;
      for (std::size_t i = 0; i < it->x.size(); ++i) {
        grow_x(it->x[i] - it->width / 2);
        grow_x(it->x[i] + it->width / 2);
        grow_y(it->y[i]);
      }
      break;
    case Item::Type::kSpan:
    case Item::Type::kVline:
      break;
    default:
      for (double v : it->x) {
        grow_x(v);
      }
      for (double v : it->y) {
        grow_y(v);
      }
      for (double v : it->y2) {
        grow_y(v);
      }
    }
  }
  if (has_bars_or_steps && !m_log_y) {
    y0 = std::min(y0, 0.0);
  }
  if (m_fixed_x) {
    x0 = m_x0;
    x1 = m_x1;
  }
  if (m_fixed_y) {
    y0 = m_y0;
    y1 = m_y1;
  }
  if (!std::isfinite(x0)) {
    x0 = m_log_x ? 1 : 0;
    x1 = m_log_x ? 10 : 1;
  }
  if (!std::isfinite(y0)) {
    y0 = m_log_y ? 1 : 0;
    y1 = m_log_y ? 10 : 1;
  }
  if (x1 <= x0) {
    x1 = m_log_x ? x0 * 1.1 : x0 + 1;
    x0 = m_log_x ? x0 / 1.1 : x0 - 1;
  }
  if (y1 <= y0) {
    const double pad = m_log_y ? 1.1 : std::max(1e-9, std::abs(y0) * 0.05 + (y0 == 0 ? 1 : 0));
    y1 = m_log_y ? y0 * pad : y0 + pad;
    y0 = m_log_y ? y0 / pad : y0 - pad;
  }
  if (!m_fixed_y) {
    if (m_log_y) {
      y0 /= 1.05;
      y1 *= 1.08;
    } else {
      const double pad = (y1 - y0) * 0.06;
      if (!(has_bars_or_steps && y0 == 0)) {
        y0 -= pad;
      }
      y1 += pad;
    }
  }
  const std::vector<double> xt = nice_ticks(x0, x1, 8, m_log_x);
  const std::vector<double> yt = nice_ticks(y0, y1, 6, m_log_y);

  double label_w = 0;
  for (double v : yt) {
    label_w = std::max(label_w, text_width(cr, tick_label(v), 11));
  }
  Frame f{};
  f.px0 = 34 + label_w + 10;
  f.px1 = w - 20;
  f.py0 = 40;
  f.py1 = h - 50;
  f.log_x = m_log_x;
  f.log_y = m_log_y;
  f.x0 = m_log_x ? std::log10(x0) : x0;
  f.x1 = m_log_x ? std::log10(x1) : x1;
  f.y0 = m_log_y ? std::log10(y0) : y0;
  f.y1 = m_log_y ? std::log10(y1) : y1;

  // Title and axis labels.
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  text_at(cr, m_title, w / 2, 12, 15, 0.5, 0.0, true);
  text_at(cr, m_x_label, (f.px0 + f.px1) / 2, h - 8, 12, 0.5, 1.0);
  text_at(cr, m_y_label, 12, (f.py0 + f.py1) / 2, 12, 0.5, 0.0, false, -M_PI / 2);

  // Grid and ticks.
  cairo_set_line_width(cr, 1);
  for (double v : xt) {
    const double px = std::round(f.tx(v)) + 0.5;
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, px, f.py0);
    cairo_line_to(cr, px, f.py1);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    text_at(cr, tick_label(v), px, f.py1 + 6, 11, 0.5, 0.0);
  }
  for (double v : yt) {
    const double py = std::round(f.ty(v)) + 0.5;
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, f.px0, py);
    cairo_line_to(cr, f.px1, py);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    text_at(cr, tick_label(v), f.px0 - 6, py, 11, 1.0, 0.5);
  }

  // Data, clipped to the plot area.
  cairo_save(cr);
  cairo_rectangle(cr, f.px0, f.py0, f.px1 - f.px0, f.py1 - f.py0);
  cairo_clip(cr);
  const auto draw = [&](const Item& it) {
    switch (it.type) {
    case Item::Type::kSpan: {
      set_color(cr, it.color);
      const double a = f.tx(std::max(it.x[0], m_log_x ? 1e-300 : -1e300));
      const double b = f.tx(it.x[1]);
      cairo_rectangle(cr, a, f.py0, std::max(1.0, b - a), f.py1 - f.py0);
      cairo_fill(cr);
      break;
    }
    case Item::Type::kVline: {
      set_color(cr, it.color);
      cairo_set_line_width(cr, 1.2);
      const double dash[] = {5.0, 3.0};
      cairo_set_dash(cr, dash, 2, 0);
      cairo_move_to(cr, f.tx(it.x[0]), f.py0);
      cairo_line_to(cr, f.tx(it.x[0]), f.py1);
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
      break;
    }
    case Item::Type::kBand: {
      set_color(cr, it.color);
      // One polygon per run of finite values.
      std::size_t i = 0;
      while (i < it.x.size()) {
        while (i < it.x.size() && !(f.ok_x(it.x[i]) && f.ok_y(it.y[i]) && f.ok_y(it.y2[i]))) {
          ++i;
        }
        const std::size_t a = i;
        while (i < it.x.size() && f.ok_x(it.x[i]) && f.ok_y(it.y[i]) && f.ok_y(it.y2[i])) {
          ++i;
        }
        if (i - a >= 1) {
          for (std::size_t k = a; k < i; ++k) {
            const double px = f.tx(it.x[k]);
            if (k == a) {
              cairo_move_to(cr, px, f.ty(it.y2[k]));
            } else {
              cairo_line_to(cr, px, f.ty(it.y2[k]));
            }
          }
          for (std::size_t k = i; k-- > a;) {
            cairo_line_to(cr, f.tx(it.x[k]), f.ty(it.y[k]));
          }
          cairo_close_path(cr);
          cairo_fill(cr);
        }
      }
      break;
    }
    case Item::Type::kLine: {
      set_color(cr, it.color);
      cairo_set_line_width(cr, it.width);
      cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
      if (it.dashed) {
        const double dash[] = {6.0, 4.0};
        cairo_set_dash(cr, dash, 2, 0);
      }
      bool pen = false;
      for (std::size_t k = 0; k < it.x.size(); ++k) {
        if (!(f.ok_x(it.x[k]) && f.ok_y(it.y[k]))) {
          pen = false;
          continue;
        }
        if (pen) {
          cairo_line_to(cr, f.tx(it.x[k]), f.ty(it.y[k]));
        } else {
          cairo_move_to(cr, f.tx(it.x[k]), f.ty(it.y[k]));
          // A lone point still shows as a dot.
          cairo_rel_line_to(cr, 0.01, 0);
          pen = true;
        }
      }
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
      break;
    }
    case Item::Type::kSteps: {
      const double base_y = m_log_y ? f.py1 : f.ty(0.0);
      cairo_new_path(cr);
      bool started = false;
      double last_x = 0;
      for (std::size_t k = 0; k < it.x.size(); ++k) {
        if (!f.ok_x(it.x[k]) || !f.ok_x(it.y2[k])) {
          continue;
        }
        const double yv = f.ok_y(it.y[k]) ? f.ty(it.y[k]) : base_y;
        const double a = f.tx(it.x[k]);
        const double b = f.tx(it.y2[k]);
        if (!started) {
          cairo_move_to(cr, a, base_y);
          started = true;
        }
        cairo_line_to(cr, a, yv);
        cairo_line_to(cr, b, yv);
        last_x = b;
      }
      if (started) {
        cairo_line_to(cr, last_x, base_y);
        cairo_path_t* path = cairo_copy_path(cr);
        set_color(cr, it.color.with_alpha(0.18));
        cairo_fill(cr);
        cairo_append_path(cr, path);
        cairo_path_destroy(path);
        set_color(cr, it.color);
        cairo_set_line_width(cr, 1.4);
        cairo_stroke(cr);
      }
      break;
    }
    case Item::Type::kBars: {
      set_color(cr, it.color.with_alpha(0.85));
      for (std::size_t k = 0; k < it.x.size(); ++k) {
        const double a = f.tx(it.x[k] - it.width / 2);
        const double b = f.tx(it.x[k] + it.width / 2);
        const double top = f.ty(it.y[k]);
        const double base = m_log_y ? f.py1 : f.ty(0);
        cairo_rectangle(cr, a, top, std::max(1.0, b - a), base - top);
      }
      cairo_fill(cr);
      break;
    }
    case Item::Type::kPoints: {
      // Rasterise the dots into an image surface at 2x and paint it as one image; an SVG
      // with 100 k circles would be megabytes.
      const int pw = static_cast<int>(std::ceil(f.px1 - f.px0));
      const int ph = static_cast<int>(std::ceil(f.py1 - f.py0));
      constexpr double kScale = 2.0;
      cairo_surface_t* layer = cairo_image_surface_create(
          CAIRO_FORMAT_ARGB32, static_cast<int>(pw * kScale), static_cast<int>(ph * kScale));
      cairo_t* lc = cairo_create(layer);
      cairo_scale(lc, kScale, kScale);
      set_color(lc, it.color);
      const double r = it.width;
      for (std::size_t k = 0; k < it.x.size(); ++k) {
        if (!(f.ok_x(it.x[k]) && f.ok_y(it.y[k]))) {
          continue;
        }
        cairo_rectangle(lc, f.tx(it.x[k]) - f.px0 - r, f.ty(it.y[k]) - f.py0 - r, 2 * r, 2 * r);
      }
      cairo_fill(lc);
      cairo_destroy(lc);
      cairo_save(cr);
      cairo_translate(cr, f.px0, f.py0);
      cairo_scale(cr, 1 / kScale, 1 / kScale);
      cairo_set_source_surface(cr, layer, 0, 0);
      cairo_paint(cr);
      cairo_restore(cr);
      cairo_surface_destroy(layer);
      break;
    }
    }
  };
  // Background layers first.
  for (const auto& it : m_items) {
    if (it->type == Item::Type::kSpan) {
      draw(*it);
    }
  }
  for (const auto& it : m_items) {
    if (it->type == Item::Type::kBand || it->type == Item::Type::kSteps ||
        it->type == Item::Type::kBars || it->type == Item::Type::kPoints) {
      draw(*it);
    }
  }
  for (const auto& it : m_items) {
    if (it->type == Item::Type::kLine || it->type == Item::Type::kVline) {
      draw(*it);
    }
  }
  cairo_restore(cr);

  // Frame.
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, f.px0 + 0.5, f.py0 + 0.5, f.px1 - f.px0, f.py1 - f.py0);
  cairo_stroke(cr);

  // Legend (one entry per distinct label), top right inside the plot.
  std::vector<const Item*> legend;
  for (const auto& it : m_items) {
    if (it->label.empty()) {
      continue;
    }
    bool dup = false;
    for (const Item* l : legend) {
      dup = dup || l->label == it->label;
    }
    if (!dup) {
      legend.push_back(it.get());
    }
  }
  if (!legend.empty()) {
    double lw = 0;
    for (const Item* l : legend) {
      lw = std::max(lw, text_width(cr, l->label, 11));
    }
    const double box_w = lw + 34;
    const double line_h = 15;
    const double box_h = line_h * static_cast<double>(legend.size()) + 6;
    const double bx = f.px1 - box_w - 6;
    const double by = f.py0 + 6;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, bx, by, box_w, box_h);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
    cairo_stroke(cr);
    for (std::size_t i = 0; i < legend.size(); ++i) {
      const Item* l = legend[i];
      const double cy = by + 3 + line_h * (static_cast<double>(i) + 0.5);
      Color c = l->color;
      if (l->type == Item::Type::kSpan || l->type == Item::Type::kBand ||
          l->type == Item::Type::kBars || l->type == Item::Type::kPoints) {
        c = c.with_alpha(std::max(0.35, c.a));
        set_color(cr, c);
        cairo_rectangle(cr, bx + 6, cy - 5, 18, 10);
        cairo_fill(cr);
      } else {
        set_color(cr, c.with_alpha(1));
        cairo_set_line_width(cr, 2.5);
        if (l->dashed || l->type == Item::Type::kVline) {
          const double dash[] = {4.0, 2.0};
          cairo_set_dash(cr, dash, 2, 0);
        }
        cairo_move_to(cr, bx + 6, cy);
        cairo_line_to(cr, bx + 24, cy);
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
      }
      cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
      text_at(cr, l->label, bx + 28, cy, 11, 0.0, 0.5);
    }
  }
}

std::string Chart::to_svg() const {
  std::string out;
  cairo_surface_t* surface =
      cairo_svg_surface_create_for_stream(append_to_string, &out, m_width, m_height);
  cairo_t* cr = cairo_create(surface);
  render(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_surface_destroy(surface);
  return out;
}

std::string Chart::to_png() const {
  std::string out;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, m_width, m_height);
  cairo_t* cr = cairo_create(surface);
  render(cr);
  cairo_destroy(cr);
  cairo_surface_write_to_png_stream(surface, append_to_string, &out);
  cairo_surface_destroy(surface);
  return out;
}

Result<void> Chart::write(const std::filesystem::path& path, ImageFormat format) const {
  const std::string bytes = format == ImageFormat::kSvg ? to_svg() : to_png();
  std::ofstream f(path, std::ios::binary);
  if (!f) {
    return make_error(ErrorCode::kIo, "cannot write " + path.string());
  }
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) {
    return make_error(ErrorCode::kIo, "write failed: " + path.string());
  }
  return ok();
}

std::string base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto a = static_cast<unsigned char>(bytes[i]);
    const auto b = static_cast<unsigned char>(bytes[i + 1]);
    const auto c = static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[a >> 2];
    out += kAlphabet[((a & 3) << 4) | (b >> 4)];
    out += kAlphabet[((b & 15) << 2) | (c >> 6)];
    out += kAlphabet[c & 63];
  }
  if (i + 1 == bytes.size()) {
    const auto a = static_cast<unsigned char>(bytes[i]);
    out += kAlphabet[a >> 2];
    out += kAlphabet[(a & 3) << 4];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const auto a = static_cast<unsigned char>(bytes[i]);
    const auto b = static_cast<unsigned char>(bytes[i + 1]);
    out += kAlphabet[a >> 2];
    out += kAlphabet[((a & 3) << 4) | (b >> 4)];
    out += kAlphabet[(b & 15) << 2];
    out += '=';
  }
  return out;
}

Result<std::string> rasterize_svg(const std::string& svg, int width, int height) {
  GError* error = nullptr;
  RsvgHandle* handle = rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(svg.data()),
                                                 svg.size(), &error);
  if (handle == nullptr) {
    std::string msg = error != nullptr ? error->message : "unknown error";
    if (error != nullptr) {
      g_error_free(error);
    }
    return make_error(ErrorCode::kInvalidArgument, "librsvg cannot parse SVG: " + msg);
  }
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
  cairo_t* cr = cairo_create(surface);
  const RsvgRectangle viewport{0, 0, static_cast<double>(width), static_cast<double>(height)};
  const gboolean rendered = rsvg_handle_render_document(handle, cr, &viewport, &error);
  cairo_destroy(cr);
  g_object_unref(handle);
  if (!rendered) {
    std::string msg = error != nullptr ? error->message : "unknown error";
    if (error != nullptr) {
      g_error_free(error);
    }
    cairo_surface_destroy(surface);
    return make_error(ErrorCode::kInvalidArgument, "librsvg cannot render SVG: " + msg);
  }
  std::string png;
  cairo_surface_write_to_png_stream(surface, append_to_string, &png);
  cairo_surface_destroy(surface);
  return png;
}

} // namespace es::analysis
