#include "daemon/service/resume.hpp"

#include "daemon/storage/reader.hpp"

#include <system_error>

namespace es::service {

Result<StartDecision> decide_start(const std::filesystem::path& db, const config::Config& config,
                                   bool force_new) {
  if (force_new) {
    return StartDecision{StartAction::kNewRun, 0, "--new-run given"};
  }
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    return StartDecision{StartAction::kNewRun, 0, "new database"};
  }
  auto reader = storage::Reader::open(db);
  if (!reader) {
    return reader.error().with_context("database " + db.string());
  }
  auto runs = (*reader)->runs();
  if (!runs) {
    return runs.error().with_context("database " + db.string());
  }
  const storage::RunRow* latest = nullptr;
  for (const storage::RunRow& row : *runs) {
    if (row.info.name == config.run.name && (latest == nullptr || row.id > latest->id)) {
      latest = &row;
    }
  }
  if (latest == nullptr) {
    return StartDecision{StartAction::kNewRun, 0, "no run named '" + config.run.name + "' yet"};
  }
  const std::string id = std::to_string(latest->id);
  switch (latest->status) {
  case storage::RunStatus::kRunning:
  case storage::RunStatus::kStopped: {
    if (!config.run.resume) {
      return StartDecision{StartAction::kNewRun, 0,
                           "run " + id + " is unfinished but run.resume is false"};
    }
    if (latest->info.config_text != config.source_text) {
      return StartDecision{StartAction::kNewRun, 0,
                           "run " + id + " is unfinished but the configuration changed"};
    }
    const char* how = latest->status == storage::RunStatus::kRunning
                          ? "the previous process died (crash, kill or power loss)"
                          : "it was stopped (SIGTERM, reboot or systemctl stop)";
    return StartDecision{StartAction::kResume, latest->id,
                         "resuming run " + id + ": " + how};
  }
  case storage::RunStatus::kCompleted:
  case storage::RunStatus::kAborted:
    if (config.run.repeat) {
      return StartDecision{StartAction::kNewRun, 0,
                           "run " + id + " finished and run.repeat is true: starting another"};
    }
    return StartDecision{StartAction::kNothingToDo, latest->id,
                         "run " + id + " already " + storage::to_string(latest->status) +
                             "; nothing to do (set run.repeat: true, change run.name or pass "
                             "--new-run to record another)"};
  }
  return StartDecision{StartAction::kNewRun, 0, "unknown status"};
}

} // namespace es::service
