// Tests of NormalizeRequestPath: the one form routes are matched in (RFC 3986 §6.2.2), and the
// spellings refused because servers read them differently.
#include "zta/guard/request_path.h"

#include <gtest/gtest.h>

namespace zta::guard {
namespace {

// Unreserved escapes are decoded, other escapes upper-cased, everything else kept as sent.
TEST(RequestPathTest, NormalizesEscapes) {
  const std::pair<const char*, const char*> kCases[] = {
      {"/", "/"},
      {"/api/hotels", "/api/hotels"},
      {"/api/%61dmin", "/api/admin"},
      {"/api/%41DMIN", "/api/ADMIN"},
      {"/%7euser/%2D%2e%5F", "/~user/-._"},
      {"/caf%c3%a9", "/caf%C3%A9"},
      {"/a%20b", "/a%20b"},
      {"/a%3fb%23c", "/a%3Fb%23c"},
      {"/a/", "/a/"},
      {"/a/.b/c.", "/a/.b/c."},
      {"/a/.../b", "/a/.../b"},
      {"/!$&'()*+,=:@", "/!$&'()*+,=:@"},
  };
  for (const auto& [in, out] : kCases) {
    auto got = NormalizeRequestPath(in);
    ASSERT_TRUE(got.ok()) << in << ": " << got.status();
    EXPECT_EQ(*got, out) << in;
  }
}

// Each refused spelling carries the reason that says why.
TEST(RequestPathTest, RefusesWhatCannotBeMappedUnambiguously) {
  const std::pair<const char*, const char*> kCases[] = {
      {"", kReasonMalformedPath},
      {"api", kReasonMalformedPath},
      {"/a%", kReasonMalformedPath},
      {"/a%4", kReasonMalformedPath},
      {"/a%g1", kReasonMalformedPath},
      {"/a b", kReasonMalformedPath},
      {"/a\\b", kReasonMalformedPath},
      {"/a\"b", kReasonMalformedPath},
      {"/a|b", kReasonMalformedPath},
      {"/a{b}", kReasonMalformedPath},
      {"/caf\xc3\xa9", kReasonMalformedPath},
      {"/a\x01", kReasonMalformedPath},
      {"/a/./b", kReasonAmbiguousPath},
      {"/a/../b", kReasonAmbiguousPath},
      {"/a/..", kReasonAmbiguousPath},
      {"/a/.", kReasonAmbiguousPath},
      {"/a/%2e%2E/b", kReasonAmbiguousPath},
      {"/a/.%2e", kReasonAmbiguousPath},
      {"/a//b", kReasonAmbiguousPath},
      {"//a", kReasonAmbiguousPath},
      {"/a;b", kReasonAmbiguousPath},
      {"/a/..;/b", kReasonAmbiguousPath},
      {"/a%3bb", kReasonAmbiguousPath},
      {"/a%2fb", kReasonAmbiguousPath},
      {"/a%5Cb", kReasonAmbiguousPath},
      {"/a%2561", kReasonAmbiguousPath},
      {"/a%00", kReasonAmbiguousPath},
      {"/a%0d%0a", kReasonAmbiguousPath},
      {"/a%7f", kReasonAmbiguousPath},
  };
  for (const auto& [in, reason] : kCases) {
    auto got = NormalizeRequestPath(in);
    ASSERT_FALSE(got.ok()) << in << " → " << *got;
    EXPECT_EQ(got.status().reason(), reason) << in;
  }
}

// Normalizing twice changes nothing (the normal form is a fixed point).
TEST(RequestPathTest, NormalFormIsStable) {
  for (const char* in : {"/api/%61dmin", "/caf%c3%a9", "/a%20b/", "/~x/%7E"}) {
    auto once = NormalizeRequestPath(in);
    ASSERT_TRUE(once.ok());
    auto twice = NormalizeRequestPath(*once);
    ASSERT_TRUE(twice.ok());
    EXPECT_EQ(*once, *twice);
  }
}

// Case folding covers ASCII letters only; escapes compare equal in either rule.
TEST(RequestPathTest, PathEqualsFoldsAsciiCase) {
  EXPECT_TRUE(PathEquals("/API/Admin", "/api/admin", false));
  EXPECT_FALSE(PathEquals("/API/Admin", "/api/admin", true));
  EXPECT_TRUE(PathEquals("/caf%C3%A9", "/caf%C3%A9", true));
  EXPECT_FALSE(PathEquals("/api/admin", "/api/admin2", false));
}

}  // namespace
}  // namespace zta::guard
