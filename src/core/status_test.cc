// Tests for Status, Result and the error macros.
#include "zta/core/status.h"

#include <gtest/gtest.h>

namespace zta {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status(StatusCode::kInvalidArgument, "odd", "not_even");
  return x / 2;
}

Result<int> Quarter(int x) {
  ZTA_ASSIGN_OR_RETURN(int h, Half(x));
  ZTA_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckPositive(int x) {
  if (x <= 0) return InvalidArgument("not positive");
  return Status::Ok();
}

Status CheckBoth(int a, int b) {
  ZTA_RETURN_IF_ERROR(CheckPositive(a));
  ZTA_RETURN_IF_ERROR(CheckPositive(b));
  return Status::Ok();
}

// Values and errors propagate through ZTA_ASSIGN_OR_RETURN with their reason intact.
TEST(Result, PropagatesValuesAndErrors) {
  auto ok = Quarter(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  auto bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().reason(), "not_even");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

// ZTA_RETURN_IF_ERROR stops at the first failure.
TEST(Status, ReturnIfError) {
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  EXPECT_EQ(CheckBoth(1, -2).message(), "not positive");
}

// ToString prefers the reason code and WithContext keeps it.
TEST(Status, FormatsWithReasonAndContext) {
  Status s(StatusCode::kUnauthenticated, "signature does not verify", "bad_signature");
  EXPECT_EQ(s.ToString(), "bad_signature: signature does not verify");
  Status c = s.WithContext("token from header");
  EXPECT_EQ(c.reason(), "bad_signature");
  EXPECT_EQ(c.message(), "token from header: signature does not verify");
  EXPECT_EQ(Status().ToString(), "ok");
  EXPECT_EQ(InvalidArgument("x").ToString(), "invalid_argument: x");
}

}  // namespace
}  // namespace zta
