// Tests for Secret and constant-time comparison.
#include "zta/core/secret.h"

#include <gtest/gtest.h>

#include <sstream>

#include "zta/core/random.h"

namespace zta {
namespace {

// A Secret never shows its value when streamed or stringified.
TEST(Secret, NeverPrintsItsValue) {
  Secret s("hunter2-very-secret");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "[redacted]");
  EXPECT_EQ(s.ToString(), "[redacted]");
  EXPECT_EQ(s.Reveal(), "hunter2-very-secret");
}

// Matches compares contents; a moved-from Secret is empty.
TEST(Secret, MatchesAndMoves) {
  Secret s("abc");
  EXPECT_TRUE(s.Matches("abc"));
  EXPECT_FALSE(s.Matches("abd"));
  EXPECT_FALSE(s.Matches("ab"));
  Secret t(std::move(s));
  EXPECT_TRUE(t.Matches("abc"));
  EXPECT_TRUE(s.empty());  // NOLINT(bugprone-use-after-move): wiped on purpose
}

// ConstantTimeEquals agrees with ordinary equality.
TEST(ConstantTimeEquals, AgreesWithEquality) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("same", "same"));
  EXPECT_FALSE(ConstantTimeEquals("same", "samf"));
  EXPECT_FALSE(ConstantTimeEquals("same", "same "));
}

// Random tokens have the requested entropy and do not repeat.
TEST(Random, TokensAreFreshAndSized) {
  auto a = RandomToken(32);
  auto b = RandomToken(32);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->size(), 43u);  // 32 bytes → 43 base64url characters
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace zta
