#pragma once
// es::probes::SysfsReader: every sysfs/procfs/devfs path of edgesoak goes through here.
//
// The root is injected (node_exporter's --path.sysfs, thermal_daemon's csys_fs base path), so a
// probe reads "class/thermal/thermal_zone0/temp" relative to "/sys" on a board and relative to a
// fixture directory in tests. The same class serves procfs ("stat", "self/statm") and devfs roots.
//
// Two access styles:
// - SysfsReader::read_text/read_int/list: open, read, close. For discovery and rare reads.
// - SysfsFile: keeps one file descriptor open and re-reads it with pread(fd, ..., 0). Sysfs
//   regenerates an attribute's value on every read from offset 0, so this is the per-sample path:
//   one syscall instead of three (measured in tests/bench/probes: see probes/README.md).
//
// Rule (STYLE.md §2.1, enforced by a lint test): no string literal starting with "/sys", "/proc"
// or "/dev" appears outside this header's defaults.

#include "daemon/core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace es::probes {

// --- Interface ---

/// The real roots. The only place these literals may appear.
inline constexpr const char* kDefaultSysfsRoot = "/sys";
inline constexpr const char* kDefaultProcfsRoot = "/proc";
inline constexpr const char* kDefaultDevfsRoot = "/dev";

/// Reads small text attributes below an injectable root.
class SysfsReader {
public:
  /// `root` is the directory that stands for "/sys" (or "/proc", "/dev"). Relative paths given to
  /// the read functions are resolved below it; a leading '/' in them is ignored.
  explicit SysfsReader(std::filesystem::path root = kDefaultSysfsRoot);

  /// The injected root.
  [[nodiscard]] const std::filesystem::path& root() const noexcept { return m_root; }

  /// root / rel (for error messages, SysfsFile and libraries that need a real path).
  [[nodiscard]] std::filesystem::path path(std::string_view rel) const;

  /// True if root/rel exists (following symlinks).
  [[nodiscard]] bool exists(std::string_view rel) const;

  /// The whole file (at most 1 MiB) with trailing whitespace/newlines trimmed.
  /// kNotFound if missing, kIo (with errno text) if unreadable (EACCES, EIO, ENODATA, ...).
  [[nodiscard]] Result<std::string> read_text(std::string_view rel) const;

  /// The file as a decimal integer (surrounding whitespace allowed, nothing else).
  /// kInvalidArgument names the file and quotes the text if it is not an integer.
  [[nodiscard]] Result<std::int64_t> read_int(std::string_view rel) const;

  /// Names in directory root/rel that start with `prefix`, in natural order
  /// ("thermal_zone2" before "thermal_zone10"). Entries may be files, directories or symlinks.
  /// kNotFound if the directory does not exist.
  [[nodiscard]] Result<std::vector<std::string>> list(std::string_view dir,
                                                      std::string_view prefix = "") const;

  /// The target of symlink root/rel made relative to nothing (raw readlink text), or an error.
  [[nodiscard]] Result<std::string> read_link(std::string_view rel) const;

private:
  std::filesystem::path m_root;
};

/// Parses a decimal integer with optional surrounding whitespace; nothing else is accepted.
[[nodiscard]] Result<std::int64_t> parse_int(std::string_view text);

/// Parses a hexadecimal integer, with or without "0x" (RPi get_throttled prints "50005").
[[nodiscard]] Result<std::uint64_t> parse_hex(std::string_view text);

/// Parses a floating-point number ("5.09066000", "nan" is rejected), locale-independent.
[[nodiscard]] Result<double> parse_double(std::string_view text);

/// Trims ASCII whitespace (including NUL bytes) at both ends.
[[nodiscard]] std::string_view trim(std::string_view text) noexcept;

/// Natural order for names with numbers ("hwmon2" < "hwmon10").
[[nodiscard]] bool natural_less(std::string_view a, std::string_view b) noexcept;

/// One attribute kept open for cheap repeated reads (pread at offset 0).
///
/// If a read fails the descriptor is closed and the next read re-opens the file, so a device
/// that disappears and comes back (USB hwmon, a re-bound driver) recovers by itself. Not
/// thread-safe; each probe owns its files. Movable, not copyable.
class SysfsFile {
public:
  SysfsFile() = default;
  /// Remembers the path; opens lazily on the first read.
  explicit SysfsFile(std::filesystem::path path);
  ~SysfsFile();
  SysfsFile(SysfsFile&& other) noexcept;
  SysfsFile& operator=(SysfsFile&& other) noexcept;
  SysfsFile(const SysfsFile&) = delete;
  SysfsFile& operator=(const SysfsFile&) = delete;

  /// The file's full path.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

  /// Reads the content (up to `max_bytes`, default one page) into an internal buffer and returns
  /// a view of it with whitespace trimmed. The view is valid until the next call.
  [[nodiscard]] Result<std::string_view> read(std::size_t max_bytes = 4096);

  /// read() parsed as a decimal integer.
  [[nodiscard]] Result<std::int64_t> read_int();

  /// Closes the descriptor (the next read re-opens).
  void close() noexcept;

private:
  std::filesystem::path m_path;
  std::string m_buf;
  int m_fd = -1;
};

} // namespace es::probes
