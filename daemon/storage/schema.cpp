#include "daemon/storage/schema.hpp"

namespace es::storage {

const char* to_string(RunStatus status) noexcept {
  switch (status) {
  case RunStatus::kRunning:
    return "running";
  case RunStatus::kCompleted:
    return "completed";
  case RunStatus::kStopped:
    return "stopped";
  case RunStatus::kAborted:
    return "aborted";
  }
  return "unknown";
}

std::optional<RunStatus> run_status_from_string(const std::string& text) {
  for (const RunStatus status :
       {RunStatus::kRunning, RunStatus::kCompleted, RunStatus::kStopped, RunStatus::kAborted}) {
    if (text == to_string(status)) {
      return status;
    }
  }
  return std::nullopt;
}

} // namespace es::storage
