#include "probes/sysfs_reader.hpp"
#include "tests/unit/probes/fixture_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace es::probes {
namespace {

using test::TempDir;
using test::write_file;

TEST(SysfsReader, ReadsTextAndTrimsNewline) {
  TempDir d;
  write_file(d.path(), "class/thermal/thermal_zone0/type", "cpu-thermal\n");
  const SysfsReader r(d.path());
  auto t = r.read_text("class/thermal/thermal_zone0/type");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "cpu-thermal");
  // A leading slash is relative to the root too.
  EXPECT_EQ(r.read_text("/class/thermal/thermal_zone0/type").value_or(""), "cpu-thermal");
}

TEST(SysfsReader, ReadIntParsesAndNamesFileOnError) {
  TempDir d;
  write_file(d.path(), "a", "-44000\n");
  write_file(d.path(), "b", "abc\n");
  write_file(d.path(), "c", "12 34\n");
  const SysfsReader r(d.path());
  EXPECT_EQ(r.read_int("a").value_or(0), -44000);
  auto b = r.read_int("b");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(b.error().message.find("'abc'"), std::string::npos);
  EXPECT_NE(b.error().message.find("/b"), std::string::npos);
  EXPECT_FALSE(r.read_int("c").ok());
}

TEST(SysfsReader, MissingFileIsNotFound) {
  TempDir d;
  const SysfsReader r(d.path());
  auto t = r.read_text("nope");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(r.exists("nope"));
}

TEST(SysfsReader, ListsInNaturalOrderWithPrefix) {
  TempDir d;
  for (const char* n : {"thermal_zone10", "thermal_zone2", "thermal_zone0", "cooling_device0"}) {
    write_file(d.path(), std::string("class/thermal/") + n + "/type", "x");
  }
  const SysfsReader r(d.path());
  auto l = r.list("class/thermal", "thermal_zone");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 3U);
  EXPECT_EQ((*l)[0], "thermal_zone0");
  EXPECT_EQ((*l)[1], "thermal_zone2");
  EXPECT_EQ((*l)[2], "thermal_zone10");
  EXPECT_EQ(r.list("class/nothing").error().code, ErrorCode::kNotFound);
}

TEST(SysfsReader, ParseHelpers) {
  EXPECT_EQ(parse_hex("50005\n").value_or(0), 0x50005U);
  EXPECT_EQ(parse_hex("0x80008").value_or(0), 0x80008U);
  EXPECT_FALSE(parse_hex("").ok());
  EXPECT_FALSE(parse_hex("xyz").ok());
  EXPECT_DOUBLE_EQ(parse_double(" 5.09066000 ").value_or(0), 5.09066);
  EXPECT_FALSE(parse_double("nan").ok());
  EXPECT_FALSE(parse_double("5,1").ok()); // decimal comma (ODROID locale) is not a number
  EXPECT_EQ(parse_int("+7").value_or(0), 7);
  EXPECT_TRUE(natural_less("hwmon2", "hwmon10"));
  EXPECT_FALSE(natural_less("hwmon10", "hwmon2"));
  EXPECT_TRUE(natural_less("a", "ab"));
}

TEST(SysfsFile, RereadsWithPreadAndSeesNewValues) {
  TempDir d;
  write_file(d.path(), "temp", "1000\n");
  SysfsFile f(d.path() / "temp");
  EXPECT_EQ(f.read_int().value_or(0), 1000);
  // Rewrite in place (same inode, like sysfs regenerating the value).
  write_file(d.path(), "temp", "2000\n");
  EXPECT_EQ(f.read_int().value_or(0), 2000);
}

TEST(SysfsFile, RecoversAfterFileVanishesAndReturns) {
  TempDir d;
  write_file(d.path(), "dev/temp", "1\n");
  SysfsFile f(d.path() / "dev/temp");
  EXPECT_TRUE(f.read_int().ok());
  std::filesystem::remove_all(d.path() / "dev");
  // The open fd still reads the unlinked inode; a real sysfs read would fail with ENODEV.
  // Force the re-open path: close and read.
  f.close();
  EXPECT_FALSE(f.read_int().ok());
  write_file(d.path(), "dev/temp", "3\n");
  EXPECT_EQ(f.read_int().value_or(0), 3);
}

TEST(SysfsFile, DirectoryReadFailsAsGap) {
  TempDir d;
  std::filesystem::create_directories(d.path() / "dir");
  SysfsFile f(d.path() / "dir");
  EXPECT_FALSE(f.read().ok());
}

} // namespace
} // namespace es::probes
