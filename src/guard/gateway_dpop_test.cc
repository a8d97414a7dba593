// `zta gateway` with DPoP (RFC 9449 §7): a bound token with its proof for the gateway's public
// URL is forwarded with the principal and without the token or the proof; a route can require
// DPoP; the TOML keys reach the validator.
#include <gtest/gtest.h>

#include "test_util.h"
#include "zta/guard/gateway.h"
#include "zta/http/client.h"
#include "zta/jose/dpop.h"

namespace zta::guard {
namespace {

using testing::FakeIssuer;

// The URL clients address the gateway by (behind a TLS proxy, say): what proofs must name.
constexpr char kPublicUrl[] = "https://gateway.example";

class GatewayDpopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto upstream = http::HttpServer::Start({}, [this](const http::Request& r) {
      Json headers = Json::object();
      for (const auto& [name, value] : r.headers.fields()) headers[name] = value;
      ++upstream_calls_;
      return http::Response::Json(200, Json{{"headers", headers}});
    });
    ASSERT_TRUE(upstream.ok());
    upstream_ = std::move(upstream).value();
    GatewayOptions o = testing::GatewayOptionsFor(
        issuer_, upstream_->BaseUrl(), {"GET /api/hotels* read_hotels", "GET /api/strict*"});
    o.routes[1].dpop = DpopPolicy::kRequired;
    o.validator.public_base_url = kPublicUrl;
    auto served = testing::ServeGateway(std::move(o), clock_, audit_);
    ASSERT_NE(served.server, nullptr);
    gateway_ = std::move(served.gateway);
    server_ = std::move(served.server);
    auto key = jose::Jwk::Generate(jose::Algorithm::kES256);
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<jose::Jwk>(*key);
  }
  http::Response Call(const std::string& path, const std::string& authorization,
                      const std::string& proof) {
    http::ClientRequest r;
    r.method = "GET";
    r.url = server_->BaseUrl() + path;
    r.headers.Set("Authorization", authorization);
    if (!proof.empty()) r.headers.Set("DPoP", proof);
    auto response = http::Send(r);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }
  std::string Proof(const std::string& path, const std::string& token) {
    jose::DpopProofInput in;
    in.method = "GET";
    in.url = std::string(kPublicUrl) + path;
    in.issued_at = clock_.NowSeconds();
    in.access_token = token;
    auto proof = jose::CreateDpopProof(jose::Algorithm::kES256, *key_, in);
    EXPECT_TRUE(proof.ok());
    return proof.ok() ? *proof : "";
  }
  std::string Bound() {
    return issuer_.Sign(issuer_.Token(clock_).Claim("cnf", Json{{"jkt", key_->Thumbprint()}}));
  }

  SystemClock& clock_ = SystemClock::Instance();
  InMemoryAuditSink audit_;
  FakeIssuer issuer_;
  std::unique_ptr<jose::Jwk> key_;
  std::unique_ptr<http::HttpServer> upstream_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<http::HttpServer> server_;
  std::atomic<int> upstream_calls_{0};
};

TEST_F(GatewayDpopTest, ABoundTokenIsForwardedWithoutTokenOrProof) {
  std::string token = Bound();
  http::Response r = Call("/api/hotels", "DPoP " + token, Proof("/api/hotels", token));
  ASSERT_EQ(r.status, 200) << r.body;
  Json headers = Json::parse(r.body)["headers"];
  EXPECT_EQ(headers.value("X-Zta-Dpop-Jkt", ""), key_->Thumbprint());
  EXPECT_EQ(headers.value("X-Zta-Subject", ""), "hotel-agent");
  for (const auto& [name, value] : headers.items()) {
    EXPECT_NE(http::EqualsIgnoreCase(name, "DPoP"), true) << "the proof reached the upstream";
    EXPECT_NE(http::EqualsIgnoreCase(name, "Authorization"), true);
    EXPECT_EQ(value.get<std::string>().find(token), std::string::npos) << name;
  }
}

TEST_F(GatewayDpopTest, TheBoundTokenAloneIsUseless) {
  std::string token = Bound();
  http::Response bearer = Call("/api/hotels", "Bearer " + token, "");
  EXPECT_EQ(bearer.status, 401);
  EXPECT_EQ(bearer.headers.Get("WWW-Authenticate").value_or("").rfind("DPoP ", 0), 0u);
  std::string proof = Proof("/api/hotels", token);
  EXPECT_EQ(Call("/api/hotels", "DPoP " + token, proof).status, 200);
  EXPECT_EQ(Call("/api/hotels", "DPoP " + token, proof).status, 401);  // replayed proof
  // A proof for the loopback address instead of the public URL names another URL.
  jose::DpopProofInput in;
  in.method = "GET";
  in.url = server_->BaseUrl() + "/api/hotels";
  in.issued_at = clock_.NowSeconds();
  in.access_token = token;
  EXPECT_EQ(Call("/api/hotels", "DPoP " + token,
                 *jose::CreateDpopProof(jose::Algorithm::kES256, *key_, in)).status,
            401);
  EXPECT_EQ(upstream_calls_, 1);
  EXPECT_EQ(audit_.Events().back().reason, jose::kReasonDpopHtuMismatch);
}

TEST_F(GatewayDpopTest, ARouteCanRequireDpop) {
  std::string bearer = issuer_.Sign(issuer_.Token(clock_));
  EXPECT_EQ(Call("/api/hotels", "Bearer " + bearer, "").status, 200);
  EXPECT_EQ(Call("/api/strict", "Bearer " + bearer, "").status, 401);
  EXPECT_EQ(audit_.Events().back().reason, jose::kReasonDpopMissing);
  std::string token = Bound();
  EXPECT_EQ(Call("/api/strict", "DPoP " + token, Proof("/api/strict", token)).status, 200);
}

TEST(GatewayDpopConfigTest, TomlKeysReachTheValidatorAndRoutes) {
  setenv("ZTA_TEST_DPOP_NONCE_KEY", "0123456789abcdef0123456789abcdef", 1);
  auto o = ParseGatewayConfig(R"(
upstream = "http://127.0.0.1:9"
audience = "https://hotel.example/api"
public_url = "https://gateway.example"
[dpop]
require_nonce = true
replay_cache_entries = 5000
max_age_seconds = 30
nonce_key_env = "ZTA_TEST_DPOP_NONCE_KEY"
[[issuer]]
issuer = "https://idp.example"
dpop = "required"
[[route]]
method = "GET"
path = "/api/*"
dpop = "off"
)");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->validator.public_base_url, "https://gateway.example");
  EXPECT_TRUE(o->validator.dpop_require_nonce);
  EXPECT_EQ(o->validator.dpop_replay_cache_entries, 5000u);
  EXPECT_EQ(o->validator.dpop_max_age_seconds, 30);
  EXPECT_EQ(o->validator.dpop_nonce_key.Reveal().size(), 32u);
  EXPECT_EQ(o->validator.issuers[0].dpop, DpopPolicy::kRequired);
  ASSERT_TRUE(o->routes[0].dpop.has_value());
  EXPECT_EQ(*o->routes[0].dpop, DpopPolicy::kOff);
  EXPECT_FALSE(ParseGatewayConfig(R"(
upstream = "http://127.0.0.1:9"
audience = "https://hotel.example/api"
[[issuer]]
issuer = "https://idp.example"
dpop = "sometimes"
[[route]]
method = "GET"
path = "/api/*"
)").ok());
  EXPECT_FALSE(ParseGatewayConfig("upstream = \"http://127.0.0.1:9\"\n[dpop]\nbogus = 1\n").ok());
}

}  // namespace
}  // namespace zta::guard
