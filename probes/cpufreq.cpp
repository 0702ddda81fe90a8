#include "probes/cpufreq.hpp"

#include "daemon/core/time.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace es::probes {

namespace {

constexpr const char* kCpuDir = "devices/system/cpu";
constexpr const char* kPolicyDir = "devices/system/cpu/cpufreq";

std::string source_of(const std::string& rel) {
  return "sysfs:/" + rel;
}

// True if the file exists and reads as an integer right now (cpuinfo_cur_freq is 0400).
bool readable_int(const SysfsReader& sysfs, const std::string& rel) {
  return sysfs.read_int(rel).ok();
}

} // namespace

Result<std::vector<FreqTime>> parse_time_in_state(std::string_view text) {
  std::vector<FreqTime> rows;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) {
      continue;
    }
    const std::size_t sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "time_in_state: malformed line '" + std::string(line) + "'");
    }
    auto f = parse_int(line.substr(0, sp));
    auto t = parse_int(line.substr(sp + 1));
    if (!f || !t || *f < 0 || *t < 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        "time_in_state: malformed line '" + std::string(line) + "'");
    }
    rows.push_back(FreqTime{static_cast<std::uint64_t>(*f), static_cast<std::uint64_t>(*t)});
  }
  return rows;
}

Result<Residency> residency_delta(const std::vector<FreqTime>& before,
                                  const std::vector<FreqTime>& after) {
  std::map<std::uint64_t, std::uint64_t> prev;
  for (const auto& r : before) {
    prev[r.freq_khz] = r.time_10ms;
  }
  double weighted = 0;
  std::uint64_t total = 0;
  Residency res;
  bool any = false;
  for (const auto& r : after) {
    const auto it = prev.find(r.freq_khz);
    const std::uint64_t p = it == prev.end() ? 0 : it->second;
    if (r.time_10ms < p) {
      return make_error(ErrorCode::kInvalidArgument, "time_in_state went backwards (stats reset)");
    }
    const std::uint64_t d = r.time_10ms - p;
    if (d == 0) {
      continue;
    }
    const double hz = static_cast<double>(r.freq_khz) * 1e3;
    weighted += hz * static_cast<double>(d);
    total += d;
    res.min_hz = any ? std::min(res.min_hz, hz) : hz;
    res.max_hz = any ? std::max(res.max_hz, hz) : hz;
    any = true;
  }
  if (total == 0) {
    return make_error(ErrorCode::kInvalidArgument, "no time_in_state progress in window");
  }
  res.mean_hz = weighted / static_cast<double>(total);
  res.seconds = static_cast<double>(total) * 0.01;
  return res;
}

