#pragma once
// Synthetic runs with known truth for the analysis tests, and an in-memory storage::Reader
// that serves them. The same SyntheticRun is written to a real SQLite file through
// es_storage's Writer in db_fixture.hpp.

#include "analysis/run_data.hpp"
#include "daemon/storage/reader.hpp"

#include <cmath>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <vector>

namespace es::analysis::testing {

struct SyntheticSensor {
  SensorSpec spec;
  std::vector<storage::SampleRow> samples;
};

struct SyntheticRun {
  storage::RunRow run;
  std::vector<storage::SegmentRow> segments;
  std::deque<SyntheticSensor> sensors; ///< deque: references stay valid while adding
  std::vector<storage::EventRow> events;
  std::vector<storage::InferenceRow> inferences; ///< sorted by t_ns

  SyntheticSensor& sensor(const std::string& name, SensorKind kind, const std::string& unit) {
    sensors.push_back(SyntheticSensor{SensorSpec{name, kind, unit, "synthetic"}, {}});
    return sensors.back();
  }
  void sample(SyntheticSensor& s, double t_s, double v) {
    s.samples.push_back(storage::SampleRow{static_cast<std::int64_t>(t_s * 1e9), v, SampleStatus::kOk});
  }
  void phase(double t_s, const std::string& name, bool load) {
    events.push_back(storage::EventRow{static_cast<std::int64_t>(t_s * 1e9), "phase_start",
                                       "name=" + name + " load=" + (load ? "1" : "0")});
  }
  void infer(double t_s, double latency_ms) {
    inferences.push_back(storage::InferenceRow{static_cast<std::int64_t>(t_s * 1e9),
                                               static_cast<std::int64_t>(latency_ms * 1e6), 0,
                                               InferenceStatus::kOk});
  }
  void finish(double duration_s) {
    run.id = run.id == 0 ? 1 : run.id;
    run.status = storage::RunStatus::kCompleted;
    run.started_wall_ns = 1'795'000'000'000'000'000;
    run.duration_ns = static_cast<std::int64_t>(duration_s * 1e9);
    run.segments = 1;
    storage::SegmentRow seg;
    seg.id = 1;
    seg.run_id = run.id;
    seg.start_mono_ns = 1'000'000'000;
    seg.end_mono_ns = seg.start_mono_ns + run.duration_ns;
    seg.end_reason = "completed";
    segments = {seg};
    std::sort(inferences.begin(), inferences.end(),
              [](const auto& a, const auto& b) { return a.t_ns < b.t_ns; });
  }
};

/// storage::Reader over SyntheticRuns (ids are the runs' ids).
class MemoryReader final : public storage::Reader {
public:
  explicit MemoryReader(std::vector<SyntheticRun> runs) : m_runs(std::move(runs)) {}

