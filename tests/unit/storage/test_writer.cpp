// Writer: batching, commit cadence, resume, sensors, drops, finish/abandon.

#include "daemon/core/time.hpp"
#include "daemon/storage/reader.hpp"
#include "daemon/storage/writer.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

namespace es::storage {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

std::unique_ptr<Writer> open_writer(const std::filesystem::path& path, WriterOptions options = {}) {
  options.boot_id = options.boot_id.empty() ? "boot-a" : options.boot_id;
  auto writer = Writer::open(path, options);
  EXPECT_TRUE(writer) << (writer ? "" : writer.error().message);
  return writer ? std::move(*writer) : nullptr;
}

std::unique_ptr<Reader> open_reader(const std::filesystem::path& path) {
  auto reader = Reader::open(path);
  EXPECT_TRUE(reader) << (reader ? "" : reader.error().message);
  return reader ? std::move(*reader) : nullptr;
}

std::vector<InferenceRow> read_inferences(Reader& reader, std::int64_t run_id) {
  std::vector<InferenceRow> rows;
  auto done = reader.for_each_inference(run_id, [&](const InferenceRow& r) { rows.push_back(r); });
  EXPECT_TRUE(done) << (done ? "" : done.error().message);
  return rows;
}

std::vector<EventRow> events_of_kind(Reader& reader, std::int64_t run_id,
                                     const std::string& kind) {
  std::vector<EventRow> out;
  auto events = reader.events(run_id);
  EXPECT_TRUE(events);
  if (events) {
    for (const EventRow& e : *events) {
      if (e.kind == kind) {
        out.push_back(e);
      }
    }
  }
  return out;
}

TEST(StorageWriter, BatchedRowsReadBackExactlyOnRunTimeline) {
  TempDir dir;
  const auto path = dir.file("batch.db");
  auto writer = open_writer(path);
  ASSERT_TRUE(writer);
  auto run_id = writer->begin_run(test::test_run_info());
  ASSERT_TRUE(run_id);
  EXPECT_EQ(writer->run_id(), *run_id);
  EXPECT_EQ(writer->segment_t0_run_ns(), 0);
  const std::int64_t base = writer->segment_start_mono_ns();
  ASSERT_GT(base, 0);

  auto temp = writer->register_sensor({"thermal.cpu-thermal", SensorKind::kTemperature, "C",
                                       "sysfs:/class/thermal/thermal_zone0/temp"});
  ASSERT_TRUE(temp);
  auto freq = writer->register_sensor(
      {"cpufreq.policy0.cur", SensorKind::kFrequency, "Hz", "sysfs:/devices/system/cpu"});
  ASSERT_TRUE(freq);
  EXPECT_NE(*temp, *freq);
  ASSERT_TRUE(writer->set_run_meta("cpu.features", "asimd asimddp"));
  ASSERT_TRUE(writer->set_run_meta("cpu.features", "asimd asimddp i8mm")); // replaces

  InferenceSink& w0 = writer->make_inference_sink();
  InferenceSink& w1 = writer->make_inference_sink();
  SampleSink& probe = writer->make_sample_sink();
  writer->start();

  constexpr int kRows = 5000;
  std::vector<InferenceRecord> pushed;
  for (int i = 0; i < kRows; ++i) {
    InferenceRecord r;
    r.worker = static_cast<std::uint16_t>(i % 2);
    r.t_ns = base + 1'000'000LL * i + r.worker * 137;
    r.latency_ns = 4'000'000 + (i * 7919) % 3'000'000;
    r.status = i % 1000 == 999 ? InferenceStatus::kChecksumMismatch : InferenceStatus::kOk;
    ASSERT_TRUE((r.worker == 0 ? w0 : w1).push(r));
    pushed.push_back(r);
  }
  for (int i = 0; i < 100; ++i) {
    SampleRecord s;
    s.sensor_id = *temp;
    s.t_ns = base + 10'000'000LL * i;
    if (i == 50) {
      s.status = SampleStatus::kUnavailable;
    } else {
      s.status = SampleStatus::kOk;
      s.value = 45.125 + i * 0.5;
    }
    ASSERT_TRUE(probe.push(s));
  }
  writer->push_event({base + 5'000'000, "phase_start", "phase=load"});
  ASSERT_TRUE(writer->finish_run(RunStatus::kCompleted));

  const WriterStats stats = writer->stats();
  EXPECT_EQ(stats.inferences_written, static_cast<std::uint64_t>(kRows));
  EXPECT_EQ(stats.samples_written, 100U);
  EXPECT_EQ(stats.inferences_dropped, 0U);
  EXPECT_EQ(stats.db_errors, 0U);
  EXPECT_GE(stats.commits, 1U);
  EXPECT_GE(stats.events_written, 1U);

  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  auto count = reader->inference_count(*run_id);
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, static_cast<std::uint64_t>(kRows));
  const auto rows = read_inferences(*reader, *run_id);
  ASSERT_EQ(rows.size(), pushed.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].t_ns, pushed[i].t_ns - base) << i;
    EXPECT_EQ(rows[i].latency_ns, pushed[i].latency_ns) << i;
    EXPECT_EQ(rows[i].worker, pushed[i].worker) << i;
    EXPECT_EQ(rows[i].status, pushed[i].status) << i;
  }

  std::vector<SampleRow> samples;
  ASSERT_TRUE(reader->for_each_sample(*run_id, *temp,
                                      [&](const SampleRow& s) { samples.push_back(s); }));
  ASSERT_EQ(samples.size(), 100U);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(samples[static_cast<std::size_t>(i)].t_ns, 10'000'000LL * i);
    if (i == 50) {
      EXPECT_EQ(samples[50].status, SampleStatus::kUnavailable);
      EXPECT_TRUE(std::isnan(samples[50].value));
    } else {
      EXPECT_EQ(samples[static_cast<std::size_t>(i)].status, SampleStatus::kOk);
      EXPECT_DOUBLE_EQ(samples[static_cast<std::size_t>(i)].value, 45.125 + i * 0.5);
    }
  }
  std::size_t freq_samples = 0;
  ASSERT_TRUE(reader->for_each_sample(*run_id, *freq, [&](const SampleRow&) { ++freq_samples; }));
  EXPECT_EQ(freq_samples, 0U);

  auto sensors = reader->sensors(*run_id);
  ASSERT_TRUE(sensors);
  ASSERT_EQ(sensors->size(), 2U);
  EXPECT_EQ((*sensors)[0].spec.name, "thermal.cpu-thermal");
  EXPECT_EQ((*sensors)[0].spec.kind, SensorKind::kTemperature);
  EXPECT_EQ((*sensors)[0].spec.unit, "C");
  EXPECT_EQ((*sensors)[1].spec.kind, SensorKind::kFrequency);

  auto meta = reader->run_meta(*run_id);
  ASSERT_TRUE(meta);
  ASSERT_EQ(meta->size(), 1U);
  EXPECT_EQ((*meta)[0].second, "asimd asimddp i8mm");

  auto phases = events_of_kind(*reader, *run_id, "phase_start");
  ASSERT_EQ(phases.size(), 1U);
  EXPECT_EQ(phases[0].t_ns, 5'000'000);
  EXPECT_EQ(phases[0].detail, "phase=load");

  auto run = reader->run(*run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, RunStatus::kCompleted);
  EXPECT_EQ(run->info.model, "mobilenet_v2");
  EXPECT_EQ(run->info.config_text, test::test_run_info().config_text);
  EXPECT_EQ(run->info.planned_duration_ns, test::test_run_info().planned_duration_ns);
  EXPECT_GT(run->ended_wall_ns, run->started_wall_ns);
  EXPECT_EQ(run->segments, 1);
  EXPECT_GT(run->duration_ns, 0);
  auto segs = reader->segments(*run_id);
  ASSERT_TRUE(segs);
  ASSERT_EQ(segs->size(), 1U);
  EXPECT_EQ((*segs)[0].end_reason, "completed");
  EXPECT_EQ((*segs)[0].boot_id, "boot-a");
  EXPECT_EQ((*segs)[0].start_mono_ns, base);
  auto integrity = reader->integrity_check();
  ASSERT_TRUE(integrity);
  EXPECT_EQ(*integrity, "ok");
}

