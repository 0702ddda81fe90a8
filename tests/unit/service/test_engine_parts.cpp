// Pure parts of the run engine: progress formatting, live latency statistics, error mapping.

#include "daemon/service/engine.hpp"
#include "daemon/service/live_stats.hpp"
#include "daemon/service/notifier.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

namespace es::service {
namespace {

TEST(FormatProgress, ShowsEveryKnownField) {
  Progress p;
  p.phase = "load";
  p.phase_index = 1;
  p.phase_count = 3;
  p.elapsed = std::chrono::seconds(65);
  p.total = std::chrono::hours(3);
  p.inferences = 1234;
  p.p50_ms = 12.345;
  p.hottest_c = 61.24;
  p.freq_hz = 1.8e9;
  p.power_w = 4.5;
  EXPECT_EQ(format_progress(p),
            "load 2/3 | 00:01:05/03:00:00 | 1234 inf | p50 12.35 ms | 61.2 C | 1.80 GHz | 4.50 W");
}

TEST(FormatProgress, OmitsUnknownValuesInsteadOfPrintingZero) {
  Progress p;
  p.phase = "baseline";
  p.phase_count = 1;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  p.p50_ms = nan;
  p.hottest_c = nan;
  p.freq_hz = nan;
  p.power_w = nan;
  p.dropped = 7;
  const std::string line = format_progress(p);
  EXPECT_EQ(line, "baseline 1/1 | 00:00:00/00:00:00 | 0 inf | dropped 7");
}

TEST(LatencyRing, MedianOfRecentValuesAcrossWorkers) {
  std::vector<std::unique_ptr<LatencyRing>> rings;
  rings.push_back(std::make_unique<LatencyRing>());
  rings.push_back(std::make_unique<LatencyRing>());
  EXPECT_TRUE(std::isnan(recent_p50_ms(rings)));
  for (int i = 1; i <= 5; ++i) {
    rings[0]->record(i * 1'000'000);
  }
  rings[1]->record(100'000'000);
  rings[1]->record(200'000'000);
  // values 1,2,3,4,5,100,200 ms -> median 4 ms
  EXPECT_DOUBLE_EQ(recent_p50_ms(rings), 4.0);
}

TEST(LatencyRing, KeepsOnlyTheMostRecentWindow) {
  std::vector<std::unique_ptr<LatencyRing>> rings;
  rings.push_back(std::make_unique<LatencyRing>());
  for (std::size_t i = 0; i < LatencyRing::kSize; ++i) {
    rings[0]->record(1'000'000);
  }
  for (std::size_t i = 0; i < LatencyRing::kSize; ++i) {
    rings[0]->record(9'000'000); // a regime change replaces the old values
  }
  EXPECT_DOUBLE_EQ(recent_p50_ms(rings), 9.0);
}

TEST(LatencyRing, ConcurrentWriterAndReader) {
  // TSan target: one worker records while the supervisor snapshots. The writer waits until the
  // reader has taken its first snapshot, so the two really overlap even when the scheduler runs
  // the whole writer loop before the reader gets a time slice (as happened on a loaded 2-core CI
  // machine); every snapshot taken meanwhile must be empty (NaN) or made of recorded values.
  std::vector<std::unique_ptr<LatencyRing>> rings;
  rings.push_back(std::make_unique<LatencyRing>());
  std::atomic<bool> reader_started{false};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    while (!reader_started.load()) {
      std::this_thread::yield();
    }
    for (int i = 0; i < 200000; ++i) {
      rings[0]->record(1'000'000 + i % 7);
    }
    done = true;
  });
  int snapshots = 0;
  int out_of_range = 0;
  do {
    const double p50 = recent_p50_ms(rings);
    if (!std::isnan(p50) && !(p50 >= 1.0 && p50 < 1.1)) {
      ++out_of_range;
    }
    ++snapshots;
    reader_started = true;
  } while (!done);
  writer.join();
  EXPECT_GE(snapshots, 1);
  EXPECT_EQ(out_of_range, 0);
  const double final_p50 = recent_p50_ms(rings); // all slots written: 1.000000..1.000006 ms
  EXPECT_GE(final_p50, 1.0);
  EXPECT_LT(final_p50, 1.1);
}

TEST(ExitCode, ConfigurationTypeErrorsAreUsageErrors) {
  EXPECT_EQ(exit_code_for(make_error(ErrorCode::kInvalidArgument, "unknown model")), 2);
  EXPECT_EQ(exit_code_for(make_error(ErrorCode::kUnsupported, "avx512 not available")), 2);
  EXPECT_EQ(exit_code_for(make_error(ErrorCode::kDatabase, "disk full")), 3);
  EXPECT_EQ(exit_code_for(make_error(ErrorCode::kIo, "EIO")), 3);
}

TEST(RecordingNotifier, KeepsMessagesInOrder) {
  RecordingNotifier n;
  n.ready();
  n.status("load 1/1");
  n.watchdog();
  n.stopping();
  const std::vector<std::string> expected = {"READY=1", "STATUS=load 1/1", "WATCHDOG=1",
                                             "STOPPING=1"};
  EXPECT_EQ(n.messages(), expected);
}

} // namespace
} // namespace es::service
