#include "daemon/service/signals.hpp"

#include "daemon/core/log.hpp"

#include <csignal>
#include <ctime>
#include <exception>

namespace es::service {

namespace {
sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}
} // namespace

void block_stop_signals() noexcept {
  const sigset_t set = stop_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalWatcher::SignalWatcher(std::stop_source stop) : m_stop(std::move(stop)) {
  m_thread = std::jthread([this](const std::stop_token& token) noexcept {
    try {
      const sigset_t set = stop_signal_set();
      const timespec timeout{0, 200'000'000}; // re-check the thread's own stop 5x per second
      while (!token.stop_requested()) {
        const int sig = sigtimedwait(&set, nullptr, &timeout);
        if (sig == SIGINT || sig == SIGTERM) {
          m_last_signal.store(sig);
          logger("daemon")->info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
          m_stop.request_stop();
        } else if (sig == SIGHUP) {
          logger("daemon")->info(
              "received SIGHUP: ignored (the configuration of a running soak is fixed; restart "
              "the service to apply changes)");
        }
      }
    } catch (const std::exception& e) {
      logger("daemon")->error("signal watcher failed: {}", e.what());
      m_stop.request_stop();
    } catch (...) {
      m_stop.request_stop();
    }
  });
}

SignalWatcher::~SignalWatcher() {
  m_thread.request_stop();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

} // namespace es::service
