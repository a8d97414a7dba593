// Tests for the HTTP message values and codecs: headers, percent-encoding, forms and URLs.
#include "zta/http/message.h"

#include <gtest/gtest.h>

namespace zta::http {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Field names match regardless of case (RFC 9110 §5.1); every value of a repeated name is kept.
TEST(Headers, NamesAreCaseInsensitiveAndRepeatsAreKept) {
  Headers h;
  h.Add("Authorization", "Bearer a");
  h.Add("authorization", "Bearer b");
  h.Add("Content-Type", "text/plain");
  EXPECT_EQ(h.Get("AUTHORIZATION"), "Bearer a");
  EXPECT_EQ(h.GetAll("Authorization"), (std::vector<std::string>{"Bearer a", "Bearer b"}));
  EXPECT_TRUE(h.Has("content-type"));
  EXPECT_FALSE(h.Has("Content-Length"));
  EXPECT_EQ(h.Get("Content-Length"), std::nullopt);

  h.Set("AUTHORIZATION", "Bearer c");  // replaces both
  EXPECT_EQ(h.GetAll("authorization"), (std::vector<std::string>{"Bearer c"}));
  h.Remove("content-TYPE");
  EXPECT_FALSE(h.Has("Content-Type"));
  EXPECT_EQ(h.fields().size(), 1u);
}

// EqualsIgnoreCase folds ASCII letters only and compares lengths.
TEST(Headers, EqualsIgnoreCase) {
  EXPECT_TRUE(EqualsIgnoreCase("Content-Length", "content-length"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("Host", "Hostx"));
  EXPECT_FALSE(EqualsIgnoreCase("a-b", "a_b"));
}

// The constructors set the body and the matching Content-Type.
TEST(ResponseTest, JsonAndTextSetContentType) {
  Response j = Response::Json(201, Json{{"ok", true}});
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(j.headers.Get("content-type"), "application/json");
  EXPECT_EQ(j.body, R"({"ok":true})");

  Response t = Response::Text(404, "nope");
  EXPECT_EQ(t.status, 404);
  EXPECT_EQ(t.headers.Get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(t.body, "nope");
}

// Unreserved characters pass through; everything else becomes uppercase %XX (RFC 3986 §2).
TEST(PercentEncoding, EncodesAllButUnreserved) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b/c?d=e&f+g"), "a%20b%2Fc%3Fd%3De%26f%2Bg");
  EXPECT_EQ(PercentEncode("\xc3\xa9"), "%C3%A9");  // é in UTF-8
  EXPECT_EQ(PercentEncode(std::string("\0", 1)), "%00");
}

// Decoding inverts encoding, accepts either hex case and treats '+' per the caller's choice.
TEST(PercentEncoding, DecodesAndRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  auto back = PercentDecode(PercentEncode(all), /*plus_is_space=*/false);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, all);

  EXPECT_EQ(*PercentDecode("%2f%2F", false), "//");
  EXPECT_EQ(*PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_EQ(*PercentDecode("%2B", true), "+");
  EXPECT_EQ(*PercentDecode("", true), "");
}

// Bad escapes are errors, never passed through (two parsers must not disagree).
TEST(PercentEncoding, RejectsBadEscapes) {
  for (const char* bad : {"%", "%4", "abc%", "%zz", "%4g", "%g4", "a%2", "%%41", "%-1"}) {
    auto r = PercentDecode(bad, true);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

// A form body decodes names and values, keeps repeats in order and tolerates empty pairs.
TEST(Form, ParsesFields) {
  auto r = ParseForm(
      "grant_type=client_credentials&scope=a+b%20c&resource=https%3A%2F%2Fapi&"
      "scope=x&&flag&empty=&=v");
  ASSERT_TRUE(r.ok()) << r.status();
  Fields expected = {{"grant_type", "client_credentials"},
                     {"scope", "a b c"},
                     {"resource", "https://api"},
                     {"scope", "x"},
                     {"flag", ""},
                     {"empty", ""},
                     {"", "v"}};
  EXPECT_EQ(*r, expected);
  auto empty = ParseForm("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto equals_in_value = ParseForm("a=b=c");
  ASSERT_TRUE(equals_in_value.ok());
  EXPECT_EQ(*equals_in_value, (Fields{{"a", "b=c"}}));
}

// One bad escape anywhere fails the whole form.
TEST(Form, RejectsBadEscapes) {
  EXPECT_FALSE(ParseForm("a=1&b=%zz").ok());
  EXPECT_FALSE(ParseForm("a%=1").ok());
  EXPECT_FALSE(ParseForm("a=%").ok());
}

// FormEncode output parses back to the same fields, with space as '+' and reserved bytes escaped.
TEST(Form, EncodeRoundTrips) {
  Fields fields = {{"client_id", "agent one"},
                   {"redirect_uri", "https://x/cb?a=1&b=2"},
                   {"plus", "+"},
                   {"utf8", "\xc3\xa9"},
                   {"", ""}};
  std::string encoded = FormEncode(fields);
  EXPECT_EQ(encoded.substr(0, 19), "client_id=agent+one");
  EXPECT_EQ(encoded.find(' '), std::string::npos);
  auto parsed = ParseForm(encoded);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, fields);
  EXPECT_EQ(FormEncode({}), "");
}

// Well-formed URLs split into scheme, lowercased host, port (defaulted) and target.
TEST(UrlTest, ParsesValidUrls) {
  auto a = ParseUrl("http://example.com");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->scheme, "http");
  EXPECT_EQ(a->host, "example.com");
  EXPECT_EQ(a->port, 80);
  EXPECT_EQ(a->target, "/");
  EXPECT_EQ(a->Origin(), "http://example.com");

  auto b = ParseUrl("HTTPS://Idp.Example.COM:8443/a/b?x=1&y=%20#frag");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->scheme, "https");
  EXPECT_EQ(b->host, "idp.example.com");
  EXPECT_EQ(b->port, 8443);
  EXPECT_EQ(b->target, "/a/b?x=1&y=%20");  // the fragment is not part of the target
  EXPECT_EQ(b->Origin(), "https://idp.example.com:8443");

  auto c = ParseUrl("https://api.example");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 443);
  EXPECT_EQ(c->Origin(), "https://api.example");

  auto d = ParseUrl("http://127.0.0.1:65535?q");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->host, "127.0.0.1");
  EXPECT_EQ(d->port, 65535);
  EXPECT_EQ(d->target, "/?q");
}

