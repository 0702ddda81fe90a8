#pragma once
// Small host facts stored with a run.

#include <string>

namespace es::service {

/// gethostname(), or "unknown".
std::string host_name();
/// uname -r and -v, e.g. "6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1".
std::string kernel_release();

} // namespace es::service
