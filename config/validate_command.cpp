// `edgesoak validate`: check a configuration and explain every problem.
#include "config/config.hpp"

#include "daemon/core/exit_codes.hpp"
#include "daemon/core/time.hpp"

namespace es::config {

namespace {

constexpr const char* kUsage =
    "usage: edgesoak validate [--duration D] FILE   (FILE may be - for standard input)\n"
    "\n"
    "Checks an edgesoak configuration (YAML, schema version 1). Prints every problem as\n"
    "file:line:column: key: message and exits 2, or prints a summary and 'ok' and exits 0.\n"
    "\n"
    "options:\n"
    "  --duration D  show the phases resolved for a run of length D (e.g. 60s), as\n"
    "                `edgesoak run --duration D` would run them\n"
    "  -h, --help    show this help\n";

int usage_error(std::ostream& err, const std::string& message) {
  err << "edgesoak validate: error: " << message << "\n" << kUsage;
  return kExitUsage;
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string file;
  std::optional<std::chrono::nanoseconds> duration;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      out << kUsage;
      return kExitOk;
    }
    std::string value;
    if (arg == "--duration") {
      if (i + 1 >= args.size()) {
        return usage_error(err, "--duration needs a value");
      }
      value = args[++i];
    } else if (arg.rfind("--duration=", 0) == 0) {
      value = arg.substr(11);
    } else if (!arg.empty() && arg.front() == '-' && arg != "-") {
      return usage_error(err, "unknown option '" + arg + "'");
    } else {
      if (!file.empty()) {
        return usage_error(err, "one FILE only (got '" + file + "' and '" + arg + "')");
      }
      file = arg;
      continue;
    }
    Result<std::chrono::nanoseconds> parsed = parse_duration(value);
    if (!parsed || parsed->count() <= 0) {
      return usage_error(err, "--duration: " + (parsed ? std::string("must be positive")
                                                       : parsed.error().message));
    }
    duration = *parsed;
  }
  if (file.empty()) {
    return usage_error(err, "missing FILE");
  }
  const LoadResult result = load_file(file == "-" ? "/dev/stdin" : file);
  for (const Diagnostic& d : result.diagnostics) {
    err << d.to_string() << "\n";
  }
  for (const Diagnostic& d : result.warnings) {
    err << d.to_string() << "\n";
  }
  if (!result.ok()) {
    const std::size_t n = result.diagnostics.size();
    err << "edgesoak validate: error: " << n << (n == 1 ? " problem" : " problems") << " in "
        << file << "\n";
    return kExitUsage;
  }
  out << describe(*result.config, duration.value_or(result.config->run.duration));
  out << "ok\n";
  return kExitOk;
}

} // namespace

int cmd_validate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    return run(args, out, err);
  } catch (const std::exception& e) {
    err << "edgesoak validate: error: " << e.what() << "\n";
    return kExitRuntime;
  }
}

} // namespace es::config
