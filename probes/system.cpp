#include "probes/system.hpp"

#include "daemon/core/time.hpp"

#include <unistd.h>

namespace es::probes {

namespace {

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
      ++i;
    }
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') {
      ++i;
    }
    if (i > start) {
      out.push_back(s.substr(start, i - start));
    }
  }
  return out;
}

std::string source_of(const char* rel) {
  return std::string("procfs:/") + rel;
}

} // namespace

Result<std::vector<CpuTicks>> parse_proc_stat_cpus(std::string_view text) {
  std::vector<CpuTicks> cpus;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      break; // truncated last line (we read only the head of the file)
    }
    const std::string_view line = text.substr(0, nl);
    text = text.substr(nl + 1);
    if (line.compare(0, 3, "cpu") != 0) {
      break;
    }
    const auto f = split_ws(line);
    if (f.size() < 5) {
      return make_error(ErrorCode::kInvalidArgument, "stat: short cpu line");
    }
    CpuTicks t;
    if (f[0].size() > 3) {
      auto n = parse_int(f[0].substr(3));
      if (!n) {
        return make_error(ErrorCode::kInvalidArgument, "stat: bad cpu name");
      }
      t.cpu = static_cast<int>(*n);
    }
    std::uint64_t v[10] = {};
    for (std::size_t i = 1; i < f.size() && i <= 10; ++i) {
      auto n = parse_int(f[i]);
      if (!n || *n < 0) {
        return make_error(ErrorCode::kInvalidArgument, "stat: bad counter");
      }
      v[i - 1] = static_cast<std::uint64_t>(*n);
    }
    // user nice system idle iowait irq softirq steal guest guest_nice
    t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    t.total = t.busy + v[3] + v[4];
    cpus.push_back(t);
  }
  if (cpus.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "stat: no cpu lines");
  }
  return cpus;
}

std::optional<double> cpu_utilization(const CpuTicks& before, const CpuTicks& after) noexcept {
  if (after.total <= before.total || after.busy < before.busy) {
    return std::nullopt;
  }
  const double busy = static_cast<double>(after.busy - before.busy);
  const double total = static_cast<double>(after.total - before.total);
  const double u = busy / total;
  return u > 1.0 ? 1.0 : u;
}

Result<std::uint64_t> meminfo_bytes(std::string_view meminfo, std::string_view key) {
  std::size_t pos = 0;
  while (pos < meminfo.size()) {
    const std::size_t nl = meminfo.find('\n', pos);
    const std::string_view line =
        meminfo.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? meminfo.size() : nl + 1;
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ':') {
      const auto f = split_ws(line.substr(key.size() + 1));
      if (f.empty()) {
        break;
      }
      auto n = parse_int(f[0]);
      if (!n || *n < 0) {
        break;
      }
      const std::uint64_t mul = (f.size() > 1 && f[1] == "kB") ? 1024 : 1;
      return static_cast<std::uint64_t>(*n) * mul;
    }
  }
  return make_error(ErrorCode::kNotFound, "meminfo: no '" + std::string(key) + "'");
}

SystemProbe::SystemProbe(const SysfsReader& procfs, std::chrono::nanoseconds interval)
    : ProbeBase("system", interval) {
  const long tck = ::sysconf(_SC_CLK_TCK);
  m_tick_s = tck > 0 ? 1.0 / static_cast<double>(tck) : 0.01;
  const long page = ::sysconf(_SC_PAGESIZE);
  m_page_bytes = page > 0 ? static_cast<double>(page) : 4096.0;

  if (auto text = procfs.read_text("stat")) {
    if (auto cpus = parse_proc_stat_cpus(*text + "\n")) {
      m_stat = SysfsFile(procfs.path("stat"));
      m_stat_bytes = 8192 + 128 * cpus->size();
      for (const auto& c : *cpus) {
        if (c.cpu < 0) {
          m_i_total = add_sensor(
              SensorSpec{"system.cpu_util", SensorKind::kUtilization, "ratio", source_of("stat")});
        } else {
          m_i_cpu[c.cpu] =
              add_sensor(SensorSpec{"system.cpu" + std::to_string(c.cpu) + "_util",
                                    SensorKind::kUtilization, "ratio", source_of("stat")});
        }
      }
    }
  }
  if (auto text = procfs.read_text("meminfo")) {
    m_meminfo = SysfsFile(procfs.path("meminfo"));
    if (meminfo_bytes(*text, "MemTotal")) {
      m_i_mem_total = add_sensor(
          SensorSpec{"system.mem_total", SensorKind::kMemory, "bytes", source_of("meminfo")});
    }
    if (meminfo_bytes(*text, "MemAvailable")) {
      m_i_mem_avail = add_sensor(
          SensorSpec{"system.mem_available", SensorKind::kMemory, "bytes", source_of("meminfo")});
    }
  }
  if (procfs.read_text("loadavg")) {
    m_loadavg = SysfsFile(procfs.path("loadavg"));
    m_i_load1 =
        add_sensor(SensorSpec{"system.load1", SensorKind::kOther, "tasks", source_of("loadavg")});
    m_i_load5 =
        add_sensor(SensorSpec{"system.load5", SensorKind::kOther, "tasks", source_of("loadavg")});
    m_i_load15 =
        add_sensor(SensorSpec{"system.load15", SensorKind::kOther, "tasks", source_of("loadavg")});
  }
  if (procfs.read_text("self/statm")) {
    m_self_statm = SysfsFile(procfs.path("self/statm"));
    m_i_rss =
        add_sensor(SensorSpec{"system.rss", SensorKind::kMemory, "bytes", source_of("self/statm")});
  }
  if (procfs.read_text("self/stat")) {
    m_self_stat = SysfsFile(procfs.path("self/stat"));
    m_i_self_time = add_sensor(
        SensorSpec{"system.self_cpu_time", SensorKind::kOther, "s", source_of("self/stat")});
    m_i_self_util = add_sensor(SensorSpec{"system.self_cpu_util", SensorKind::kUtilization, "ratio",
                                          source_of("self/stat")});
  }
  finish_discovery();
}

