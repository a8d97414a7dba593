// Tests for TableReader: typed getters, the errors naming their key, and unknown keys.
#include "zta/core/toml_reader.h"

#include <gtest/gtest.h>

namespace zta {
namespace {

toml::table Parse(std::string_view text) {
  toml::table root;
  Status parsed = ParseToml(text, [&root](const toml::table& t) {
    root = t;
    return Status::Ok();
  });
  EXPECT_TRUE(parsed.ok()) << parsed;
  return root;
}

// Each exact getter reads its own type and leaves the default for an absent key.
TEST(TableReaderTest, ExactGettersReadTheirType) {
  toml::table t =
      Parse("s = \"x\"\ni = 7\nb = true\nf = 1.5\nn = 2\nl = [\"a\", \"b\"]\n[sub]\nk = 1\n");
  TableReader r(t, "cfg.");
  std::string s, absent = "kept";
  int64_t i = 0;
  bool b = false;
  std::optional<double> f, n;
  std::vector<std::string> l = {"old"};
  ASSERT_TRUE(r.GetString("s", &s).ok());
  ASSERT_TRUE(r.GetString("absent", &absent).ok());
  ASSERT_TRUE(r.GetInt("i", &i).ok());
  ASSERT_TRUE(r.GetBool("b", &b).ok());
  ASSERT_TRUE(r.GetNumber("f", &f).ok());
  ASSERT_TRUE(r.GetNumber("n", &n).ok());
  ASSERT_TRUE(r.GetStrings("l", &l).ok());
  auto sub = r.GetTable("sub");
  ASSERT_TRUE(sub.ok());
  ASSERT_NE(*sub, nullptr);
  EXPECT_EQ(s, "x");
  EXPECT_EQ(absent, "kept");
  EXPECT_EQ(i, 7);
  EXPECT_TRUE(b);
  EXPECT_EQ(f, 1.5);
  EXPECT_EQ(n, 2.0);  // a number may be written as an integer
  EXPECT_EQ(l, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*sub)->size(), 1u);
  EXPECT_TRUE(r.Finish().ok());
}

// A value of another type is an error naming the key and the type wanted; no conversions.
TEST(TableReaderTest, WrongTypesNameTheKey) {
  toml::table t = Parse("s = 1\ni = 1.0\nb = 1\nf = \"1\"\nl = [1]\nm = \"x\"\nsub = 3\n");
  TableReader r(t, "cfg.");
  std::string s;
  int64_t i = 0;
  bool b = false;
  std::optional<double> f;
  std::vector<std::string> l, m;
  EXPECT_EQ(r.GetString("s", &s).message(), "cfg.s must be a string");
  EXPECT_EQ(r.GetInt("i", &i).message(), "cfg.i must be an integer");
  EXPECT_EQ(r.GetBool("b", &b).message(), "cfg.b must be true or false");
  EXPECT_EQ(r.GetNumber("f", &f).message(), "cfg.f must be a number");
  EXPECT_EQ(r.GetStrings("l", &l).message(), "cfg.l must be an array of strings");
  EXPECT_EQ(r.GetStrings("m", &m).message(), "cfg.m must be an array of strings");
  EXPECT_EQ(r.GetTable("sub").status().message(), "cfg.sub must be a table");
  EXPECT_FALSE(f.has_value());
}

// A key no getter asked about (nor Skip) is refused by Finish, by name.
TEST(TableReaderTest, UnknownKeyIsAnError) {
  toml::table t = Parse("known = 1\nhandled = {}\ntypo = 2\n");
  TableReader r(t, "cfg.");
  int64_t known = 0;
  ASSERT_TRUE(r.GetInt("known", &known).ok());
  r.Skip("handled");
  Status finished = r.Finish();
  EXPECT_EQ(finished.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(finished.message(), "cfg.typo is not a known setting");
}

}  // namespace
}  // namespace zta
