#include "daemon/service/host_info.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>

namespace es::service {

std::string host_name() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) {
    return "unknown";
  }
  return buf.data();
}

std::string kernel_release() {
  utsname u{};
  if (uname(&u) != 0) {
    return "unknown";
  }
  return std::string(u.release) + " " + u.version;
}

} // namespace es::service
