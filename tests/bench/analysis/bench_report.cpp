// es_analysis benchmark: time the full `edgesoak report --out DIR` on a long run.
//
// BM_Report/N generates (once, cached under $TMPDIR) a run with N inferences spread over
// N / 926 seconds (10 M -> 3 h), through es_storage's Writer: two workers, latency 1/f with
// 2 % noise and rare outliers; 10 Hz samples of two temperatures, cpufreq cur, residency mean
// and max_limit, INA219 power and RPi throttle flags; idle 60 s / load / cool-down 60 s phases;
// a thermal frequency cap 1.8 -> 1.5 GHz at 55 % of the run (around 6000 s for 3 h). Each
// iteration runs cmd_report (analysis + every figure as SVG and PNG + HTML + JSON) into a
// fresh directory. Reports wall time and the process's peak RSS.
//
// Run: build/tests/bench/analysis/es_analysis_bench --benchmark_filter=Report/10000000
// (set ES_BENCH_DB_DIR to keep the generated databases somewhere else than $TMPDIR)

#include "analysis/commands.hpp"
#include "daemon/storage/writer.hpp"

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

namespace {

using namespace es;

std::filesystem::path db_dir() {
  const char* env = std::getenv("ES_BENCH_DB_DIR");
  auto dir = env != nullptr ? std::filesystem::path(env)
                            : std::filesystem::temp_directory_path() / "edgesoak-analysis-bench";
  std::filesystem::create_directories(dir);
  return dir;
}

template <typename Push>
void retry(Push&& push) {
  while (!push()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

/// Generates the run unless a complete database for this size exists.
std::filesystem::path generate(std::int64_t inferences) {
  const auto path = db_dir() / ("run-" + std::to_string(inferences) + ".db");
  const auto done = db_dir() / ("run-" + std::to_string(inferences) + ".done");
  if (std::filesystem::exists(done) && std::filesystem::exists(path)) {
    return path;
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  storage::WriterOptions options;
  options.boot_id = "bench";
  options.queue_capacity = 1 << 20;
  auto writer = storage::Writer::open(path, options);
  if (!writer) {
    std::fprintf(stderr, "cannot open %s: %s\n", path.c_str(), writer.error().message.c_str());
    std::exit(1);
  }
  auto& w = *writer.value();
  storage::RunInfo info;
  info.name = "bench-3h";
  info.board = "synthetic";
  info.model = "mobilenet_v2";
  const double duration_s = static_cast<double>(inferences) / 926.0 + 120.0;
  info.planned_duration_ns = static_cast<std::int64_t>(duration_s * 1e9);
  if (!w.begin_run(info)) {
    std::exit(1);
  }
  const auto reg = [&](const char* name, SensorKind kind, const char* unit) {
    return w.register_sensor(SensorSpec{name, kind, unit, "bench"}).value();
  };
  const std::uint32_t t_cpu = reg("thermal.cpu-thermal", SensorKind::kTemperature, "C");
  const std::uint32_t t_gpu = reg("thermal.gpu-thermal", SensorKind::kTemperature, "C");
  const std::uint32_t f_cur = reg("cpufreq.policy0.cur", SensorKind::kFrequency, "Hz");
  const std::uint32_t f_res = reg("cpufreq.policy0.residency_mean", SensorKind::kFrequency, "Hz");
  const std::uint32_t f_lim = reg("cpufreq.policy0.max_limit", SensorKind::kFrequency, "Hz");
  const std::uint32_t p_board = reg("ina219.board.power", SensorKind::kPower, "W");
  const std::uint32_t flags = reg("rpi.throttled", SensorKind::kThrottle, "flags");
  auto& inf = w.make_inference_sink();
  auto& smp = w.make_sample_sink();
  w.start();
  const std::int64_t base = w.segment_start_mono_ns();
  const auto ns = [&](double t) { return base + static_cast<std::int64_t>(t * 1e9); };
  const double idle = 60;
  const double load_end = duration_s - 60;
  const double cap = idle + (load_end - idle) * 0.55;
  w.push_event(EventRecord{ns(0), "phase_start", "name=idle load=0"});
  w.push_event(EventRecord{ns(idle), "phase_start", "name=load load=1 threads=2"});
  w.push_event(EventRecord{ns(load_end), "phase_start", "name=cooldown load=0"});
  std::mt19937_64 rng(1);
  std::normal_distribution<double> n(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  const auto freq_at = [&](double t) {
    if (t < idle || t >= load_end) {
      return 0.6e9;
    }
    return t >= cap ? 1.5e9 : 1.8e9;
  };
  // Interleave samples and inferences in time so both queues drain steadily.
  const double step = (load_end - idle) / static_cast<double>(inferences);
  double next_sample = 0;
  double t_inf = idle;
  std::int64_t made = 0;
  while (next_sample < duration_s) {
    const double t = next_sample;
    const bool load = t >= idle && t < load_end;
    const double heat = load ? 30.0 * (1 - std::exp(-(t - idle) / 2400.0)) : 0;
    const auto put = [&](std::uint32_t id, double v) {
      const SampleRecord rec{ns(t), v, id, SampleStatus::kOk};
      retry([&] { return smp.push(rec); });
    };
    put(t_cpu, 50 + heat + 0.3 * n(rng));
    put(t_gpu, 48 + heat * 0.9 + 0.3 * n(rng));
    put(f_cur, freq_at(t));
    put(f_res, freq_at(t) - std::abs(n(rng)) * 3e6);
    put(f_lim, t >= cap ? 1.5e9 : 1.8e9);
    put(p_board, (load ? (t >= cap ? 5.2 : 6.0) : 2.4) + 0.1 * n(rng));
    put(flags, 0);
    next_sample += 0.1;
    while (made < inferences && t_inf < next_sample) {
      double ms = 10.0 * (1.8e9 / freq_at(t_inf)) * std::exp(0.02 * n(rng));
      if (u(rng) < 0.0005) {
        ms *= 4;
      }
      const InferenceRecord rec{ns(t_inf), static_cast<std::int64_t>(ms * 1e6),
                                static_cast<std::uint16_t>(made % 2), InferenceStatus::kOk};
      retry([&] { return inf.push(rec); });
      ++made;
      t_inf += step;
    }
  }
  if (!w.finish_run(storage::RunStatus::kCompleted)) {
    std::exit(1);
  }
  std::FILE* f = std::fopen(done.c_str(), "w");
  if (f != nullptr) {
    std::fclose(f);
  }
  return path;
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

void BM_Report(benchmark::State& state) {
  const auto path = generate(state.range(0));
  const double rss_before = peak_rss_mb();
  int round = 0;
  for (auto _ : state) {
    const auto out = db_dir() / ("report-" + std::to_string(state.range(0)) + "-" + std::to_string(round++));
    std::filesystem::remove_all(out);
    std::ostringstream o;
    std::ostringstream e;
    const auto t0 = std::chrono::steady_clock::now();
    const int code =
        analysis::cmd_report({"--db", path.string(), "--out", out.string()}, o, e);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (code != 0) {
      state.SkipWithError(e.str().c_str());
      return;
    }
    std::printf("report on %lld inferences: %.2f s, peak RSS %.0f MB (before report %.0f MB) -> %s\n",
                static_cast<long long>(state.range(0)), secs, peak_rss_mb(), rss_before, out.c_str());
  }
  state.counters["peak_rss_mb"] = peak_rss_mb();
  state.counters["inferences"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_Report)->Arg(1'000'000)->Arg(10'000'000)->Iterations(1)->Unit(benchmark::kSecond);

} // namespace

BENCHMARK_MAIN();
