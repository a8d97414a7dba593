// Tests for space-delimited list helpers.
#include "zta/core/scopes.h"

#include <gtest/gtest.h>

namespace zta {
namespace {

// Repeated and edge spaces yield no empty items; join puts single spaces back.
TEST(SpaceDelimited, SplitsAndJoins) {
  EXPECT_EQ(SplitSpaceDelimited("  a b  c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(SplitSpaceDelimited("").empty());
  EXPECT_TRUE(SplitSpaceDelimited("   ").empty());
  EXPECT_EQ(JoinSpaceDelimited({"a", "b", "c"}), "a b c");
  EXPECT_EQ(JoinSpaceDelimited({}), "");
}

}  // namespace
}  // namespace zta
