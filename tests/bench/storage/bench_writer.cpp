// es_storage benchmarks.
//
// BM_WriterSustainedRows: two producer threads push inference rows (2 workers, realistic
// latencies) into a real database file as fast as the writer accepts them (a full queue is
// retried, so the writer's capacity is what is measured); the clock stops after finish_run,
// i.e. after the last commit and the checkpoint. Reports rows/s, bytes/row of the final file
// and how often producers found their queue full.
//
// BM_SpscRingPushDrain: the producer-side cost of one push (the only thing a workload thread
// pays per inference).
//
// Run: build/tests/bench/storage/es_storage_bench --benchmark_filter=Writer

#include "daemon/core/time.hpp"
#include "daemon/storage/spsc_ring.hpp"
#include "daemon/storage/writer.hpp"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

namespace {

using namespace es;
using namespace es::storage;

std::filesystem::path bench_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("edgesoak-storage-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

void BM_WriterSustainedRows(benchmark::State& state) {
  const auto rows_per_producer = static_cast<std::int64_t>(state.range(0));
  const auto dir = bench_dir();
  std::uint64_t full_retries_total = 0;
  double bytes_per_row = 0;
  int round = 0;
  for (auto _ : state) {
    const auto path = dir / ("writer-" + std::to_string(round++) + ".db");
    WriterOptions options;
    options.boot_id = "bench";
    auto writer = Writer::open(path, options);
    if (!writer) {
      state.SkipWithError(writer.error().message.c_str());
      return;
    }
    RunInfo info;
    info.name = "bench";
    if (!(*writer)->begin_run(info)) {
      state.SkipWithError("begin_run failed");
      return;
    }
    InferenceSink* sinks[2] = {&(*writer)->make_inference_sink(),
                               &(*writer)->make_inference_sink()};
    (*writer)->start();
    const std::int64_t base = (*writer)->segment_start_mono_ns();
    std::atomic<std::uint64_t> full_retries{0};
    auto produce = [&](int worker) {
      std::mt19937 rng(static_cast<unsigned>(worker) + 1);
      std::uniform_int_distribution<std::int64_t> latency(3'000'000, 12'000'000);
      std::int64_t t = base + worker * 1'000'000;
      std::uint64_t retries = 0;
      for (std::int64_t i = 0; i < rows_per_producer; ++i) {
        const std::int64_t lat = latency(rng);
        const InferenceRecord r{t, lat, static_cast<std::uint16_t>(worker),
                                InferenceStatus::kOk};
        while (!sinks[worker]->push(r)) {
          ++retries;
          std::this_thread::yield();
        }
        t += lat + 20'000;
      }
      full_retries += retries;
    };
    const std::int64_t start = mono_now_ns();
    std::thread p0(produce, 0);
    std::thread p1(produce, 1);
    p0.join();
    p1.join();
    if (!(*writer)->finish_run(RunStatus::kCompleted)) {
      state.SkipWithError("finish_run failed");
      return;
    }
    const std::int64_t elapsed = mono_now_ns() - start;
    state.SetIterationTime(static_cast<double>(elapsed) / 1e9);
    const WriterStats stats = (*writer)->stats();
    const auto rows = static_cast<double>(stats.inferences_written);
    // Writer stats count pushes that were refused; in this bench a refused push is retried.
    full_retries_total += full_retries.load();
    writer->reset();
    std::error_code ec;
    const auto wal = std::filesystem::path(path.string() + "-wal");
    const auto bytes = std::filesystem::file_size(path) +
                       (std::filesystem::exists(wal, ec) ? std::filesystem::file_size(wal) : 0);
    bytes_per_row = static_cast<double>(bytes) / rows;
    std::filesystem::remove(path, ec);
  }
  const double total_rows = static_cast<double>(state.iterations()) * 2.0 *
                            static_cast<double>(rows_per_producer);
  state.SetItemsProcessed(static_cast<std::int64_t>(total_rows));
  state.counters["rows_per_s"] = benchmark::Counter(total_rows, benchmark::Counter::kIsRate);
  state.counters["bytes_per_row"] = bytes_per_row;
  state.counters["queue_full_retries"] =
      static_cast<double>(full_retries_total) / static_cast<double>(state.iterations());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_WriterSustainedRows)
    ->Arg(250'000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

void BM_SpscRingPushDrain(benchmark::State& state) {
  es::storage::detail::SpscRing<InferenceRecord> ring(1 << 16);
  InferenceRecord r{1, 5'000'000, 0, InferenceStatus::kOk};
  std::int64_t pushed = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1024; ++i) {
      r.t_ns += 1;
      benchmark::DoNotOptimize(ring.try_push(r));
    }
    ring.drain([](const InferenceRecord& x) { benchmark::DoNotOptimize(x); });
    pushed += 1024;
  }
  state.SetItemsProcessed(pushed);
}
BENCHMARK(BM_SpscRingPushDrain);

} // namespace

BENCHMARK_MAIN();
