// edgesoak: the command-line tool. All logic lives in libraries (daemon/cli/cli.cpp dispatches).
#include "daemon/cli/cli.hpp"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return es::cli::main(args, std::cout, std::cerr);
}
