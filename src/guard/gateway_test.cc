// Tests of guard::Gateway end to end on loopback: a FakeIssuer, an echoing upstream, the
// gateway on HttpServer, requests through http::Send. Also route and TOML config parsing.
#include "zta/guard/gateway.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "test_util.h"
#include "zta/http/client.h"

namespace zta::guard {
namespace {

using testing::FakeIssuer;
using testing::kAudience;

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto upstream = http::HttpServer::Start({}, [this](const http::Request& r) {
      ++upstream_calls_;
      Json headers = Json::object();
      for (const auto& [name, value] : r.headers.fields()) headers[name] = value;
      return http::Response::Json(
          200,
          Json{{"method", r.method}, {"target", r.target}, {"body", r.body}, {"headers", headers}});
    });
    ASSERT_TRUE(upstream.ok());
    upstream_ = std::move(upstream).value();

    auto served = testing::ServeGateway(
        testing::GatewayOptionsFor(issuer_, upstream_->BaseUrl(),
                                   {"GET /api/hotels* read_hotels",
                                    "POST /api/bookings create_bookings",
                                    "DELETE /api/staff staff_admin"}),
        clock_, audit_);
    ASSERT_NE(served.server, nullptr);
    gateway_ = std::move(served.gateway);
    server_ = std::move(served.server);
  }

  http::Response Call(const std::string& method, const std::string& target,
                      const std::string& token, http::Headers extra = {}, std::string body = {}) {
    http::ClientRequest r;
    r.method = method;
    r.url = server_->BaseUrl() + target;
    r.headers = std::move(extra);
    if (!token.empty()) r.headers.Set("Authorization", "Bearer " + token);
    r.body = std::move(body);
    auto response = http::Send(r);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }

  SystemClock& clock_ = SystemClock::Instance();
  InMemoryAuditSink audit_;
  FakeIssuer issuer_;
  std::unique_ptr<http::HttpServer> upstream_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<http::HttpServer> server_;
  std::atomic<int> upstream_calls_{0};
};

// An allowed request reaches the upstream with the verified principal in X-Zta-* headers;
// X-Zta-* headers sent by the client are dropped first and the token is not forwarded.
TEST_F(GatewayTest, ForwardsWithPrincipalHeadersAndStripsSpoofedOnes) {
  std::string token = issuer_.Sign(
      issuer_.Token(clock_).Claim("act", Json{{"sub", "planner"}, {"act", {{"sub", "root"}}}}));
  http::Headers spoof;
  spoof.Set("X-Zta-Subject", "admin");
  spoof.Set("x-zta-scopes", "everything");
  auto r = Call("GET", "/api/hotels/42?city=Oslo", token, spoof);
  ASSERT_EQ(r.status, 200) << r.body;
  auto echo = ParseJsonStrict(r.body);
  ASSERT_TRUE(echo.ok());
  const Json& h = (*echo)["headers"];
  EXPECT_EQ((*echo)["target"], "/api/hotels/42?city=Oslo");
  EXPECT_EQ(h["X-Zta-Subject"], "hotel-agent");
  EXPECT_EQ(h["X-Zta-Client-Id"], "hotel-agent");
  EXPECT_EQ(h["X-Zta-Actor"], "planner,root");
  EXPECT_EQ(h["X-Zta-Scopes"], "read_hotels create_bookings");
  EXPECT_FALSE(h.contains("x-zta-scopes"));
  EXPECT_FALSE(h.contains("Authorization"));
  EXPECT_EQ(audit_.Events().back().component, "gateway");
  EXPECT_EQ(audit_.Events().back().decision, AuditDecision::kAllow);
}

