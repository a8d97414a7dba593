// Tests for strict JSON parsing of untrusted input.
#include "zta/core/json.h"

#include <gtest/gtest.h>

namespace zta {
namespace {

// Ordinary JSON parses to the expected value.
TEST(ParseJsonStrict, ParsesValidJson) {
  auto r = ParseJsonStrict(R"({"a":[1,2,{"b":"c"}],"d":true})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["a"][2]["b"], "c");
}

// Duplicate member names are refused, at any depth.
TEST(ParseJsonStrict, RejectsDuplicateNames) {
  auto r = ParseJsonStrict(R"({"alg":"ES256","alg":"none"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "malformed");
  EXPECT_FALSE(ParseJsonStrict(R"({"a":{"x":1,"x":2}})").ok());
  EXPECT_TRUE(ParseJsonStrict(R"({"a":{"x":1},"b":{"x":2}})").ok());
}

// Nesting deeper than the limit is refused with too_large; exactly the limit is fine.
TEST(ParseJsonStrict, BoundsDepth) {
  std::string ok_text(16, '[');
  ok_text += std::string(16, ']');
  EXPECT_TRUE(ParseJsonStrict(ok_text).ok());
  std::string deep(17, '[');
  deep += std::string(17, ']');
  auto r = ParseJsonStrict(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "too_large");
  std::string very_deep(100000, '[');  // must not recurse or crash
  EXPECT_FALSE(ParseJsonStrict(very_deep).ok());
}

// Syntax errors, trailing garbage, invalid UTF-8 and oversize input are refused.
TEST(ParseJsonStrict, RejectsMalformed) {
  for (const char* bad : {"", "{", "{\"a\":}", "{} x", "\"\xff\"", "[1,]", "nul"}) {
    auto r = ParseJsonStrict(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  JsonLimits small;
  small.max_bytes = 4;
  auto r = ParseJsonStrict("[1,2,3]", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "too_large");
}

}  // namespace
}  // namespace zta
