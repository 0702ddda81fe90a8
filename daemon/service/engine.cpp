#include "daemon/service/engine.hpp"

#include "daemon/core/build_info.hpp"
#include "daemon/core/log.hpp"
#include "daemon/core/time.hpp"
#include "daemon/service/host_info.hpp"
#include "daemon/service/live_stats.hpp"
#include "daemon/service/wiring.hpp"
#include "probes/probe.hpp"
#include "probes/probe_set.hpp"
#include "workloads/workload.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstdio>
#include <exception>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace es::service {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kNsPerSec = 1'000'000'000LL;

std::chrono::steady_clock::time_point to_steady(std::int64_t mono_ns) {
  // libstdc++'s steady_clock is CLOCK_MONOTONIC, the clock of mono_now_ns().
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(mono_ns));
}

std::string hhmmss(std::chrono::nanoseconds d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>((s / 60) % 60), static_cast<long long>(s % 60));
  return buf;
}

/// Probe threads wake for ~0.1 ms every interval; at the same priority as CPU-bound inference
/// threads the scheduler lets the running inference finish its slice first, which costs
/// milliseconds of sampling jitter (p99 3-34 ms measured at 10 Hz under full load). SCHED_FIFO
/// priority 1 brings p99 to ~0.1 ms at a negligible cost to the workload (0.1 % of a core).
/// Where real-time is not permitted (the hardened unit sets RestrictRealtime=yes) fall back to
/// nice -5, then to nothing; the outcome is logged once per probe.
void raise_probe_priority(const std::string& probe) {
  sched_param param{};
  param.sched_priority = 1;
  const char* how = "unchanged (not permitted)";
  if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0) {
    how = "SCHED_FIFO 1";
  } else if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), -5) == 0) {
    how = "nice -5";
  }
  logger("probe")->debug("probe thread priority probe={} priority={}", probe, how);
}

void pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  if (rc != 0) {
    logger("workload")->warn("could not pin thread to cpu={} err={}", cpu, rc);
  }
}

/// Validates CPU numbers against the CPUs this process may run on.
Result<void> check_cpus(const std::vector<int>& cpus) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    return ok();
  }
  for (const int cpu : cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) {
      std::string avail;
      for (int i = 0; i < CPU_SETSIZE; ++i) {
        if (CPU_ISSET(i, &allowed)) {
          avail += (avail.empty() ? "" : ",") + std::to_string(i);
        }
      }
      return make_error(ErrorCode::kInvalidArgument,
                        "workload.cpus: CPU " + std::to_string(cpu) +
                            " is not available on this machine (available: " + avail + ")");
    }
  }
  return ok();
}

} // namespace

std::string format_progress(const Progress& p) {
  std::string line = p.phase + " " + std::to_string(p.phase_index + 1) + "/" +
                     std::to_string(p.phase_count) + " | " + hhmmss(p.elapsed) + "/" +
                     hhmmss(p.total) + " | " + std::to_string(p.inferences) + " inf";
  char buf[64];
  if (!std::isnan(p.p50_ms)) {
    std::snprintf(buf, sizeof buf, " | p50 %.2f ms", p.p50_ms);
    line += buf;
  }
  if (!std::isnan(p.hottest_c)) {
    std::snprintf(buf, sizeof buf, " | %.1f C", p.hottest_c);
    line += buf;
  }
  if (!std::isnan(p.freq_hz)) {
    std::snprintf(buf, sizeof buf, " | %.2f GHz", p.freq_hz / 1e9);
    line += buf;
  }
  if (!std::isnan(p.power_w)) {
    std::snprintf(buf, sizeof buf, " | %.2f W", p.power_w);
    line += buf;
  }
  if (p.dropped > 0) {
    line += " | dropped " + std::to_string(p.dropped);
  }
  return line;
}

int exit_code_for(const Error& error) noexcept {
  return error.code == ErrorCode::kInvalidArgument || error.code == ErrorCode::kUnsupported ? 2
                                                                                            : 3;
}

// --- Implementation -------------------------------------------------------------------------

