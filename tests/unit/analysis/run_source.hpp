#pragma once
// How the scenario tests obtain a storage::Reader for a SyntheticRun: through es_storage's
// Writer into a real SQLite file when ES_ANALYSIS_HAVE_STORAGE is defined (the normal build),
// otherwise from memory.

#include "synthetic.hpp"

#include <memory>

#ifdef ES_ANALYSIS_HAVE_STORAGE
#include "db_fixture.hpp"
#endif

namespace es::analysis::testing {

/// Reader over `run` (run id 1 in both modes).
inline std::unique_ptr<storage::Reader> open_run(const SyntheticRun& run) {
#ifdef ES_ANALYSIS_HAVE_STORAGE
  return open_via_sqlite(run);
#else
  return std::make_unique<MemoryReader>(std::vector<SyntheticRun>{run});
#endif
}

} // namespace es::analysis::testing
