// Per-sample read cost: kept-open descriptor + pread versus open/read/close per read, and a
// full sample() of each probe on board fixtures and on this machine's /sys and /proc.
#include "probes/cpufreq.hpp"
#include "probes/hwmon.hpp"
#include "probes/probe_set.hpp"
#include "probes/system.hpp"
#include "probes/thermal.hpp"
#include "probes/ina219.hpp"
#include "tests/unit/probes/fake_i2c_bus.hpp"

#include <benchmark/benchmark.h>

#include <ctime>
#include <filesystem>

namespace {

using namespace es::probes;
namespace fs = std::filesystem;

fs::path board(const char* name) {
  return fs::path(ES_TEST_FIXTURES_DIR) / "probes" / name;
}

// One small attribute: a real sysfs file when this machine has one, else a fixture file.
std::pair<SysfsReader, std::string> small_attr() {
  SysfsReader real(kDefaultSysfsRoot);
  for (const char* rel :
       {"class/thermal/thermal_zone0/temp", "devices/system/cpu/cpufreq/policy0/scaling_cur_freq",
        "devices/system/cpu/cpu1/online"}) {
    if (real.read_int(rel).ok()) {
      return {real, rel};
    }
  }
  return {SysfsReader(board("rpi5") / "sys"), "class/thermal/thermal_zone0/temp"};
}

void BM_ReadIntReopen(benchmark::State& state) {
  auto [reader, rel] = small_attr();
  for (auto _ : state) {
    auto v = reader.read_int(rel);
    benchmark::DoNotOptimize(v);
  }
  state.SetLabel(reader.path(rel).string());
}
BENCHMARK(BM_ReadIntReopen);

void BM_ReadIntPreadKeptOpen(benchmark::State& state) {
  auto [reader, rel] = small_attr();
  SysfsFile f(reader.path(rel));
  for (auto _ : state) {
    auto v = f.read_int();
    benchmark::DoNotOptimize(v);
  }
  state.SetLabel(reader.path(rel).string());
}
BENCHMARK(BM_ReadIntPreadKeptOpen);

void BM_ProcStatPread(benchmark::State& state) {
  SysfsFile f(SysfsReader(kDefaultProcfsRoot).path("stat"));
  for (auto _ : state) {
    auto v = f.read(8192);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_ProcStatPread);

template <typename P>
void sample_loop(benchmark::State& state, P& probe) {
  ProbeOutput out;
  for (auto _ : state) {
    out.clear();
    probe.sample(out);
    benchmark::DoNotOptimize(out.readings.data());
  }
  state.counters["sensors"] = static_cast<double>(probe.sensors().size());
}

void BM_SampleAllProbes(benchmark::State& state, const char* which) {
  ProbeSetOptions o;
  if (std::string(which) != "host") {
    o.roots.sysfs = board(which) / "sys";
    o.roots.procfs = board(which) / "proc";
    o.roots.devfs = board(which) / "dev";
  }
  o.vcgencmd = "/nonexistent";
  auto set = make_probes(o);
  ProbeOutput out;
  std::size_t sensors = 0;
  for (const auto& p : set.probes) {
    sensors += p->sensors().size();
  }
  for (auto _ : state) {
    for (auto& p : set.probes) {
      out.clear();
      p->sample(out);
      benchmark::DoNotOptimize(out.readings.data());
    }
  }
  state.counters["sensors"] = static_cast<double>(sensors);
  state.counters["per_sensor_ns"] = benchmark::Counter(
      static_cast<double>(sensors),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_SampleAllProbes, rpi5, "rpi5");
BENCHMARK_CAPTURE(BM_SampleAllProbes, jetson_orin, "jetson-orin");
BENCHMARK_CAPTURE(BM_SampleAllProbes, x86, "x86");
BENCHMARK_CAPTURE(BM_SampleAllProbes, host, "host");

void BM_ThermalRpi5(benchmark::State& state) {
  ThermalProbe p(SysfsReader(board("rpi5") / "sys"), std::chrono::seconds(1));
  sample_loop(state, p);
}
BENCHMARK(BM_ThermalRpi5);

void BM_CpufreqRpi5WithResidency(benchmark::State& state) {
  CpufreqProbe p(SysfsReader(board("rpi5") / "sys"), std::chrono::seconds(1));
  sample_loop(state, p);
}
BENCHMARK(BM_CpufreqRpi5WithResidency);

void BM_SystemHost(benchmark::State& state) {
  SystemProbe p(SysfsReader(kDefaultProcfsRoot), std::chrono::seconds(1));
  sample_loop(state, p);
}
BENCHMARK(BM_SystemHost);

// --- Total probe CPU at default rates (the budget: <= 0.5 % of one core) ---
//
// The file probes make_probes builds for a tree (cpufreq, thermal, hwmon, system, and rails /
// devfreq / rpi where the tree has them) at 10 Hz plus one INA219 at 100 Hz on the fake bus,
// run on a real-time schedule (absolute deadlines, clock_nanosleep) for `seconds` of wall time
// on one thread. CPU = CLOCK_THREAD_CPUTIME_ID over the whole run, so it includes the sleeps'
// wake-up cost and cold caches, as in the service (which uses one thread per probe: the same
// reads, slightly more wake-ups). Counters: cpu_pct (% of one core), cpu_us_per_s, and the
// CPU per 10 Hz round of file probes and per INA219 sample measured around the sample() calls.
double thread_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
std::int64_t mono_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
void sleep_until_ns(std::int64_t t) {
  timespec ts{static_cast<time_t>(t / 1000000000), static_cast<long>(t % 1000000000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

void BM_ProbeCpuAtDefaultRates(benchmark::State& state, const char* which) {
  using namespace std::chrono_literals;
  const double seconds = static_cast<double>(state.range(0));
  // range(1) = 1: also time each round/INA sample (2 extra CLOCK_THREAD_CPUTIME_ID syscalls per
  // wake-up, which inflate cpu_pct by ~0.1 %); 0: only the whole-run CPU (the headline number).
  const bool inner = state.range(1) != 0;
  ProbeSetOptions o;
  if (std::string(which) != "host") {
    o.roots.sysfs = board(which) / "sys";
    o.roots.procfs = board(which) / "proc";
    o.roots.devfs = board(which) / "dev";
  }
  o.vcgencmd = "/nonexistent";
  o.default_interval = 100ms;
  auto set = make_probes(o);
  Ina219Options io;
  io.name = "ina";
  io.interval = 10ms;
  auto bus = std::make_unique<es::probes::test::FakeI2cBus>();
  bus->emulate_ina219(0x40);
  bus->set_reg(0x40, 0x01, 0x3A98);
  bus->set_reg(0x40, 0x02, 0x5DC2);
  bus->set_reg(0x40, 0x03, 0x2328);
  bus->set_reg(0x40, 0x04, 0x3A98);
  auto ina = Ina219Probe::create(io, std::move(bus));
  if (!ina.ok()) {
    state.SkipWithError("INA219 on the fake bus failed");
    return;
  }
  std::size_t sensors = 0;
  for (const auto& p : set.probes) {
    sensors += p->sensors().size();
  }
  ProbeOutput out;
  double file_cpu = 0;
  double ina_cpu = 0;
  std::int64_t rounds = 0;
  std::int64_t ina_samples = 0;
  double total_cpu = 0;
  double wall = 0;
  for (auto _ : state) {
    const double cpu0 = thread_cpu_s();
    const std::int64_t t0 = mono_ns();
    const std::int64_t end = t0 + static_cast<std::int64_t>(seconds * 1e9);
    std::int64_t next_file = t0;
    std::int64_t next_ina = t0;
    for (;;) {
      const std::int64_t next = std::min(next_file, next_ina);
      if (next >= end) {
        break;
      }
      sleep_until_ns(next);
      if (next_file <= next) {
        const double c = inner ? thread_cpu_s() : 0;
        for (auto& p : set.probes) {
          out.clear();
          p->sample(out);
          benchmark::DoNotOptimize(out.readings.data());
        }
        file_cpu += inner ? thread_cpu_s() - c : 0;
        ++rounds;
        next_file += 100000000;
      }
      if (next_ina <= next) {
        const double c = inner ? thread_cpu_s() : 0;
        out.clear();
        (*ina)->sample(out);
        benchmark::DoNotOptimize(out.readings.data());
        ina_cpu += inner ? thread_cpu_s() - c : 0;
        ++ina_samples;
        next_ina += 10000000;
      }
    }
    total_cpu += thread_cpu_s() - cpu0;
    wall += static_cast<double>(mono_ns() - t0) * 1e-9;
  }
  state.counters["sensors"] = static_cast<double>(sensors);
  state.counters["cpu_pct"] = 100.0 * total_cpu / wall;
  if (inner) {
    state.counters["cpu_pct_in_sample"] = 100.0 * (file_cpu + ina_cpu) / wall;
    state.counters["round_us"] =
        1e6 * file_cpu / static_cast<double>(std::max<std::int64_t>(rounds, 1));
    state.counters["ina_us"] =
        1e6 * ina_cpu / static_cast<double>(std::max<std::int64_t>(ina_samples, 1));
  }
  state.counters["rounds"] = static_cast<double>(rounds);
  state.counters["ina_samples"] = static_cast<double>(ina_samples);
  state.SetLabel(which);
}
BENCHMARK_CAPTURE(BM_ProbeCpuAtDefaultRates, rpi5, "rpi5")
    ->Args({10, 0})
    ->Args({10, 1})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_ProbeCpuAtDefaultRates, jetson_orin, "jetson-orin")
    ->Args({10, 0})
    ->Args({10, 1})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_ProbeCpuAtDefaultRates, odroid_n2, "odroid-n2")
    ->Args({10, 0})
    ->Args({10, 1})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_ProbeCpuAtDefaultRates, x86, "x86")
    ->Args({10, 0})
    ->Args({10, 1})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_ProbeCpuAtDefaultRates, host, "host")
    ->Args({10, 0})
    ->Args({10, 1})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

} // namespace

BENCHMARK_MAIN();
