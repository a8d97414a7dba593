// Tests for Argon2id password hashing: round trip, refusals, and the PHC string's contents.
#include "zta/idp/password.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace zta::idp {
namespace {

// A hash verifies with the password it was made from and with no other.
TEST(Password, RoundTripAndWrongPassword) {
  auto phc = HashPassword(Secret("correct horse battery staple"));
  ASSERT_TRUE(phc.ok()) << phc.status();
  auto ok = VerifyPassword(Secret("correct horse battery staple"), *phc);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(*ok);
  auto wrong = VerifyPassword(Secret("correct horse battery stapler"), *phc);
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  EXPECT_FALSE(*wrong);
  auto empty = VerifyPassword(Secret(""), *phc);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(*empty);
}

// Two hashes of one password differ (a fresh random salt each time) and both verify.
TEST(Password, FreshSaltEachTime) {
  auto a = HashPassword(Secret("hunter2hunter2"));
  auto b = HashPassword(Secret("hunter2hunter2"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(*VerifyPassword(Secret("hunter2hunter2"), *b));
}

// The PHC string names Argon2id v1.3 with exactly the parameters asked for, a 16-byte salt
// and a 32-byte hash (unpadded base64: 22 and 43 characters), and never the password.
TEST(Password, PhcStringCarriesParameters) {
  PasswordParams p;
  p.memory_kib = 20 * 1024;
  p.iterations = 3;
  p.parallelism = 2;
  auto phc = HashPassword(Secret("s3cret-password"), p);
  ASSERT_TRUE(phc.ok()) << phc.status();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(*phc, m,
                               std::regex(R"(\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$)"
                                          R"(([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43}))")))
      << *phc;
  EXPECT_EQ(m[1], "20480");
  EXPECT_EQ(m[2], "3");
  EXPECT_EQ(m[3], "2");
  EXPECT_EQ(phc->find("s3cret"), std::string::npos);
  EXPECT_TRUE(*VerifyPassword(Secret("s3cret-password"), *phc));

  auto defaults = HashPassword(Secret("s3cret-password"));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *defaults;
}

// Empty and oversize passwords, and parameters under the OWASP floor, are refused.
TEST(Password, RefusesEmptyOversizeAndWeakParameters) {
  EXPECT_EQ(HashPassword(Secret("")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HashPassword(Secret(std::string(1025, 'a'))).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(HashPassword(Secret(std::string(1024, 'a'))).ok());
  PasswordParams weak;
  weak.memory_kib = 1024;
  EXPECT_EQ(HashPassword(Secret("password1"), weak).status().code(), StatusCode::kInvalidArgument);
}

// A malformed or foreign PHC string is an error, never a match.
TEST(Password, MalformedPhcIsAnError) {
  auto phc = HashPassword(Secret("password1"));
  ASSERT_TRUE(phc.ok());
  const std::string bad[] = {
      "",
      "plaintext",
      "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA",  // not Argon2id
      "$argon2id$v=19$m=19456,t=2,p=1$",
      "$argon2id$v=19$m=19456,t=2,p=1$!!!!$????",
      phc->substr(0, phc->size() - 10),                                   // truncated
      "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA",  // over the limit
  };
  for (const auto& s : bad) {
    auto r = VerifyPassword(Secret("password1"), s);
    EXPECT_FALSE(r.ok()) << s;
  }
}

// BurnPasswordWork runs without a stored hash (used for unknown user names) and does not crash
// on an empty or oversize input.
TEST(Password, BurnPasswordWorkAcceptsAnyInput) {
  BurnPasswordWork(Secret("whatever"));
  BurnPasswordWork(Secret(""));
  BurnPasswordWork(Secret(std::string(4096, 'x')));
  SUCCEED();
}

}  // namespace
}  // namespace zta::idp
