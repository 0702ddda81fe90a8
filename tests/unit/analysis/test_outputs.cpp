// Tests analysis/report_output.cpp, figures.cpp, plot.cpp and html.cpp: JSON keys and values
// against independently computed numbers, CSV tables, SVG/PNG figures, the self-contained HTML
// report, and (when chromium is installed) the HTML rendered by headless Chromium.
#include "analysis/figures.hpp"
#include "analysis/html.hpp"
#include "analysis/report.hpp"
#include "analysis/report_output.hpp"
#include "run_source.hpp"

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cairo.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace es::analysis {
namespace {

namespace fs = std::filesystem;
namespace pt = boost::property_tree;

/// A tiny run: 2 phases, 1000 inferences with known latencies, two sensors (one with gaps),
/// a few events.
testing::SyntheticRun tiny_run() {
  testing::SyntheticRun r;
  r.run.info.name = "tiny";
  r.run.info.board = "test-board";
  r.phase(0, "idle", false);
  r.phase(10, "load", true);
  auto& temp = r.sensor("thermal.cpu-thermal", SensorKind::kTemperature, "C");
  auto& power = r.sensor("ina219.board.power", SensorKind::kPower, "W");
  for (int i = 0; i < 120; ++i) {
    r.sample(temp, i * 0.5, 40 + i * 0.1);
    if (i % 10 == 3) {
      temp.samples.push_back(storage::SampleRow{static_cast<std::int64_t>((i * 0.5 + 0.25) * 1e9),
                                                std::nan(""), SampleStatus::kUnavailable});
    }
    r.sample(power, i * 0.5, i * 0.5 < 10 ? 2.0 : 5.0);
  }
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::int64_t> d(4'000'000, 9'000'000);
  for (int i = 0; i < 1000; ++i) {
    r.inferences.push_back(storage::InferenceRow{static_cast<std::int64_t>((10 + i * 0.05) * 1e9), d(rng),
                                                 static_cast<std::uint16_t>(i % 2),
                                                 i == 500 ? InferenceStatus::kChecksumMismatch
                                                          : InferenceStatus::kOk});
  }
  r.events.push_back(storage::EventRow{500'000'000, "note", "hello \"quoted\" text"});
  r.finish(60);
  return r;
}

double exact_ms(std::vector<std::int64_t> v, double q) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return static_cast<double>(v[rank - 1]) / 1e6;
}

RunReport analyse(const testing::SyntheticRun& run) {
  auto reader = testing::open_run(run);
  auto rep = analyze_run(*reader, 1);
  EXPECT_TRUE(rep.ok()) << (rep.ok() ? "" : rep.error().message);
  return std::move(rep).value();
}

TEST(ReportJson, MatchesTheRows) {
  const auto run = tiny_run();
  const auto rep = analyse(run);
  std::ostringstream out;
  write_report_json(rep, out);
  pt::ptree j;
  std::istringstream in(out.str());
  ASSERT_NO_THROW(pt::read_json(in, j)) << out.str();

  std::vector<std::int64_t> ok;
  for (const auto& row : run.inferences) {
    if (row.status == InferenceStatus::kOk) {
      ok.push_back(row.latency_ns);
    }
  }
  EXPECT_EQ(j.get<std::uint64_t>("inferences"), 1000U);
  EXPECT_EQ(j.get<std::uint64_t>("failed_inferences"), 1U);
  EXPECT_EQ(j.get<std::string>("run.name"), "tiny");
  EXPECT_EQ(j.get<std::int64_t>("run.id"), 1);
  EXPECT_EQ(j.get<std::string>("run.status"), "completed");
  EXPECT_EQ(j.get<std::string>("run.started_at").back(), 'Z');
  EXPECT_NEAR(j.get<double>("run.duration_s"), 60.0, 0.1);
  EXPECT_EQ(j.get<int>("run.segments"), 1);
  // Load runs from 10 s to the end of the last inference (59.95 s + its latency) or the
  // recorded run end, whichever is later.
  EXPECT_NEAR(j.get<double>("load_s"), 50.0, 0.05);
  EXPECT_NEAR(j.get<double>("rate_per_s"), 1000.0 / j.get<double>("load_s"), 1e-9);
  const std::pair<const char*, double> qs[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}};
  for (const auto& [key, q] : qs) {
    const double exact = exact_ms(ok, q);
    EXPECT_NEAR(j.get<double>(std::string("latency_ms.") + key), exact, exact * 1e-3) << key;
  }
  EXPECT_DOUBLE_EQ(j.get<double>("latency_ms.min"),
                   static_cast<double>(*std::min_element(ok.begin(), ok.end())) / 1e6);
  EXPECT_DOUBLE_EQ(j.get<double>("latency_ms.max"),
                   static_cast<double>(*std::max_element(ok.begin(), ok.end())) / 1e6);
  double sum = 0;
  for (auto v : ok) {
    sum += static_cast<double>(v) / 1e6;
  }
  EXPECT_NEAR(j.get<double>("latency_ms.mean"), sum / static_cast<double>(ok.size()), 1e-9);

  // Sensors: ok samples only, gaps counted.
  int seen = 0;
  for (const auto& [_, s] : j.get_child("sensors")) {
    if (s.get<std::string>("name") == "thermal.cpu-thermal") {
      ++seen;
      EXPECT_EQ(s.get<std::string>("kind"), "temperature");
      EXPECT_EQ(s.get<std::string>("unit"), "C");
      EXPECT_EQ(s.get<std::uint64_t>("samples"), 120U);
      EXPECT_EQ(s.get<std::uint64_t>("gaps"), 12U);
      EXPECT_DOUBLE_EQ(s.get<double>("min"), 40.0);
      EXPECT_NEAR(s.get<double>("max"), 51.9, 1e-9);
      EXPECT_NEAR(s.get<double>("mean"), 40 + 11.9 / 2, 1e-9);
    }
  }
  EXPECT_EQ(seen, 1);
  // Events, with escaping.
  int events = 0;
  for (const auto& [_, e] : j.get_child("events")) {
    if (e.get<std::string>("kind") == "note") {
      ++events;
      EXPECT_EQ(e.get<std::string>("detail"), "hello \"quoted\" text");
      EXPECT_DOUBLE_EQ(e.get<double>("t_s"), 0.5);
    }
  }
  EXPECT_EQ(events, 1);
  // Analysis keys are present.
  for (const char* key : {"throttle_events", "change_points", "modes", "phases",
                          "latency_histogram", "frequency_residency", "stability"}) {
    EXPECT_TRUE(j.get_child_optional(key).has_value()) << key;
  }
  ASSERT_TRUE(j.get_child_optional("energy.energy_per_inference_mj").has_value());
  // Trapezoid integration: the 2 W -> 5 W step between the samples at 9.5 s and 10 s counts
  // as a linear ramp, so idle = (9.5 s * 2 W + 0.5 s * 3.5 W) / 10 s.
  EXPECT_NEAR(j.get<double>("energy.idle_power_w"), 2.075, 1e-9);
  EXPECT_NEAR(j.get<double>("energy.load_power_w"), 5.0, 0.01);
  // Histogram bins sum to the ok count.
  std::uint64_t binned = 0;
  for (const auto& [_, bin] : j.get_child("latency_histogram.bins")) {
    auto it = bin.begin();
    std::advance(it, 2);
    binned += it->second.get_value<std::uint64_t>();
  }
  EXPECT_EQ(binned, ok.size());
}

