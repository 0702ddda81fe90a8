#pragma once
// Notifier: how the run engine talks to a service manager (sd_notify(3) protocol).
// SystemdNotifier is a no-op when $NOTIFY_SOCKET is unset, so the same code runs in the
// foreground and under systemd. RecordingNotifier captures messages for tests.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace es::service {

// --- Interface ---

class Notifier {
public:
  virtual ~Notifier() = default;
  /// READY=1: config, database, probes and workload are up and the run is recording.
  virtual void ready() = 0;
  /// STATUS=<text>: one line for `systemctl status`.
  virtual void status(std::string_view text) = 0;
  /// WATCHDOG=1: sent only when every thread has shown progress (see RunEngine).
  virtual void watchdog() = 0;
  /// STOPPING=1: shutdown began.
  virtual void stopping() = 0;
  /// The watchdog interval the manager expects (WATCHDOG_USEC), or zero if disabled.
  [[nodiscard]] virtual std::chrono::microseconds watchdog_interval() const = 0;
};

/// sd_notify()-based notifier (libsystemd).
class SystemdNotifier final : public Notifier {
public:
  SystemdNotifier();
  void ready() override;
  void status(std::string_view text) override;
  void watchdog() override;
  void stopping() override;
  [[nodiscard]] std::chrono::microseconds watchdog_interval() const override {
    return m_watchdog_interval;
  }

private:
  std::chrono::microseconds m_watchdog_interval{0};
};

/// Records every message ("READY=1", "STATUS=...", ...) in order. Thread-safe.
class RecordingNotifier final : public Notifier {
public:
  void ready() override { add("READY=1"); }
  void status(std::string_view text) override { add("STATUS=" + std::string(text)); }
  void watchdog() override { add("WATCHDOG=1"); }
  void stopping() override { add("STOPPING=1"); }
  [[nodiscard]] std::chrono::microseconds watchdog_interval() const override {
    return m_interval;
  }
  void set_watchdog_interval(std::chrono::microseconds interval) { m_interval = interval; }
  [[nodiscard]] std::vector<std::string> messages() const {
    std::lock_guard lock(m_mutex);
    return m_messages;
  }

private:
  void add(std::string message) {
    std::lock_guard lock(m_mutex);
    m_messages.push_back(std::move(message));
  }
  mutable std::mutex m_mutex;
  std::vector<std::string> m_messages;
  std::chrono::microseconds m_interval{0};
};

} // namespace es::service
