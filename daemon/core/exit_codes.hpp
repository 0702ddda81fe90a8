#pragma once
// Documented process exit codes. Users script against these; never renumber.

namespace es {

inline constexpr int kExitOk = 0;           ///< success (run completed, stopped by signal, ...)
inline constexpr int kExitUsage = 2;        ///< bad command line or configuration error
inline constexpr int kExitRuntime = 3;      ///< runtime failure (database, I/O, aborted start)

} // namespace es