TEST(StorageWriter, CommitsWithinIntervalWithoutFinish) {
  TempDir dir;
  const auto path = dir.file("cadence.db");
  auto writer = open_writer(path);
  ASSERT_TRUE(writer);
  auto run_id = writer->begin_run(test::test_run_info());
  ASSERT_TRUE(run_id);
  InferenceSink& sink = writer->make_inference_sink();
  writer->start();
  auto reader = open_reader(path);
  ASSERT_TRUE(reader);

  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(sink.push({mono_now_ns(), 5'000'000, 0, InferenceStatus::kOk}));
  }
  const bool visible = test::wait_until(
      [&] {
        auto n = reader->inference_count(*run_id);
        return n && *n == 200U;
      },
      1500ms);
  EXPECT_TRUE(visible) << "rows not committed within 1.5 s";

  // Idle commits keep the segment's "last known alive" fresh.
  auto before = reader->segments(*run_id);
  ASSERT_TRUE(before);
  const std::int64_t end_before = before->at(0).end_mono_ns;
  const bool refreshed = test::wait_until(
      [&] {
        auto now = reader->segments(*run_id);
        return now && now->at(0).end_mono_ns > end_before;
      },
      1500ms);
  EXPECT_TRUE(refreshed) << "end_mono_ns not refreshed while idle";
  EXPECT_GE(writer->stats().commits, 2U);
  ASSERT_TRUE(writer->finish_run(RunStatus::kStopped));
}