// W3C Trace Context §3.2: the gateway's allow and its refusals carry the trace id of a valid
// traceparent, and none for an invalid one (the old check took any 32 characters after "xx-").
TEST_F(GatewayTest, AuditsTheTraceparentTraceId) {
  std::string token = issuer_.Sign(issuer_.Token(clock_));
  http::Headers traced;
  traced.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_EQ(Call("GET", "/api/hotels", token, traced).status, 200);
  EXPECT_EQ(audit_.Events().back().trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(Call("GET", "/admin", token, traced).status, 404);
  EXPECT_EQ(audit_.Events().back().trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  http::Headers invalid;
  invalid.Set("traceparent", "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_EQ(Call("GET", "/api/hotels", token, invalid).status, 200);
  EXPECT_EQ(audit_.Events().back().trace_id, "");
}

// A POST body is forwarded unchanged.
TEST_F(GatewayTest, ForwardsBody) {
  http::Headers json;
  json.Set("Content-Type", "application/json");
  auto r =
      Call("POST", "/api/bookings", issuer_.Sign(issuer_.Token(clock_)), json, R"({"room":12})");
  ASSERT_EQ(r.status, 200);
  auto echo = ParseJsonStrict(r.body);
  EXPECT_EQ((*echo)["body"], R"({"room":12})");
  EXPECT_EQ((*echo)["method"], "POST");
}

// Denials never reach the upstream: no route → 404, no token → 401, missing scope → 403 with
// the RFC 6750 challenge, a dot-segment path → 400, a token in the query → 400.
TEST_F(GatewayTest, DenialsNeverReachUpstream) {
  std::string token = issuer_.Sign(issuer_.Token(clock_));
  EXPECT_EQ(Call("GET", "/admin", token).status, 404);
  EXPECT_EQ(Call("PUT", "/api/bookings", token).status, 404);
  auto none = Call("GET", "/api/hotels", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers.Get("WWW-Authenticate")->rfind("Bearer realm=", 0), 0u);
  auto scope = Call("DELETE", "/api/staff", token);
  EXPECT_EQ(scope.status, 403);
  EXPECT_NE(scope.headers.Get("WWW-Authenticate")->find("scope=\"staff_admin\""),
            std::string::npos);
  // curl squashes "/../" itself, so that case goes to the handler directly.
  http::Request dots;
  dots.method = "GET";
  dots.path = dots.target = "/api/hotels/../admin";
  dots.headers.Set("Authorization", "Bearer " + token);
  EXPECT_EQ(gateway_->Handle(dots).status, 400);
  EXPECT_EQ(Call("GET", "/api/hotels/%2e%2e/admin", token).status, 400);
  EXPECT_EQ(Call("GET", "/api/hotels?access_token=" + token, "").status, 400);
  auto expired = Call("GET", "/api/hotels",
                      issuer_.Sign(issuer_.Token(clock_).ExpiresAt(clock_.NowSeconds() - 120)));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(upstream_calls_, 0);
}

// The gateway serves its RFC 9728 metadata itself.
TEST_F(GatewayTest, ServesProtectedResourceMetadata) {
  auto r = Call("GET", "/.well-known/oauth-protected-resource", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(issuer_.issuer()), std::string::npos);
}

// An unreachable upstream gives 502, not a hang or a crash.
TEST_F(GatewayTest, UpstreamDownIs502) {
  upstream_.reset();
  EXPECT_EQ(Call("GET", "/api/hotels", issuer_.Sign(issuer_.Token(clock_))).status, 502);
}

// Route specs: method upper-cased, prefix patterns, exact paths.
TEST(RouteTest, ParseAndMatch) {
  auto r = ParseRoute("get /api/hotels* read_hotels read_rooms");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->scopes, (std::vector<std::string>{"read_hotels", "read_rooms"}));
  EXPECT_TRUE(r->Matches("GET", "/api/hotels"));
  EXPECT_TRUE(r->Matches("GET", "/api/hotels/1"));
  EXPECT_FALSE(r->Matches("POST", "/api/hotels"));
  EXPECT_FALSE(r->Matches("GET", "/api/hotel"));
  auto exact = ParseRoute("POST /api/bookings");
  EXPECT_TRUE(exact->Matches("POST", "/api/bookings"));
  EXPECT_FALSE(exact->Matches("POST", "/api/bookings/1"));
  EXPECT_FALSE(ParseRoute("GET").ok());
}

// The TOML form: issuers, routes, introspection secrets from the environment; unknown keys and
// wrong types are refused.
TEST(GatewayConfigTest, ParsesTomlAndRefusesTypos) {
  setenv("ZTA_TEST_RS_SECRET", "rs-secret", 1);
  auto o = ParseGatewayConfig(R"(
listen = "0.0.0.0:9090"
upstream = "http://127.0.0.1:9000"
audience = "https://hotel.example/api"
realm = "hotel"

[[issuer]]
issuer = "http://127.0.0.1:3000"
algorithms = ["ES256", "RS256"]
[issuer.introspection]
client_id = "https://hotel.example/api"
client_secret_env = "ZTA_TEST_RS_SECRET"

[[issuer]]
issuer = "https://login.example/tenant/v2.0"
jwks_uri = "https://login.example/keys"
typ = ""
scope_claims = ["scp", "roles"]

[[route]]
method = "get"
path = "/api/hotels*"
scopes = ["read_hotels"]

[[route]]
method = "POST"
path = "/api/bookings"
scopes = ["create_bookings"]
introspect = true
)");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->listen_host, "0.0.0.0");
  EXPECT_EQ(o->listen_port, 9090);
  ASSERT_EQ(o->validator.issuers.size(), 2u);
  EXPECT_TRUE(o->validator.issuers[0].introspection.has_value());
  EXPECT_EQ(o->validator.issuers[0].introspection->client_secret.Reveal(), "rs-secret");
  EXPECT_EQ(o->validator.issuers[1].required_typ, "");
  EXPECT_EQ(o->routes[0].method, "GET");
  EXPECT_TRUE(o->routes[1].introspect);
  EXPECT_TRUE(o->Validate().ok()) << o->Validate();

  EXPECT_FALSE(ParseGatewayConfig("upstreem = \"http://x\"\n").ok());
  EXPECT_FALSE(ParseGatewayConfig("threads = \"two\"\n").ok());
  EXPECT_FALSE(ParseGatewayConfig("[[route]\n").ok());
  auto bad = ParseGatewayConfig("[[issuer]]\nissuer = \"x\"\nalgorithms = [\"none\"]\n");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace zta::guard
