#include "probes/rpi.hpp"

#include "daemon/core/time.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <system_error>
#include <unistd.h>

namespace es::probes {

namespace rpi {

namespace {

// IOCTL_MBOX_PROPERTY = _IOWR(100, 0, char*) (raspberrypi/utils vcmailbox).
const unsigned long kIoctlMboxProperty = _IOWR(100, 0, char*);
constexpr std::uint32_t kRequest = 0;
constexpr std::uint32_t kResponseOk = 0x80000000U;

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", v);
  return buf;
}

std::string seconds(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) * 1e-9);
  return buf;
}

} // namespace

const std::array<ThrottleFlag, 4>& throttle_flags() noexcept {
  static const std::array<ThrottleFlag, 4> k{{
      {"under_voltage", 1U << 0, 1U << 16},
      {"arm_freq_capped", 1U << 1, 1U << 17},
      {"throttling", 1U << 2, 1U << 18},
      {"soft_temp_limit", 1U << 3, 1U << 19},
  }};
  return k;
}

std::string describe_throttled(std::uint32_t value) {
  std::string s;
  auto add = [&](const std::string& n) {
    if (!s.empty()) {
      s += ',';
    }
    s += n;
  };
  for (const auto& f : throttle_flags()) {
    if ((value & f.live_mask) != 0) {
      add(f.name);
    }
  }
  for (const auto& f : throttle_flags()) {
    if ((value & f.sticky_mask) != 0) {
      add(std::string(f.name) + "_occurred");
    }
  }
  return s.empty() ? "none" : s;
}

void ThrottleTracker::update(std::uint32_t value, std::int64_t t_ns, std::vector<ProbeEvent>& out) {
  const auto& flags = throttle_flags();
  for (std::size_t i = 0; i < flags.size(); ++i) {
    const auto& f = flags[i];
    const bool live = (value & f.live_mask) != 0;
    const bool was_live = m_prev && (*m_prev & f.live_mask) != 0;
    const bool sticky = (value & f.sticky_mask) != 0;
    const bool was_sticky = m_prev && (*m_prev & f.sticky_mask) != 0;
    if (live && !was_live) {
      m_start_ns[i] = t_ns;
      out.push_back(ProbeEvent{t_ns, "rpi_throttle_start",
                               std::string("flag=") + f.name + " value=" + hex32(value)});
    } else if (!live && was_live) {
      out.push_back(ProbeEvent{t_ns, "rpi_throttle_end",
                               std::string("flag=") + f.name + " value=" + hex32(value) +
                                   " duration_s=" + seconds(t_ns - m_start_ns[i])});
    }
    // A sticky bit that appears without its live bit ever being seen: the condition started
    // and ended between two samples (or before the first one).
    if (sticky && !was_sticky && !live && !was_live) {
      out.push_back(ProbeEvent{t_ns, "rpi_throttle_occurred",
                               std::string("flag=") + f.name + " value=" + hex32(value) +
                                   (m_prev ? " when=between_samples" : " when=before_start")});
    }
  }
  m_prev = value;
}

std::vector<std::uint32_t> build_property_message(std::uint32_t tag,
                                                  const std::vector<std::uint32_t>& request,
                                                  std::size_t value_words) {
  const std::size_t words = std::max(value_words, request.size());
  std::vector<std::uint32_t> m;
  m.reserve(words + 6);
  m.push_back(0); // total size, filled below
  m.push_back(kRequest);
  m.push_back(tag);
  m.push_back(static_cast<std::uint32_t>(words * 4)); // value buffer size in bytes
  m.push_back(0);                                     // request code / response length
  for (std::size_t i = 0; i < words; ++i) {
    m.push_back(i < request.size() ? request[i] : 0);
  }
  m.push_back(0); // end tag
  m[0] = static_cast<std::uint32_t>(m.size() * 4);
  return m;
}