TEST(StorageWriter, ResumeRunContinuesTimelineInNewSegment) {
  TempDir dir;
  const auto path = dir.file("resume.db");
  std::int64_t run_id = 0;
  std::uint32_t temp_id = 0;
  std::int64_t first_length = 0;
  {
    auto writer = open_writer(path);
    ASSERT_TRUE(writer);
    auto id = writer->begin_run(test::test_run_info());
    ASSERT_TRUE(id);
    run_id = *id;
    auto temp = writer->register_sensor({"thermal.cpu", SensorKind::kTemperature, "C", "hwmon0"});
    ASSERT_TRUE(temp);
    temp_id = *temp;
    InferenceSink& sink = writer->make_inference_sink();
    writer->start();
    ASSERT_TRUE(sink.push({writer->segment_start_mono_ns() + 1000, 42, 0, InferenceStatus::kOk}));
    std::this_thread::sleep_for(50ms);
    writer->abandon(); // the process "dies"
    auto reader = open_reader(path);
    ASSERT_TRUE(reader);
    auto segs = reader->segments(run_id);
    ASSERT_TRUE(segs);
    ASSERT_EQ(segs->size(), 1U);
    first_length = segs->at(0).end_mono_ns - segs->at(0).start_mono_ns;
    EXPECT_GT(first_length, 0);
    EXPECT_EQ(segs->at(0).end_reason, "");
  }
  std::this_thread::sleep_for(20ms);
  auto writer = open_writer(path);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->resume_run(run_id));
  EXPECT_EQ(writer->run_id(), run_id);
  EXPECT_EQ(writer->segment_t0_run_ns(), first_length);

  // Same name: same id (source may change, e.g. hwmon renumbering after a reboot).
  auto again = writer->register_sensor({"thermal.cpu", SensorKind::kTemperature, "C", "hwmon3"});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, temp_id);
  auto conflicting = writer->register_sensor({"thermal.cpu", SensorKind::kPower, "W", ""});
  ASSERT_FALSE(conflicting);
  EXPECT_EQ(conflicting.error().code, ErrorCode::kInvalidArgument);
  auto fresh = writer->register_sensor({"board.power", SensorKind::kPower, "W", "ina219"});
  ASSERT_TRUE(fresh);
  EXPECT_NE(*fresh, temp_id);

  InferenceSink& sink = writer->make_inference_sink();
  SampleSink& probe = writer->make_sample_sink();
  ASSERT_TRUE(sink.push({writer->segment_start_mono_ns() + 500, 43, 1, InferenceStatus::kOk}));
  ASSERT_TRUE(probe.push({writer->segment_start_mono_ns() + 700, 50.0, *again,
                          SampleStatus::kOk}));
  ASSERT_TRUE(writer->finish_run(RunStatus::kCompleted));

  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  auto segs = reader->segments(run_id);
  ASSERT_TRUE(segs);
  ASSERT_EQ(segs->size(), 2U);
  EXPECT_EQ(segs->at(1).t0_run_ns, segs->at(0).t0_run_ns + first_length);
  EXPECT_EQ(segs->at(1).end_reason, "completed");
  const auto rows = read_inferences(*reader, run_id);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].t_ns, 1000);
  EXPECT_EQ(rows[0].latency_ns, 42);
  EXPECT_EQ(rows[1].t_ns, first_length + 500);
  EXPECT_EQ(rows[1].latency_ns, 43);
  EXPECT_EQ(rows[1].worker, 1);
  std::vector<SampleRow> samples;
  ASSERT_TRUE(reader->for_each_sample(run_id, temp_id,
                                      [&](const SampleRow& s) { samples.push_back(s); }));
  ASSERT_EQ(samples.size(), 1U);
  EXPECT_EQ(samples[0].t_ns, first_length + 700);

  auto gaps = events_of_kind(*reader, run_id, "segment_gap");
  ASSERT_EQ(gaps.size(), 1U);
  EXPECT_EQ(gaps[0].t_ns, first_length);
  EXPECT_NE(gaps[0].detail.find("gap_wall_s="), std::string::npos) << gaps[0].detail;
  EXPECT_NE(gaps[0].detail.find("same_boot=1"), std::string::npos) << gaps[0].detail;
  auto run = reader->run(run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, RunStatus::kCompleted);
  EXPECT_EQ(run->segments, 2);
  auto sensors = reader->sensors(run_id);
  ASSERT_TRUE(sensors);
  ASSERT_EQ(sensors->size(), 2U);
  EXPECT_EQ(sensors->at(0).spec.source, "hwmon3");
}

