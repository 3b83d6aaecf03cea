#include "core/error.h"

#include <gtest/gtest.h>

namespace {

using core::Error;
using core::ErrorCode;
using core::Result;

Result<int> parse_positive(int v) {
  if (v <= 0) return core::fail(ErrorCode::invalid_argument, "must be positive");
  return v;
}

Result<int> doubled(int v) {
  int x = TRY(parse_positive(v));
  return 2 * x;
}

Result<void> check(int v) {
  TRY_VOID(parse_positive(v));
  return {};
}

TEST(Error, TryPropagatesTheFirstFailureUnchanged) {
  EXPECT_EQ(doubled(4).value(), 8);
  auto r = doubled(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(r.error().message, "must be positive");
  EXPECT_TRUE(check(1));
  EXPECT_FALSE(check(0));
}

TEST(Error, DescribeNamesTheCode) {
  Error e(ErrorCode::rate_limited, "openai: HTTP 429");
  EXPECT_EQ(e.describe(), "rate_limited: openai: HTTP 429");
}

TEST(Error, OnlyNetworkTimeoutRateLimitAndServerErrorsAreTransient) {
  EXPECT_TRUE(core::is_transient(ErrorCode::network));
  EXPECT_TRUE(core::is_transient(ErrorCode::timeout));
  EXPECT_TRUE(core::is_transient(ErrorCode::rate_limited));
  EXPECT_TRUE(core::is_transient(ErrorCode::server_error));
  for (auto c : {ErrorCode::auth, ErrorCode::quota, ErrorCode::bad_request, ErrorCode::parse,
                 ErrorCode::budget_exceeded, ErrorCode::replay_mismatch, ErrorCode::config}) {
    EXPECT_FALSE(core::is_transient(c)) << core::to_string(c);
  }
}

}  // namespace