CpufreqProbe::CpufreqProbe(const SysfsReader& sysfs, std::chrono::nanoseconds interval)
    : ProbeBase("cpufreq", interval) {
  // policyN directories first; then per-CPU cpufreq directories that are real directories
  // rather than symlinks to a policy (older kernels, some fixtures).
  std::set<std::string> seen;
  if (auto policies = sysfs.list(kPolicyDir, "policy")) {
    for (const auto& p : *policies) {
      add_policy(sysfs, std::string(kPolicyDir) + "/" + p, p);
      seen.insert(p);
    }
  }
  if (auto cpus = sysfs.list(kCpuDir, "cpu")) {
    for (const auto& c : *cpus) {
      auto n = parse_int(std::string_view(c).substr(3));
      const std::string dir = std::string(kCpuDir) + "/" + c + "/cpufreq";
      if (!n || sysfs.read_link(dir).ok() || !sysfs.exists(dir + "/scaling_max_freq")) {
        continue;
      }
      // A real cpufreq directory belongs to the policy this CPU owns; name it after the CPU
      // (fixtures disagree on related_cpus, the directory itself is unambiguous).
      const std::string name = "policy" + std::to_string(*n);
      if (!seen.insert(name).second) {
        continue;
      }
      add_policy(sysfs, dir, name);
    }
  }
  if (auto cpus = sysfs.list(kCpuDir, "cpu")) {
    for (const auto& c : *cpus) {
      if (!parse_int(std::string_view(c).substr(3)).ok()) {
        continue; // "cpufreq", "cpuidle"
      }
      const std::string rel = std::string(kCpuDir) + "/" + c + "/online";
      if (!sysfs.exists(rel)) {
        continue; // cpu0 usually cannot go offline and has no file
      }
      Cpu cpu;
      cpu.name = c;
      cpu.online = SysfsFile(sysfs.path(rel));
      cpu.index = add_sensor(
          SensorSpec{"cpufreq." + c + ".online", SensorKind::kOther, "state", source_of(rel)});
      m_cpus.push_back(std::move(cpu));
    }
  }
  // x86 thermal throttle counters (monotonic; hardware.md §2.1).
  if (auto cpus = sysfs.list(kCpuDir, "cpu")) {
    std::set<std::int64_t> packages;
    for (const auto& c : *cpus) {
      if (!parse_int(std::string_view(c).substr(3)).ok()) {
        continue;
      }
      const std::string dir = std::string(kCpuDir) + "/" + c + "/thermal_throttle/";
      if (sysfs.read_int(dir + "core_throttle_count").ok()) {
        Counter k;
        k.name = c;
        k.file = SysfsFile(sysfs.path(dir + "core_throttle_count"));
        k.index = add_sensor(SensorSpec{"cpufreq." + c + ".core_throttles", SensorKind::kThrottle,
                                        "count", source_of(dir + "core_throttle_count")});
        m_counters.push_back(std::move(k));
      }
      const auto pkg =
          sysfs.read_int(std::string(kCpuDir) + "/" + c + "/topology/physical_package_id")
              .value_or(0);
      if (sysfs.read_int(dir + "package_throttle_count").ok() && packages.insert(pkg).second) {
        Counter k;
        k.name = "package" + std::to_string(pkg);
        k.file = SysfsFile(sysfs.path(dir + "package_throttle_count"));
        k.index = add_sensor(SensorSpec{"cpufreq." + k.name + ".throttles", SensorKind::kThrottle,
                                        "count", source_of(dir + "package_throttle_count")});
        m_counters.push_back(std::move(k));
      }
    }
  }
  finish_discovery();
}

void CpufreqProbe::add_policy(const SysfsReader& sysfs, const std::string& dir,
                              const std::string& name) {
  Policy p;
  p.name = name;
  const std::string prefix = "cpufreq." + name + ".";
  auto attach = [&](const char* file, const char* suffix, SysfsFile& f,
                    std::optional<std::uint32_t>& idx, SensorKind kind, const char* unit) {
    const std::string rel = dir + "/" + file;
    if (!readable_int(sysfs, rel)) {
      return;
    }
    f = SysfsFile(sysfs.path(rel));
    idx = add_sensor(SensorSpec{prefix + suffix, kind, unit, source_of(rel)});
  };
  attach("scaling_cur_freq", "cur", p.cur, p.i_cur, SensorKind::kFrequency, "Hz");
  attach("cpuinfo_cur_freq", "hw_cur", p.hw_cur, p.i_hw_cur, SensorKind::kFrequency, "Hz");
  attach("cpuinfo_avg_freq", "avg", p.avg, p.i_avg, SensorKind::kFrequency, "Hz");
  attach("scaling_min_freq", "min_limit", p.min_limit, p.i_min, SensorKind::kFrequency, "Hz");
  attach("scaling_max_freq", "max_limit", p.max_limit, p.i_max, SensorKind::kFrequency, "Hz");
  const std::string tis = dir + "/stats/time_in_state";
  if (auto text = sysfs.read_text(tis); text && parse_time_in_state(*text).ok()) {
    p.time_in_state = SysfsFile(sysfs.path(tis));
    p.i_res_mean = add_sensor(
        SensorSpec{prefix + "residency_mean", SensorKind::kFrequency, "Hz", source_of(tis)});
    p.i_res_min = add_sensor(
        SensorSpec{prefix + "residency_min", SensorKind::kFrequency, "Hz", source_of(tis)});
  }
  attach("stats/total_trans", "transitions", p.total_trans, p.i_trans, SensorKind::kOther, "count");
  if (p.i_cur || p.i_max || p.i_res_mean) {
    m_policies.push_back(std::move(p));
  }
}

