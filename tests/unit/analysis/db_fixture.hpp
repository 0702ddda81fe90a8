#pragma once
// Writes a SyntheticRun into a real SQLite file through es_storage's Writer, in a per-test
// temp dir, and opens it with the Reader: the analysis tests exercise the same read path as
// `edgesoak report`. Synthetic run-timeline times t are pushed as segment_start_mono_ns + t.

#include "daemon/storage/reader.hpp"
#include "daemon/storage/writer.hpp"
#include "synthetic.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

namespace es::analysis::testing {

/// A fresh directory per call, removed when the process exits (unless ES_KEEP_TEST_OUTPUT).
inline std::filesystem::path fresh_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  struct Cleanup {
    std::vector<std::filesystem::path> dirs;
    ~Cleanup() {
      if (std::getenv("ES_KEEP_TEST_OUTPUT") != nullptr) {
        return;
      }
      for (const auto& d : dirs) {
        std::error_code ec;
        std::filesystem::remove_all(d, ec);
      }
    }
  };
  static Cleanup cleanup;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("es_analysis_" + tag + "_" + std::to_string(::getpid()) + "_" +
                    std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  cleanup.dirs.push_back(dir);
  return dir;
}

/// Writes `run` (as run 1 of a new database) and returns the database path.
inline std::filesystem::path write_sqlite(const SyntheticRun& run, const std::string& tag = "db") {
  const auto path = fresh_dir(tag) / "run.db";
  storage::WriterOptions options;
  options.queue_capacity = 1 << 18;
  options.boot_id = "synthetic-boot";
  options.sync_interval = std::chrono::nanoseconds(0);
  auto writer = storage::Writer::open(path, options);
  EXPECT_TRUE(writer.ok()) << (writer.ok() ? "" : writer.error().message);
  auto& w = *writer.value();
  storage::RunInfo info = run.run.info;
  info.planned_duration_ns = run.run.duration_ns;
  auto id = w.begin_run(info);
  EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
  std::vector<std::uint32_t> ids;
  for (const auto& s : run.sensors) {
    auto sid = w.register_sensor(s.spec);
    EXPECT_TRUE(sid.ok());
    ids.push_back(sid.ok() ? sid.value() : 0);
  }
  auto& inf_sink = w.make_inference_sink();
  auto& sample_sink = w.make_sample_sink();
  w.start();
  const std::int64_t base = w.segment_start_mono_ns();
  for (const auto& e : run.events) {
    w.push_event(EventRecord{base + e.t_ns, e.kind, e.detail});
  }
  const auto retry = [](auto&& push) {
    while (!push()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  for (std::size_t i = 0; i < run.sensors.size(); ++i) {
    for (const auto& s : run.sensors[i].samples) {
      const SampleRecord rec{base + s.t_ns, s.value, ids[i], s.status};
      retry([&] { return sample_sink.push(rec); });
    }
  }
  for (const auto& r : run.inferences) {
    const InferenceRecord rec{base + r.t_ns, r.latency_ns, r.worker, r.status};
    retry([&] { return inf_sink.push(rec); });
  }
  auto fin = w.finish_run(run.run.status);
  EXPECT_TRUE(fin.ok()) << (fin.ok() ? "" : fin.error().message);
  return path;
}

/// Writes `run` and opens it read-only.
inline std::unique_ptr<storage::Reader> open_via_sqlite(const SyntheticRun& run) {
  const auto path = write_sqlite(run);
  auto reader = storage::Reader::open(path);
  EXPECT_TRUE(reader.ok()) << (reader.ok() ? "" : reader.error().message);
  return std::move(reader).value();
}

} // namespace es::analysis::testing