struct RunEngine::Impl {
  EngineOptions options;
  std::vector<config::ResolvedPhase> phases;
  std::unique_ptr<storage::Writer> writer;

  // Workload.
  std::vector<std::unique_ptr<workloads::InferenceSession>> sessions;
  std::vector<std::vector<int>> stream_cpus;
  std::vector<storage::InferenceSink*> inference_sinks;
  std::vector<std::unique_ptr<LatencyRing>> latency_rings;
  std::atomic<std::uint64_t> inferences{0};
  std::atomic<std::uint64_t> mismatches{0};
  RateLimiter mismatch_log{std::chrono::seconds(60)};

  // Phase state shared with workers: generation bumps on every change.
  std::mutex phase_mutex;
  std::condition_variable_any phase_cv;
  std::uint64_t phase_generation = 0; // guarded by phase_mutex
  bool phase_load = false;            // guarded by phase_mutex
  double phase_rate = 0;              // guarded by phase_mutex

  // Probes.
  std::vector<std::unique_ptr<probes::Probe>> probes;
  std::vector<std::vector<std::uint32_t>> sensor_ids; // per probe: local index -> stored id
  std::vector<storage::SampleSink*> sample_sinks;
  std::vector<std::unique_ptr<LiveValue[]>> live;     // per probe, per sensor

  // Heartbeats (watchdog): one counter per thread, bumped in every loop iteration.
  std::vector<std::unique_ptr<std::atomic<std::uint64_t>>> heartbeats;

  // Failure of a workload thread (aborts the run).
  std::atomic<bool> workload_failed{false};
  std::mutex failure_mutex;
  std::string failure_reason;

  // Fault injection for the service tests (EDGESOAK_FAULT=hang_worker=<duration>): stream 0
  // stops making progress that long after start, as a deadlocked kernel would. 0 = off.
  std::int64_t fault_hang_after_ns = 0;

  std::int64_t start_ns = 0; // segment start (run t0 for this process)
  std::int64_t t0_run_ns = 0;

  void set_phase(bool load, double rate) {
    {
      std::lock_guard lock(phase_mutex);
      phase_load = load;
      phase_rate = rate;
      ++phase_generation;
    }
    phase_cv.notify_all();
  }

  void worker_main(const std::stop_token& stop, std::size_t index) noexcept;
  void probe_main(const std::stop_token& stop, std::size_t index) noexcept;
  void record_event(std::string kind, std::string detail) {
    writer->push_event(EventRecord{mono_now_ns(), std::move(kind), std::move(detail)});
  }
  Progress snapshot(std::size_t phase_index, std::int64_t now) const;
  /// Hottest valid temperature now, and which sensor.
  std::pair<double, std::string> hottest() const;
};

