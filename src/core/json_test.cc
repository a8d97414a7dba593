// Tests for strict JSON parsing of untrusted input.
#include "zta/core/json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

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

// The reference for DumpJson's compact output: nlohmann's own serializer.
std::string Reference(const Json& v) {
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Escapes, control characters, multi-byte UTF-8 and ill-formed UTF-8 come out exactly as
// nlohmann writes them.
TEST(DumpJson, CompactMatchesNlohmannOnEdgeCases) {
  const std::vector<std::string> strings = {"",
                                            "plain",
                                            "quote\" backslash\\ slash/",
                                            "\b\f\n\r\t",
                                            std::string("nul\0x", 5),
                                            "\x01\x1f\x7f",
                                            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                            "\xff",
                                            "\xc3",
                                            "\xc0\xaf" /* overlong */,
                                            "\xed\xa0\x80" /* surrogate */,
                                            "\xf4\x90\x80\x80",
                                            "ok\xe2\x82",
                                            "\xe0\x80\xaf",
                                            "\xf0\x80\x80\xaf",
                                            std::string("a\xf5") + "b"};
  for (const std::string& s : strings) {
    Json v = {{"k", s}, {s, Json::array({s, 1})}};
    EXPECT_EQ(DumpJson(Json(s)), Reference(Json(s))) << testing::PrintToString(s);
    EXPECT_EQ(DumpJson(v), Reference(v)) << testing::PrintToString(s);
  }
  Json numbers = Json::array({0, -1, INT64_MIN, INT64_MAX, UINT64_MAX, 1.5, -0.0, 1e300, 0.1, true,
                              false, nullptr, Json::object(), Json::array()});
  EXPECT_EQ(DumpJson(numbers), Reference(numbers));
}

// Random documents (random bytes in strings and names, every value type, nesting) serialize
// byte for byte as nlohmann does; with an indent, DumpJson is nlohmann's output.
TEST(DumpJson, CompactMatchesNlohmannOnRandomDocuments) {
  std::mt19937_64 rng(20261129);
  auto random_string = [&] {
    std::string s(rng() % 12, '\0');
    for (char& c : s) {
      switch (rng() % 4) {
        case 0:  // control
          c = static_cast<char>(rng() % 0x20);
          break;
        case 1:  // high bytes
          c = static_cast<char>(0x80 + rng() % 0x80);
          break;
        default:  // printable
          c = static_cast<char>(0x20 + rng() % 0x60);
          break;
      }
    }
    return s;
  };
  std::function<Json(int)> random_value = [&](int depth) -> Json {
    switch (rng() % (depth > 3 ? 6 : 8)) {
      case 0:
        return Json(random_string());
      case 1:
        return Json(static_cast<int64_t>(rng()));
      case 2:
        return Json(static_cast<uint64_t>(rng()));
      case 3:
        return Json(static_cast<double>(static_cast<int64_t>(rng())) / 1e9);
      case 4:
        return Json(rng() % 2 == 0);
      case 5:
        return Json(nullptr);
      case 6: {
        Json o = Json::object();
        for (int i = rng() % 5; i > 0; --i) o[random_string()] = random_value(depth + 1);
        return o;
      }
      default: {
        Json a = Json::array();
        for (int i = rng() % 5; i > 0; --i) a.push_back(random_value(depth + 1));
        return a;
      }
    }
  };
  int ill_formed = 0;
  for (int i = 0; i < 3000; ++i) {
    Json v = random_value(0);
    std::string expected = Reference(v);
    if (expected.find("\xef\xbf\xbd") != std::string::npos) ++ill_formed;
    ASSERT_EQ(DumpJson(v), expected) << "document " << i;
    ASSERT_EQ(DumpJson(v, 2), v.dump(2, ' ', false, Json::error_handler_t::replace));
  }
  EXPECT_GT(ill_formed, 100);  // the replacement path was exercised, not only valid text
}

}  // namespace
}  // namespace zta
