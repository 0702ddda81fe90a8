#include "probes/rails.hpp"

#include "daemon/core/time.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

extern char** environ;

namespace es::probes {

namespace {

std::string lower_ascii(std::string_view s) {
  return sanitize_name(s);
}

std::string basename_of(std::string_view p) {
  while (!p.empty() && p.back() == '/') {
    p.remove_suffix(1);
  }
  const std::size_t slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

bool is_ina2xx(std::string_view name) {
  static const char* k[] = {"ina209", "ina219", "ina220", "ina226", "ina230",
                            "ina231", "ina233", "ina237", "ina238", "ina260"};
  return std::any_of(std::begin(k), std::end(k), [&](const char* n) { return name == n; });
}

bool is_total_rail(std::string_view label) {
  return label == "VDD_IN" || label == "POM_5V_IN";
}

} // namespace

// --- pmic_read_adc ---

std::vector<PmicChannel> parse_pmic_read_adc(std::string_view text) {
  std::vector<PmicChannel> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find_first_of(std::string_view("\n\0", 2), pos);
    if (nl == std::string_view::npos) {
      nl = text.size();
    }
    const std::string_view line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    // "<RAIL>_A current(<n>)=<value>A" or "<RAIL>_V volt(<n>)=<value>V"
    const std::size_t sp = line.find(' ');
    const std::size_t lp = line.find('(');
    const std::size_t rp = line.find(")=");
    if (sp == std::string_view::npos || lp == std::string_view::npos ||
        rp == std::string_view::npos || !(sp < lp && lp < rp)) {
      continue;
    }
    const std::string_view name = line.substr(0, sp);
    const std::string_view kind = trim(line.substr(sp + 1, lp - sp - 1));
    PmicChannel ch;
    if (kind == "current" && name.size() > 2 && name.substr(name.size() - 2) == "_A") {
      ch.is_current = true;
    } else if (kind == "volt" && name.size() > 2 && name.substr(name.size() - 2) == "_V") {
      ch.is_current = false;
    } else {
      continue;
    }
    ch.rail = std::string(name.substr(0, name.size() - 2));
    if (auto idx = parse_int(line.substr(lp + 1, rp - lp - 1))) {
      ch.adc_index = static_cast<int>(*idx);
    }
    std::string_view value = line.substr(rp + 2);
    if (!value.empty() && (value.back() == 'A' || value.back() == 'V')) {
      value.remove_suffix(1);
    }
    if (auto v = parse_double(value)) {
      ch.value = *v;
    }
    out.push_back(std::move(ch));
  }
  return out;
}

std::optional<double> rapl_power_w(std::uint64_t prev_uj, std::uint64_t cur_uj,
                                   std::uint64_t max_range_uj, double dt_s) noexcept {
  if (!(dt_s > 0)) {
    return std::nullopt;
  }
  std::uint64_t delta = 0;
  if (cur_uj >= prev_uj) {
    delta = cur_uj - prev_uj;
  } else if (max_range_uj >= prev_uj) {
    delta = (max_range_uj - prev_uj) + cur_uj; // one wrap
  } else {
    return std::nullopt;
  }
  return static_cast<double>(delta) * 1e-6 / dt_s;
}

Result<std::string> run_command(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout) {
  if (argv.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "run_command: empty argv");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return make_error(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return make_error(rc == ENOENT || rc == EACCES ? ErrorCode::kNotFound : ErrorCode::kIo,
                      argv[0] + ": " + std::error_code(rc, std::generic_category()).message());
  }
  std::string output;
  const std::int64_t deadline = mono_now_ns() + std::chrono::nanoseconds(timeout).count();
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    const std::int64_t left_ms = (deadline - mono_now_ns()) / 1'000'000;
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left_ms, 1000)));
    if (n < 0 && errno != EINTR) {
      break;
    }
    if (n <= 0) {
      continue;
    }
    const ssize_t r = ::read(fds[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      break; // EOF
    }
    output.append(buf, static_cast<std::size_t>(r));
  }
  ::close(fds[0]);
  int status = 0;
  if (timed_out) {
    ::kill(pid, SIGKILL);
  }
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return make_error(ErrorCode::kTimeout,
                      argv[0] + ": timed out after " + std::to_string(timeout.count()) + " ms");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error(ErrorCode::kIo,
                      argv[0] + ": exit status " +
                          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
  return output;
}

// --- RailsProbe ---

