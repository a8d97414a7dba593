// Regression tests for the outside probe of `zta gateway` (issue "Security fixes from an outside
// probe"): each case here got past the gateway before its fix. Requests are written on a raw
// socket so that no client library normalizes them first; a recording upstream shows exactly
// what was forwarded.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "../http/test_util.h"
#include "forwarding.h"
#include "test_util.h"
#include "zta/core/mutex.h"
#include "zta/guard/gateway.h"
#include "zta/http/client.h"

namespace zta::guard {
namespace {

using testing::FakeIssuer;
using testing::kAudience;

struct Recorded {
  std::string method;
  std::string target;
  http::Headers headers;
};

class GatewayProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto upstream = http::HttpServer::Start({}, [this](const http::Request& r) {
      MutexLock lock(mu_);
      recorded_.push_back({r.method, r.target, r.headers});
      http::Response response = http::Response::Text(200, "ok");
      if (r.path == "/api/redirect") {
        response.status = 302;
        response.headers.Set("Location", upstream_base_ + "/api/elsewhere?x=1");
        response.headers.Set("Content-Location", "http://other.example/doc");
      }
      return response;
    });
    ASSERT_TRUE(upstream.ok());
    upstream_ = std::move(upstream).value();
    upstream_base_ = upstream_->BaseUrl();
    StartGateway({"GET /api/admin* admin", "GET /api/* read_hotels", "POST /api/forms* forms"});
    read_token_ = issuer_.Sign(issuer_.Token(clock_).Claim("scope", "read_hotels forms"));
    admin_token_ = issuer_.Sign(issuer_.Token(clock_).Claim("scope", "read_hotels admin"));
  }

  void StartGateway(std::vector<std::string> specs, bool case_sensitive_admin = false) {
    server_.reset();
    GatewayOptions o = testing::GatewayOptionsFor(issuer_, upstream_->BaseUrl(), specs);
    for (auto& route : o.routes) {
      if (route.path.starts_with("/api/admin")) route.case_sensitive = case_sensitive_admin;
    }
    auto served = testing::ServeGateway(std::move(o), clock_, audit_);
    ASSERT_NE(served.server, nullptr);
    gateway_ = std::move(served.gateway);
    server_ = std::move(served.server);
  }

  // Sends `head` (request line and headers, without the final CRLF) and returns the status.
  int Raw(const std::string& head, const std::string& body = {}) {
    http::testing::RawConnection c(server_->port());
    EXPECT_TRUE(c.connected());
    std::string request = head + "Host: gw.example\r\nConnection: close\r\n";
    if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    EXPECT_TRUE(c.Write(request));
    std::string answer = c.ReadToEnd();
    if (answer.size() < 12 || answer.rfind("HTTP/1.1 ", 0) != 0) return -1;
    return std::stoi(answer.substr(9, 3));
  }
  int Get(const std::string& target, const std::string& token, const std::string& headers = {}) {
    return Raw("GET " + target + " HTTP/1.1\r\nAuthorization: Bearer " + token + "\r\n" + headers);
  }

  std::vector<Recorded> TakeRecorded() {
    MutexLock lock(mu_);
    return std::exchange(recorded_, {});
  }

  SystemClock& clock_ = SystemClock::Instance();
  InMemoryAuditSink audit_;
  FakeIssuer issuer_;
  std::unique_ptr<http::HttpServer> upstream_;
  std::string upstream_base_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<http::HttpServer> server_;
  std::string read_token_, admin_token_;
  Mutex mu_;
  std::vector<Recorded> recorded_ ZTA_GUARDED_BY(mu_);
};

// How a lenient upstream (Flask, Express, Tomcat) could read a path: fully percent-decoded,
// case folded, ";params" dropped, slashes merged, dot segments resolved. Used only to judge
// whether a forwarded path could reach the admin area.
std::string LenientReading(std::string p) {
  for (int round = 0; round < 3; ++round) {  // double and triple encodings too
    auto decoded = http::PercentDecode(p, false);
    if (!decoded.ok()) break;
    p = *decoded;
  }
  for (auto& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto& c : p) c = c == '\\' ? '/' : c;
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    std::string seg = p.substr(i, j - i);
    seg = seg.substr(0, seg.find(';'));
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    i = j + 1;
  }
  std::string joined;
  for (const auto& s : out) joined += "/" + s;
  return joined.empty() ? "/" : joined;
}