void SystemProbe::do_sample(ProbeOutput& out) {
  if (m_i_total || !m_i_cpu.empty()) {
    auto text = m_stat.read(m_stat_bytes);
    const std::int64_t t = mono_now_ns();
    auto cpus = text ? parse_proc_stat_cpus(*text) : Result<std::vector<CpuTicks>>(text.error());
    std::map<int, CpuTicks> now;
    if (cpus) {
      for (const auto& c : *cpus) {
        now[c.cpu] = c;
      }
    }
    auto report = [&](int cpu, std::uint32_t index) {
      const auto a = m_prev.find(cpu);
      const auto b = now.find(cpu);
      std::optional<double> u;
      if (a != m_prev.end() && b != now.end()) {
        u = cpu_utilization(a->second, b->second);
      }
      if (u) {
        emit(out, index, *u, t);
      } else {
        emit_gap(out, index, t);
      }
    };
    if (m_i_total) {
      report(-1, *m_i_total);
    }
    for (const auto& [cpu, index] : m_i_cpu) {
      report(cpu, index);
    }
    m_prev = std::move(now);
  }

  if (m_i_mem_total || m_i_mem_avail) {
    auto text = m_meminfo.read(16384);
    const std::int64_t t = mono_now_ns();
    auto put = [&](std::optional<std::uint32_t> idx, std::string_view key) {
      if (!idx) {
        return;
      }
      auto v = text ? meminfo_bytes(*text, key) : Result<std::uint64_t>(text.error());
      if (v) {
        emit(out, *idx, static_cast<double>(*v), t);
      } else {
        emit_gap(out, *idx, t);
      }
    };
    put(m_i_mem_total, "MemTotal");
    put(m_i_mem_avail, "MemAvailable");
  }

  if (m_i_load1) {
    auto text = m_loadavg.read();
    const std::int64_t t = mono_now_ns();
    std::vector<std::string_view> f;
    if (text) {
      f = split_ws(*text);
    }
    const std::uint32_t idx[3] = {*m_i_load1, *m_i_load5, *m_i_load15};
    for (std::size_t i = 0; i < 3; ++i) {
      auto v = i < f.size() ? parse_double(f[i]) : Result<double>(Error{});
      if (v) {
        emit(out, idx[i], *v, t);
      } else {
        emit_gap(out, idx[i], t);
      }
    }
  }

  if (m_i_rss) {
    auto text = m_self_statm.read();
    const std::int64_t t = mono_now_ns();
    std::optional<double> rss;
    if (text) {
      const auto f = split_ws(*text);
      if (f.size() >= 2) {
        if (auto pages = parse_int(f[1]); pages && *pages >= 0) {
          rss = static_cast<double>(*pages) * m_page_bytes;
        }
      }
    }
    if (rss) {
      emit(out, *m_i_rss, *rss, t);
    } else {
      emit_gap(out, *m_i_rss, t);
    }
  }

  if (m_i_self_time) {
    auto text = m_self_stat.read();
    const std::int64_t t = mono_now_ns();
    std::optional<double> cpu_s;
    if (text) {
      // Fields after the ")" that closes comm (which may contain spaces): state is field 3,
      // utime field 14, stime field 15.
      const std::size_t rp = text->rfind(')');
      if (rp != std::string_view::npos) {
        const auto f = split_ws(text->substr(rp + 1));
        if (f.size() > 12) {
          auto ut = parse_int(f[11]);
          auto st = parse_int(f[12]);
          if (ut && st) {
            cpu_s = static_cast<double>(*ut + *st) * m_tick_s;
          }
        }
      }
    }
    if (cpu_s) {
      emit(out, *m_i_self_time, *cpu_s, t);
      if (m_prev_self_s && t > m_prev_self_t && *cpu_s >= *m_prev_self_s) {
        emit(out, *m_i_self_util,
             (*cpu_s - *m_prev_self_s) / (static_cast<double>(t - m_prev_self_t) * 1e-9), t);
      } else {
        emit_gap(out, *m_i_self_util, t);
      }
      m_prev_self_s = cpu_s;
      m_prev_self_t = t;
    } else {
      emit_gap(out, *m_i_self_time, t);
      emit_gap(out, *m_i_self_util, t);
    }
  }
}

} // namespace es::probes