void RunEngine::Impl::worker_main(const std::stop_token& stop, std::size_t index) noexcept {
  try {
    pthread_setname_np(pthread_self(), ("es-stream" + std::to_string(index)).substr(0, 15).c_str());
    if (!stream_cpus[index].empty()) {
      pin_current_thread(stream_cpus[index].front());
    }
    workloads::InferenceSession& session = *sessions[index];
    storage::InferenceSink& sink = *inference_sinks[index];
    LatencyRing& ring = *latency_rings[index];
    std::atomic<std::uint64_t>& heartbeat = *heartbeats[index];
    const std::uint64_t reference = session.reference_checksum();
    const int verify_every = options.config.workload.verify_every;
    std::uint64_t seen_generation = ~0ULL;
    bool load = false;
    double rate = 0;
    std::int64_t next_due = 0;
    std::uint64_t count = 0;

    while (!stop.stop_requested()) {
      heartbeat.fetch_add(1, std::memory_order_relaxed);
      {
        std::unique_lock lock(phase_mutex);
        if (phase_generation != seen_generation) {
          seen_generation = phase_generation;
          load = phase_load;
          rate = phase_rate;
          next_due = mono_now_ns();
        }
        if (!load) {
          // Idle phase: wait for the next phase (bounded, so the heartbeat keeps moving).
          phase_cv.wait_for(lock, stop, std::chrono::milliseconds(500),
                            [&] { return phase_generation != seen_generation; });
          continue;
        }
        if (rate > 0) {
          const std::int64_t now = mono_now_ns();
          if (now < next_due) {
            phase_cv.wait_until(lock, stop, to_steady(std::min(next_due, now + kNsPerSec / 2)),
                                [&] { return phase_generation != seen_generation; });
            continue; // re-check phase, stop and due time
          }
          // Fixed rate on absolute deadlines; after a long stall, do not burst to catch up.
          next_due += static_cast<std::int64_t>(1e9 / rate);
          if (now - next_due > kNsPerSec) {
            next_due = now;
          }
        }
      }
      if (fault_hang_after_ns > 0 && index == 0 && mono_now_ns() - start_ns > fault_hang_after_ns) {
        logger("workload")->warn("fault injection: stream 0 hangs now (EDGESOAK_FAULT)");
        std::mutex hang_mutex;
        std::condition_variable_any hang_cv;
        std::unique_lock hang_lock(hang_mutex);
        hang_cv.wait(hang_lock, stop, [] { return false; }); // no heartbeat until stopped
        break;
      }
      const std::int64_t t0 = mono_now_ns();
      const std::uint64_t checksum = session.run();
      const std::int64_t t1 = mono_now_ns();
      ++count;
      InferenceStatus status = InferenceStatus::kOk;
      if (verify_every > 0 && count % static_cast<std::uint64_t>(verify_every) == 0 &&
          checksum != reference) {
        status = InferenceStatus::kChecksumMismatch;
        mismatches.fetch_add(1, std::memory_order_relaxed);
        if (const std::uint64_t n = mismatch_log.hit(t1); n > 0) {
          char detail[160];
          std::snprintf(detail, sizeof detail,
                        "worker=%zu expected=%016llx got=%016llx count_since_last=%llu", index,
                        static_cast<unsigned long long>(reference),
                        static_cast<unsigned long long>(checksum),
                        static_cast<unsigned long long>(n));
          logger("workload")->error("output checksum mismatch {}", detail);
          record_event("checksum_mismatch", detail);
        }
      }
      sink.push(InferenceRecord{t0, t1 - t0, static_cast<std::uint16_t>(index), status});
      ring.record(t1 - t0);
      inferences.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(failure_mutex);
    failure_reason = std::string("workload stream ") + std::to_string(index) + " failed: " +
                     e.what();
    workload_failed.store(true);
  } catch (...) {
    std::lock_guard lock(failure_mutex);
    failure_reason = "workload stream " + std::to_string(index) + " failed: unknown exception";
    workload_failed.store(true);
  }
}

void RunEngine::Impl::probe_main(const std::stop_token& stop, std::size_t index) noexcept {
  probes::Probe& probe = *probes[index];
  pthread_setname_np(pthread_self(), ("es-p-" + probe.name()).substr(0, 15).c_str());
  raise_probe_priority(probe.name());
  const auto log = logger("probe");
  std::atomic<std::uint64_t>& heartbeat = *heartbeats[sessions.size() + index];
  const std::vector<SensorSpec>& specs = probe.sensors();
  const std::vector<std::uint32_t>& ids = sensor_ids[index];
  storage::SampleSink& sink = *sample_sinks[index];
  LiveValue* live_values = live[index].get();
  const std::int64_t interval_ns = std::max<std::int64_t>(probe.interval().count(), 1'000'000);
  probes::ProbeOutput out;
  out.readings.reserve(specs.size());
  bool degraded = false;
  RateLimiter failure_log{std::chrono::seconds(60)};
  std::uint64_t missed = 0;
  std::mutex sleep_mutex;
  std::condition_variable_any sleep_cv;
  std::int64_t next = start_ns;

  while (!stop.stop_requested()) {
    heartbeat.fetch_add(1, std::memory_order_relaxed);
    out.clear();
    std::string failure;
    try {
      probe.sample(out);
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown exception";
    }
    const std::int64_t now = mono_now_ns();
    if (!failure.empty()) {
      // The whole probe failed: every sensor gets a gap at this time.
      out.readings.clear();
      for (std::uint32_t i = 0; i < specs.size(); ++i) {
        out.readings.push_back({i, now, kNaN, SampleStatus::kUnavailable});
      }
      if (!degraded) {
        degraded = true;
        record_event("probe_degraded", "probe=" + probe.name() + " error=" + failure);
      }
      if (const std::uint64_t n = failure_log.hit(now); n > 0) {
        log->warn("probe failed probe={} err={} count={}", probe.name(), failure, n);
      }
    } else if (degraded) {
      degraded = false;
      record_event("probe_recovered", "probe=" + probe.name());
      log->info("probe recovered probe={}", probe.name());
    }
    for (const probes::Reading& r : out.readings) {
      if (r.index >= ids.size()) {
        continue; // a probe bug; never index out of range
      }
      const bool valid = r.status == SampleStatus::kOk && std::isfinite(r.value);
      sink.push(SampleRecord{r.t_ns, valid ? r.value : kNaN, ids[r.index],
                             valid ? SampleStatus::kOk : r.status});
      live_values[r.index].value.store(valid ? r.value : kNaN, std::memory_order_relaxed);
      live_values[r.index].t_ns.store(r.t_ns, std::memory_order_relaxed);
    }
    for (probes::ProbeEvent& e : out.events) {
      writer->push_event(EventRecord{e.t_ns, std::move(e.kind), std::move(e.detail)});
    }
    // Absolute deadlines: the schedule never drifts; missed slots are skipped and counted.
    next += interval_ns;
    const std::int64_t after = mono_now_ns();
    if (next <= after) {
      const std::int64_t behind = (after - next) / interval_ns + 1;
      missed += static_cast<std::uint64_t>(behind);
      next += behind * interval_ns;
    }
    // Sleep in slices of at most a second so the heartbeat keeps moving with long intervals
    // (the watchdog must not mistake a 1 h probe interval for a hang).
    std::unique_lock lock(sleep_mutex);
    while (!stop.stop_requested() && mono_now_ns() < next) {
      heartbeat.fetch_add(1, std::memory_order_relaxed);
      sleep_cv.wait_until(lock, stop, to_steady(std::min(next, mono_now_ns() + kNsPerSec)),
                          [] { return false; });
    }
  }
  if (missed > 0) {
    log->info("probe missed sampling slots probe={} missed={}", probe.name(), missed);
    record_event("probe_missed_slots",
                 "probe=" + probe.name() + " missed=" + std::to_string(missed));
  }
}

std::pair<double, std::string> RunEngine::Impl::hottest() const {
  double best = kNaN;
  std::string name;
  for (std::size_t p = 0; p < probes.size(); ++p) {
    const auto& specs = probes[p]->sensors();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      // Trip points are thresholds the kernel acts on, not measurements.
      if (specs[i].kind != SensorKind::kTemperature ||
          specs[i].name.find(".trip") != std::string::npos) {
        continue;
      }
      const double v = live[p][i].value.load(std::memory_order_relaxed);
      if (std::isfinite(v) && (std::isnan(best) || v > best)) {
        best = v;
        name = specs[i].name;
      }
    }
  }
  return {best, name};
}