  Result<std::vector<storage::RunRow>> runs() override {
    std::vector<storage::RunRow> out;
    for (const auto& r : m_runs) {
      out.push_back(r.run);
    }
    return out;
  }
  Result<storage::RunRow> run(std::int64_t id) override {
    const SyntheticRun* r = find(id);
    if (r == nullptr) {
      return make_error(ErrorCode::kNotFound, "no run " + std::to_string(id));
    }
    return r->run;
  }
  Result<std::int64_t> latest_run_id() override {
    if (m_runs.empty()) {
      return make_error(ErrorCode::kNotFound, "no runs");
    }
    return m_runs.back().run.id;
  }
  Result<std::vector<storage::SegmentRow>> segments(std::int64_t id) override {
    const SyntheticRun* r = find(id);
    if (r == nullptr) {
      return make_error(ErrorCode::kNotFound, "no run");
    }
    return r->segments;
  }
  Result<std::vector<storage::SensorRow>> sensors(std::int64_t id) override {
    const SyntheticRun* r = find(id);
    if (r == nullptr) {
      return make_error(ErrorCode::kNotFound, "no run");
    }
    std::vector<storage::SensorRow> out;
    for (std::size_t i = 0; i < r->sensors.size(); ++i) {
      out.push_back(storage::SensorRow{static_cast<std::uint32_t>(i + 1), r->sensors[i].spec});
    }
    return out;
  }
  Result<std::vector<storage::EventRow>> events(std::int64_t id) override {
    const SyntheticRun* r = find(id);
    if (r == nullptr) {
      return make_error(ErrorCode::kNotFound, "no run");
    }
    return r->events;
  }
  Result<std::vector<std::pair<std::string, std::string>>> run_meta(std::int64_t) override {
    return std::vector<std::pair<std::string, std::string>>{};
  }
  Result<std::uint64_t> inference_count(std::int64_t id) override {
    const SyntheticRun* r = find(id);
    if (r == nullptr) {
      return make_error(ErrorCode::kNotFound, "no run");
    }
    return static_cast<std::uint64_t>(r->inferences.size());
  }
  Result<void> for_each_inference(std::int64_t id,
                                  const std::function<void(const storage::InferenceRow&)>& fn) override {
    const SyntheticRun* r = find(id);
    if (r == nullptr) {
      return make_error(ErrorCode::kNotFound, "no run");
    }
    for (const auto& row : r->inferences) {
      fn(row);
    }
    return ok();
  }
  Result<void> for_each_sample(std::int64_t id, std::uint32_t sensor_id,
                               const std::function<void(const storage::SampleRow&)>& fn) override {
    const SyntheticRun* r = find(id);
    if (r == nullptr || sensor_id == 0 || sensor_id > r->sensors.size()) {
      return make_error(ErrorCode::kNotFound, "no sensor");
    }
    for (const auto& s : r->sensors[sensor_id - 1].samples) {
      fn(s);
    }
    return ok();
  }
  Result<std::string> integrity_check() override { return std::string("ok"); }

private:
  const SyntheticRun* find(std::int64_t id) const {
    for (const auto& r : m_runs) {
      if (r.run.id == id) {
        return &r;
      }
    }
    return nullptr;
  }
  std::vector<SyntheticRun> m_runs;
};

// --- Generators (all deterministic) ---

/// Phases: idle [0, idle_s), load [idle_s, end_s - cool_s), cooldown to end_s.
inline void standard_phases(SyntheticRun& r, double idle_s, double end_s, double cool_s) {
  r.phase(0, "idle", false);
  r.phase(idle_s, "load", true);
  r.phase(end_s - cool_s, "cooldown", false);
}

/// Latency of one inference at frequency f: base at f_ref, scaled 1/f, lognormal noise.
inline double latency_at(double base_ms, double f_ref, double f, double noise, std::mt19937_64& rng) {
  std::normal_distribution<double> n(0.0, noise);
  return base_ms * (f_ref / f) * std::exp(n(rng));
}

/// Thermal ramp towards 82 C; at cap_s the kernel caps policy0 from 1.8 to 1.4 GHz.
inline SyntheticRun thermal_ramp_with_cap(double cap_s = 1800, double duration_s = 3600) {
  SyntheticRun r;
  r.run.info.name = "thermal-ramp";
  r.run.info.board = "synthetic";
  const double idle = 60;
  const double cool = 60;
  standard_phases(r, idle, duration_s, cool);
  auto& temp = r.sensor("thermal.cpu-thermal", SensorKind::kTemperature, "C");
  auto& cur = r.sensor("cpufreq.policy0.cur", SensorKind::kFrequency, "Hz");
  auto& lim = r.sensor("cpufreq.policy0.max_limit", SensorKind::kFrequency, "Hz");
  std::mt19937_64 rng(1);
  std::normal_distribution<double> tn(0, 0.3);
  for (double t = 0; t < duration_s; t += 1.0) {
    const bool load = t >= idle && t < duration_s - cool;
    const double rise = load ? 37.0 * (1 - std::exp(-(t - idle) / 900.0)) : 0;
    r.sample(temp, t, 45 + rise + tn(rng));
    const double f_lim = t >= cap_s ? 1.4e9 : 1.8e9;
    r.sample(lim, t, f_lim);
    r.sample(cur, t, load ? f_lim : 0.6e9);
  }
  for (double t = idle + 0.01; t < duration_s - cool; t += 0.05) {
    const double f = t >= cap_s ? 1.4e9 : 1.8e9;
    r.infer(t, latency_at(10.0, 1.8e9, f, 0.01, rng));
  }
  r.finish(duration_s);
  return r;
}

/// Power cap: at cap_s an operator/pmic limit drops policy0 from 2.0 to 1.5 GHz and board
/// power from 6 W to 4 W. Idle power 2 W.
inline SyntheticRun power_cap_step(double cap_s = 1200, double duration_s = 2400) {
  SyntheticRun r;
  r.run.info.name = "power-cap";
  const double idle = 120;
  const double cool = 120;
  standard_phases(r, idle, duration_s, cool);
  auto& power = r.sensor("ina219.board.power", SensorKind::kPower, "W");
  auto& volts = r.sensor("ina219.board.bus_voltage", SensorKind::kVoltage, "V");
  auto& cur = r.sensor("cpufreq.policy0.cur", SensorKind::kFrequency, "Hz");
  auto& lim = r.sensor("cpufreq.policy0.max_limit", SensorKind::kFrequency, "Hz");
  auto& temp = r.sensor("thermal.soc", SensorKind::kTemperature, "C");
  std::mt19937_64 rng(2);
  std::normal_distribution<double> pn(0, 0.05);
  for (double t = 0; t < duration_s; t += 0.1) {
    const bool load = t >= idle && t < duration_s - cool;
    const bool capped = t >= cap_s;
    r.sample(power, t, (load ? (capped ? 4.0 : 6.0) : 2.0) + pn(rng));
    r.sample(volts, t, 5.1 + pn(rng) * 0.1);
  }
  for (double t = 0; t < duration_s; t += 1.0) {
    const bool load = t >= idle && t < duration_s - cool;
    const double f_lim = t >= cap_s ? 1.5e9 : 2.0e9;
    r.sample(lim, t, f_lim);
    r.sample(cur, t, load ? f_lim : 0.8e9);
    r.sample(temp, t, load ? 60 : 45);
  }
  for (double t = idle + 0.01; t < duration_s - cool; t += 0.04) {
    const double f = t >= cap_s ? 1.5e9 : 2.0e9;
    r.infer(t, latency_at(8.0, 2.0e9, f, 0.01, rng));
  }
  r.finish(duration_s);
  return r;
}

/// Four operating points visited in 20 s dwells (1.5/1.2/1.0/0.8 GHz): four latency modes at
/// 8, 10, 12, 15 ms with equal shares.
inline SyntheticRun four_level_stepping(double duration_s = 2400) {
  SyntheticRun r;
  r.run.info.name = "four-levels";
  auto& cur = r.sensor("cpufreq.policy0.cur", SensorKind::kFrequency, "Hz");
  auto& temp = r.sensor("thermal.cpu", SensorKind::kTemperature, "C");
  const double levels[] = {1.5e9, 1.2e9, 1.0e9, 0.8e9};
  std::mt19937_64 rng(3);
  const auto level_at = [&](double t) {
    const auto dwell = static_cast<std::size_t>(t / 20.0);
    return levels[(dwell * 7 + dwell / 4) % 4];
  };
  for (double t = 0; t < duration_s; t += 0.5) {
    r.sample(cur, t, level_at(t));
    r.sample(temp, t, 70);
  }
  for (double t = 0.01; t < duration_s; t += 0.05) {
    r.infer(t, latency_at(8.0, 1.5e9, level_at(t), 0.015, rng));
  }
  r.finish(duration_s);
  return r;
}

/// A steady board with ordinary noise: constant frequency, noisy temperature and power, 3 %
/// lognormal latency noise and rare 3x outliers.
inline SyntheticRun steady_noisy(double duration_s = 3600) {
  SyntheticRun r;
  r.run.info.name = "steady";
  const double idle = 60;
  const double cool = 60;
  standard_phases(r, idle, duration_s, cool);
  auto& cur = r.sensor("cpufreq.policy0.cur", SensorKind::kFrequency, "Hz");
  auto& res = r.sensor("cpufreq.policy0.residency_mean", SensorKind::kFrequency, "Hz");
  auto& lim = r.sensor("cpufreq.policy0.max_limit", SensorKind::kFrequency, "Hz");
  auto& temp = r.sensor("thermal.cpu-thermal", SensorKind::kTemperature, "C");
  auto& power = r.sensor("ina219.board.power", SensorKind::kPower, "W");
  auto& flags = r.sensor("rpi.throttled", SensorKind::kThrottle, "flags");
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n(0, 1);
  for (double t = 0; t < duration_s; t += 0.1) {
    const bool load = t >= idle && t < duration_s - cool;
    r.sample(cur, t, load ? 1.8e9 : 0.6e9);
    r.sample(res, t, load ? 1.8e9 - std::abs(n(rng)) * 2e6 : 0.6e9);
    r.sample(lim, t, 1.8e9);
    r.sample(temp, t, (load ? 58 : 48) + 0.5 * n(rng));
    r.sample(power, t, (load ? 5.5 : 2.5) + 0.15 * n(rng));
    r.sample(flags, t, 0);
  }
  std::uniform_real_distribution<double> u(0, 1);
  for (double t = idle + 0.01; t < duration_s - cool; t += 0.02) {
    double ms = latency_at(10.0, 1.0, 1.0, 0.03, rng);
    if (u(rng) < 0.001) {
      ms *= 3;
    }
    r.infer(t, ms);
  }
  r.finish(duration_s);
  return r;
}

/// One "System health" line of an sbc-bench log.
struct HealthLine {
  double t_s = 0;        ///< seconds since the first line
  double cpufreq_mhz = 0; ///< "fake": what cpufreq reports
  double real_mhz = 0;   ///< firmware-measured ARM clock
  double temp_c = 0;
  double vcore_v = 0;
};

/// Parses every health line ("HH:MM:SS: 1200/ 657MHz ... 83.8°C  1.3188V") of an sbc-bench
/// log, sorted by time, duplicates removed.
inline std::vector<HealthLine> parse_sbc_bench(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  const std::regex re(R"(^(\d\d):(\d\d):(\d\d): +(\d+)/ *(\d+)MHz .* ([0-9.]+)°C +([0-9.]+)V)");
  std::map<int, HealthLine> by_time;
  while (std::getline(f, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, re)) {
      continue;
    }
    const int secs = std::stoi(m[1]) * 3600 + std::stoi(m[2]) * 60 + std::stoi(m[3]);
    HealthLine h;
    h.t_s = secs;
    h.cpufreq_mhz = std::stod(m[4]);
    h.real_mhz = std::stod(m[5]);
    h.temp_c = std::stod(m[6]);
    h.vcore_v = std::stod(m[7]);
    by_time[secs] = h;
  }
  std::vector<HealthLine> out;
  for (auto& [secs, h] : by_time) {
    out.push_back(h);
  }
  const double t0 = out.empty() ? 0 : out.front().t_s;
  for (auto& h : out) {
    h.t_s -= t0;
  }
  return out;
}

