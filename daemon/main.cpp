// edgesoakd: the daemon. All logic lives in es_service (daemon/service/commands.cpp).
#include "daemon/service/commands.hpp"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return es::service::daemon_main(args, std::cout, std::cerr);
}