Result<std::vector<std::uint32_t>> parse_property_message(const std::vector<std::uint32_t>& m,
                                                          std::size_t value_words) {
  if (m.size() < 6 + value_words) {
    return make_error(ErrorCode::kIo, "mailbox: short reply");
  }
  if (m[1] != kResponseOk) {
    return make_error(ErrorCode::kIo, "mailbox: firmware returned " + hex32(m[1]));
  }
  if ((m[4] & kResponseOk) == 0) {
    return make_error(ErrorCode::kUnsupported, "mailbox: tag " + hex32(m[2]) + " not answered");
  }
  return std::vector<std::uint32_t>(m.begin() + 5, m.begin() + 5 + static_cast<long>(value_words));
}

Result<std::string> gencmd(Mailbox& mailbox, std::string_view command) {
  constexpr std::size_t kWords = 256; // 1 KiB, as nvtop/zeus use
  if (command.size() + 1 > (kWords - 1) * 4) {
    return make_error(ErrorCode::kInvalidArgument, "gencmd: command too long");
  }
  std::vector<std::uint32_t> req(kWords, 0);
  std::memcpy(reinterpret_cast<char*>(req.data() + 1), command.data(), command.size());
  auto v = mailbox.property(kTagGetGencmdResult, req, kWords);
  if (!v) {
    return v.error();
  }
  if ((*v)[0] != 0) {
    return make_error(ErrorCode::kIo,
                      "gencmd '" + std::string(command) + "': error " + std::to_string((*v)[0]));
  }
  std::string text(reinterpret_cast<const char*>(v->data() + 1), (kWords - 1) * 4);
  // The reply is NUL-terminated, sometimes NUL-separated (hardware.md §3.4).
  while (!text.empty() && text.back() == '\0') {
    text.pop_back();
  }
  for (auto& c : text) {
    if (c == '\0') {
      c = '\n';
    }
  }
  if (text.find("error_msg") != std::string::npos) {
    return make_error(ErrorCode::kUnsupported, "gencmd '" + std::string(command) + "': " + text);
  }
  return text;
}

Result<std::unique_ptr<VcioMailbox>> VcioMailbox::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return make_error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                      path.string() + ": " +
                          std::error_code(err, std::generic_category()).message());
  }
  return std::unique_ptr<VcioMailbox>(new VcioMailbox(fd));
}

VcioMailbox::~VcioMailbox() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

Result<std::vector<std::uint32_t>> VcioMailbox::property(std::uint32_t tag,
                                                         const std::vector<std::uint32_t>& request,
                                                         std::size_t response_words) {
  auto m = build_property_message(tag, request, response_words);
  if (::ioctl(m_fd, kIoctlMboxProperty, m.data()) < 0) {
    return make_error(ErrorCode::kIo,
                      "vcio: IOCTL_MBOX_PROPERTY tag " + hex32(tag) + ": " +
                          std::error_code(errno, std::generic_category()).message());
  }
  return parse_property_message(m, std::max(response_words, request.size()));
}

} // namespace rpi