Progress RunEngine::Impl::snapshot(std::size_t phase_index, std::int64_t now) const {
  Progress p;
  p.phase = phases[phase_index].name;
  p.phase_index = static_cast<int>(phase_index);
  p.phase_count = static_cast<int>(phases.size());
  p.elapsed = std::chrono::nanoseconds(t0_run_ns + (now - start_ns) + options.schedule_skip_ns);
  p.total = options.duration;
  p.inferences = inferences.load(std::memory_order_relaxed);
  p.p50_ms = recent_p50_ms(latency_rings);
  const auto [hot, hot_name] = hottest();
  p.hottest_c = hot;
  p.hottest_sensor = hot_name;
  p.freq_hz = kNaN;
  p.power_w = kNaN;
  for (std::size_t pi = 0; pi < probes.size(); ++pi) {
    const auto& specs = probes[pi]->sensors();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const double v = live[pi][i].value.load(std::memory_order_relaxed);
      if (!std::isfinite(v)) {
        continue;
      }
      const std::string& n = specs[i].name;
      if (specs[i].kind == SensorKind::kFrequency && n.size() > 4 &&
          n.compare(n.size() - 4, 4, ".cur") == 0) {
        p.freq_hz = std::isnan(p.freq_hz) ? v : std::max(p.freq_hz, v);
      } else if (specs[i].kind == SensorKind::kPower && std::isnan(p.power_w)) {
        p.power_w = v; // first power sensor: summing rails would double count
      }
    }
  }
  const auto stats = writer->stats();
  p.dropped = stats.inferences_dropped + stats.samples_dropped;
  return p;
}

