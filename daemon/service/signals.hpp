#pragma once
// Signal handling: SIGINT, SIGTERM and SIGHUP are blocked in every thread (call
// block_stop_signals() before creating any thread) and handled in one place, a SignalWatcher
// thread using sigtimedwait. No work happens in async signal context (chrony/ccache style).
//
// SIGINT/SIGTERM -> request_stop() on the given stop_source: the run closes as `stopped`.
// SIGHUP         -> logged and ignored: a running soak's configuration is immutable (changing
//                   what is measured mid-run would corrupt the comparison); restart to apply.

#include <atomic>
#include <stop_token>
#include <thread>

namespace es::service {

// --- Interface ---

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (inherited by threads it creates).
void block_stop_signals() noexcept;

/// Waits for the blocked signals on its own thread until destroyed.
class SignalWatcher {
public:
  explicit SignalWatcher(std::stop_source stop);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  /// The last stop signal received (SIGINT/SIGTERM), or 0.
  [[nodiscard]] int last_signal() const noexcept { return m_last_signal.load(); }

private:
  std::stop_source m_stop;
  std::atomic<int> m_last_signal{0};
  std::jthread m_thread;
};

} // namespace es::service
