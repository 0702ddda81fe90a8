// Every file in tests/fixtures/config/bad/ must fail with exactly the diagnostics its
// "# expect: LINE: text" comments declare (LINE = 1-based line, text = a substring of
// "key.path: message"), and nothing else. Plus robustness: no input crashes or throws.
#include "config/config.hpp"
#include "daemon/core/exit_codes.hpp"
#include "tests/unit/config/test_helpers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace es::config {
namespace {

using test::dump;
using test::fixture;

struct Expectation {
  int line = 0;
  std::string text;
};

std::vector<Expectation> read_expectations(const std::filesystem::path& path) {
  std::vector<Expectation> out;
  std::istringstream in(test::read_all(path));
  std::string line;
  const std::string marker = "# expect: ";
  while (std::getline(in, line) && line.rfind(marker, 0) == 0) {
    const std::string rest = line.substr(marker.size());
    const std::size_t colon = rest.find(": ");
    if (colon == std::string::npos) {
      continue;
    }
    out.push_back({std::stoi(rest.substr(0, colon)), rest.substr(colon + 2)});
  }
  return out;
}

std::vector<std::filesystem::path> bad_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(fixture("bad"))) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ConfigBadFiles, ThereAreEnoughOfThem) { EXPECT_GE(bad_files().size(), 25U); }

TEST(ConfigBadFiles, EachReportsExactlyItsExpectedDiagnostics) {
  for (const auto& path : bad_files()) {
    SCOPED_TRACE(path.filename().string());
    const std::vector<Expectation> expected = read_expectations(path);
    ASSERT_FALSE(expected.empty()) << "no '# expect:' line in " << path;
    const LoadResult r = load_file(path);
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.diagnostics.size(), expected.size()) << dump(r);
    for (const Expectation& e : expected) {
      const bool found =
          std::any_of(r.diagnostics.begin(), r.diagnostics.end(), [&](const Diagnostic& d) {
            return d.line == e.line && d.to_string().find(e.text) != std::string::npos;
          });
      EXPECT_TRUE(found) << "expected line " << e.line << ": " << e.text << "\ngot:\n" << dump(r);
    }
    for (const Diagnostic& d : r.diagnostics) {
      // file:line:column: ... with the file named as given.
      EXPECT_EQ(d.file, path.string());
      EXPECT_GT(d.line, 0) << d.to_string();
      EXPECT_GT(d.column, 0) << d.to_string();
      EXPECT_EQ(d.to_string().rfind(path.string() + ":" + std::to_string(d.line) + ":", 0), 0U);
    }
  }
}

TEST(ConfigBadFiles, ThreeProblemsGiveThreeDiagnostics) {
  const LoadResult r = load_file(fixture("bad/three_problems.yaml"));
  ASSERT_EQ(r.diagnostics.size(), 3U) << dump(r);
}

TEST(ConfigBadFiles, ValidateNeverCrashesAndReturnsUsageError) {
  for (const auto& path : bad_files()) {
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(cmd_validate({path.string()}, out, err), kExitUsage) << path;
    EXPECT_TRUE(out.str().empty()) << path;
    EXPECT_NE(err.str().find("edgesoak validate: error:"), std::string::npos) << path;
  }
}

// Truncations and byte flips of the shipped config and of every bad file: the loader must
// return (ok or diagnostics), never throw or crash. Stepped so it stays fast under ASan.
TEST(ConfigBadFiles, MutatedInputsNeverCrash) {
  std::vector<std::string> seeds{test::read_all(test::shipped("edgesoak.yaml")),
                                 test::read_all(fixture("good/full.yaml"))};
  for (const auto& path : bad_files()) {
    std::string text = test::read_all(path);
    if (text.size() < 8192) { // deep_nesting.yaml is slow to re-parse thousands of times
      seeds.push_back(std::move(text));
    }
  }
  // Bytes that mean something to YAML (',' at the top level once sent yaml-cpp's LoadAll into
  // an endless allocation loop), plus NUL and an invalid UTF-8 byte.
  static constexpr char kJunk[] = "\0\xff:-[]{},&*!|>%@`'\"\t\n#?";
  const std::string junk(kJunk, sizeof(kJunk) - 1);
  std::size_t loads = 0;
  for (const std::string& seed : seeds) {
    const std::size_t step = std::max<std::size_t>(1, seed.size() / 40);
    for (std::size_t cut = 0; cut < seed.size(); cut += step) {
      const LoadResult truncated = load_string(seed.substr(0, cut), "cut.yaml");
      EXPECT_EQ(truncated.ok(), truncated.diagnostics.empty());
      for (std::size_t k = 0; k < 4; ++k) { // four junk bytes per position, rotating
        std::string flipped = seed;
        flipped[cut] = junk[(cut / step * 4 + k) % junk.size()];
        const LoadResult mutated = load_string(flipped, "flip.yaml");
        EXPECT_EQ(mutated.ok(), mutated.diagnostics.empty());
      }
      loads += 5;
    }
  }
  EXPECT_GT(loads, 5000U);
}

} // namespace
} // namespace es::config