std::size_t RailsProbe::add_channel(const std::string& name, SensorKind kind, const char* unit,
                                    const SysfsReader& sysfs, const std::string& rel,
                                    double scale) {
  Channel ch;
  ch.file = SysfsFile(sysfs.path(rel));
  ch.scale = scale;
  ch.index = add_sensor(SensorSpec{name, kind, unit, "sysfs:/" + rel});
  m_channels.push_back(std::move(ch));
  return m_channels.size() - 1;
}

RailsProbe::RailsProbe(const SysfsReader& sysfs, std::chrono::nanoseconds interval)
    : ProbeBase("rails", interval) {
  struct Found {
    std::string label;  ///< "VDD_IN" or "ina219_1-0040"
    std::string device; ///< "1-0040"
    std::string dir;
    int kind = 0; ///< 0 ina2xx hwmon, 1 ina3221 hwmon, 2 iio
    int channel = 0;
  };
  std::vector<Found> found;
  if (auto hw = sysfs.list("class/hwmon", "hwmon")) {
    for (const auto& h : *hw) {
      const std::string dir = "class/hwmon/" + h;
      const std::string name = sysfs.read_text(dir + "/name").value_or("");
      std::string device = h;
      if (auto link = sysfs.read_link(dir + "/device")) {
        device = basename_of(*link);
      }
      if (is_ina2xx(name)) {
        found.push_back(Found{name + "_" + device, device, dir, 0, 0});
      } else if (name == "ina3221") {
        for (int ch = 1; ch <= 3; ++ch) {
          const std::string in = dir + "/in" + std::to_string(ch) + "_input";
          if (!sysfs.exists(in)) {
            continue;
          }
          std::string label = sysfs.read_text(dir + "/in" + std::to_string(ch) + "_label")
                                  .value_or("ch" + std::to_string(ch));
          if (label.find("NC") != std::string::npos) {
            continue; // not connected (AGX Orin)
          }
          found.push_back(Found{label, device, dir, 1, ch});
        }
      }
    }
  }
  if (auto devs = sysfs.list("bus/i2c/drivers/ina3221x")) {
    for (const auto& d : *devs) {
      const std::string ddir = "bus/i2c/drivers/ina3221x/" + d;
      auto iios = sysfs.list(ddir, "iio:device");
      if (!iios) {
        continue;
      }
      for (const auto& iio : *iios) {
        const std::string dir = ddir + "/" + iio;
        for (int ch = 0; ch < 8; ++ch) {
          auto label = sysfs.read_text(dir + "/rail_name_" + std::to_string(ch));
          if (!label || label->find("NC") != std::string::npos) {
            continue;
          }
          found.push_back(Found{*label, d, dir, 2, ch});
        }
      }
    }
  }
  NameCounter counts;
  for (const auto& f : found) {
    counts.add(lower_ascii(f.label));
  }
  for (const auto& f : found) {
    std::string base = "rails." + lower_ascii(f.label);
    if (counts.count(lower_ascii(f.label)) > 1) {
      base += "_" + lower_ascii(f.device);
    }
    const std::string c = std::to_string(f.channel);
    if (f.kind == 0) {
      std::optional<std::size_t> power;
      if (sysfs.exists(f.dir + "/in1_input")) {
        add_channel(base + ".bus_voltage", SensorKind::kVoltage, "V", sysfs, f.dir + "/in1_input",
                    1e-3);
      }
      if (sysfs.exists(f.dir + "/in0_input")) {
        add_channel(base + ".shunt_voltage", SensorKind::kVoltage, "V", sysfs, f.dir + "/in0_input",
                    1e-3);
      }
      if (sysfs.exists(f.dir + "/curr1_input")) {
        add_channel(base + ".current", SensorKind::kCurrent, "A", sysfs, f.dir + "/curr1_input",
                    1e-3);
      }
      if (sysfs.exists(f.dir + "/power1_input")) {
        add_channel(base + ".power", SensorKind::kPower, "W", sysfs, f.dir + "/power1_input", 1e-6);
      }
    } else if (f.kind == 1) {
      const std::string curr = f.dir + "/curr" + c + "_input";
      const std::size_t v = add_channel(base + ".voltage", SensorKind::kVoltage, "V", sysfs,
                                        f.dir + "/in" + c + "_input", 1e-3);
      if (sysfs.exists(curr)) {
        const std::size_t i =
            add_channel(base + ".current", SensorKind::kCurrent, "A", sysfs, curr, 1e-3);
        Product p;
        p.volt = v;
        p.curr = i;
        p.index =
            add_sensor(SensorSpec{base + ".power", SensorKind::kPower, "W",
                                  "computed:" + m_sensors[m_channels[v].index].source.substr(6) +
                                      " x curr" + c + "_input"});
        m_products.push_back(p);
        if (is_total_rail(f.label) && !m_total_from_product && !m_total_from_channel) {
          m_total_from_product = m_products.size() - 1;
        }
      }
      const std::string shunt = f.dir + "/in" + std::to_string(f.channel + 3) + "_input";
      if (sysfs.exists(shunt)) {
        add_channel(base + ".shunt_voltage", SensorKind::kVoltage, "V", sysfs, shunt, 1e-6); // uV
      }
    } else {
      const std::string v = f.dir + "/in_voltage" + c + "_input";
      const std::string i = f.dir + "/in_current" + c + "_input";
      const std::string p = f.dir + "/in_power" + c + "_input";
      if (sysfs.exists(v)) {
        add_channel(base + ".voltage", SensorKind::kVoltage, "V", sysfs, v, 1e-3);
      }
      if (sysfs.exists(i)) {
        add_channel(base + ".current", SensorKind::kCurrent, "A", sysfs, i, 1e-3);
      }
      if (sysfs.exists(p)) {
        const std::size_t pi =
            add_channel(base + ".power", SensorKind::kPower, "W", sysfs, p, 1e-3);
        if (is_total_rail(f.label) && !m_total_from_product && !m_total_from_channel) {
          m_total_from_channel = pi;
        }
      }
    }
  }
  // Intel RAPL (powercap) zones: energy counters -> power.
  if (auto zones = sysfs.list("class/powercap", "intel-rapl:")) {
    std::map<std::string, std::string> names; // zone id -> sanitized name
    for (const auto& z : *zones) {
      names[z] = sanitize_name(sysfs.read_text("class/powercap/" + z + "/name").value_or(z));
    }
    for (const auto& z : *zones) {
      const std::string dir = "class/powercap/" + z;
      auto e = sysfs.read_int(dir + "/energy_uj"); // EACCES on kernels that made it root-only
      auto range = sysfs.read_int(dir + "/max_energy_range_uj");
      if (!e || !range || *range <= 0) {
        continue;
      }
      std::string label = names[z];
      const std::size_t last = z.rfind(':');
      if (last != std::string::npos && last != z.find(':')) {
        // Sub-zone intel-rapl:0:0 "core" -> "package-0_core".
        const auto parent = names.find(z.substr(0, last));
        if (parent != names.end()) {
          label = parent->second + "_" + label;
        }
      }
      Energy en;
      en.file = SysfsFile(sysfs.path(dir + "/energy_uj"));
      en.max_range_uj = static_cast<std::uint64_t>(*range);
      en.index = add_sensor(SensorSpec{"rails.rapl." + label + ".power", SensorKind::kPower, "W",
                                       "sysfs:/" + dir + "/energy_uj (delta per window)"});
      m_energy.push_back(std::move(en));
    }
  }
  if (m_total_from_channel || m_total_from_product) {
    const std::string src = m_total_from_channel
                                ? m_sensors[m_channels[*m_total_from_channel].index].name
                                : m_sensors[m_products[*m_total_from_product].index].name;
    m_i_total =
        add_sensor(SensorSpec{"rails.total_power", SensorKind::kPower, "W", "alias:" + src});
  }
  finish_discovery();
}

