#include "daemon/cli/cli.hpp"

#include "analysis/commands.hpp"
#include "config/config.hpp"
#include "daemon/core/build_info.hpp"
#include "daemon/core/command.hpp"
#include "daemon/core/exit_codes.hpp"
#include "daemon/service/commands.hpp"
#include "daemon/service/wiring.hpp"
#include "daemon/service/status.hpp"
#include "probes/commands.hpp"
#include "probes/probe_set.hpp"
#include "workloads/commands.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace es::cli {

namespace {

int cmd_run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const service::ForegroundResult r = service::run_foreground(args, out, err);
  if (r.run_id == 0 || r.database.empty()) {
    return r.exit_code;
  }
  // End with the summary of what was just recorded.
  out << "\n";
  const int report = analysis::cmd_report(
      {"--db", r.database.string(), "--run", std::to_string(r.run_id)}, out, err);
  return r.exit_code != kExitOk ? r.exit_code : report;
}

/// `edgesoak probe`: with `--config FILE` the roots and INA219 devices come from the config
/// (explicit --*-root flags still win); everything else is the probes module's own command.
int cmd_probe(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const auto it = std::find(args.begin(), args.end(), "--config");
  if (it == args.end()) {
    return probes::cmd_probe(args, out, err);
  }
  if (it + 1 == args.end()) {
    err << "edgesoak probe: error: --config needs a FILE\n";
    return kExitUsage;
  }
  const config::LoadResult loaded = config::load_file(*(it + 1));
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) {
      err << d.to_string() << "\n";
    }
    return kExitUsage;
  }
  probes::ProbeSetOptions options = service::probe_options(*loaded.config);
  bool json = false;
  for (auto a = args.begin(); a != args.end(); ++a) {
    if (a == it) {
      ++a; // skip FILE
      continue;
    }
    const bool has_value = a + 1 != args.end();
    if (*a == "--json") {
      json = true;
    } else if (*a == "--sysfs-root" && has_value) {
      options.roots.sysfs = *++a;
    } else if (*a == "--procfs-root" && has_value) {
      options.roots.procfs = *++a;
    } else if (*a == "--devfs-root" && has_value) {
      options.roots.devfs = *++a;
    } else {
      err << "edgesoak probe: error: unexpected argument '" << *a
          << "' (see edgesoak probe --help)\n";
      return kExitUsage;
    }
  }
  return probes::run_probe_command(options, json, out, err);
}

struct Command {
  std::string_view name;
  CommandFn fn;
  std::string_view summary;
};

constexpr std::array<Command, 10> kCommands{{
    {"run", &cmd_run, "run a soak in the foreground and print its summary"},
    {"validate", &config::cmd_validate, "check a configuration file, explaining every problem"},
    {"report", &analysis::cmd_report, "summarise a recorded run (text, JSON, figures, HTML)"},
    {"export", &analysis::cmd_export, "export a run's histograms and windows as CSV"},
    {"compare", &analysis::cmd_compare, "compare runs, boards or configurations side by side"},
    {"bench", &workloads::cmd_bench, "time a built-in model like TFLite's benchmark_model"},
    {"models", &workloads::cmd_models, "list the built-in int8 models"},
    {"status", &service::cmd_status, "show the service and its current run: phase, progress, segments"},
    {"probe", &cmd_probe, "discover the board and every sensor, print a config snippet"},
    {"version", nullptr, "print version and build information"},
}};

void usage(std::ostream& out) {
  out << "Usage: edgesoak COMMAND [options]   (edgesoak COMMAND --help for details)\n\n"
         "Long-running int8 inference stress and thermal monitor for edge boards.\n\n"
         "Commands:\n";
  for (const auto& c : kCommands) {
    out << "  " << c.name << std::string(10 - c.name.size(), ' ') << c.summary << "\n";
  }
  out << "\nExit codes: 0 ok, 2 usage or configuration error, 3 runtime error.\n";
}

} // namespace

int main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    usage(err);
    return kExitUsage;
  }
  const std::string& name = args.front();
  if (name == "--help" || name == "-h" || name == "help") {
    usage(out);
    return kExitOk;
  }
  if (name == "--version" || name == "version") {
    out << build_info_line() << "\n";
    return kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const auto& c : kCommands) {
    if (c.name == name && c.fn != nullptr) {
      if (std::find(rest.begin(), rest.end(), "--version") != rest.end()) {
        out << build_info_line() << "\n";
        return kExitOk;
      }
      return c.fn(rest, out, err);
    }
  }
  err << "edgesoak: error: unknown command '" << name << "'\n\n";
  usage(err);
  return kExitUsage;
}

} // namespace es::cli
