#pragma once
// Build information stored with every run (reproducibility: which binary produced this data).

#include <string>

namespace es {

/// "0.1.0".
const char* version() noexcept;
/// One line: "edgesoak 0.1.0 (git 1a2b3c4d5e6f, GNU 12.2.0, RelWithDebInfo, x86_64)".
std::string build_info_line();

} // namespace es
