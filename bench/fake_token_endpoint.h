// For benchmarks: an AuthProvider whose token endpoint is an in-process fake answering every
// request with one ES256 access token, so timings cover the provider and its cache, not HTTP.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "zta/auth/auth_provider.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/core/secret.h"
#include "zta/http/message.h"
#include "zta/jose/jwt.h"

namespace zta::bench {

[[noreturn]] inline void Die(const char* binary, const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", binary, what.c_str());
  std::exit(1);
}

// `client_id`'s provider; the token has audience `audience` and scope "read_hotels", and lives
// 300 s from the clock's now. Exits the benchmark (naming `binary`) if anything fails.
inline std::unique_ptr<auth::AuthProvider> MakeFakeEndpointProvider(const char* binary,
                                                                    const Clock& clock,
                                                                    const std::string& client_id,
                                                                    const std::string& audience) {
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256, "k");
  if (!key.ok()) Die(binary, key.status().ToString());
  auto token = jose::JwtBuilder()
                   .Issuer("http://idp.example")
                   .Subject(client_id)
                   .Audience(audience)
                   .IssuedAt(clock.NowSeconds())
                   .ExpiresAt(clock.NowSeconds() + 300)
                   .Id("jti-bench-1")
                   .Sign(jose::Algorithm::kES256, *key);
  if (!token.ok()) Die(binary, token.status().ToString());
  std::string body = DumpJson(Json{{"access_token", *token},
                                   {"token_type", "Bearer"},
                                   {"expires_in", 300},
                                   {"scope", "read_hotels"}});
  auth::AuthProviderOptions o;
  o.issuer = "http://idp.example";
  o.token_endpoint = "http://idp.example/token";
  o.client_id = client_id;
  o.client_secret = Secret("bench-client-secret-0123456789");
  auto provider = auth::AuthProvider::Create(o, clock, [body](const http::ClientRequest&) {
    http::Response r;
    r.body = body;
    return Result<http::Response>(r);
  });
  if (!provider.ok()) Die(binary, provider.status().ToString());
  return std::move(provider).value();
}

}  // namespace zta::bench