RpiProbe::RpiProbe(const SysfsReader& sysfs, std::unique_ptr<rpi::Mailbox> mailbox,
                   std::chrono::nanoseconds interval)
    : ProbeBase("rpi", interval), m_mailbox(std::move(mailbox)) {
  // get_throttled: mailbox first (check it answers), else the deprecated sysfs file.
  bool mailbox_throttled = false;
  bool mailbox_clock = false;
  if (m_mailbox) {
    mailbox_throttled = m_mailbox->property(rpi::kTagGetThrottled, {0}, 1).ok();
    mailbox_clock = m_mailbox->property(rpi::kTagGetClockMeasured, {rpi::kClockArm, 0}, 2).ok();
  }
  if (mailbox_throttled) {
    m_throttled_source = "mailbox";
  } else {
    std::vector<std::string> candidates{"devices/platform/soc/soc:firmware/get_throttled"};
    if (auto devs = sysfs.list("bus/platform/drivers/raspberrypi-firmware")) {
      for (const auto& d : *devs) {
        candidates.push_back("bus/platform/drivers/raspberrypi-firmware/" + d + "/get_throttled");
      }
    }
    for (const auto& c : candidates) {
      if (sysfs.exists(c)) {
        m_throttled_file = SysfsFile(sysfs.path(c));
        m_throttled_source = "sysfs:/" + c;
        break;
      }
    }
  }
  if (!m_throttled_source.empty()) {
    const std::string src =
        m_throttled_source == "mailbox" ? "mailbox:get_throttled" : m_throttled_source;
    m_i_raw = add_sensor(SensorSpec{"rpi.throttled", SensorKind::kThrottle, "flags", src});
    const auto& flags = rpi::throttle_flags();
    const char* names[4] = {"rpi.under_voltage", "rpi.arm_freq_capped", "rpi.throttling",
                            "rpi.soft_temp_limit"};
    for (std::size_t i = 0; i < flags.size(); ++i) {
      m_i_bits[i] = add_sensor(SensorSpec{names[i], SensorKind::kThrottle, "state", src});
    }
  }
  if (auto hw = sysfs.list("class/hwmon", "hwmon")) {
    for (const auto& h : *hw) {
      const std::string dir = "class/hwmon/" + h;
      if (sysfs.read_text(dir + "/name").value_or("") == "rpi_volt" &&
          sysfs.exists(dir + "/in0_lcrit_alarm")) {
        m_volt_alarm = SysfsFile(sysfs.path(dir + "/in0_lcrit_alarm"));
        m_i_volt = add_sensor(SensorSpec{"rpi.volt_alarm", SensorKind::kThrottle, "state",
                                         "sysfs:/" + dir + "/in0_lcrit_alarm"});
        break;
      }
    }
  }
  if (mailbox_clock) {
    m_i_arm = add_sensor(SensorSpec{"rpi.arm_freq_measured", SensorKind::kFrequency, "Hz",
                                    "mailbox:get_clock_measured(arm)"});
  }
  if (!m_mailbox || (!mailbox_throttled && !mailbox_clock)) {
    m_mailbox.reset();
  }
  finish_discovery();
}

RpiProbe::~RpiProbe() = default;

void RpiProbe::do_sample(ProbeOutput& out) {
  if (m_i_raw) {
    std::optional<std::uint32_t> value;
    if (m_mailbox && m_throttled_source == "mailbox") {
      if (auto v = m_mailbox->property(rpi::kTagGetThrottled, {0}, 1)) {
        value = (*v)[0];
      }
    } else if (auto text = m_throttled_file.read()) {
      if (auto v = parse_hex(*text)) {
        value = static_cast<std::uint32_t>(*v);
      }
    }
    const std::int64_t t = mono_now_ns();
    if (value) {
      emit(out, *m_i_raw, static_cast<double>(*value), t);
      const auto& flags = rpi::throttle_flags();
      for (std::size_t i = 0; i < flags.size(); ++i) {
        emit(out, m_i_bits[i], (*value & flags[i].live_mask) != 0 ? 1.0 : 0.0, t);
      }
      m_tracker.update(*value, t, out.events);
    } else {
      emit_gap(out, *m_i_raw, t);
      for (const auto i : m_i_bits) {
        emit_gap(out, i, t);
      }
    }
  }
  if (m_i_volt) {
    auto v = m_volt_alarm.read_int();
    const std::int64_t t = mono_now_ns();
    if (v) {
      emit(out, *m_i_volt, *v != 0 ? 1.0 : 0.0, t);
      if (m_prev_alarm && (*m_prev_alarm != 0) != (*v != 0)) {
        out.events.push_back(
            ProbeEvent{t, *v != 0 ? "rpi_volt_alarm" : "rpi_volt_alarm_end", "source=rpi_volt"});
      } else if (!m_prev_alarm && *v != 0) {
        out.events.push_back(ProbeEvent{t, "rpi_volt_alarm", "source=rpi_volt when=at_start"});
      }
      m_prev_alarm = *v;
    } else {
      emit_gap(out, *m_i_volt, t);
    }
  }
  if (m_i_arm) {
    auto v = m_mailbox
                 ? m_mailbox->property(rpi::kTagGetClockMeasured, {rpi::kClockArm, 0}, 2)
                 : Result<std::vector<std::uint32_t>>(make_error(ErrorCode::kIo, "no mailbox"));
    const std::int64_t t = mono_now_ns();
    if (v && (*v)[1] > 0) {
      emit(out, *m_i_arm, static_cast<double>((*v)[1]), t);
    } else {
      emit_gap(out, *m_i_arm, t);
    }
  }
}

} // namespace es::probes