void RailsProbe::do_sample(ProbeOutput& out) {
  std::vector<std::optional<double>> values(m_channels.size());
  for (std::size_t k = 0; k < m_channels.size(); ++k) {
    auto& ch = m_channels[k];
    auto v = ch.file.read_int();
    const std::int64_t t = mono_now_ns();
    if (v) {
      values[k] = static_cast<double>(*v) * ch.scale;
      emit(out, ch.index, *values[k], t);
    } else {
      emit_gap(out, ch.index, t);
    }
  }
  const std::int64_t t = mono_now_ns();
  std::vector<std::optional<double>> products(m_products.size());
  for (std::size_t k = 0; k < m_products.size(); ++k) {
    const auto& p = m_products[k];
    if (values[p.volt] && values[p.curr]) {
      products[k] = *values[p.volt] * *values[p.curr];
      emit(out, p.index, *products[k], t);
    } else {
      emit_gap(out, p.index, t);
    }
  }
  for (auto& en : m_energy) {
    auto v = en.file.read_int();
    const std::int64_t te = mono_now_ns();
    std::optional<double> w;
    if (v && *v >= 0) {
      const auto cur = static_cast<std::uint64_t>(*v);
      if (en.prev_uj) {
        w = rapl_power_w(*en.prev_uj, cur, en.max_range_uj,
                         static_cast<double>(te - en.prev_t) * 1e-9);
      }
      en.prev_uj = cur;
      en.prev_t = te;
    } else {
      en.prev_uj.reset();
    }
    if (w) {
      emit(out, en.index, *w, te);
    } else {
      emit_gap(out, en.index, te);
    }
  }
  if (m_i_total) {
    const std::optional<double> total =
        m_total_from_channel ? values[*m_total_from_channel] : products[*m_total_from_product];
    if (total) {
      emit(out, *m_i_total, *total, t);
    } else {
      emit_gap(out, *m_i_total, t);
    }
  }
}

