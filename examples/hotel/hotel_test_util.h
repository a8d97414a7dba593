// Test helpers for the hotel API: a loopback issuer (metadata, JWKS, a client-credentials token
// endpoint) that mints ES256 RFC 9068 tokens — user tokens with RFC 8693 act chains and RFC 9396
// authorization_details, and agents' own tokens — and a recording staff endpoint.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "zta/core/clock.h"
#include "zta/core/mutex.h"
#include "zta/http/server.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jwt.h"

namespace zta::hotel::testing {

// Thread-safe: the server's threads mint and serve while the test reads.
class TestIssuer {
 public:
  explicit TestIssuer(std::string audience)
      : audience_(std::move(audience)),
        key_(*jose::Jwk::Generate(jose::Algorithm::kES256, "k1")) {
    auto server = http::HttpServer::Start({}, [this](const http::Request& r) { return Serve(r); });
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }

  std::string issuer() const { return server_->BaseUrl(); }
  std::string jwks_uri() const { return issuer() + "/jwks"; }
  int token_requests() const { return token_requests_; }

  // A token for `sub` acting through `chain` (current actor first; empty: no act), with
  // `scopes` and `details` (null: none), for `audience` (default: the hotel's).
  std::string Mint(const std::string& sub, const std::vector<std::string>& chain,
                   const std::string& scopes, const Json& details = nullptr,
                   std::string audience = "") {
    int64_t now = SystemClock::Instance().NowSeconds();
    const std::string n = std::to_string(++minted_);
    jose::JwtBuilder b;
    b.Type("at+jwt")
        .Issuer(issuer())
        .Subject(sub)
        .Audience(audience.empty() ? audience_ : audience)
        .IssuedAt(now)
        .ExpiresAt(now + 300)
        .Id("jti-" + n)
        .Claim("client_id", chain.empty() ? sub : chain.front())
        .Claim("scope", scopes)
        .Claim("zta_grant", grant_.empty() ? "g-" + sub + "-" + n : grant_);
    if (!chain.empty()) b.Claim("act", Act(chain, 0));
    if (!details.is_null()) b.Claim("authorization_details", details);
    auto token = b.Sign(jose::Algorithm::kES256, key_);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }
  // Every later token carries this zta_grant (one consent exchanged into several tokens);
  // empty: a grant of its own per token ("g-<sub>-<n>").
  void SetGrant(std::string grant) { grant_ = std::move(grant); }
  // The id Mint gave the last token.
  std::string last_jti() const { return "jti-" + std::to_string(minted_.load()); }

 private:
  static Json Act(const std::vector<std::string>& chain, size_t i) {
    Json act = {{"sub", chain[i]}};
    if (i + 1 < chain.size()) act["act"] = Act(chain, i + 1);
    return act;
  }

  http::Response Serve(const http::Request& r) {
    if (r.path == "/.well-known/oauth-authorization-server" ||
        r.path == "/.well-known/openid-configuration") {
      return http::Response::Json(
          200, Json{{"issuer", issuer()}, {"jwks_uri", jwks_uri()},
                    {"token_endpoint", issuer() + "/token"}});
    }
    if (r.path == "/jwks") {
      return http::Response::Json(200, Json{{"keys", Json::array({key_.ToPublicJson()})}});
    }
    if (r.path == "/token" && r.method == "POST") {
      ++token_requests_;
      std::string resource;
      auto form = http::ParseForm(r.body);
      if (form.ok()) {
        for (const auto& [name, value] : *form) {
          if (name == "resource") resource = value;
        }
      }
      std::string token = Mint("hotel-api", {}, "notify", nullptr, resource);
      return http::Response::Json(
          200, Json{{"access_token", token}, {"token_type", "Bearer"}, {"expires_in", 300}});
    }
    return http::Response::Json(404, Json{{"error", "not_found"}});
  }

  const std::string audience_;
  jose::Jwk key_;
  std::unique_ptr<http::HttpServer> server_;
  std::atomic<int> minted_{0};
  std::string grant_;  // SetGrant; not thread-safe (set before minting from threads)
  std::atomic<int> token_requests_{0};
};

// Records what the hotel POSTs to the staff endpoint.
class StaffEndpoint {
 public:
  StaffEndpoint() {
    auto server = http::HttpServer::Start({}, [this](const http::Request& r) {
      MutexLock lock(mu_);
      requests_.push_back(r);
      return http::Response::Json(202, Json{{"ok", true}});
    });
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }
  std::string url() const { return server_->BaseUrl() + "/notify"; }
  std::vector<http::Request> requests() {
    MutexLock lock(mu_);
    return requests_;
  }

 private:
  Mutex mu_;
  std::vector<http::Request> requests_ ZTA_GUARDED_BY(mu_);
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace zta::hotel::testing