TEST(StorageWriter, ResumeAfterFinishSetsRunningAgain) {
  TempDir dir;
  const auto path = dir.file("resume2.db");
  std::int64_t run_id = 0;
  {
    auto writer = open_writer(path);
    ASSERT_TRUE(writer);
    auto id = writer->begin_run(test::test_run_info());
    ASSERT_TRUE(id);
    run_id = *id;
    ASSERT_TRUE(writer->finish_run(RunStatus::kStopped));
  }
  auto writer = open_writer(path, WriterOptions{.boot_id = "boot-b"});
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->resume_run(run_id));
  {
    auto reader = open_reader(path);
    ASSERT_TRUE(reader);
    auto run = reader->run(run_id);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, RunStatus::kRunning);
    EXPECT_EQ(run->ended_wall_ns, 0);
    auto gaps = events_of_kind(*reader, run_id, "segment_gap");
    ASSERT_EQ(gaps.size(), 1U);
    EXPECT_NE(gaps[0].detail.find("same_boot=0"), std::string::npos) << gaps[0].detail;
    EXPECT_NE(gaps[0].detail.find("prev_end_reason=stopped"), std::string::npos);
  }
  auto missing = open_writer(dir.file("other.db"));
  ASSERT_TRUE(missing);
  auto no_run = missing->resume_run(12345);
  ASSERT_FALSE(no_run);
  EXPECT_EQ(no_run.error().code, ErrorCode::kNotFound);
}

TEST(StorageWriter, FullQueueCountsDropsAndRecordsEvent) {
  TempDir dir;
  const auto path = dir.file("drops.db");
  WriterOptions options;
  options.queue_capacity = 8;
  auto writer = open_writer(path, options);
  ASSERT_TRUE(writer);
  auto run_id = writer->begin_run(test::test_run_info());
  ASSERT_TRUE(run_id);
  InferenceSink& sink = writer->make_inference_sink();
  SampleSink& probe = writer->make_sample_sink();
  // The writer thread is not started, so nothing drains: 8 fit, the rest are dropped.
  int accepted = 0;
  for (int i = 0; i < 100; ++i) {
    accepted += sink.push({writer->segment_start_mono_ns() + i, 1, 0, InferenceStatus::kOk}) ? 1 : 0;
  }
  for (int i = 0; i < 10; ++i) {
    (void)probe.push({writer->segment_start_mono_ns() + i, 1.0, 1, SampleStatus::kOk});
  }
  EXPECT_EQ(accepted, 8);
  EXPECT_EQ(writer->stats().inferences_dropped, 92U);
  EXPECT_EQ(writer->stats().samples_dropped, 2U);
  ASSERT_TRUE(writer->finish_run(RunStatus::kCompleted));
  EXPECT_EQ(writer->stats().inferences_written, 8U);
  EXPECT_EQ(writer->stats().samples_written, 8U);

  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  auto drops = events_of_kind(*reader, *run_id, "dropped_rows");
  ASSERT_EQ(drops.size(), 1U);
  EXPECT_NE(drops[0].detail.find("inferences=92"), std::string::npos) << drops[0].detail;
  EXPECT_NE(drops[0].detail.find("samples=2"), std::string::npos) << drops[0].detail;
}

