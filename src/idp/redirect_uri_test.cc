// Tests for redirect URI registration rules and matching (RFC 8252 §7, RFC 9700 §4.1.3).
#include "redirect_uri.h"

#include <gtest/gtest.h>

namespace zta::idp {
namespace {

App AppWith(std::vector<std::string> uris) {
  App a;
  a.client_id = "app-test";
  a.redirect_uris = std::move(uris);
  return a;
}

// https anywhere, http on loopback, and reverse-domain private-use schemes may be registered.
TEST(RedirectUri, AcceptsAllowedForms) {
  for (const char* uri : {"https://chat.example.test/cb", "https://chat.example.test:8443/cb?x=1",
                          "https://example.test", "http://127.0.0.1/cb", "http://127.0.0.1:8080/cb",
                          "http://[::1]/cb", "http://[::1]:9000/callback", "http://localhost/cb",
                          "http://localhost:3000/cb", "com.example.app:/cb",
                          "com.example.app:/oauth2redirect/example-provider"}) {
    EXPECT_TRUE(ValidateRedirectUri(uri).ok()) << uri << ": " << ValidateRedirectUri(uri);
  }
}

// Relative URIs, fragments, http off loopback, unsafe or single-word schemes, user info and bad
// ports are refused.
TEST(RedirectUri, RefusesDisallowedForms) {
  for (const char* uri : {"",
                          "/cb",
                          "cb",
                          "https://example.test/cb#frag",
                          "http://example.test/cb",
                          "http://10.0.0.1/cb",
                          "http://127.0.0.2.example.test/cb",
                          "javascript:alert(1)",
                          "data:text/html,hi",
                          "file:///etc/passwd",
                          "myapp:/cb",
                          "com.example.app:",
                          "https://user@example.test/cb",
                          "https:///cb",
                          "https://example.test:0/cb",
                          "https://example.test:99999/cb",
                          "https://example.test:80a/cb",
                          "https://[::1/cb",
                          "https://example.test/c b",
                          "http://localhost.evil.test/cb"}) {
    Status s = ValidateRedirectUri(uri);
    EXPECT_FALSE(s.ok()) << uri;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << uri;
  }
}

// Matching is exact, except that a loopback URI registered without a port matches any port.
TEST(RedirectUri, ExactMatchAndLoopbackAnyPort) {
  App app = AppWith({"https://chat.example.test/cb", "http://127.0.0.1/cb", "http://[::1]/cb",
                     "http://localhost:3000/fixed", "com.example.app:/cb"});
  EXPECT_TRUE(RedirectUriMatches(app, "https://chat.example.test/cb"));
  EXPECT_TRUE(RedirectUriMatches(app, "com.example.app:/cb"));
  EXPECT_TRUE(RedirectUriMatches(app, "http://127.0.0.1/cb"));
  EXPECT_TRUE(RedirectUriMatches(app, "http://127.0.0.1:51234/cb"));
  EXPECT_TRUE(RedirectUriMatches(app, "http://[::1]:8080/cb"));
  EXPECT_TRUE(RedirectUriMatches(app, "http://localhost:3000/fixed"));

  EXPECT_FALSE(RedirectUriMatches(app, "https://chat.example.test/cb/"));
  EXPECT_FALSE(RedirectUriMatches(app, "https://chat.example.test/cb?x=1"));
  EXPECT_FALSE(RedirectUriMatches(app, "https://chat.example.test:443/cb"));
  EXPECT_FALSE(RedirectUriMatches(app, "https://CHAT.example.test/cb"));
  EXPECT_FALSE(RedirectUriMatches(app, "http://127.0.0.1:51234/other"));
  EXPECT_FALSE(RedirectUriMatches(app, "http://127.0.0.1:51234/cb?x=1"));
  EXPECT_FALSE(RedirectUriMatches(app, "https://127.0.0.1:51234/cb"));
  // A port registered explicitly is exact; a host registered is not swapped for another
  // loopback name.
  EXPECT_FALSE(RedirectUriMatches(app, "http://localhost:3001/fixed"));
  EXPECT_FALSE(RedirectUriMatches(app, "http://localhost:51234/cb"));
  EXPECT_FALSE(RedirectUriMatches(app, "http://127.0.0.1:0/cb"));
  EXPECT_FALSE(RedirectUriMatches(app, "http://user@127.0.0.1:5000/cb"));
  EXPECT_FALSE(RedirectUriMatches(app, "com.example.app:/cb2"));
  EXPECT_FALSE(RedirectUriMatches(AppWith({}), "http://127.0.0.1/cb"));
}

}  // namespace
}  // namespace zta::idp
