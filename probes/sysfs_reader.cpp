#include "probes/sysfs_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace es::probes {

namespace {

constexpr std::size_t kMaxTextBytes = 1U << 20;

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}

ErrorCode code_for_errno(int err) {
  switch (err) {
  case ENOENT:
  case ENOTDIR:
  case ENXIO:
  case ENODEV:
    return ErrorCode::kNotFound;
  case EAGAIN:
  case EBUSY:
    return ErrorCode::kBusy;
  case ETIMEDOUT:
    return ErrorCode::kTimeout;
  case EOPNOTSUPP:
    return ErrorCode::kUnsupported;
  default:
    return ErrorCode::kIo;
  }
}

Error errno_error(int err, const std::filesystem::path& path, const char* what) {
  return make_error(code_for_errno(err), path.string() + ": " + what + ": " + errno_text(err));
}

// Reads the whole of fd from offset 0 with pread, growing `buf` as needed up to `max_bytes`.
// Returns bytes read or -errno.
ssize_t pread_all(int fd, std::string& buf, std::size_t max_bytes) {
  std::size_t used = 0;
  if (buf.size() < 256) {
    buf.resize(256);
  }
  for (;;) {
    if (used == buf.size()) {
      if (buf.size() >= max_bytes) {
        break;
      }
      buf.resize(std::min(buf.size() * 2, max_bytes));
    }
    const ssize_t n = ::pread(fd, buf.data() + used, buf.size() - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -errno;
    }
    if (n == 0) {
      break;
    }
    const bool short_read = static_cast<std::size_t>(n) < buf.size() - used;
    used += static_cast<std::size_t>(n);
    // sysfs attributes and seq_file-backed proc files return everything they have in one
    // read; a short read is the end. Stopping here saves the EOF-confirming syscall (half the
    // cost of a sample). Regular files behave the same unless they are being appended to.
    if (short_read) {
      break;
    }
  }
  return static_cast<ssize_t>(used);
}

std::string_view relative(std::string_view rel) {
  while (!rel.empty() && rel.front() == '/') {
    rel.remove_prefix(1);
  }
  return rel;
}

} // namespace

std::string_view trim(std::string_view text) noexcept {
  auto is_space = [](char c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\0' || c == '\v' || c == '\f';
  };
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

Result<std::int64_t> parse_int(std::string_view text) {
  const std::string_view t = trim(text);
  std::int64_t v = 0;
  const char* first = t.data();
  const char* last = t.data() + t.size();
  if (!t.empty() && t.front() == '+') {
    ++first;
  }
  const auto [ptr, ec] = std::from_chars(first, last, v);
  if (t.empty() || ec != std::errc() || ptr != last) {
    return make_error(ErrorCode::kInvalidArgument, "not an integer: '" + std::string(t) + "'");
  }
  return v;
}

Result<std::uint64_t> parse_hex(std::string_view text) {
  std::string_view t = trim(text);
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    t.remove_prefix(2);
  }
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v, 16);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
    return make_error(ErrorCode::kInvalidArgument, "not a hex integer: '" + std::string(t) + "'");
  }
  return v;
}

Result<double> parse_double(std::string_view text) {
  const std::string_view t = trim(text);
  double v = 0;
  const char* first = t.data();
  if (!t.empty() && t.front() == '+') {
    ++first;
  }
  const auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(v)) {
    return make_error(ErrorCode::kInvalidArgument, "not a number: '" + std::string(t) + "'");
  }
  return v;
}

bool natural_less(std::string_view a, std::string_view b) noexcept {
  std::size_t i = 0;
  std::size_t j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      std::size_t ie = i;
      std::size_t je = j;
      while (ie < a.size() && digit(a[ie])) {
        ++ie;
      }
      while (je < b.size() && digit(b[je])) {
        ++je;
      }
      // Compare numerically: strip leading zeros, then by length, then lexically.
      std::string_view na = a.substr(i, ie - i);
      std::string_view nb = b.substr(j, je - j);
      while (na.size() > 1 && na.front() == '0') {
        na.remove_prefix(1);
      }
      while (nb.size() > 1 && nb.front() == '0') {
        nb.remove_prefix(1);
      }
      if (na.size() != nb.size()) {
        return na.size() < nb.size();
      }
      if (na != nb) {
        return na < nb;
      }
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) {
      return a[i] < b[j];
    }
    ++i;
    ++j;
  }
  return (a.size() - i) < (b.size() - j);
}

