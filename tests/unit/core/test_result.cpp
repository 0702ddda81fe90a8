// es::Result<T> / Result<void> (daemon/core/result.hpp).
#include "daemon/core/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace es {
namespace {

Result<int> half(int x) {
  if (x % 2 != 0) {
    return make_error(ErrorCode::kInvalidArgument, std::to_string(x) + " is odd");
  }
  return x / 2;
}

TEST(CoreResult, ValueAndError) {
  const Result<int> ok = half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(ok.value(), 4);
  EXPECT_EQ(*ok, 4);
  EXPECT_EQ(ok.value_or(-1), 4);

  const Result<int> bad = half(7);
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "7 is odd");
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(CoreResult, ErrorIsPreferredOverConvertibleValue) {
  // A Result<Error>-like ambiguity must not arise for Result<std::string>.
  const Result<std::string> text = std::string("hello");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->size(), 5U);
  const Result<std::string> failed = make_error(ErrorCode::kNotFound, "no such file");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kNotFound);
}

TEST(CoreResult, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(42);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> taken = std::move(r).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 42);
}

TEST(CoreResult, MutableAccess) {
  Result<std::string> r = std::string("a");
  r.value() += "b";
  *r += "c";
  r->push_back('d');
  EXPECT_EQ(*r, "abcd");
}

TEST(CoreResult, WithContextPrependsAndKeepsCode) {
  const Error e = make_error(ErrorCode::kIo, "EIO");
  const Error wrapped = e.with_context("ina219 bus=/dev/i2c-1").with_context("probe");
  EXPECT_EQ(wrapped.code, ErrorCode::kIo);
  EXPECT_EQ(wrapped.message, "probe: ina219 bus=/dev/i2c-1: EIO");
  EXPECT_EQ(e.message, "EIO"); // the original is unchanged
}

TEST(CoreResult, Void) {
  const Result<void> good = ok();
  EXPECT_TRUE(good.ok());
  EXPECT_TRUE(static_cast<bool>(good));
  const Result<void> bad = make_error(ErrorCode::kTimeout, "slow");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(bad.error().message, "slow");
}

TEST(CoreResult, ErrorCodeNames) {
  for (const ErrorCode code :
       {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kIo, ErrorCode::kUnsupported,
        ErrorCode::kBusy, ErrorCode::kTimeout, ErrorCode::kDatabase, ErrorCode::kInternal}) {
    const std::string name = to_string(code);
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find(' '), std::string::npos) << name;
  }
  EXPECT_STREQ(to_string(ErrorCode::kIo), "io");
  EXPECT_STREQ(to_string(ErrorCode::kNotFound), "not_found");
}

TEST(CoreResultDeathTest, WrongAccessAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const Result<int> bad = half(3);
  EXPECT_DEATH((void)bad.value(), "internal check failed");
  const Result<int> good = half(2);
  EXPECT_DEATH((void)good.error(), "internal check failed");
}

} // namespace
} // namespace es
