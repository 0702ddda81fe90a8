#pragma once
// es::probes::RpiProbe: Raspberry Pi firmware state that sysfs does not show.
//
// Sources, best first:
//   - the firmware mailbox, ioctl(IOCTL_MBOX_PROPERTY) on <devfs>/vcio (root or group video):
//     GET_THROTTLED (0x00030046) and GET_CLOCK_MEASURED (0x00030047, clock 3 = ARM). No fork,
//     ~microseconds per call. Sticky bits are *not* cleared by this probe (input word 0), so
//     vcgencmd and the kernel's rpi_volt poller keep their semantics.
//   - the deprecated sysfs file .../raspberrypi-firmware/<dev>/get_throttled (hex without 0x;
//     the kernel WARNs once per boot on first read and returns a cached value), when the
//     mailbox cannot be opened.
//   - hwmon rpi_volt/in0_lcrit_alarm: under-voltage during the last ~2 s (kernel poller).
//
// Sensors:
//   rpi.throttled            raw get_throttled bitmask (kThrottle, unit "flags")
//   rpi.under_voltage        live bit 0 (0/1)     rpi.arm_freq_capped   live bit 1
//   rpi.throttling           live bit 2           rpi.soft_temp_limit   live bit 3
//   rpi.volt_alarm           rpi_volt in0_lcrit_alarm (0/1)
//   rpi.arm_freq_measured    firmware-measured ARM clock, Hz (cpufreq shows the request; a
//                            Pi 3 B at 84 C ran 657 MHz while cpufreq said 1200 MHz)
// Events: "rpi_throttle_start"/"rpi_throttle_end" (flag=..., duration_s on end) for each live
// bit; "rpi_throttle_occurred" when a sticky bit appears whose live bit was never seen (the
// condition came and went between samples); "rpi_volt_alarm"/"rpi_volt_alarm_end".

#include "probes/probe_base.hpp"
#include "probes/sysfs_reader.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es::probes {

// --- Interface: pure decoding (unit-tested) ---

namespace rpi {

/// One get_throttled condition: its live bit (0..3) and sticky bit (16..19).
struct ThrottleFlag {
  const char* name; ///< "under_voltage", "arm_freq_capped", "throttling", "soft_temp_limit"
  std::uint32_t live_mask;
  std::uint32_t sticky_mask;
};

/// The four conditions of the vcgencmd(1) table, in bit order.
[[nodiscard]] const std::array<ThrottleFlag, 4>& throttle_flags() noexcept;

/// Human-readable list of the set bits: "under_voltage,throttling,under_voltage_occurred,...".
[[nodiscard]] std::string describe_throttled(std::uint32_t value);

/// Turns successive get_throttled values into start/end events (see file comment).
class ThrottleTracker {
public:
  /// Feeds one value read at `t_ns`; appends events to `out`.
  void update(std::uint32_t value, std::int64_t t_ns, std::vector<ProbeEvent>& out);

private:
  std::optional<std::uint32_t> m_prev;
  std::array<std::int64_t, 4> m_start_ns{};
};

/// The firmware mailbox, behind an interface (tests use a fake; hw tests the real one).
class Mailbox {
public:
  virtual ~Mailbox() = default;
  /// Runs one property tag. `request` fills the value buffer (which is at least
  /// `response_words` long); returns the value buffer after the call.
  [[nodiscard]] virtual Result<std::vector<std::uint32_t>>
  property(std::uint32_t tag, const std::vector<std::uint32_t>& request,
           std::size_t response_words) = 0;
};

inline constexpr std::uint32_t kTagGetThrottled = 0x00030046;
inline constexpr std::uint32_t kTagGetClockMeasured = 0x00030047;
inline constexpr std::uint32_t kTagGetGencmdResult = 0x00030080;
inline constexpr std::uint32_t kClockArm = 3;

/// Builds the u32 message buffer for one tag: [size, 0, tag, buf_bytes, 0, values..., 0].
[[nodiscard]] std::vector<std::uint32_t>
build_property_message(std::uint32_t tag, const std::vector<std::uint32_t>& request,
                       std::size_t value_words);

/// Checks a returned message (word 1 = 0x80000000, tag response bit) and extracts the value
/// buffer. kIo with the firmware's code otherwise.
[[nodiscard]] Result<std::vector<std::uint32_t>>
parse_property_message(const std::vector<std::uint32_t>& message, std::size_t value_words);

/// Runs a gencmd ("pmic_read_adc", "measure_clock arm") through GET_GENCMD_RESULT and returns
/// the reply text (NUL bytes turned into newlines). No fork.
[[nodiscard]] Result<std::string> gencmd(Mailbox& mailbox, std::string_view command);

/// ioctl(IOCTL_MBOX_PROPERTY) on /dev/vcio (path under the devfs root).
class VcioMailbox final : public Mailbox {
public:
  [[nodiscard]] static Result<std::unique_ptr<VcioMailbox>> open(const std::filesystem::path& path);
  ~VcioMailbox() override;
  VcioMailbox(const VcioMailbox&) = delete;
  VcioMailbox& operator=(const VcioMailbox&) = delete;
  [[nodiscard]] Result<std::vector<std::uint32_t>>
  property(std::uint32_t tag, const std::vector<std::uint32_t>& request,
           std::size_t response_words) override;

private:
  explicit VcioMailbox(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

} // namespace rpi

// --- Interface: the probe ---

class RpiProbe final : public ProbeBase {
public:
  /// `mailbox` may be null (then sysfs/hwmon only). Finds get_throttled and rpi_volt below
  /// `sysfs`. A probe without any source has no sensors (make_probes skips it).
  RpiProbe(const SysfsReader& sysfs, std::unique_ptr<rpi::Mailbox> mailbox,
           std::chrono::nanoseconds interval);
  ~RpiProbe() override;
  RpiProbe(const RpiProbe&) = delete;
  RpiProbe& operator=(const RpiProbe&) = delete;

  /// Where get_throttled comes from: "mailbox", "sysfs:/<path>" or "" (none).
  [[nodiscard]] const std::string& throttled_source() const noexcept { return m_throttled_source; }

protected:
  void do_sample(ProbeOutput& out) override;

private:
  std::unique_ptr<rpi::Mailbox> m_mailbox;
  SysfsFile m_throttled_file;
  SysfsFile m_volt_alarm;
  std::string m_throttled_source;
  std::optional<std::uint32_t> m_i_raw, m_i_volt, m_i_arm;
  std::array<std::uint32_t, 4> m_i_bits{};
  rpi::ThrottleTracker m_tracker;
  std::optional<std::int64_t> m_prev_alarm;
};

} // namespace es::probes
