// Tests of the page helpers: HTML responses and escaping, cookies (RFC 6265), CSRF checks, and
// StaticFiles over a hand-made table.
#include "zta/http/web.h"

#include <gtest/gtest.h>

#include "zta/http/embedded_files.h"

namespace zta::http {
namespace {

// Pages are never cached, framed or sniffed, and carry a self-only CSP.
TEST(WebTest, HtmlPageCarriesSecurityHeaders) {
  Response r = HtmlPage(200, "<p>hi</p>");
  EXPECT_EQ(r.headers.Get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  EXPECT_EQ(r.headers.Get("X-Frame-Options"), "DENY");
  EXPECT_EQ(r.headers.Get("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(r.headers.Get("Content-Security-Policy")->find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(r.body, "<p>hi</p>");
}

// Every character that could open a tag or close an attribute is escaped.
TEST(WebTest, HtmlEscape) {
  EXPECT_EQ(HtmlEscape(R"(<a href="x" onclick='y'>&</a>)"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("plain text"), "plain text");
}

// Set-Cookie carries the secure defaults and the attributes asked for; forbidden bytes and
// broken prefix promises are refused rather than written.
TEST(WebTest, SetCookieAttributesAndRefusals) {
  Cookie c;
  c.name = "sid";
  c.value = "abc123";
  EXPECT_EQ(*c.ToSetCookie(), "sid=abc123; Path=/; Secure; HttpOnly; SameSite=Lax");
  c.max_age = 0;
  c.same_site = SameSite::kStrict;
  c.secure = false;
  EXPECT_EQ(*c.ToSetCookie(), "sid=abc123; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
  for (const char* value : {"a b", "a;b", "a,b", "a\"b", "a\\b", "a\r\nSet-Cookie: x=y"}) {
    Cookie bad = c;
    bad.value = value;
    EXPECT_FALSE(bad.ToSetCookie().ok()) << value;
  }
  Cookie bad_name = c;
  bad_name.name = "a=b";
  EXPECT_FALSE(bad_name.ToSetCookie().ok());
  Cookie host = c;
  host.name = "__Host-x";
  EXPECT_FALSE(host.ToSetCookie().ok());  // not Secure
  host.secure = true;
  EXPECT_TRUE(host.ToSetCookie().ok());
  host.domain = "example.com";
  EXPECT_FALSE(host.ToSetCookie().ok());
  Cookie none = c;
  none.same_site = SameSite::kNone;
  EXPECT_FALSE(none.ToSetCookie().ok());  // SameSite=None needs Secure
  Cookie path = c;
  path.path = "/;Domain=evil";
  EXPECT_FALSE(path.ToSetCookie().ok());
  Response r;
  ASSERT_TRUE(SetCookie(r, c).ok());
  EXPECT_EQ(r.headers.GetAll("Set-Cookie").size(), 1u);
}

// Cookie fields parse across several fields; a name sent twice is ambiguous.
TEST(WebTest, ParseCookiesAndAmbiguity) {
  Headers h;
  h.Add("Cookie", "a=1; b=\"two\";c=3 ; junk; =x");
  h.Add("Cookie", "d=4");
  auto all = ParseCookies(h);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[1], (std::pair<std::string, std::string>{"b", "two"}));
  EXPECT_EQ(GetCookie(h, "c"), "3");
  EXPECT_EQ(GetCookie(h, "missing"), std::nullopt);
  h.Add("Cookie", "a=planted");
  EXPECT_EQ(GetCookie(h, "a"), std::nullopt);
}

// A form passes the CSRF check only with the cookie and the field equal, and from the expected
// origin when the browser names one.
TEST(WebTest, CsrfDoubleSubmit) {
  CsrfGuard guard;
  guard.secure = false;  // loopback: the cookie loses its __Host- prefix
  auto issued = guard.Issue();
  ASSERT_TRUE(issued.ok());
  const auto& [token, cookie] = *issued;
  EXPECT_EQ(cookie.name, "zta-csrf");
  EXPECT_EQ(cookie.same_site, SameSite::kStrict);
  EXPECT_NE(guard.HiddenField(token).find(token), std::string::npos);
  Request r;
  r.method = "POST";
  r.headers.Set("Cookie", "zta-csrf=" + token);
  r.headers.Set("Origin", "http://127.0.0.1:3000");
  EXPECT_TRUE(guard.Check(r, {{"csrf_token", token}}, "http://127.0.0.1:3000").ok());
  EXPECT_EQ(guard.Check(r, {{"csrf_token", token}}, "http://evil.example").reason(),
            "csrf_origin");
  EXPECT_EQ(guard.Check(r, {{"csrf_token", token + "x"}}, "").reason(), "csrf_mismatch");
  EXPECT_EQ(guard.Check(r, {}, "").reason(), "csrf_mismatch");
  EXPECT_EQ(guard.Check(r, {{"csrf_token", token}, {"csrf_token", token}}, "").reason(),
            "csrf_mismatch");
  Request no_cookie = r;
  no_cookie.headers.Remove("Cookie");
  EXPECT_EQ(guard.Check(no_cookie, {{"csrf_token", token}}, "").reason(), "csrf_mismatch");
  Request short_token = r;
  short_token.headers.Set("Cookie", "zta-csrf=x");
  EXPECT_EQ(guard.Check(short_token, {{"csrf_token", "x"}}, "").reason(), "csrf_mismatch");
}

// StaticFiles serves exact names under its prefix, with ETag revalidation, and nothing else.
TEST(WebTest, StaticFilesServeExactNames) {
  static constexpr EmbeddedFile kFiles[] = {{"a.css", "text/css; charset=utf-8", "body{}"}};
  StaticFiles files(kFiles, "/static/");
  Request get;
  get.method = "GET";
  get.path = "/static/a.css";
  auto r = files.Serve(get);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "body{}");
  EXPECT_EQ(r->headers.Get("Content-Type"), "text/css; charset=utf-8");
  Request again = get;
  again.headers.Set("If-None-Match", *r->headers.Get("ETag"));
  EXPECT_EQ(files.Serve(again)->status, 304);
  for (const char* path : {"/static/../static/a.css", "/static/%61.css", "/static/A.css",
                           "/static/", "/static/a.css/"}) {
    Request other = get;
    other.path = path;
    EXPECT_EQ(files.Serve(other)->status, 404) << path;
  }
  Request post = get;
  post.method = "POST";
  EXPECT_EQ(files.Serve(post)->status, 405);
  Request outside = get;
  outside.path = "/api/x";
  EXPECT_FALSE(files.Serve(outside).has_value());
  EXPECT_EQ(ContentTypeForPath("x.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeForPath("x.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace zta::http
