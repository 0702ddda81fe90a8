#include "daemon/core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>

#include <cstdlib>
#include <vector>

namespace es {

namespace {

struct LogState {
  std::mutex mutex;
  spdlog::sink_ptr sink;
  spdlog::level::level_enum level = spdlog::level::info;
};

LogState& state() {
  static LogState s;
  return s;
}

bool under_systemd() {
  return std::getenv("JOURNAL_STREAM") != nullptr || std::getenv("INVOCATION_ID") != nullptr;
}

spdlog::sink_ptr make_sink(LogTarget target) {
  if (target == LogTarget::kJournal || (target == LogTarget::kAuto && under_systemd())) {
    return std::make_shared<spdlog::sinks::systemd_sink_mt>();
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_pattern("%^%Y-%m-%d %H:%M:%S.%e %l %n:%$ %v");
  return sink;
}

} // namespace

void setup_logging(std::string_view level, LogTarget target) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.sink = make_sink(target);
  s.level = spdlog::level::from_str(std::string(level));
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks().clear();
    l->sinks().push_back(s.sink);
    l->set_level(s.level);
  });
}

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  if (!s.sink) {
    s.sink = make_sink(LogTarget::kAuto);
  }
  auto l = std::make_shared<spdlog::logger>(name, s.sink);
  l->set_level(s.level);
  spdlog::register_logger(l);
  return l;
}

std::uint64_t RateLimiter::hit(std::int64_t now_ns) {
  std::lock_guard lock(m_mutex);
  ++m_pending;
  if (!m_logged_once || now_ns - m_last_log_ns >= m_period_ns) {
    m_logged_once = true;
    m_last_log_ns = now_ns;
    const std::uint64_t count = m_pending;
    m_pending = 0;
    return count;
  }
  return 0;
}

} // namespace es
