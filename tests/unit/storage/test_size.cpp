// On-disk size per row (a property of the schema, not a timing): a realistic synthetic run must
// cost at most 32 bytes per inference row. Measured with the dbstat virtual table (pages of the
// inferences b-tree, interior pages included) and, as a cross-check, the file size.

#include "daemon/storage/writer.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace es::storage {
namespace {

using test::RawDb;
using test::TempDir;

struct SizeResult {
  double inference_bytes_per_row = 0;
  double sample_bytes_per_row = 0;
  double file_bytes_per_inference = 0;
};

/// Writes `rows` inferences from two workers (log-normal latencies around 7 ms, pushed in
/// completion order as a real workload does), starting `offset_ns` into the segment so the
/// stored times have the width they have late in a 3 h run, plus 4 sensors at 1 Hz.
SizeResult write_synthetic_run(const std::filesystem::path& path, std::size_t rows,
                               std::int64_t offset_ns) {
  WriterOptions options;
  options.boot_id = "size";
  options.queue_capacity = 1 << 20;
  options.sync_interval = std::chrono::nanoseconds(0);
  auto writer = Writer::open(path, options);
  EXPECT_TRUE(writer);
  auto run_id = (*writer)->begin_run(test::test_run_info("size"));
  EXPECT_TRUE(run_id);
  std::vector<std::uint32_t> sensors;
  for (const char* name : {"thermal.cpu", "thermal.gpu", "cpufreq.policy0", "board.power"}) {
    auto id = (*writer)->register_sensor({name, SensorKind::kOther, "x", ""});
    EXPECT_TRUE(id);
    sensors.push_back(*id);
  }
  InferenceSink& w0 = (*writer)->make_inference_sink();
  InferenceSink& w1 = (*writer)->make_inference_sink();
  SampleSink& probe = (*writer)->make_sample_sink();
  (*writer)->start();

  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> latency_ms(std::log(7.0), 0.25);
  const std::int64_t base = (*writer)->segment_start_mono_ns() + offset_ns;
  std::int64_t next_start[2] = {base, base + 3'000'000};
  std::int64_t next_sample = base;
  std::size_t samples = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    // Both workers run back to back; push whichever finishes first (completion order).
    const auto lat0 = static_cast<std::int64_t>(latency_ms(rng) * 1e6);
    const auto lat1 = static_cast<std::int64_t>(latency_ms(rng) * 1e6);
    const int w = next_start[0] + lat0 <= next_start[1] + lat1 ? 0 : 1;
    const std::int64_t lat = w == 0 ? lat0 : lat1;
    InferenceRecord r{next_start[w], lat, static_cast<std::uint16_t>(w), InferenceStatus::kOk};
    while (!(w == 0 ? w0 : w1).push(r)) {
      std::this_thread::yield();
    }
    next_start[w] += lat + 40'000; // 40 us between inferences of one worker
    while (next_sample < r.t_ns) {
      for (std::size_t s = 0; s < sensors.size(); ++s) {
        const double value = s == 2 ? 1.5e9 : 45.0 + static_cast<double>(samples % 1000) * 0.017;
        (void)probe.push({next_sample, value, sensors[s], SampleStatus::kOk});
        ++samples;
      }
      next_sample += 1'000'000'000;
    }
  }
  EXPECT_TRUE((*writer)->finish_run(RunStatus::kCompleted));
  EXPECT_EQ((*writer)->stats().inferences_written, rows);
  EXPECT_EQ((*writer)->stats().duplicates_ignored, 0U);
  writer->reset();

  SizeResult result;
  RawDb raw(path);
  const std::int64_t inf_bytes =
      raw.query_int("SELECT sum(pgsize) FROM dbstat WHERE name = 'inferences'");
  const std::int64_t sample_bytes =
      raw.query_int("SELECT sum(pgsize) FROM dbstat WHERE name = 'samples'");
  if (inf_bytes > 0) {
    result.inference_bytes_per_row = static_cast<double>(inf_bytes) / static_cast<double>(rows);
    result.sample_bytes_per_row =
        static_cast<double>(sample_bytes) / static_cast<double>(std::max<std::size_t>(samples, 1));
  }
  result.file_bytes_per_inference =
      static_cast<double>(std::filesystem::file_size(path)) / static_cast<double>(rows);
  return result;
}

TEST(StorageSize, InferenceRowIsAtMost32BytesOnDisk) {
  TempDir dir;
  const auto path = dir.file("size.db");
  constexpr std::size_t kRows = 200'000;
  // Start 2.5 h into the segment: times need the 6-byte width of a 3 h run.
  const SizeResult r = write_synthetic_run(path, kRows, 9'000LL * 1'000'000'000);
  std::printf("[ size ] inferences: %.2f B/row (dbstat), samples: %.2f B/row (dbstat), "
              "file: %.2f B per inference row\n",
              r.inference_bytes_per_row, r.sample_bytes_per_row, r.file_bytes_per_inference);
  RecordProperty("inference_bytes_per_row", std::to_string(r.inference_bytes_per_row));
  RecordProperty("sample_bytes_per_row", std::to_string(r.sample_bytes_per_row));
  if (r.inference_bytes_per_row == 0) {
    // No dbstat in this SQLite build: the whole file (all tables, WAL checkpointed) bounds it.
    EXPECT_LE(r.file_bytes_per_inference, 32.0);
  } else {
    EXPECT_LE(r.inference_bytes_per_row, 32.0);
    EXPECT_LE(r.sample_bytes_per_row, 40.0);
  }
}

} // namespace
} // namespace es::storage