/// Replay of a real sbc-bench trace as an edgesoak run: temperature, cpufreq (what the kernel
/// claims), the firmware-measured clock, core voltage, and the get_throttled value read once
/// at the end (as sbc-bench did). Inferences are synthetic: one per second, 20 ms at the
/// reference clock, scaled by reference/measured clock (held between samples), 1 % noise.
inline SyntheticRun sbc_bench_replay(const std::string& path, std::uint32_t final_throttled,
                                     const std::string& name) {
  const std::vector<HealthLine> lines = parse_sbc_bench(path);
  SyntheticRun r;
  if (lines.empty()) {
    r.finish(0);
    return r;
  }
  r.run.info.name = name;
  r.run.info.board = "replay:" + name;
  auto& temp = r.sensor("thermal.cpu-thermal", SensorKind::kTemperature, "C");
  auto& cur = r.sensor("cpufreq.policy0.cur", SensorKind::kFrequency, "Hz");
  auto& real = r.sensor("rpi.arm_clock_measured", SensorKind::kFrequency, "Hz");
  auto& vcore = r.sensor("rpi.core_voltage", SensorKind::kVoltage, "V");
  auto& flags = r.sensor("rpi.throttled", SensorKind::kThrottle, "flags");
  double ref = 0;
  for (const auto& h : lines) {
    r.sample(temp, h.t_s, h.temp_c);
    r.sample(cur, h.t_s, h.cpufreq_mhz * 1e6);
    r.sample(real, h.t_s, h.real_mhz * 1e6);
    r.sample(vcore, h.t_s, h.vcore_v);
    ref = std::max(ref, h.real_mhz);
  }
  const double end = lines.empty() ? 0 : lines.back().t_s;
  r.sample(flags, end, static_cast<double>(final_throttled));
  std::mt19937_64 rng(5);
  std::size_t k = 0;
  for (double t = 0.5; t < end + 1; t += 1.0) {
    while (k + 1 < lines.size() && lines[k + 1].t_s <= t) {
      ++k;
    }
    r.infer(t, latency_at(20.0, ref, lines[k].real_mhz, 0.01, rng));
  }
  r.finish(end + 1);
  return r;
}

} // namespace es::analysis::testing
