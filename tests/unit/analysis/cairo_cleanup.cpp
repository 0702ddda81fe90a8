// Releases cairo's and fontconfig's process-wide font caches after the last test, so
// LeakSanitizer (the asan preset in CI) reports only real leaks. Test-only: the CLI exits
// without tearing the caches down, as every cairo program does.
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <gtest/gtest.h>

namespace {

class CairoCleanup : public ::testing::Environment {
public:
  void TearDown() override {
    cairo_debug_reset_static_data();
    FcFini();
  }
};

[[maybe_unused]] ::testing::Environment* const g_cleanup =
    ::testing::AddGlobalTestEnvironment(new CairoCleanup);

} // namespace
