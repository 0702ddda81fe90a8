#pragma once
// Test helpers for probe tests: per-test temp directories, small file writers, and a copier that
// turns the shared fixtures' flattened symlinks back into real ones.
//
// Why the copier: the copy of the shared fixtures on these machines stores each symlink as a
// small regular file whose content is the link target ("../../devices/virtual/thermal/
// thermal_zone0"). materialize_tree() copies a fixture into a temp dir and recreates such files
// as symlinks when their target exists, so probes see the tree the kernel would show. Real
// symlinks in the source are copied as symlinks.

#include <filesystem>
#include <string>
#include <string_view>

namespace es::probes::test {

/// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

private:
  std::filesystem::path m_path;
};

/// Writes `content` to root/rel, creating parent directories.
void write_file(const std::filesystem::path& root, std::string_view rel, std::string_view content);

/// Creates symlink root/rel -> target (parents created).
void make_link(const std::filesystem::path& root, std::string_view rel, std::string_view target);

/// Copies `src` into `dst` (created), restoring flattened symlinks (see above). Files are made
/// writable so tests can modify the copy.
void materialize_tree(const std::filesystem::path& src, const std::filesystem::path& dst);

/// Reads a whole file ("" if missing).
[[nodiscard]] std::string read_file(const std::filesystem::path& p);

/// $ES_SHARED_FIXTURES if set (local checkouts where ../shared is elsewhere), else the compile
/// definition ES_SHARED_FIXTURES_DIR (CI: ../shared/fixtures beside the repo).
[[nodiscard]] std::filesystem::path shared_fixtures_dir();

/// shared_fixtures_dir()/<name>.
[[nodiscard]] std::filesystem::path shared_fixture(std::string_view name);
/// ES_TEST_FIXTURES_DIR/probes/<board>.
[[nodiscard]] std::filesystem::path board_fixture(std::string_view board);

/// Skips the current test when a shared fixture is not present on this machine.
#define ES_REQUIRE_SHARED_FIXTURE(name)                                                            \
  do {                                                                                             \
    if (!std::filesystem::exists(::es::probes::test::shared_fixture(name))) {                      \
      GTEST_SKIP() << "shared fixture missing: " << ::es::probes::test::shared_fixture(name)       \
                   << " (set ES_SHARED_FIXTURES)";                                                 \
    }                                                                                              \
  } while (false)

} // namespace es::probes::test
