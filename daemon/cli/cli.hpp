#pragma once
// The `edgesoak` command-line front end: dispatches subcommands to the modules that own them.

#include <ostream>
#include <string>
#include <vector>

namespace es::cli {

/// Runs `edgesoak ARGS...` (args excludes the program name). Returns the exit code
/// (0 ok, 2 usage or configuration error, 3 runtime error).
int main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace es::cli