struct Spelling {
  const char* target;
  int status;            // for the read_hotels-only token
  const char* upstream;  // what the upstream must receive, or "" when nothing is forwarded
};

// Finding 1: 40 spellings against "GET /api/admin* admin" and "GET /api/* read_hotels" with a
// token holding only read_hotels. Every spelling either is refused (400), is matched by the
// admin route (403), or reaches the upstream in its normal form — and no forwarded path can be
// read by a lenient upstream as the admin area.
TEST_F(GatewayProbeTest, PathSpellingsCannotReachAMoreSpecificRoute) {
  const Spelling kSpellings[] = {
      {"/api/admin", 403, ""},
      {"/api/%61dmin", 403, ""},
      {"/api/adm%69n", 403, ""},
      {"/api/%61%64%6d%69%6e", 403, ""},
      {"/api/%41dmin", 403, ""},
      {"/API/admin", 403, ""},
      {"/Api/Admin/users", 403, ""},
      {"/api/ADMIN", 403, ""},
      {"/api/admin/", 403, ""},
      {"/api/admin/../hotels", 400, ""},
      {"/api/hotels/../admin", 400, ""},
      {"/api/hotels/%2e%2e/admin", 400, ""},
      {"/api/hotels/%2E%2E/admin", 400, ""},
      {"/api/hotels/.%2e/admin", 400, ""},
      {"/api/./admin", 400, ""},
      {"/api/%2e/admin", 400, ""},
      {"/api/hotels/..;/admin", 400, ""},
      {"/api/hotels;x=1/../admin", 400, ""},
      {"/api/admin;jsessionid=1", 400, ""},
      {"/api/hotels/..%3b/admin", 400, ""},
      {"/api//admin", 400, ""},
      {"//api/admin", 400, ""},
      {"/api/hotels%2f..%2fadmin", 400, ""},
      {"/api/hotels%2F..%2Fadmin", 400, ""},
      {"/api/hotels%5c..%5cadmin", 400, ""},
      {"/api/%2561dmin", 400, ""},
      {"/api/%252e%252e/admin", 400, ""},
      {"/api/admin%00", 400, ""},
      {"/api/admi%6", 400, ""},
      {"/api/admin%zz", 400, ""},
      {"/api/hotels%", 400, ""},
      {"/api/hotels/%C3%A9", 200, "/api/hotels/%C3%A9"},
      {"/api/hotels/%c3%a9", 200, "/api/hotels/%C3%A9"},
      {"/api/hotels", 200, "/api/hotels"},
      {"/api/%68otels", 200, "/api/hotels"},
      {"/api/hotels/42?city=Oslo", 200, "/api/hotels/42?city=Oslo"},
      {"/api/hotels/a%2Db%5Fc%7E", 200, "/api/hotels/a-b_c~"},
      {"/api/hotels/%3A%40!$&'()*+,=", 200, "/api/hotels/%3A%40!$&'()*+,="},
      {"/api/hotels/", 200, "/api/hotels/"},
      {"/api/administrator", 403, ""},
      {"/api/hotels/.json", 200, "/api/hotels/.json"},
      {"/api/hotels/...", 200, "/api/hotels/..."},
      {"/api", 404, ""},
      {"/other", 404, ""},
  };
  int cases = 0;
  for (const auto& s : kSpellings) {
    SCOPED_TRACE(s.target);
    EXPECT_EQ(Get(s.target, read_token_), s.status);
    auto seen = TakeRecorded();
    if (*s.upstream == '\0') {
      EXPECT_TRUE(seen.empty()) << "forwarded as " << seen[0].target;
    } else {
      ASSERT_EQ(seen.size(), 1u);
      EXPECT_EQ(seen[0].target, s.upstream);
      std::string path = seen[0].target.substr(0, seen[0].target.find('?'));
      EXPECT_FALSE(LenientReading(path).starts_with("/api/admin")) << LenientReading(path);
    }
    ++cases;
  }
  EXPECT_GE(cases, 30);
  // With the admin scope, every encoded spelling of the admin area is served, forwarded in its
  // normal form (unreserved escapes decoded, case as sent).
  EXPECT_EQ(Get("/api/%61dmin", admin_token_), 200);
  EXPECT_EQ(TakeRecorded().at(0).target, "/api/admin");
  EXPECT_EQ(Get("/API/Admin", admin_token_), 200);
  EXPECT_EQ(TakeRecorded().at(0).target, "/API/Admin");
}