void CpufreqProbe::sample_policy(Policy& p, ProbeOutput& out) {
  auto khz = [&](SysfsFile& f, std::optional<std::uint32_t> idx) -> std::optional<std::int64_t> {
    if (!idx) {
      return std::nullopt;
    }
    auto v = f.read_int();
    const std::int64_t t = mono_now_ns();
    if (!v || *v < 0) {
      emit_gap(out, *idx, t);
      return std::nullopt;
    }
    emit(out, *idx, static_cast<double>(*v) * 1e3, t);
    return *v;
  };
  khz(p.cur, p.i_cur);
  khz(p.hw_cur, p.i_hw_cur);
  khz(p.avg, p.i_avg);
  const auto min_khz = khz(p.min_limit, p.i_min);
  const auto max_khz = khz(p.max_limit, p.i_max);
  const std::int64_t now = mono_now_ns();
  if (max_khz && p.prev_max_khz && *max_khz != *p.prev_max_khz) {
    out.events.push_back(
        ProbeEvent{now, "cpufreq_max_limit",
                   "policy=" + p.name + " from_hz=" + std::to_string(*p.prev_max_khz * 1000) +
                       " to_hz=" + std::to_string(*max_khz * 1000) +
                       (*max_khz < *p.prev_max_khz ? " change=cap" : " change=uncap")});
  }
  if (min_khz && p.prev_min_khz && *min_khz != *p.prev_min_khz) {
    out.events.push_back(ProbeEvent{now, "cpufreq_min_limit",
                                    "policy=" + p.name +
                                        " from_hz=" + std::to_string(*p.prev_min_khz * 1000) +
                                        " to_hz=" + std::to_string(*min_khz * 1000)});
  }
  if (max_khz) {
    p.prev_max_khz = max_khz;
  }
  if (min_khz) {
    p.prev_min_khz = min_khz;
  }

  if (p.i_res_mean) {
    auto text = p.time_in_state.read(16384);
    const std::int64_t t = mono_now_ns();
    auto rows = text ? parse_time_in_state(*text) : Result<std::vector<FreqTime>>(text.error());
    if (!rows) {
      emit_gap(out, *p.i_res_mean, t);
      emit_gap(out, *p.i_res_min, t);
    } else {
      if (p.have_prev_tis) {
        auto res = residency_delta(p.prev_tis, *rows);
        if (res) {
          emit(out, *p.i_res_mean, res->mean_hz, t);
          emit(out, *p.i_res_min, res->min_hz, t);
        } else {
          emit_gap(out, *p.i_res_mean, t);
          emit_gap(out, *p.i_res_min, t);
        }
      } else {
        emit_gap(out, *p.i_res_mean, t);
        emit_gap(out, *p.i_res_min, t);
      }
      p.prev_tis = std::move(*rows);
      p.have_prev_tis = true;
    }
  }
  if (p.i_trans) {
    auto v = p.total_trans.read_int();
    const std::int64_t t = mono_now_ns();
    if (v && p.prev_trans && *v >= *p.prev_trans) {
      emit(out, *p.i_trans, static_cast<double>(*v - *p.prev_trans), t);
    } else {
      emit_gap(out, *p.i_trans, t);
    }
    p.prev_trans = v ? std::optional<std::int64_t>(*v) : std::nullopt;
  }
}

void CpufreqProbe::do_sample(ProbeOutput& out) {
  for (auto& p : m_policies) {
    sample_policy(p, out);
  }
  for (auto& c : m_cpus) {
    auto v = c.online.read_int();
    const std::int64_t t = mono_now_ns();
    if (!v) {
      emit_gap(out, c.index, t);
      continue;
    }
    emit(out, c.index, *v != 0 ? 1.0 : 0.0, t);
    if (c.prev && (*c.prev != 0) != (*v != 0)) {
      out.events.push_back(ProbeEvent{t, *v != 0 ? "cpu_online" : "cpu_offline", "cpu=" + c.name});
    }
    c.prev = *v;
  }
  for (auto& k : m_counters) {
    auto v = k.file.read_int();
    const std::int64_t t = mono_now_ns();
    if (v && k.prev && *v >= *k.prev) {
      emit(out, k.index, static_cast<double>(*v - *k.prev), t);
      if (*v > *k.prev) {
        out.events.push_back(
            ProbeEvent{t, "cpu_thermal_throttle",
                       "scope=" + k.name + " count=" + std::to_string(*v - *k.prev)});
      }
    } else {
      emit_gap(out, k.index, t);
    }
    k.prev = v ? std::optional<std::int64_t>(*v) : std::nullopt;
  }
}

} // namespace es::probes