// --- PmicProbe ---

PmicProbe::PmicProbe(std::function<Result<std::string>()> read, std::string source,
                     std::chrono::nanoseconds interval)
    : ProbeBase("pmic", std::max<std::chrono::nanoseconds>(interval, std::chrono::seconds(1))),
      m_read(std::move(read)) {
  auto text = m_read();
  if (!text) {
    return;
  }
  const auto channels = parse_pmic_read_adc(*text);
  std::map<std::string, std::pair<bool, bool>> have; // rail -> (volt, current)
  std::vector<std::string> order;
  for (const auto& c : channels) {
    if (have.find(c.rail) == have.end()) {
      order.push_back(c.rail);
    }
    auto& h = have[c.rail];
    (c.is_current ? h.second : h.first) = true;
  }
  for (const auto& r : order) {
    Rail rail;
    rail.name = r;
    const std::string base = "pmic." + sanitize_name(r);
    const auto& h = have[r];
    if (h.first) {
      rail.i_v = add_sensor(
          SensorSpec{base + ".voltage", SensorKind::kVoltage, "V", source + " " + r + "_V"});
    }
    if (h.second) {
      rail.i_a = add_sensor(
          SensorSpec{base + ".current", SensorKind::kCurrent, "A", source + " " + r + "_A"});
    }
    if (h.first && h.second) {
      rail.i_p = add_sensor(SensorSpec{base + ".power", SensorKind::kPower, "W",
                                       "computed:" + source + " " + r + "_V x " + r + "_A"});
    }
    m_rails.push_back(std::move(rail));
  }
  if (!m_rails.empty()) {
    m_i_total = add_sensor(SensorSpec{"pmic.total_power", SensorKind::kPower, "W",
                                      "computed:sum of PMIC output rails (not wall power)"});
  }
  finish_discovery();
}

void PmicProbe::do_sample(ProbeOutput& out) {
  auto text = m_read();
  const std::int64_t t = mono_now_ns();
  std::map<std::string, std::pair<std::optional<double>, std::optional<double>>> vals;
  if (text) {
    for (const auto& c : parse_pmic_read_adc(*text)) {
      auto& v = vals[c.rail];
      (c.is_current ? v.second : v.first) = c.value;
    }
  }
  double total = 0;
  bool total_ok = text.ok();
  for (const auto& r : m_rails) {
    const auto it = vals.find(r.name);
    const std::optional<double> v = it == vals.end() ? std::nullopt : it->second.first;
    const std::optional<double> a = it == vals.end() ? std::nullopt : it->second.second;
    auto put = [&](std::optional<std::uint32_t> idx, std::optional<double> x) {
      if (!idx) {
        return;
      }
      if (x) {
        emit(out, *idx, *x, t);
      } else {
        emit_gap(out, *idx, t);
      }
    };
    put(r.i_v, v);
    put(r.i_a, a);
    if (r.i_p) {
      if (v && a) {
        total += *v * *a;
        put(r.i_p, *v * *a);
      } else {
        total_ok = false;
        put(r.i_p, std::nullopt);
      }
    }
  }
  if (m_i_total) {
    if (total_ok) {
      emit(out, *m_i_total, total, t);
    } else {
      emit_gap(out, *m_i_total, t);
    }
  }
}

} // namespace es::probes
