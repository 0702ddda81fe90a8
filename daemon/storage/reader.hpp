#pragma once
// es::storage::Reader: the read API the analysis tool (and `status`) use. Opens the database
// read-only, works while a writer is writing (WAL), and on a database copied off a board.
// All times it returns are on the run timeline: nanoseconds since the run started, with
// segments placed at their t0_run_ns (see schema.hpp).

#include "daemon/core/records.hpp"
#include "daemon/core/result.hpp"
#include "daemon/storage/schema.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace es::storage {

// --- Interface ---

/// A sensor as stored.
struct SensorRow {
  std::uint32_t id = 0;
  SensorSpec spec;
};

/// An event as stored (t_ns on the run timeline).
struct EventRow {
  std::int64_t t_ns = 0;
  std::string kind;
  std::string detail;
};

/// One sample as read (t_ns on the run timeline; value is NaN unless status is kOk).
struct SampleRow {
  std::int64_t t_ns = 0;
  double value = 0;
  SampleStatus status = SampleStatus::kOk;
};

/// One inference as read (t_ns on the run timeline).
struct InferenceRow {
  std::int64_t t_ns = 0;
  std::int64_t latency_ns = 0;
  std::uint16_t worker = 0;
  InferenceStatus status = InferenceStatus::kOk;
};

/// One Reader is one read-only SQLite connection: use it from one thread at a time (open one
/// per thread if several read). Each call reads one consistent snapshot.
class Reader {
public:
  virtual ~Reader() = default;

  /// Opens read-only. kNotFound if the file does not exist, kDatabase if it is not an edgesoak
  /// database or has a newer schema than this build understands.
  [[nodiscard]] static Result<std::unique_ptr<Reader>> open(const std::filesystem::path& path);

  [[nodiscard]] virtual Result<std::vector<RunRow>> runs() = 0;
  /// kNotFound if there is no such run.
  [[nodiscard]] virtual Result<RunRow> run(std::int64_t run_id) = 0;
  /// The most recently started run; kNotFound if the database has none.
  [[nodiscard]] virtual Result<std::int64_t> latest_run_id() = 0;

  [[nodiscard]] virtual Result<std::vector<SegmentRow>> segments(std::int64_t run_id) = 0;
  [[nodiscard]] virtual Result<std::vector<SensorRow>> sensors(std::int64_t run_id) = 0;
  [[nodiscard]] virtual Result<std::vector<EventRow>> events(std::int64_t run_id) = 0;
  /// Key/value metadata stored with set_run_meta.
  [[nodiscard]] virtual Result<std::vector<std::pair<std::string, std::string>>>
  run_meta(std::int64_t run_id) = 0;

  [[nodiscard]] virtual Result<std::uint64_t> inference_count(std::int64_t run_id) = 0;

  /// Streams inferences in time order without loading them all (10 M rows fit easily).
  [[nodiscard]] virtual Result<void>
  for_each_inference(std::int64_t run_id, const std::function<void(const InferenceRow&)>& fn) = 0;

  /// Streams one sensor's samples in time order.
  [[nodiscard]] virtual Result<void>
  for_each_sample(std::int64_t run_id, std::uint32_t sensor_id,
                  const std::function<void(const SampleRow&)>& fn) = 0;

  /// Runs PRAGMA integrity_check; returns "ok" or the first problems.
  [[nodiscard]] virtual Result<std::string> integrity_check() = 0;
};

} // namespace es::storage
