// edgesoak_bench: `edgesoak_bench bench ...` / `edgesoak_bench models ...` without the full CLI.
#include "workloads/commands.hpp"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "models") {
    return es::workloads::cmd_models({args.begin() + 1, args.end()}, std::cout, std::cerr);
  }
  if (!args.empty() && args[0] == "bench") {
    args.erase(args.begin());
  }
  return es::workloads::cmd_bench(args, std::cout, std::cerr);
}
