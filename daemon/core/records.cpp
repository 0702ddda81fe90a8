#include "daemon/core/records.hpp"

#include <array>
#include <utility>

namespace es {

namespace {
constexpr std::array<std::pair<SensorKind, const char*>, 10> kKindNames{{
    {SensorKind::kFrequency, "frequency"},
    {SensorKind::kTemperature, "temperature"},
    {SensorKind::kCooling, "cooling"},
    {SensorKind::kVoltage, "voltage"},
    {SensorKind::kCurrent, "current"},
    {SensorKind::kPower, "power"},
    {SensorKind::kThrottle, "throttle"},
    {SensorKind::kUtilization, "utilization"},
    {SensorKind::kMemory, "memory"},
    {SensorKind::kOther, "other"},
}};
} // namespace

const char* to_string(SensorKind kind) noexcept {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) {
      return name;
    }
  }
  return "other";
}

Result<SensorKind> sensor_kind_from_string(std::string_view text) {
  for (const auto& [k, name] : kKindNames) {
    if (text == name) {
      return k;
    }
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown sensor kind '" + std::string(text) + "'");
}

const char* to_string(SampleStatus status) noexcept {
  switch (status) {
  case SampleStatus::kOk:
    return "ok";
  case SampleStatus::kUnavailable:
    return "unavailable";
  case SampleStatus::kInvalid:
    return "invalid";
  }
  return "unknown";
}

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
  case ErrorCode::kInvalidArgument:
    return "invalid_argument";
  case ErrorCode::kNotFound:
    return "not_found";
  case ErrorCode::kIo:
    return "io";
  case ErrorCode::kUnsupported:
    return "unsupported";
  case ErrorCode::kBusy:
    return "busy";
  case ErrorCode::kTimeout:
    return "timeout";
  case ErrorCode::kDatabase:
    return "database";
  case ErrorCode::kInternal:
    return "internal";
  }
  return "unknown";
}

} // namespace es
