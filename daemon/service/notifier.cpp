#include "daemon/service/notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <string>

namespace es::service {

SystemdNotifier::SystemdNotifier() {
  std::uint64_t usec = 0;
  // unset_environment=0: children (there are none) and later checks keep seeing it.
  if (sd_watchdog_enabled(0, &usec) > 0) {
    m_watchdog_interval = std::chrono::microseconds(usec);
  }
}

void SystemdNotifier::ready() { sd_notify(0, "READY=1"); }

void SystemdNotifier::status(std::string_view text) {
  const std::string message = "STATUS=" + std::string(text);
  sd_notify(0, message.c_str());
}

void SystemdNotifier::watchdog() { sd_notify(0, "WATCHDOG=1"); }

void SystemdNotifier::stopping() { sd_notify(0, "STOPPING=1"); }

} // namespace es::service