RunEngine::RunEngine(EngineOptions options) : m_impl(std::make_unique<Impl>()) {
  m_impl->options = std::move(options);
}

RunEngine::~RunEngine() = default;

std::int64_t RunEngine::run_id() const { return m_impl->writer ? m_impl->writer->run_id() : 0; }

Result<void> RunEngine::prepare() {
  Impl& m = *m_impl;
  const config::Config& cfg = m.options.config;
  const auto log = logger("daemon");

  auto phases = config::resolve_phases(cfg, m.options.duration);
  if (!phases) {
    return phases.error();
  }
  m.phases = std::move(*phases);

  if (auto cpus_ok = check_cpus(cfg.workload.cpus); !cpus_ok) {
    return cpus_ok.error();
  }
  if (const char* fault = std::getenv("EDGESOAK_FAULT"); fault != nullptr && *fault != '\0') {
    const std::string spec = fault;
    const std::string key = "hang_worker=";
    auto after = spec.rfind(key, 0) == 0 ? parse_duration(spec.substr(key.size()))
                                         : Result<std::chrono::nanoseconds>(make_error(
                                               ErrorCode::kInvalidArgument, "unknown fault"));
    if (!after) {
      return make_error(ErrorCode::kInvalidArgument,
                        "EDGESOAK_FAULT='" + spec + "': expected hang_worker=<duration>");
    }
    m.fault_hang_after_ns = std::max<std::int64_t>(1, after->count());
    log->warn("fault injection armed: {}", spec);
  }

  // Workload first: an unknown model or ISA is a configuration error and must fail before
  // anything is written. Building a pinned session pins the constructing thread; keep the
  // supervisor (and the writer and probe threads it starts later) off the workload's CPUs by
  // restoring this thread's affinity afterwards. Each stream thread pins itself.
  cpu_set_t original_affinity;
  CPU_ZERO(&original_affinity);
  const bool have_affinity =
      pthread_getaffinity_np(pthread_self(), sizeof original_affinity, &original_affinity) == 0;
  struct RestoreAffinity {
    bool active;
    const cpu_set_t* set;
    ~RestoreAffinity() {
      if (active) {
        pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t), set);
      }
    }
  } restore{have_affinity && !cfg.workload.cpus.empty(), &original_affinity};
  const auto streams = static_cast<std::size_t>(std::max(1, cfg.workload.streams));
  const auto threads = static_cast<std::size_t>(std::max(1, cfg.workload.threads));
  for (std::size_t s = 0; s < streams; ++s) {
    workloads::WorkloadOptions wo;
    wo.model = cfg.workload.model;
    wo.threads = static_cast<int>(threads);
    wo.isa = cfg.workload.isa;
    // Stream s gets its own slice of the CPU list (wrapping if the list is short).
    std::vector<int> slice;
    if (!cfg.workload.cpus.empty()) {
      for (std::size_t t = 0; t < threads; ++t) {
        slice.push_back(cfg.workload.cpus[(s * threads + t) % cfg.workload.cpus.size()]);
      }
    }
    wo.cpus = slice;
    auto session = workloads::InferenceSession::create(wo);
    if (!session) {
      return session.error().with_context("workload");
    }
    m.stream_cpus.push_back(std::move(slice));
    m.sessions.push_back(std::move(*session));
    m.latency_rings.push_back(std::make_unique<LatencyRing>());
  }
  log->info("workload ready model={} isa={} streams={} threads={} macs={}",
            m.sessions.front()->model().name, m.sessions.front()->isa(), streams, threads,
            m.sessions.front()->model().macs);

  // Probes: whatever this machine has; a missing sensor is skipped with a log line.
  const probes::ProbeSetOptions po = probe_options(cfg);
  probes::ProbeSet set = probes::make_probes(po);
  for (const std::string& reason : set.skipped) {
    logger("probe")->info("probe skipped: {}", reason);
  }
  m.probes = std::move(set.probes);
  const probes::BoardInfo board = probes::detect_board(po.roots);

  // Storage.
  storage::WriterOptions wopt;
  wopt.commit_interval = cfg.storage.commit_interval;
  wopt.queue_capacity = cfg.storage.queue_capacity;
  wopt.boot_id = boot_id();
  if (const auto parent = m.options.database.parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  auto writer = storage::Writer::open(m.options.database, wopt);
  if (!writer) {
    return writer.error().with_context("database " + m.options.database.string());
  }
  m.writer = std::move(*writer);

  if (m.options.resume_run_id) {
    if (auto r = m.writer->resume_run(*m.options.resume_run_id); !r) {
      return r.error().with_context("resume run " + std::to_string(*m.options.resume_run_id));
    }
  } else {
    storage::RunInfo info;
    info.name = cfg.run.name;
    info.board = cfg.run.board == "auto" ? board.model : cfg.run.board;
    info.host = host_name();
    info.kernel = board.kernel.empty() ? kernel_release() : board.kernel;
    info.cpu = board.cpu;
    info.isa = m.sessions.front()->isa();
    info.model = m.sessions.front()->model().name;
    info.config_text = cfg.source_text;
    info.config_path = cfg.source_path;
    info.build_info = build_info_line();
    info.planned_duration_ns = m.options.duration.count();
    auto run_id = m.writer->begin_run(info);
    if (!run_id) {
      return run_id.error().with_context("create run");
    }
  }

  // Sensors and producer queues.
  for (const auto& probe : m.probes) {
    std::vector<std::uint32_t> ids;
    for (const SensorSpec& spec : probe->sensors()) {
      auto id = m.writer->register_sensor(spec);
      if (!id) {
        return id.error().with_context("register sensor " + spec.name);
      }
      ids.push_back(*id);
    }
    m.sensor_ids.push_back(std::move(ids));
    m.sample_sinks.push_back(&m.writer->make_sample_sink());
    m.live.push_back(std::make_unique<LiveValue[]>(probe->sensors().size()));
  }
  for (std::size_t s = 0; s < m.sessions.size(); ++s) {
    m.inference_sinks.push_back(&m.writer->make_inference_sink());
  }
  for (std::size_t i = 0; i < m.sessions.size() + m.probes.size(); ++i) {
    m.heartbeats.push_back(std::make_unique<std::atomic<std::uint64_t>>(0));
  }

  // Metadata for reproducibility and analysis.
  std::string schedule;
  for (const auto& ph : m.phases) {
    schedule += ph.name + ":" + std::to_string(ph.start.count()) + ":" +
                std::to_string(ph.duration.count()) + ":" + (ph.load ? "load" : "idle") + ":" +
                std::to_string(ph.rate_per_s) + ";";
  }
  (void)m.writer->set_run_meta("phases", schedule);
  (void)m.writer->set_run_meta("schedule_skip_ns", std::to_string(m.options.schedule_skip_ns));
  (void)m.writer->set_run_meta("cpu_features", m.sessions.front()->cpu_features());
  (void)m.writer->set_run_meta("board.model", board.model);
  (void)m.writer->set_run_meta("board.soc", board.soc);
  (void)m.writer->set_run_meta("board.cpu_features", board.cpu_features);
  (void)m.writer->set_run_meta("workload.streams", std::to_string(streams));
  (void)m.writer->set_run_meta("workload.threads", std::to_string(threads));
  (void)m.writer->set_run_meta("workload.macs", std::to_string(m.sessions.front()->model().macs));
  std::string probe_names;
  for (const auto& probe : m.probes) {
    probe_names += probe->name() + " ";
  }
  (void)m.writer->set_run_meta("probes", probe_names);
  std::string skipped;
  for (const auto& reason : set.skipped) {
    skipped += reason + "\n";
  }
  (void)m.writer->set_run_meta("probes.skipped", skipped);
  log->info("run ready id={} db={} probes={} sensors={}", m.writer->run_id(),
            m.options.database.string(), m.probes.size(),
            [&] {
              std::size_t n = 0;
              for (const auto& ids : m.sensor_ids) {
                n += ids.size();
              }
              return n;
            }());
  return ok();
}

