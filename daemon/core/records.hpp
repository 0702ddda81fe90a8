#pragma once
// The data model shared by probes, workloads, storage and analysis: what a run records.
// Plain value types only; no I/O here.

#include "daemon/core/result.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace es {

// --- Interface ---

/// What a sensor measures. Stored as text in the database and in `probe --json`.
enum class SensorKind : std::uint8_t {
  kFrequency,   ///< Hz
  kTemperature, ///< C (degrees Celsius)
  kCooling,     ///< cooling device state (ratio cur/max or raw state)
  kVoltage,     ///< V
  kCurrent,     ///< A
  kPower,       ///< W
  kThrottle,    ///< flag bitmask or 0/1 state
  kUtilization, ///< ratio 0..1
  kMemory,      ///< bytes
  kOther,       ///< anything else (unit says what)
};

/// "frequency", "temperature", ... (the JSON/database spelling).
const char* to_string(SensorKind kind) noexcept;
/// Inverse of to_string; kInvalidArgument for unknown text.
[[nodiscard]] Result<SensorKind> sensor_kind_from_string(std::string_view text);

/// Quality of one sample. A failed read is a gap, never a number.
enum class SampleStatus : std::uint8_t {
  kOk = 0,          ///< value is a real measurement
  kUnavailable = 1, ///< read failed (EIO, missing file, NACK): value is NaN / NULL
  kInvalid = 2,     ///< read succeeded but the device flagged it invalid (overflow, -256 C)
};
const char* to_string(SampleStatus status) noexcept;

/// One sensor as discovered by a probe. `name` is unique within a run ("thermal.cpu-thermal",
/// "cpufreq.policy0.cur", "board.current"); `source` says where it was read
/// ("sysfs:/class/thermal/thermal_zone0/temp", "libsensors:coretemp-isa-0000/temp1").
struct SensorSpec {
  std::string name;
  SensorKind kind = SensorKind::kOther;
  std::string unit; ///< SI: Hz, C, V, A, W, ratio, bytes, state
  std::string source;
};

/// Outcome of one inference.
enum class InferenceStatus : std::uint8_t {
  kOk = 0,
  kChecksumMismatch = 1, ///< output differs from the reference computed at start-up
  kError = 2,            ///< the workload threw or failed
};

/// One timed inference. 24 bytes in memory; stored compactly (relative times) on disk.
struct InferenceRecord {
  std::int64_t t_ns = 0;       ///< CLOCK_MONOTONIC at inference start
  std::int64_t latency_ns = 0; ///< wall duration of the inference on the monotonic clock
  std::uint16_t worker = 0;    ///< workload thread index
  InferenceStatus status = InferenceStatus::kOk;
};

/// One sensor reading. `sensor_id` is the id storage assigned at registration.
struct SampleRecord {
  std::int64_t t_ns = 0; ///< CLOCK_MONOTONIC at read
  double value = std::numeric_limits<double>::quiet_NaN();
  std::uint32_t sensor_id = 0;
  SampleStatus status = SampleStatus::kUnavailable;
};

/// Something that happened: phase change, safety abort, throttle onset, checksum mismatch,
/// probe degraded/recovered, dropped rows.
struct EventRecord {
  std::int64_t t_ns = 0; ///< CLOCK_MONOTONIC
  std::string kind;      ///< short snake_case tag: "phase_start", "safety_abort", ...
  std::string detail;    ///< human-readable, key=value style
};

} // namespace es
