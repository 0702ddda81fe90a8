#pragma once
// es::Result<T>: the one error-or-value type of edgesoak (ccache's util level).
//
// std::expected is not usable at C++20 with Debian 12's compilers, so this is a small
// self-contained expected-like type. It is deliberately minimal: a value or an es::Error,
// checked access, and context chaining. Moving to std::expected later is a local change.

#include "daemon/core/check.hpp"

#include <string>
#include <utility>
#include <variant>

namespace es {

// --- Interface ---

/// Broad classes of failure; callers branch on these, humans read the message.
enum class ErrorCode {
  kInvalidArgument, ///< input that will never be valid (bad config value, malformed file)
  kNotFound,        ///< file, sensor, key or row does not exist
  kIo,              ///< read/write/ioctl failed (EIO, NACK, short read)
  kUnsupported,     ///< feature not present on this machine or build
  kBusy,            ///< temporarily unavailable, retry may help
  kTimeout,         ///< deadline passed
  kDatabase,        ///< SQLite reported an error
  kInternal,        ///< a bug: invariant broken
};

/// Human-readable name of an ErrorCode ("io", "not_found", ...).
const char* to_string(ErrorCode code) noexcept;

/// An error: a code plus a message that names the thing that failed and why.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  /// Returns a copy with "context: " prepended to the message.
  [[nodiscard]] Error with_context(const std::string& context) const {
    return Error{code, context + ": " + message};
  }
};

/// Convenience constructor: `return es::make_error(ErrorCode::kIo, "read failed");`
inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

/// Either a T or an Error. [[nodiscard]] so a failure cannot be silently dropped.
template <typename T>
class [[nodiscard]] Result {
public:
  Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {} // NOLINT implicit
  Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {} // NOLINT implicit

  [[nodiscard]] bool ok() const noexcept { return m_data.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; aborts (ES_CHECK) if this holds an error.
  T& value() & {
    ES_CHECK(ok());
    return std::get<0>(m_data);
  }
  const T& value() const& {
    ES_CHECK(ok());
    return std::get<0>(m_data);
  }
  T&& value() && {
    ES_CHECK(ok());
    return std::get<0>(std::move(m_data));
  }
  /// The error; aborts (ES_CHECK) if this holds a value.
  const Error& error() const {
    ES_CHECK(!ok());
    return std::get<1>(m_data);
  }

  /// The value, or `fallback` on error.
  T value_or(T fallback) const& { return ok() ? std::get<0>(m_data) : std::move(fallback); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

private:
  std::variant<T, Error> m_data;
};

/// Result of an operation that produces no value.
template <>
class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)), m_ok(false) {} // NOLINT implicit

  [[nodiscard]] bool ok() const noexcept { return m_ok; }
  explicit operator bool() const noexcept { return m_ok; }
  const Error& error() const {
    ES_CHECK(!m_ok);
    return m_error;
  }

private:
  Error m_error;
  bool m_ok = true;
};

/// `return es::ok();` for Result<void>.
inline Result<void> ok() { return {}; }

} // namespace es