TEST(ReportJson, NoPowerSensorMeansNullEnergy) {
  auto run = testing::four_level_stepping(200);
  const auto rep = analyse(run);
  std::ostringstream out;
  write_report_json(rep, out);
  EXPECT_NE(out.str().find("\"energy\": null"), std::string::npos);
}

TEST(ReportCsv, TablesHaveHeadersAndRows) {
  const auto rep = analyse(tiny_run());
  for (const std::string& name : csv_table_names()) {
    std::ostringstream out;
    ASSERT_TRUE(write_csv_table(rep, name, out)) << name;
    EXPECT_FALSE(out.str().empty()) << name;
  }
  std::ostringstream windows;
  write_csv_table(rep, "windows", windows);
  const std::string w = windows.str();
  EXPECT_EQ(w.rfind("t_start_s,t_end_s,inferences,p50_ms", 0), 0U);
  EXPECT_NE(w.find("thermal.cpu-thermal.mean"), std::string::npos);
  EXPECT_EQ(static_cast<std::size_t>(std::count(w.begin(), w.end(), '\n')), rep.windows.size() + 1);
  std::ostringstream bad;
  EXPECT_FALSE(write_csv_table(rep, "nope", bad));
}

/// Share of non-white pixels and number of distinct colours in a PNG.
std::pair<double, std::size_t> png_ink(const std::string& png_path) {
  cairo_surface_t* s = cairo_image_surface_create_from_png(png_path.c_str());
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    return {0, 0};
  }
  cairo_surface_flush(s);
  const int w = cairo_image_surface_get_width(s);
  const int h = cairo_image_surface_get_height(s);
  const int stride = cairo_image_surface_get_stride(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  std::size_t ink = 0;
  std::vector<std::uint32_t> colours;
  for (int y = 0; y < h; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + y * stride);
    for (int x = 0; x < w; ++x) {
      const std::uint32_t p = row[x] & 0xFFFFFFU;
      if (p != 0xFFFFFFU) {
        ++ink;
      }
      if (colours.size() < 64 && std::find(colours.begin(), colours.end(), p) == colours.end()) {
        colours.push_back(p);
      }
    }
  }
  cairo_surface_destroy(s);
  return {static_cast<double>(ink) / (static_cast<double>(w) * h), colours.size()};
}

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() /
                     ("es_analysis_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

TEST(Figures, SvgAndPngForEveryFigure) {
  const auto rep = analyse(testing::thermal_ramp_with_cap(900, 1800));
  const auto charts = build_figures(rep);
  std::vector<std::string> names;
  for (const auto& c : charts) {
    names.push_back(c.name);
  }
  for (const char* expected : {"latency_histogram", "latency_timeseries", "latency_scatter",
                               "temperature_timeseries", "temperature_histogram",
                               "frequency_timeseries", "frequency_residency"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  const fs::path dir = temp_dir("figures");
  ASSERT_TRUE(write_figures(charts, dir).ok());
  for (const auto& c : charts) {
    const fs::path svg = dir / (c.name + ".svg");
    const fs::path png = dir / (c.name + ".png");
    ASSERT_TRUE(fs::exists(svg)) << svg;
    ASSERT_TRUE(fs::exists(png)) << png;
    EXPECT_GT(fs::file_size(png), 5000U) << png;
    const auto [ink, colours] = png_ink(png.string());
    EXPECT_GT(ink, 0.02) << png;
    EXPECT_GT(colours, 4U) << png;
    // The SVG is valid for an independent renderer (librsvg) and not blank either.
    std::ifstream f(svg);
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto raster = rasterize_svg(text, 960, 420);
    ASSERT_TRUE(raster.ok()) << raster.error().message;
    const fs::path again = dir / (c.name + ".rsvg.png");
    std::ofstream(again, std::ios::binary) << raster.value();
    EXPECT_GT(png_ink(again.string()).first, 0.02) << again;
  }
  if (std::getenv("ES_KEEP_TEST_OUTPUT") == nullptr) {
    fs::remove_all(dir);
  }
}

TEST(Html, SelfContainedWithEveryFigure) {
  const auto rep = analyse(testing::power_cap_step(600, 1200));
  const auto charts = build_figures(rep);
  const std::string html = render_html(rep, charts);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0U);
  for (const auto& c : charts) {
    EXPECT_NE(html.find("id=\"fig-" + c.name + "\""), std::string::npos) << c.name;
  }
  const auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t p = html.find(needle); p != std::string::npos; p = html.find(needle, p + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count("src=\"data:image/svg+xml;base64,"), charts.size());
  // No external assets.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("frequency_cap"), std::string::npos);
}

/// Finds chromium on PATH at run time (CI installs it; developers may not have it).
std::string find_chromium() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) {
    return {};
  }
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const fs::path p = fs::path(dir) / name;
      if (::access(p.c_str(), X_OK) == 0) {
        return p.string();
      }
    }
  }
  return {};
}

TEST(Html, RendersInHeadlessChromium) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium not installed";
  }
  const auto rep = analyse(testing::thermal_ramp_with_cap(900, 1800));
  const auto charts = build_figures(rep);
  const fs::path dir = temp_dir("chromium");
  const fs::path html = dir / "report.html";
  std::ofstream(html) << render_html(rep, charts);
  const fs::path png = dir / "shot.png";
  const fs::path profile = dir / "profile";
  const std::string cmd =
      "'" + chromium + "' --headless --no-sandbox --disable-gpu --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync --disable-quic "
      "--hide-scrollbars --user-data-dir='" + profile.string() + "' --window-size=1100,2600 "
      "--screenshot='" + png.string() + "' 'file://" + html.string() + "' >'" +
      (dir / "chromium.log").string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << cmd;
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 50'000U);
  const auto [ink, colours] = png_ink(png.string());
  EXPECT_GT(ink, 0.05);
  EXPECT_GT(colours, 16U);
  if (std::getenv("ES_KEEP_TEST_OUTPUT") == nullptr) {
    fs::remove_all(dir);
  }
}

} // namespace
} // namespace es::analysis