SysfsReader::SysfsReader(std::filesystem::path root) : m_root(std::move(root)) {}

std::filesystem::path SysfsReader::path(std::string_view rel) const {
  const std::string_view r = relative(rel);
  if (r.empty()) {
    return m_root;
  }
  return m_root / std::filesystem::path(r);
}

bool SysfsReader::exists(std::string_view rel) const {
  std::error_code ec;
  return std::filesystem::exists(path(rel), ec);
}

Result<std::string> SysfsReader::read_text(std::string_view rel) const {
  const std::filesystem::path p = path(rel);
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno_error(errno, p, "open");
  }
  std::string buf;
  const ssize_t n = pread_all(fd, buf, kMaxTextBytes);
  ::close(fd);
  if (n < 0) {
    return errno_error(static_cast<int>(-n), p, "read");
  }
  buf.resize(static_cast<std::size_t>(n));
  const std::string_view t = trim(buf);
  return std::string(t);
}

Result<std::int64_t> SysfsReader::read_int(std::string_view rel) const {
  auto text = read_text(rel);
  if (!text) {
    return text.error();
  }
  auto v = parse_int(*text);
  if (!v) {
    return v.error().with_context(path(rel).string());
  }
  return *v;
}

Result<std::vector<std::string>> SysfsReader::list(std::string_view dir,
                                                   std::string_view prefix) const {
  const std::filesystem::path p = path(dir);
  std::error_code ec;
  std::filesystem::directory_iterator it(p, ec);
  if (ec) {
    return make_error(ec == std::errc::no_such_file_or_directory ? ErrorCode::kNotFound
                                                                 : ErrorCode::kIo,
                      p.string() + ": " + ec.message());
  }
  std::vector<std::string> names;
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) == 0) {
      names.push_back(std::move(name));
    }
  }
  std::sort(names.begin(), names.end(),
            [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  return names;
}

Result<std::string> SysfsReader::read_link(std::string_view rel) const {
  const std::filesystem::path p = path(rel);
  std::error_code ec;
  auto target = std::filesystem::read_symlink(p, ec);
  if (ec) {
    return make_error(ErrorCode::kNotFound, p.string() + ": " + ec.message());
  }
  return target.string();
}

// --- SysfsFile ---

SysfsFile::SysfsFile(std::filesystem::path path) : m_path(std::move(path)) {}

SysfsFile::~SysfsFile() {
  close();
}

SysfsFile::SysfsFile(SysfsFile&& other) noexcept
    : m_path(std::move(other.m_path)), m_buf(std::move(other.m_buf)), m_fd(other.m_fd) {
  other.m_fd = -1;
}

SysfsFile& SysfsFile::operator=(SysfsFile&& other) noexcept {
  if (this != &other) {
    close();
    m_path = std::move(other.m_path);
    m_buf = std::move(other.m_buf);
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

void SysfsFile::close() noexcept {
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

Result<std::string_view> SysfsFile::read(std::size_t max_bytes) {
  if (m_fd < 0) {
    m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0) {
      return errno_error(errno, m_path, "open");
    }
  }
  const ssize_t n = pread_all(m_fd, m_buf, max_bytes);
  if (n < 0) {
    // Re-open next time: the attribute may belong to a device that went away and came back.
    close();
    return errno_error(static_cast<int>(-n), m_path, "read");
  }
  return trim(std::string_view(m_buf.data(), static_cast<std::size_t>(n)));
}

Result<std::int64_t> SysfsFile::read_int() {
  auto text = read();
  if (!text) {
    return text.error();
  }
  auto v = parse_int(*text);
  if (!v) {
    return v.error().with_context(m_path.string());
  }
  return *v;
}

} // namespace es::probes
