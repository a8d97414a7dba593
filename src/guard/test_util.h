// Test helpers for zta::guard: a loopback issuer (metadata, JWKS, introspection) on HttpServer
// whose keys, Cache-Control and availability tests change at will, and a token minter.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "zta/core/clock.h"
#include "zta/core/mutex.h"
#include "zta/guard/gateway.h"
#include "zta/http/server.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jwt.h"

namespace zta::guard::testing {

inline constexpr char kAudience[] = "https://hotel.example/api";

// Thread-safe: the server's threads read what the test sets.
class FakeIssuer {
 public:
  FakeIssuer() {
    auto server = http::HttpServer::Start({}, [this](const http::Request& r) { return Serve(r); });
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    AddKey("k1");
  }

  std::string issuer() const { return server_->BaseUrl(); }
  std::string jwks_uri() const { return server_->BaseUrl() + "/jwks"; }

  // Generates an ES256 key, publishes its public half, returns it.
  jose::Jwk AddKey(const std::string& kid) {
    auto key = jose::Jwk::Generate(jose::Algorithm::kES256, kid);
    EXPECT_TRUE(key.ok()) << key.status();
    MutexLock lock(mu_);
    keys_.push_back(*key);
    return *key;
  }
  // A key that signs but is not published.
  static jose::Jwk UnpublishedKey(const std::string& kid) {
    return *jose::Jwk::Generate(jose::Algorithm::kES256, kid);
  }
  // Copies, like last_introspection_auth: a reference would be read after the lock is gone,
  // while AddKey or the server thread may change the member.
  jose::Jwk key(size_t i = 0) {
    MutexLock lock(mu_);
    return keys_.at(i);
  }
  void RemoveKey(size_t i) {
    MutexLock lock(mu_);
    keys_.erase(keys_.begin() + static_cast<long>(i));
  }
  void SetCacheControl(std::string value) {
    MutexLock lock(mu_);
    cache_control_ = std::move(value);
  }
  void SetDown(bool down) { down_ = down; }
  void SetActive(bool active) { active_ = active; }
  int jwks_fetches() const { return jwks_fetches_; }
  int introspections() const { return introspections_; }
  std::string last_introspection_auth() {
    MutexLock lock(mu_);
    return last_auth_;
  }

  // An RFC 9068 access token from this issuer, signed with key `key_index`.
  jose::JwtBuilder Token(const Clock& clock, const std::string& sub = "hotel-agent") {
    int64_t now = clock.NowSeconds();
    jose::JwtBuilder b;
    b.Type("at+jwt")
        .Issuer(issuer())
        .Subject(sub)
        .Audience(kAudience)
        .IssuedAt(now)
        .ExpiresAt(now + 300)
        .Id("jti-" + std::to_string(++minted_))
        .Claim("client_id", sub)
        .Claim("scope", "read_hotels create_bookings");
    return b;
  }
  std::string Sign(const jose::JwtBuilder& b, size_t key_index = 0) {
    auto token = b.Sign(jose::Algorithm::kES256, key(key_index));
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : std::string();
  }

 private:
  http::Response Serve(const http::Request& r) {
    if (down_) return http::Response::Json(503, Json{{"error", "down"}});
    if (r.path == "/.well-known/openid-configuration" ||
        r.path == "/.well-known/oauth-authorization-server") {
      return http::Response::Json(200, Json{{"issuer", issuer()},
                                            {"jwks_uri", jwks_uri()},
                                            {"introspection_endpoint", issuer() + "/introspect"},
                                            {"token_endpoint", issuer() + "/token"}});
    }
    if (r.path == "/jwks") {
      ++jwks_fetches_;
      MutexLock lock(mu_);
      Json keys = Json::array();
      for (const auto& k : keys_) keys.push_back(k.ToPublicJson());
      auto response = http::Response::Json(200, Json{{"keys", keys}});
      if (!cache_control_.empty()) response.headers.Set("Cache-Control", cache_control_);
      return response;
    }
    if (r.path == "/introspect" && r.method == "POST") {
      ++introspections_;
      MutexLock lock(mu_);
      last_auth_ = r.headers.Get("Authorization").value_or("");
      return http::Response::Json(200, Json{{"active", active_.load()}});
    }
    return http::Response::Json(404, Json{{"error", "not_found"}});
  }

  std::unique_ptr<http::HttpServer> server_;
  Mutex mu_;
  std::vector<jose::Jwk> keys_ ZTA_GUARDED_BY(mu_);
  std::string cache_control_ ZTA_GUARDED_BY(mu_);
  std::string last_auth_ ZTA_GUARDED_BY(mu_);
  std::atomic<bool> down_{false};
  std::atomic<bool> active_{true};
  std::atomic<int> jwks_fetches_{0};
  std::atomic<int> introspections_{0};
  std::atomic<int> minted_{0};
};

// Gateway options trusting `issuer` for kAudience, forwarding to `upstream`, with routes in
// the flag form ("GET /api/hotels* read_hotels").
inline GatewayOptions GatewayOptionsFor(const FakeIssuer& issuer, const std::string& upstream,
                                        const std::vector<std::string>& routes) {
  GatewayOptions o;
  TrustedIssuer t;
  t.issuer = issuer.issuer();
  o.validator.issuers.push_back(t);
  o.validator.audience = kAudience;
  o.upstream = upstream;
  for (const auto& spec : routes) {
    auto route = ParseRoute(spec);
    EXPECT_TRUE(route.ok()) << spec;
    if (route.ok()) o.routes.push_back(*route);
  }
  return o;
}

// A gateway for `options` behind a loopback server calling Handle (blocking forward), and its
// metrics listener when options.metrics_listen_host is set (port 0 picks one: read its port()).
struct ServedGateway {
  std::unique_ptr<Gateway> gateway;
  std::unique_ptr<http::HttpServer> server;
  std::unique_ptr<http::HttpServer> metrics_server;  // destroyed first: it calls the gateway
};
inline ServedGateway ServeGateway(GatewayOptions options, const Clock& clock, AuditSink& audit) {
  ServedGateway served;
  auto gateway = Gateway::Create(std::move(options), clock, audit);
  EXPECT_TRUE(gateway.ok()) << gateway.status();
  if (!gateway.ok()) return served;
  served.gateway = std::move(gateway).value();
  Gateway* g = served.gateway.get();
  auto server = http::HttpServer::Start({}, [g](const http::Request& r) { return g->Handle(r); });
  EXPECT_TRUE(server.ok()) << server.status();
  if (server.ok()) served.server = std::move(server).value();
  if (!g->options().metrics_listen_host.empty()) {
    auto metrics = g->StartMetricsListener();
    EXPECT_TRUE(metrics.ok()) << metrics.status();
    if (metrics.ok()) served.metrics_server = std::move(metrics).value();
  }
  return served;
}

}  // namespace zta::guard::testing
