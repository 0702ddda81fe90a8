#include "daemon/service/commands.hpp"

#include "config/config.hpp"
#include "daemon/core/build_info.hpp"
#include "daemon/core/exit_codes.hpp"
#include "daemon/core/log.hpp"
#include "daemon/core/time.hpp"
#include "daemon/service/engine.hpp"
#include "daemon/service/host_info.hpp"
#include "daemon/service/notifier.hpp"
#include "daemon/service/resume.hpp"
#include "daemon/service/signals.hpp"
#include "daemon/storage/reader.hpp"

#include <boost/program_options.hpp>
#include <unistd.h>

#include <cmath>
#include <exception>
#include <optional>
#include <stop_token>

namespace es::service {

namespace po = boost::program_options;

namespace {

/// Command-line overrides shared by `edgesoak run` and `edgesoakd`.
struct Overrides {
  std::string config_path;
  std::string duration;
  std::string db;
  std::string sysfs_root;
  std::string procfs_root;
  std::string devfs_root;
  std::string log_level;
};

void add_override_options(po::options_description& desc, Overrides& o) {
  desc.add_options()("duration", po::value(&o.duration),
                     "override run.duration (e.g. 60s, 20m, 1h30m); phases scale")(
      "db", po::value(&o.db), "override storage.database")(
      "sysfs-root", po::value(&o.sysfs_root), "override probes.sysfs_root")(
      "procfs-root", po::value(&o.procfs_root), "override probes.procfs_root")(
      "devfs-root", po::value(&o.devfs_root), "override probes.devfs_root")(
      "log-level", po::value(&o.log_level), "override logging.level (trace..off)");
}

/// Loads the config, applies overrides, prints diagnostics. nullopt = exit with kExitUsage.
std::optional<EngineOptions> build_options(const Overrides& o, std::ostream& err,
                                           const char* prog) {
  config::LoadResult loaded = config::load_file(o.config_path);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) {
      err << d.to_string() << "\n";
    }
    err << prog << ": error: invalid configuration " << o.config_path << " ("
        << loaded.diagnostics.size() << " problem" << (loaded.diagnostics.size() == 1 ? "" : "s")
        << ")\n";
    return std::nullopt;
  }
  EngineOptions eo;
  eo.config = std::move(*loaded.config);
  eo.duration = eo.config.run.duration;
  if (!o.duration.empty()) {
    auto d = parse_duration(o.duration);
    if (!d) {
      err << prog << ": error: --duration: " << d.error().message << "\n";
      return std::nullopt;
    }
    if (d->count() <= 0) {
      err << prog << ": error: --duration must be positive\n";
      return std::nullopt;
    }
    eo.duration = *d;
  }
  eo.database = o.db.empty() ? eo.config.storage.database : std::filesystem::path(o.db);
  if (!o.sysfs_root.empty()) {
    eo.config.probes.sysfs_root = o.sysfs_root;
  }
  if (!o.procfs_root.empty()) {
    eo.config.probes.procfs_root = o.procfs_root;
  }
  if (!o.devfs_root.empty()) {
    eo.config.probes.devfs_root = o.devfs_root;
  }
  if (!o.log_level.empty()) {
    eo.config.logging.level = o.log_level;
  }
  return eo;
}

struct EngineResult {
  int exit_code = kExitOk;
  std::int64_t run_id = 0;
};

EngineResult execute(EngineOptions eo, std::ostream& err, const char* prog) {
  const std::filesystem::path db = eo.database;
  std::stop_source stop;
  SignalWatcher watcher(stop); // signals were blocked before any thread existed
  RunEngine engine(std::move(eo));
  if (auto r = engine.prepare(); !r) {
    err << prog << ": error: " << r.error().message << "\n";
    return {exit_code_for(r.error()), engine.run_id()};
  }
  auto summary = engine.run(stop.get_token());
  if (!summary) {
    err << prog << ": error: " << summary.error().message << "\n";
    return {kExitRuntime, engine.run_id()};
  }
  const storage::RunStatus status = summary->status;
  // A safety abort is the run doing its job; a workload failure is a runtime error.
  const bool failed = status == storage::RunStatus::kAborted &&
                      summary->reason.rfind("safety", 0) != 0;
  return {failed ? kExitRuntime : kExitOk, summary->run_id};
}

} // namespace

Result<std::int64_t> schedule_skip_for_resume(const std::filesystem::path& db,
                                              std::int64_t run_id, bool extend_after_gap) {
  auto reader = storage::Reader::open(db);
  if (!reader) {
    return reader.error();
  }
  std::int64_t skip = 0;
  auto meta = (*reader)->run_meta(run_id);
  if (!meta) {
    return meta.error();
  }
  for (const auto& [key, value] : *meta) {
    if (key == "schedule_skip_ns") {
      skip = std::stoll(value);
    }
  }
  if (extend_after_gap) {
    return skip; // downtime does not count: the remaining phases run in full
  }
  // The downtime counts towards the schedule. Its length is known only within the same boot
  // (monotonic clock); across a reboot wall time is untrustworthy (no RTC), so it counts as 0.
  auto segments = (*reader)->segments(run_id);
  if (!segments) {
    return segments.error();
  }
  if (!segments->empty() && segments->back().boot_id == boot_id()) {
    skip += std::max<std::int64_t>(0, mono_now_ns() - segments->back().end_mono_ns);
  }
  return skip;
}

