// Per-sample read cost: kept-open descriptor + pread versus open/read/close per read, and a
// full sample() of each probe on board fixtures and on this machine's /sys and /proc.
#include "probes/cpufreq.hpp"
#include "probes/hwmon.hpp"
#include "probes/probe_set.hpp"
#include "probes/system.hpp"
#include "probes/thermal.hpp"

#include <benchmark/benchmark.h>

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

} // namespace

BENCHMARK_MAIN();