// Review findings: a lower-case method (Werkzeug and ASP.NET upper-case it, so "delete" would
// miss a DELETE route and still run as DELETE), a second Content-Type, `_method` in multipart
// and JSON bodies and in PHP's spellings, '#' and non-URL bytes in the query, and a transfer
// coding other than chunked are refused before any route is matched; nothing is forwarded.
TEST_F(GatewayProbeTest, MethodAndBodyOverridesAreRefused) {
  const std::string auth = "Authorization: Bearer " + read_token_ + "\r\n";
  EXPECT_EQ(Raw("get /api/hotels HTTP/1.1\r\n" + auth), 400);
  EXPECT_EQ(Raw("Get /api/hotels HTTP/1.1\r\n" + auth), 400);
  EXPECT_EQ(audit_.Events().back().reason, kReasonLowerCaseMethod);
  auto post = [&](const std::string& headers, const std::string& body) {
    return Raw("POST /api/forms HTTP/1.1\r\n" + auth + headers, body);
  };
  EXPECT_EQ(post("Content-Type: text/plain\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                 "_method=DELETE"),
            400);
  EXPECT_EQ(audit_.Events().back().reason, kReasonMultipleContentTypes);
  EXPECT_EQ(post("Content-Type: multipart/form-data; boundary=XX\r\n",
                 "--XX\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--XX--\r\n"),
            400);
  EXPECT_EQ(post("Content-Type: Application/JSON\r\n", R"({"_method":"DELETE"})"), 400);
  EXPECT_EQ(post("Content-Type: application/x-www-form-urlencoded\r\n", "+_method=DELETE"), 400);
  EXPECT_EQ(post("Content-Type: application/x-www-form-urlencoded\r\n", "_method%00=DELETE"), 400);
  EXPECT_EQ(audit_.Events().back().reason, kReasonMethodOverride);
  for (std::string query : {"?%20_method=DELETE", "?+_method=DELETE", "?_method%00x=DELETE",
                            "?a=1#/../admin", "?a=\x7f", "?a=<b>"}) {
    SCOPED_TRACE(query);
    EXPECT_EQ(Get("/api/hotels" + query, read_token_), 400);
  }
  {
    http::testing::RawConnection c(server_->port());
    ASSERT_TRUE(c.Write("POST /api/forms HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n" + auth +
                        "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
    EXPECT_EQ(c.ReadToEnd().substr(0, 12), "HTTP/1.1 501");
  }
  EXPECT_TRUE(TakeRecorded().empty());
  // Names that merely contain the word pass: "payment_method" is not an override.
  EXPECT_EQ(post("Content-Type: application/json\r\n", R"({"payment_method":"card"})"), 200);
  EXPECT_EQ(TakeRecorded().size(), 1u);
}

// A body sent without a Content-Type reaches the upstream without one: libcurl's default
// (application/x-www-form-urlencoded) would make the upstream parse a form the gateway never
// inspected as one.
TEST_F(GatewayProbeTest, BodyWithoutContentTypeStaysUntyped) {
  EXPECT_EQ(Raw("POST /api/forms HTTP/1.1\r\nAuthorization: Bearer " + read_token_ + "\r\n",
                "_method=DELETE"),
            200);
  auto seen = TakeRecorded();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].headers.Has("Content-Type"));
}

// A route declared case-sensitive matches only its own spelling: "/API/admin" then falls to the
// next route (for an upstream that really does tell them apart).
TEST_F(GatewayProbeTest, CaseSensitiveRouteMatchesOnlyItsSpelling) {
  StartGateway({"GET /api/admin* admin", "GET /api/* read_hotels"}, /*case_sensitive_admin=*/true);
  EXPECT_EQ(Get("/api/admin", read_token_), 403);
  EXPECT_EQ(Get("/api/%61dmin", read_token_), 403);  // escapes are decoded whatever the case rule
  EXPECT_EQ(Get("/API/admin", read_token_), 200);
  EXPECT_EQ(TakeRecorded().at(0).target, "/API/admin");
}

// Route patterns are normalized like requests, and patterns no request could match are refused.
TEST(GatewayRoutePatternTest, PatternsAreNormalized) {
  EXPECT_EQ(*NormalizeRoutePattern("/api/%61dmin*"), "/api/admin*");
  EXPECT_EQ(*NormalizeRoutePattern("/api/caf%c3%a9"), "/api/caf%C3%A9");
  EXPECT_FALSE(NormalizeRoutePattern("/api/../admin").ok());
  EXPECT_FALSE(NormalizeRoutePattern("/api/*/x").ok());
  EXPECT_FALSE(NormalizeRoutePattern("/api;x").ok());
}

// Finding 1, last part: an absolute-form target is refused before authorization, whatever its
// host, and nothing is forwarded.
TEST_F(GatewayProbeTest, AbsoluteFormTargetIsRefusedBeforeAuthorization) {
  for (std::string target : {"http://other.example/api/hotels", "http://127.0.0.1:1/api/hotels",
                             "https://gw.example/api/hotels", "*"}) {
    SCOPED_TRACE(target);
    EXPECT_EQ(Get(target, read_token_), 400);
    EXPECT_TRUE(TakeRecorded().empty());
  }
  EXPECT_EQ(audit_.Events().back().reason, kReasonAbsoluteFormTarget);
}

// Finding 2: every case, underscore and duplicate spelling of each identity header is dropped,
// so the upstream sees exactly one value of each: the gateway's.
TEST_F(GatewayProbeTest, IdentityHeaderSpellingsNeverReachUpstream) {
  const char* kIdentity[] = {"X-Zta-Subject", "X-Zta-Client-Id", "X-Zta-Actor",
                             "X-Zta-Scopes",  "X-Zta-Issuer",    "X-Zta-Jti"};
  for (std::string name : kIdentity) {
    std::string lower = name, upper = name, underscored = name, mixed = name;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (auto& c : underscored) c = c == '-' ? '_' : c;
    for (size_t i = 0; i < mixed.size(); ++i) mixed[i] = i == 1 ? '_' : mixed[i];
    std::string spoof;
    for (const auto& n : {name, lower, upper, underscored, mixed, "x_zta" + name.substr(5),
                          lower.substr(0, 5) + "_" + lower.substr(6)}) {
      spoof += n + ": admin@example.com\r\n";
      spoof += n + ": admin@example.com\r\n";  // duplicated
    }
    SCOPED_TRACE(name);
    ASSERT_EQ(Get("/api/hotels", read_token_, spoof), 200);
    auto seen = TakeRecorded();
    ASSERT_EQ(seen.size(), 1u);
    int same_name = 0;
    for (const auto& [n, v] : seen[0].headers.fields()) {
      std::string canonical = n;
      for (auto& c : canonical) {
        c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      std::string want = lower;
      if (canonical == want) ++same_name;
      EXPECT_NE(v, "admin@example.com") << n;
    }
    EXPECT_EQ(same_name, 1) << "exactly the gateway's own " << name;
  }
  auto seen = (Get("/api/hotels", read_token_), TakeRecorded());
  EXPECT_EQ(seen.at(0).headers.Get("X-Zta-Subject"), "hotel-agent");
}

// Finding 10: client-set forwarding and override headers are stripped (any spelling) and
// Forwarded / X-Forwarded-* are set from what the gateway saw.
TEST_F(GatewayProbeTest, ForwardingAndOverrideHeadersAreTheGatewaysOwn) {
  std::string spoof =
      "Forwarded: for=10.0.0.1;host=admin.internal\r\nX-Real-IP: 10.0.0.1\r\n"
      "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Host: admin.internal\r\n"
      "X-Forwarded-Proto: https\r\nX-Forwarded-Prefix: /admin\r\nx_forwarded_for: 10.0.0.2\r\n"
      "X-HTTP-Method-Override: DELETE\r\nX-Method-Override: DELETE\r\nX-HTTP-Method: DELETE\r\n"
      "X-Original-URL: /api/admin\r\nX-Rewrite-URL: /api/admin\r\nX-Custom: kept\r\n";
  ASSERT_EQ(Get("/api/hotels", read_token_, spoof), 200);
  auto seen = TakeRecorded();
  ASSERT_EQ(seen.size(), 1u);
  const auto& h = seen[0].headers;
  EXPECT_EQ(h.GetAll("X-Forwarded-For"), std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(h.GetAll("X-Forwarded-Host"), std::vector<std::string>{"gw.example"});
  EXPECT_EQ(h.GetAll("X-Forwarded-Proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(h.GetAll("Forwarded"),
            std::vector<std::string>{"for=127.0.0.1;host=gw.example;proto=http"});
  for (const char* gone : {"X-Real-IP", "X-Forwarded-Prefix", "X-HTTP-Method-Override",
                           "X-Method-Override", "X-HTTP-Method", "X-Original-URL",
                           "X-Rewrite-URL", "x_forwarded_for"}) {
    EXPECT_FALSE(h.Has(gone)) << gone;
  }
  EXPECT_EQ(h.Get("X-Custom"), "kept");
}

// Finding 10: an absolute Location on the upstream's own origin reaches the client as a path;
// a URL elsewhere is left alone.
TEST_F(GatewayProbeTest, UpstreamLocationIsRewritten) {
  http::ClientRequest r;
  r.url = server_->BaseUrl() + "/api/redirect";
  r.headers.Set("Authorization", "Bearer " + read_token_);
  auto answer = http::Send(r);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 302);
  EXPECT_EQ(answer->headers.Get("Location"), "/api/elsewhere?x=1");
  EXPECT_EQ(answer->headers.Get("Content-Location"), "http://other.example/doc");
  // Review finding: a path that reads as a network-path reference would be an open redirect;
  // a URL outside the upstream's path prefix has no client path. Both are dropped.
  EXPECT_EQ(forwarding::RewriteUpstreamLocation(upstream_base_ + "//evil.example/x",
                                                upstream_base_, ""),
            std::nullopt);
  EXPECT_EQ(forwarding::RewriteUpstreamLocation(upstream_base_ + "/\\evil.example/x",
                                                upstream_base_, ""),
            std::nullopt);
  EXPECT_EQ(forwarding::RewriteUpstreamLocation(upstream_base_ + "/v1/items/2?x", upstream_base_,
                                                "/v1"),
            "/items/2?x");
  EXPECT_EQ(forwarding::RewriteUpstreamLocation(upstream_base_ + "/v1", upstream_base_, "/v1"), "/");
  EXPECT_EQ(forwarding::RewriteUpstreamLocation(upstream_base_ + "/v2/x", upstream_base_, "/v1"),
            std::nullopt);
  EXPECT_EQ(forwarding::RewriteUpstreamLocation(upstream_base_ + "/v1x", upstream_base_, "/v1"),
            std::nullopt);
  EXPECT_EQ(forwarding::RewriteUpstreamLocation("/relative", upstream_base_, "/v1"), "/relative");
  for (const auto& [n, v] : answer->headers.fields()) {
    EXPECT_EQ(v.find(upstream_base_), std::string::npos) << n;
  }
}

// Finding 8: a token in the query or a form body is refused however it is spelled or typed, and
// a query or form that does not decode is a 400 — nothing reaches the upstream.
TEST_F(GatewayProbeTest, TokenInQueryOrFormIsRefusedInEverySpelling) {
  const std::string t = read_token_;
  for (std::string query :
       {"access_token=" + t, "access%5Ftoken=" + t, "access%5ftoken=" + t, "ACCESS_TOKEN=" + t,
        "x=1&access_token=" + t, "access_token=" + t + "&x=%zz", "access.token=" + t,
        "access+token=" + t, "access_token[]=" + t, std::string("a=%"), std::string("x=%zz"),
        std::string("_method=DELETE"), std::string("%5Fmethod=DELETE")}) {
    SCOPED_TRACE(query);
    EXPECT_EQ(Get("/api/hotels?" + query, t), 400);
    EXPECT_TRUE(TakeRecorded().empty());
  }
  for (std::string type : {"application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded",
                           "application/x-www-form-urlencoded; charset=utf-8",
                           "APPLICATION/X-WWW-FORM-URLENCODED ;charset=UTF-8"}) {
    for (std::string body :
         {"access_token=" + t, "x=1&access%5Ftoken=" + t, std::string("x=%zz"),
          std::string("_method=DELETE")}) {
      SCOPED_TRACE(type + " | " + body.substr(0, 20));
      EXPECT_EQ(Raw("POST /api/forms HTTP/1.1\r\nAuthorization: Bearer " + t +
                        "\r\nContent-Type: " + type + "\r\n",
                    body),
                400);
      EXPECT_TRUE(TakeRecorded().empty());
    }
  }
  // The same body as JSON is not a form: forwarded as is.
  EXPECT_EQ(Raw("POST /api/forms HTTP/1.1\r\nAuthorization: Bearer " + t +
                    "\r\nContent-Type: application/json\r\n",
                R"({"x":1})"),
            200);
  EXPECT_EQ(TakeRecorded().size(), 1u);
}

// Finding 7: with the gateway serving asynchronously on ONE I/O thread, two upstream calls held
// open do not stall metadata or another route; and a route's own upstream timeout answers 504.
// No timing thresholds: the slow calls are held by a latch until the fast ones have finished.
TEST(GatewayAsyncTest, SlowUpstreamsNeverBlockOtherRequests) {
  SystemClock& clock = SystemClock::Instance();
  InMemoryAuditSink audit;
  FakeIssuer issuer;
  std::mutex mu;
  std::condition_variable cv;
  int slow_arrived = 0;
  bool release = false;
  http::ServerOptions upstream_options;
  upstream_options.threads = 4;  // the upstream itself must hold two calls and answer a third
  auto upstream = http::HttpServer::Start(upstream_options, [&](const http::Request& r) {
    if (r.path.starts_with("/slow")) {
      std::unique_lock lock(mu);
      ++slow_arrived;
      cv.notify_all();
      cv.wait_for(lock, std::chrono::seconds(20), [&] { return release; });
    }
    return http::Response::Text(200, r.path);
  });
  ASSERT_TRUE(upstream.ok());

  GatewayOptions o = testing::GatewayOptionsFor(
      issuer, (*upstream)->BaseUrl(),
      {"GET /slow* read_hotels", "GET /fast* read_hotels", "GET /hung* read_hotels"});
  o.routes[2].path = "/slow/hung";  // held like /slow, with a short timeout of its own
  o.routes[2].upstream_timeout = std::chrono::milliseconds(300);
  std::swap(o.routes[0], o.routes[2]);  // the more specific route first
  auto gateway = Gateway::Create(o, clock, audit);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  http::ServerOptions gateway_options;
  gateway_options.threads = 1;
  Gateway* g = gateway->get();
  auto server = http::HttpServer::StartAsync(
      gateway_options,
      [g](const http::Request& r, http::Respond respond) { g->HandleAsync(r, std::move(respond)); });
  ASSERT_TRUE(server.ok());
  const std::string token = issuer.Sign(issuer.Token(clock).Claim("scope", "read_hotels"));
  auto get = [&](const std::string& target) {
    http::ClientRequest r;
    r.url = (*server)->BaseUrl() + target;
    r.headers.Set("Authorization", "Bearer " + token);
    r.timeout = std::chrono::seconds(30);
    auto answer = http::Send(r);
    return answer.ok() ? answer->status : -1;
  };
  // Warm the key cache so the slow calls do not race the JWKS fetch.
  ASSERT_EQ(get("/fast/warm"), 200);

  std::atomic<int> slow_done{0};
  auto slow1 = std::async(std::launch::async, [&] { int s = get("/slow/1"); ++slow_done; return s; });
  auto slow2 = std::async(std::launch::async, [&] { int s = get("/slow/2"); ++slow_done; return s; });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return slow_arrived == 2; }));
  }
  // Both slow calls are held upstream; the gateway still answers at once.
  http::ClientRequest metadata;
  metadata.url = (*server)->BaseUrl() + "/.well-known/oauth-protected-resource";
  auto m = http::Send(metadata);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(get("/fast/1"), 200);
  EXPECT_EQ(get("/nothing"), 404);
  // A held call on a route with a 300 ms timeout of its own: 504, while the others still wait.
  EXPECT_EQ(get("/slow/hung"), 504);
  EXPECT_EQ(slow_done.load(), 0);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_EQ(slow1.get(), 200);
  EXPECT_EQ(slow2.get(), 200);
}

}  // namespace
}  // namespace zta::guard