// IPv6 literals are accepted in brackets and stored without them; Origin() puts them back.
TEST(UrlTest, ParsesIpv6Literals) {
  auto a = ParseUrl("http://[::1]:8080/jwks");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->target, "/jwks");
  EXPECT_EQ(a->Origin(), "http://[::1]:8080");

  auto b = ParseUrl("https://[2001:DB8::A]/");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->host, "2001:db8::a");
  EXPECT_EQ(b->Origin(), "https://[2001:db8::a]");
}

// Other schemes, userinfo, spaces, control bytes and bad hosts or ports are refused.
TEST(UrlTest, RejectsBadUrls) {
  const char* bad[] = {
      "",
      "example.com/path",
      "ftp://example.com/",
      "file:///etc/passwd",
      "javascript://x",
      "http://",
      "http:///path",
      "http://:80/",
      "http://user@example.com/",
      "http://user:pw@example.com/",
      "http://trusted.example@evil.example/",
      "http://exa mple.com/",
      "http://example.com/a b",
      "http://example.com/\r\nHost: evil",
      "http://example.com/\x01",
      "http://example.com/\x7f",
      "http://ex\xc3\xa9mple.com/",
      "http://example.com:0/",
      "http://example.com:65536/",
      "http://example.com:99999999999/",
      "http://example.com:-1/",
      "http://example.com:8o/",
      "http://example.com:/",
      "http://[::1/",
      "http://[]/",
      "http://[zz::1]/",
      "http://[::1]junk/",
      "http://[127.0.0.1]/",
      "http://exa%6dple.com/",
      "http://a,b.com/",
  };
  for (const char* url : bad) {
    auto r = ParseUrl(url);
    EXPECT_FALSE(r.ok()) << "accepted: " << url;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << url;
    }
  }
}

}  // namespace
}  // namespace zta::http
