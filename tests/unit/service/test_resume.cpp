// decide_start(): what edgesoakd does with the runs already in its database, on real SQLite
// files written through the storage Writer.

#include "config/config.hpp"
#include "daemon/service/commands.hpp"
#include "daemon/service/resume.hpp"
#include "daemon/storage/writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

namespace es::service {
namespace {

namespace fs = std::filesystem;

class ResumeTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::random_device rd;
    m_dir = fs::temp_directory_path() /
            ("es-resume-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(m_dir);
    m_db = m_dir / "runs.db";
    m_config.run.name = "soak";
    m_config.source_text = "run:\n  name: soak\n";
  }
  void TearDown() override { fs::remove_all(m_dir); }

  /// Records a run named `name` with `text` as its config and closes it with `status`
  /// (kRunning = abandoned, as after kill -9).
  std::int64_t record_run(const std::string& name, const std::string& text,
                          storage::RunStatus status) {
    auto writer = storage::Writer::open(m_db);
    EXPECT_TRUE(writer.ok());
    storage::RunInfo info;
    info.name = name;
    info.config_text = text;
    auto id = (*writer)->begin_run(info);
    EXPECT_TRUE(id.ok());
    (*writer)->start();
    if (status == storage::RunStatus::kRunning) {
      (*writer)->abandon();
    } else {
      EXPECT_TRUE((*writer)->finish_run(status).ok());
    }
    return *id;
  }

  fs::path m_dir;
  fs::path m_db;
  config::Config m_config;
};

TEST_F(ResumeTest, NoDatabaseStartsANewRun) {
  const auto d = decide_start(m_db, m_config, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, StartAction::kNewRun);
  EXPECT_FALSE(fs::exists(m_db)) << "deciding must not create the database";
}

TEST_F(ResumeTest, DiedRunIsResumed) {
  const auto id = record_run("soak", m_config.source_text, storage::RunStatus::kRunning);
  const auto d = decide_start(m_db, m_config, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, StartAction::kResume);
  EXPECT_EQ(d->run_id, id);
  EXPECT_NE(d->reason.find("died"), std::string::npos) << d->reason;
}

TEST_F(ResumeTest, StoppedRunIsResumedAfterARebootOrStop) {
  const auto id = record_run("soak", m_config.source_text, storage::RunStatus::kStopped);
  const auto d = decide_start(m_db, m_config, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, StartAction::kResume);
  EXPECT_EQ(d->run_id, id);
}

TEST_F(ResumeTest, CompletedRunIsNotRestartedUnlessRepeat) {
  const auto id = record_run("soak", m_config.source_text, storage::RunStatus::kCompleted);
  auto d = decide_start(m_db, m_config, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, StartAction::kNothingToDo);
  EXPECT_EQ(d->run_id, id);
  EXPECT_NE(d->reason.find("repeat"), std::string::npos) << d->reason;

  m_config.run.repeat = true;
  d = decide_start(m_db, m_config, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, StartAction::kNewRun);
}

TEST_F(ResumeTest, AbortedRunIsFinished) {
  record_run("soak", m_config.source_text, storage::RunStatus::kAborted);
  const auto d = decide_start(m_db, m_config, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, StartAction::kNothingToDo);
}

TEST_F(ResumeTest, ChangedConfigurationStartsANewRun) {
  record_run("soak", "run:\n  name: soak\n  duration: 1h\n", storage::RunStatus::kRunning);
  const auto d = decide_start(m_db, m_config, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, StartAction::kNewRun);
  EXPECT_NE(d->reason.find("configuration changed"), std::string::npos);
}

TEST_F(ResumeTest, OnlyTheLatestRunOfTheConfiguredNameCounts) {
  record_run("soak", m_config.source_text, storage::RunStatus::kRunning);
  const auto second = record_run("soak", m_config.source_text, storage::RunStatus::kRunning);
  record_run("other", "x", storage::RunStatus::kRunning);
  const auto d = decide_start(m_db, m_config, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, StartAction::kResume);
  EXPECT_EQ(d->run_id, second);
}

TEST_F(ResumeTest, ResumeDisabledOrNewRunFlagStartsANewRun) {
  record_run("soak", m_config.source_text, storage::RunStatus::kRunning);
  auto d = decide_start(m_db, m_config, true);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, StartAction::kNewRun);
  m_config.run.resume = false;
  d = decide_start(m_db, m_config, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, StartAction::kNewRun);
}

TEST_F(ResumeTest, NotADatabaseIsAnError) {
  std::FILE* f = std::fopen(m_db.c_str(), "w");
  std::fputs("this is not sqlite, just text that is long enough to have a header page", f);
  std::fclose(f);
  const auto d = decide_start(m_db, m_config, false);
  EXPECT_FALSE(d.ok());
}

TEST_F(ResumeTest, ScheduleSkipCountsSameBootDowntimeOnlyWhenNotExtending) {
  const auto id = record_run("soak", m_config.source_text, storage::RunStatus::kRunning);
  ::usleep(200'000);
  const auto extend = schedule_skip_for_resume(m_db, id, true);
  ASSERT_TRUE(extend.ok());
  EXPECT_EQ(*extend, 0);
  const auto keep = schedule_skip_for_resume(m_db, id, false);
  ASSERT_TRUE(keep.ok());
  EXPECT_GE(*keep, 150'000'000); // the ~200 ms of downtime counts
  EXPECT_LT(*keep, 60'000'000'000);
}

} // namespace
} // namespace es::service
