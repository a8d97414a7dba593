// An external identity provider for federation tests: an HTTP server on a loopback port chosen
// at run time serving its metadata and JWKS, and JWTs minted with its key (jose::JwtBuilder).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "zta/core/clock.h"
#include "zta/http/server.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jwt.h"

namespace zta::idp::testing {

class LocalIssuer {
 public:
  // Starts the server; check ok() before use.
  LocalIssuer() {
    auto key = jose::Jwk::Generate(jose::Algorithm::kES256, "ext-1");
    EXPECT_TRUE(key.ok());
    if (!key.ok()) return;
    key_ = std::make_unique<jose::Jwk>(std::move(*key));
    http::ServerOptions o;
    o.threads = 1;
    auto server = http::HttpServer::Start(o, [this](const http::Request& r) { return Serve(r); });
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = std::move(*server);
  }
  bool ok() const { return server_ != nullptr && key_ != nullptr; }

  std::string issuer() const { return server_->BaseUrl(); }
  std::string jwks_uri() const { return issuer() + "/jwks"; }
  int jwks_fetches() const { return jwks_fetches_; }

  // A token like a workload's: iss, sub, aud, jti, iat = now, exp = now + 300, typ `typ`
  // ("" = none). `extra` members are merged in last (they may replace any of the above).
  std::string Mint(const Clock& clock, const std::string& sub, const std::string& aud,
                   const std::string& jti, Json extra = Json::object(),
                   const std::string& typ = "JWT") const {
    const int64_t now = clock.NowSeconds();
    jose::JwtBuilder b;
    if (!typ.empty()) b.Type(typ);
    b.KeyId(key_->kid())
        .Issuer(issuer())
        .Subject(sub)
        .Audience(aud)
        .IssuedAt(now)
        .ExpiresAt(now + 300);
    if (!jti.empty()) b.Id(jti);
    b.Claims(extra);
    auto token = b.Sign(jose::Algorithm::kES256, *key_);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : std::string();
  }

 private:
  http::Response Serve(const http::Request& r) {
    http::Response out;
    out.headers.Set("Content-Type", "application/json");
    if (r.path == "/jwks") {
      ++jwks_fetches_;
      out.body = Json{{"keys", Json::array({key_->ToPublicJson()})}}.dump();
    } else if (r.path == "/.well-known/openid-configuration" ||
               r.path == "/.well-known/oauth-authorization-server") {
      out.body = Json{{"issuer", issuer()}, {"jwks_uri", jwks_uri()}}.dump();
    } else {
      out.status = 404;
      out.body = "{}";
    }
    return out;
  }

  std::unique_ptr<jose::Jwk> key_;
  std::atomic<int> jwks_fetches_{0};
  std::unique_ptr<http::HttpServer> server_;  // last: stops before the key goes
};

}  // namespace zta::idp::testing