Result<RunSummary> RunEngine::run(std::stop_token stop) {
  Impl& m = *m_impl;
  const auto log = logger("daemon");
  const config::Config& cfg = m.options.config;

  m.writer->start();
  m.start_ns = m.writer->segment_start_mono_ns();
  m.t0_run_ns = m.writer->segment_t0_run_ns();

  std::vector<std::jthread> probe_threads;
  std::vector<std::jthread> workers;
  for (std::size_t p = 0; p < m.probes.size(); ++p) {
    probe_threads.emplace_back([&m, p](const std::stop_token& st) { m.probe_main(st, p); });
  }
  for (std::size_t s = 0; s < m.sessions.size(); ++s) {
    workers.emplace_back([&m, s](const std::stop_token& st) { m.worker_main(st, s); });
  }
  if (m.options.notifier != nullptr) {
    m.options.notifier->ready();
  }

  RunSummary summary;
  summary.run_id = m.writer->run_id();
  summary.status = storage::RunStatus::kCompleted;
  summary.reason = "duration reached";

  const std::int64_t watchdog_ns =
      m.options.notifier != nullptr
          ? std::chrono::duration_cast<std::chrono::nanoseconds>(
                m.options.notifier->watchdog_interval())
                    .count() /
                2
          : 0;
  std::vector<std::uint64_t> last_beats(m.heartbeats.size(), 0);
  // The first check is one period after start: every thread has had time to show progress.
  std::int64_t next_watchdog = mono_now_ns() + watchdog_ns;
  std::int64_t next_progress = m.start_ns;
  std::int64_t next_status = m.start_ns;
  std::int64_t over_limit_since = 0;
  std::mutex sleep_mutex;
  std::condition_variable_any sleep_cv;
  bool finished = false;

  // On resume the run timeline already covers t0_run_ns; skip phases that are over.
  for (std::size_t i = 0; i < m.phases.size() && !finished; ++i) {
    const config::ResolvedPhase& phase = m.phases[i];
    const std::int64_t phase_end_run =
        (phase.start + phase.duration).count() - m.options.schedule_skip_ns;
    if (phase_end_run <= m.t0_run_ns) {
      continue;
    }
    const std::int64_t phase_end = m.start_ns + (phase_end_run - m.t0_run_ns);
    m.set_phase(phase.load, phase.rate_per_s);
    char detail[200];
    std::snprintf(detail, sizeof detail, "name=%s index=%zu load=%d rate=%g duration_s=%.3f",
                  phase.name.c_str(), i, phase.load ? 1 : 0, phase.rate_per_s,
                  static_cast<double>(phase.duration.count()) / 1e9);
    // Stamped at the scheduled boundary (t=0 for the first phase), or now when resuming into
    // the middle of a phase.
    const std::int64_t phase_start_run = phase.start.count() - m.options.schedule_skip_ns;
    m.writer->push_event(EventRecord{
        std::max(m.start_ns + (phase_start_run - m.t0_run_ns), m.start_ns), "phase_start", detail});
    log->info("phase start {}", detail);

    while (true) {
      const std::int64_t now = mono_now_ns();
      if (stop.stop_requested()) {
        summary.status = storage::RunStatus::kStopped;
        summary.reason = "stop requested";
        finished = true;
        break;
      }
      if (m.workload_failed.load()) {
        std::lock_guard lock(m.failure_mutex);
        summary.status = storage::RunStatus::kAborted;
        summary.reason = m.failure_reason;
        m.record_event("workload_error", m.failure_reason);
        log->error("{}", m.failure_reason);
        finished = true;
        break;
      }
      // Safety: any temperature >= limit for `hold` stops the load and aborts the run.
      if (cfg.safety.max_temperature_c) {
        const auto [hot, name] = m.hottest();
        if (std::isfinite(hot) && hot >= *cfg.safety.max_temperature_c) {
          if (over_limit_since == 0) {
            over_limit_since = now;
            log->warn("temperature at safety limit sensor={} temp_c={:.1f} limit_c={}", name, hot,
                      *cfg.safety.max_temperature_c);
          }
          if (now - over_limit_since >= cfg.safety.hold.count()) {
            char why[200];
            std::snprintf(why, sizeof why, "sensor=%s temp_c=%.1f limit_c=%.1f hold_s=%.1f",
                          name.c_str(), hot, *cfg.safety.max_temperature_c,
                          static_cast<double>(cfg.safety.hold.count()) / 1e9);
            m.set_phase(false, 0); // stop the load first
            m.record_event("safety_abort", why);
            log->error("safety limit reached, stopping the load {}", why);
            summary.status = storage::RunStatus::kAborted;
            summary.reason = std::string("safety: ") + why;
            finished = true;
            break;
          }
        } else {
          over_limit_since = 0;
        }
      }
      if (now >= phase_end) {
        break;
      }
      if (now >= next_progress) {
        next_progress += kNsPerSec;
        if (m.options.on_progress || m.options.notifier != nullptr) {
          const Progress p = m.snapshot(i, now);
          if (m.options.on_progress) {
            m.options.on_progress(p);
          }
          if (m.options.notifier != nullptr && now >= next_status) {
            next_status = now + 5 * kNsPerSec;
            m.options.notifier->status(format_progress(p));
          }
        }
      }
      if (watchdog_ns > 0 && now >= next_watchdog) {
        // WATCHDOG=1 only if every workload and probe thread moved since the last tick.
        bool all_alive = true;
        for (std::size_t t = 0; t < m.heartbeats.size(); ++t) {
          const std::uint64_t beat = m.heartbeats[t]->load(std::memory_order_relaxed);
          all_alive = all_alive && beat != last_beats[t];
          last_beats[t] = beat;
        }
        if (all_alive) {
          m.options.notifier->watchdog();
        } else {
          log->warn("a thread made no progress since the last watchdog tick; withholding "
                    "WATCHDOG=1");
        }
        next_watchdog = now + watchdog_ns;
      }
      const std::int64_t wake = std::min({phase_end, next_progress, now + kNsPerSec / 10});
      std::unique_lock lock(sleep_mutex);
      sleep_cv.wait_until(lock, stop, to_steady(wake), [] { return false; });
    }
  }

  if (m.options.notifier != nullptr) {
    m.options.notifier->stopping();
  }
  // Orderly shutdown: workload, then probes, then the writer drains and closes the run.
  for (auto& w : workers) {
    w.request_stop();
  }
  m.phase_cv.notify_all();
  workers.clear(); // joins
  for (auto& t : probe_threads) {
    t.request_stop();
  }
  probe_threads.clear(); // joins
  m.record_event("run_end", "status=" + std::string(storage::to_string(summary.status)) +
                                " reason=" + summary.reason);
  if (auto r = m.writer->finish_run(summary.status); !r) {
    return r.error().with_context("close run");
  }
  summary.inferences = m.inferences.load();
  summary.writer = m.writer->stats();
  log->info("run finished id={} status={} inferences={} reason={}", summary.run_id,
            storage::to_string(summary.status), summary.inferences, summary.reason);
  return summary;
}

} // namespace es::service