TEST(StorageWriter, DuplicateKeysAreIgnoredAndCounted) {
  TempDir dir;
  const auto path = dir.file("dups.db");
  auto writer = open_writer(path);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->begin_run(test::test_run_info()));
  InferenceSink& sink = writer->make_inference_sink();
  const std::int64_t t = writer->segment_start_mono_ns() + 10;
  ASSERT_TRUE(sink.push({t, 1, 0, InferenceStatus::kOk}));
  ASSERT_TRUE(sink.push({t, 2, 0, InferenceStatus::kOk}));
  ASSERT_TRUE(sink.push({t, 3, 1, InferenceStatus::kOk})); // other worker: not a duplicate
  ASSERT_TRUE(writer->finish_run(RunStatus::kCompleted));
  EXPECT_EQ(writer->stats().inferences_written, 2U);
  EXPECT_EQ(writer->stats().duplicates_ignored, 1U);
}

TEST(StorageWriter, FinishRunStatusesAndIdempotence) {
  TempDir dir;
  const auto path = dir.file("status.db");
  auto writer = open_writer(path);
  ASSERT_TRUE(writer);
  for (const RunStatus status : {RunStatus::kCompleted, RunStatus::kStopped, RunStatus::kAborted}) {
    SCOPED_TRACE(to_string(status));
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    auto run_id = w->begin_run(test::test_run_info(to_string(status)));
    ASSERT_TRUE(run_id);
    w->start();
    ASSERT_TRUE(w->finish_run(status));
    ASSERT_TRUE(w->finish_run(RunStatus::kCompleted)); // idempotent: the first call wins
    auto reader = open_reader(path);
    ASSERT_TRUE(reader);
    auto run = reader->run(*run_id);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, status);
    EXPECT_NE(run->ended_wall_ns, 0);
    auto segs = reader->segments(*run_id);
    ASSERT_TRUE(segs);
    EXPECT_EQ(segs->back().end_reason, to_string(status));
    auto latest = reader->latest_run_id();
    ASSERT_TRUE(latest);
    EXPECT_EQ(*latest, *run_id);
  }
  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  auto runs = reader->runs();
  ASSERT_TRUE(runs);
  EXPECT_EQ(runs->size(), 3U);
  auto none = reader->run(999);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  // finish_run without a run and with kRunning are usage errors.
  auto bad = writer->finish_run(RunStatus::kCompleted);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST(StorageWriter, AbandonLeavesRunRunningButCommitsRows) {
  TempDir dir;
  const auto path = dir.file("abandon.db");
  auto writer = open_writer(path);
  ASSERT_TRUE(writer);
  auto run_id = writer->begin_run(test::test_run_info());
  ASSERT_TRUE(run_id);
  InferenceSink& sink = writer->make_inference_sink();
  writer->start();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(sink.push({writer->segment_start_mono_ns() + i, 7, 0, InferenceStatus::kOk}));
  }
  writer->abandon();
  writer->abandon(); // idempotent
  ASSERT_TRUE(writer->finish_run(RunStatus::kCompleted)); // no-op after abandon
  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  auto run = reader->run(*run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, RunStatus::kRunning);
  EXPECT_EQ(run->ended_wall_ns, 0);
  auto count = reader->inference_count(*run_id);
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 10U);
}

TEST(StorageWriter, DestructorWithoutFinishActsLikeAbandon) {
  TempDir dir;
  const auto path = dir.file("dtor.db");
  std::int64_t run_id = 0;
  {
    auto writer = open_writer(path);
    ASSERT_TRUE(writer);
    auto id = writer->begin_run(test::test_run_info());
    ASSERT_TRUE(id);
    run_id = *id;
    InferenceSink& sink = writer->make_inference_sink();
    writer->start();
    ASSERT_TRUE(sink.push({writer->segment_start_mono_ns(), 7, 0, InferenceStatus::kOk}));
  }
  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  auto run = reader->run(run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, RunStatus::kRunning);
  auto count = reader->inference_count(run_id);
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1U);
}

TEST(StorageWriter, UsageErrorsBeforeBeginRun) {
  TempDir dir;
  auto writer = open_writer(dir.file("usage.db"));
  ASSERT_TRUE(writer);
  auto sensor = writer->register_sensor({"x", SensorKind::kOther, "", ""});
  ASSERT_FALSE(sensor);
  EXPECT_EQ(sensor.error().code, ErrorCode::kInvalidArgument);
  auto meta = writer->set_run_meta("k", "v");
  ASSERT_FALSE(meta);
  ASSERT_TRUE(writer->begin_run(test::test_run_info()));
  auto twice = writer->begin_run(test::test_run_info());
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kInvalidArgument);
}

} // namespace
} // namespace es::storage