ForegroundResult run_foreground(const std::vector<std::string>& args, std::ostream& out,
                                std::ostream& err) {
  Overrides o;
  po::options_description desc("Usage: edgesoak run FILE [options]\n\nRuns a soak in the "
                               "foreground and records it into SQLite.\n\nOptions");
  desc.add_options()("help,h", "show this help");
  add_override_options(desc, o);
  po::options_description hidden;
  hidden.add_options()("config", po::value(&o.config_path));
  po::positional_options_description pos;
  pos.add("config", 1);
  po::options_description all;
  all.add(desc).add(hidden);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    err << "edgesoak run: error: " << e.what() << "\n" << desc << "\n";
    return {kExitUsage, {}, 0};
  }
  if (vm.count("help") != 0U) {
    out << desc << "\n";
    return {kExitOk, {}, 0};
  }
  if (o.config_path.empty()) {
    err << "edgesoak run: error: missing configuration FILE\n" << desc << "\n";
    return {kExitUsage, {}, 0};
  }
  auto eo = build_options(o, err, "edgesoak run");
  if (!eo) {
    return {kExitUsage, {}, 0};
  }
  setup_logging(eo->config.logging.level, LogTarget::kStderr);
  const bool tty = isatty(STDERR_FILENO) == 1;
  std::int64_t last_plain = 0;
  eo->on_progress = [&err, tty, &last_plain](const Progress& p) {
    if (tty) {
      err << "\r\033[K" << format_progress(p) << std::flush;
    } else if (p.elapsed.count() - last_plain >= 10'000'000'000LL) {
      last_plain = p.elapsed.count();
      err << format_progress(p) << "\n";
    }
  };
  const std::filesystem::path db = eo->database;
  block_stop_signals();
  const EngineResult r = execute(std::move(*eo), err, "edgesoak run");
  if (tty) {
    err << "\n";
  }
  return {r.exit_code, r.run_id != 0 ? db : std::filesystem::path{}, r.run_id};
}

int daemon_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Overrides o;
  po::options_description desc(
      "Usage: edgesoakd --config FILE [options]\n\nThe edgesoak daemon: runs the configured "
      "soak in the foreground (systemd Type=notify) and records it into SQLite.\n\nExit codes: "
      "0 ok, 2 usage or configuration error, 3 runtime error.\n\nOptions");
  bool new_run = false;
  desc.add_options()("help,h", "show this help")("version", "show the version")(
      "config,c", po::value(&o.config_path), "configuration file (YAML)")(
      "new-run", po::bool_switch(&new_run),
      "start a new run even if an unfinished run of the same name could be resumed");
  add_override_options(desc, o);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    err << "edgesoakd: error: " << e.what() << "\n";
    return kExitUsage;
  }
  if (vm.count("help") != 0U) {
    out << desc << "\n";
    return kExitOk;
  }
  if (vm.count("version") != 0U) {
    out << build_info_line() << "\n";
    return kExitOk;
  }
  if (o.config_path.empty()) {
    err << "edgesoakd: error: --config FILE is required\n";
    return kExitUsage;
  }
  auto eo = build_options(o, err, "edgesoakd");
  if (!eo) {
    return kExitUsage;
  }
  setup_logging(eo->config.logging.level, LogTarget::kAuto);
  logger("daemon")->info("starting {} config={}", build_info_line(), o.config_path);
  SystemdNotifier notifier;
  eo->notifier = &notifier;

  auto decision = decide_start(eo->database, eo->config, new_run);
  if (!decision) {
    err << "edgesoakd: error: " << decision.error().message << "\n";
    return kExitRuntime;
  }
  logger("daemon")->info("{}", decision->reason);
  if (decision->action == StartAction::kNothingToDo) {
    // Tell the service manager we started fine and why we are leaving at once.
    notifier.ready();
    notifier.status(decision->reason);
    notifier.stopping();
    out << "edgesoakd: " << decision->reason << "\n";
    return kExitOk;
  }
  if (decision->action == StartAction::kResume) {
    eo->resume_run_id = decision->run_id;
    auto skip = schedule_skip_for_resume(eo->database, decision->run_id,
                                         eo->config.run.extend_after_gap);
    if (!skip) {
      err << "edgesoakd: error: " << skip.error().message << "\n";
      return kExitRuntime;
    }
    eo->schedule_skip_ns = *skip;
  }
  block_stop_signals();
  return execute(std::move(*eo), err, "edgesoakd").exit_code;
}

} // namespace es::service
