// parse_cpu_list: the "0-3,6" string form of workload.cpus.
#include "config/config.hpp"

#include <gtest/gtest.h>

namespace es::config {
namespace {

std::vector<int> cpus(std::string_view text) {
  Result<std::vector<int>> r = parse_cpu_list(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : std::vector<int>{};
}

std::string error_of(std::string_view text) {
  Result<std::vector<int>> r = parse_cpu_list(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message;
}

TEST(ConfigCpuList, Valid) {
  EXPECT_EQ(cpus("0"), (std::vector<int>{0}));
  EXPECT_EQ(cpus("0-3,6"), (std::vector<int>{0, 1, 2, 3, 6}));
  EXPECT_EQ(cpus(" 2 , 0 "), (std::vector<int>{2, 0}));
  EXPECT_EQ(cpus("5-5"), (std::vector<int>{5}));
  EXPECT_EQ(cpus("1020-1023"), (std::vector<int>{1020, 1021, 1022, 1023}));
}

TEST(ConfigCpuList, Invalid) {
  EXPECT_EQ(error_of(""), "empty CPU list");
  EXPECT_EQ(error_of("0,,1"), "empty item in CPU list");
  EXPECT_EQ(error_of("0,"), "empty item in CPU list");
  EXPECT_EQ(error_of("-1"), "negative CPU in '-1'");
  EXPECT_EQ(error_of("0--3"), "negative CPU in '0--3'");
  EXPECT_EQ(error_of("3-1"), "range '3-1' is descending (write 1-3)");
  EXPECT_EQ(error_of("0-3,2"), "CPU 2 is listed twice");
  EXPECT_EQ(error_of("1024"), "CPU 1024 is out of range 0..1023");
  EXPECT_EQ(error_of("99999999999999999999"), "CPU 99999999999999999999 is out of range 0..1023");
  EXPECT_EQ(error_of("all"), "'all' is not a CPU number or range");
  EXPECT_EQ(error_of("1-2-3"), "'1-2-3' is not a CPU number or range");
  EXPECT_EQ(error_of("0x1"), "'0x1' is not a CPU number or range");
  EXPECT_EQ(error_of("1.5"), "'1.5' is not a CPU number or range");
}

} // namespace
} // namespace es::config
