#include "daemon/core/build_info.hpp"

#include "build_info_generated.hpp"

namespace es {

const char* version() noexcept { return ES_VERSION; }

std::string build_info_line() {
  std::string line = "edgesoak " ES_VERSION " (git " ES_GIT_SHA ", " ES_COMPILER ", " ES_BUILD_TYPE
                     ", " ES_SYSTEM_PROCESSOR;
  if (ES_SANITIZERS[0] != '\0') {
    line += ", sanitizers " ES_SANITIZERS;
  }
  line += ")";
  return line;
}

} // namespace es
