#pragma once
// Programmer-error checks (ruy's check_macros.h shape): always-on ES_CHECK, debug-only ES_DCHECK.
// These abort with file:line; they are for broken invariants, never for bad input.

#include <cstdio>
#include <cstdlib>

namespace es::detail {
[[noreturn]] inline void check_failed(const char* expr, const char* file, int line) noexcept {
  std::fprintf(stderr, "edgesoak: internal check failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}
} // namespace es::detail

#define ES_CHECK(cond)                                                                           \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      ::es::detail::check_failed(#cond, __FILE__, __LINE__);                                     \
    }                                                                                            \
  } while (false)

#ifdef NDEBUG
#define ES_DCHECK(cond)                                                                          \
  do {                                                                                           \
  } while (false)
#else
#define ES_DCHECK(cond) ES_CHECK(cond)
#endif
