// JWT validation (RFC 7519 §7.2, RFC 8725, RFC 9068 §4) and a fluent builder for issuing tokens.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jws.h"

namespace zta::jose {

class VerifiedTokenCache;

// What a valid token must look like. Plain config: immutable after Validate().
struct JwtValidationOptions {
  // Exact `iss` (RFC 7519 §4.1.1; RFC 8725 §3.8). REQUIRED.
  std::string issuer;
  // This resource's identifier; `aud` (string or array) must contain it (RFC 7519 §4.1.3).
  // REQUIRED.
  std::string audience;
  // Algorithms accepted (RFC 8725 §3.1). REQUIRED, non-empty.
  AlgorithmSet allowed_algorithms;
  // Expected `typ` header, compared case-insensitively and with or without the "application/"
  // prefix (RFC 7515 §4.1.9); "at+jwt" for RFC 9068 access tokens. Default: not checked.
  std::optional<std::string> required_typ;
  // Clock skew tolerated for exp, nbf and iat, in seconds. Default: 60.
  int64_t leeway_seconds = 60;
  // Maximum exp − iat (or exp − now without iat), in seconds. Default: 0 = no limit.
  int64_t max_lifetime_seconds = 0;
  // Scopes that every token must carry (from `scope` or `scp`). Default: none.
  std::vector<std::string> required_scopes;
  // Claims that must be present besides iss, aud and exp (always required). Default: none.
  std::vector<std::string> required_claims;
  // Default: 16 KiB.
  size_t max_token_bytes = kMaxTokenBytes;

  Status Validate() const;
};

// A token that passed every check. Immutable; shared between cache hits.
struct VerifiedJwt {
  Json header;
  Json claims;
  Algorithm alg = Algorithm::kES256;
  std::string kid;
  std::string issuer;
  std::string subject;
  std::string client_id;
  std::string jti;
  std::vector<std::string> audience;
  std::vector<std::string> scopes;  // from `scope` (space-separated) or `scp` (array)
  int64_t issued_at = 0;            // 0 when absent
  int64_t not_before = 0;           // 0 when absent
  int64_t expires_at = 0;

  bool HasScope(std::string_view scope) const;
};

// Scopes from `scope` (RFC 8693 §4.2: space-separated string) or `scp` (array of strings).
Result<std::vector<std::string>> ExtractScopes(const Json& claims);

// Verifies signature and claims at time `now` (Unix seconds). No cache.
Result<std::shared_ptr<const VerifiedJwt>> VerifyJwt(std::string_view token, const Jwks& keys,
                                                     const JwtValidationOptions& options,
                                                     int64_t now);

// Verifies tokens for one issuer/audience with a verified-token cache in front.
// Thread-safe: many threads may call Verify while another calls SetKeys.
class JwtVerifier {
 public:
  // `cache_capacity` 0 disables the cache. `clock` must outlive the verifier.
  JwtVerifier(JwtValidationOptions options, std::shared_ptr<const Jwks> keys, const Clock& clock,
              size_t cache_capacity = 10'000);
  ~JwtVerifier();

  // Full verification, or a cache hit for a token verified before whose exp has not passed.
  // `extra_scopes` are required on top of options.required_scopes (e.g. per route).
  Result<std::shared_ptr<const VerifiedJwt>> Verify(
      std::string_view token, std::span<const std::string> extra_scopes = {}) const;

  // Publishes a new key set (rotation, JWKS refresh) and drops every cached verification.
  void SetKeys(std::shared_ptr<const Jwks> keys);
  std::shared_ptr<const Jwks> keys() const;
  const JwtValidationOptions& options() const { return options_; }

 private:
  const JwtValidationOptions options_;
  const Clock& clock_;
  std::shared_ptr<const Jwks> keys_;  // atomic load/store
  std::unique_ptr<VerifiedTokenCache> cache_;
};

// Builds and signs a token:
//   JwtBuilder().Type("at+jwt").Issuer(iss).Subject(sub).Audience(aud)
//       .IssuedAt(now).ExpiresAt(now + 300).Id(jti).Claim("scope", "a b").Sign(alg, key)
class JwtBuilder {
 public:
  JwtBuilder& Type(std::string typ);
  JwtBuilder& KeyId(std::string kid);
  JwtBuilder& HeaderParam(const std::string& name, Json value);
  JwtBuilder& Issuer(std::string iss);
  JwtBuilder& Subject(std::string sub);
  JwtBuilder& Audience(std::string aud);
  JwtBuilder& Audiences(std::vector<std::string> aud);
  JwtBuilder& IssuedAt(int64_t iat);
  JwtBuilder& NotBefore(int64_t nbf);
  JwtBuilder& ExpiresAt(int64_t exp);
  JwtBuilder& Id(std::string jti);
  JwtBuilder& Scopes(const std::vector<std::string>& scopes);  // as space-separated `scope`
  JwtBuilder& Claim(const std::string& name, Json value);
  JwtBuilder& Claims(const Json& object);  // merges every member

  const Json& claims() const { return claims_; }
  // Signs with `key` for `alg`; kid from the key unless set.
  Result<std::string> Sign(Algorithm alg, const Jwk& key) const;

 private:
  Json header_ = Json::object();
  Json claims_ = Json::object();
};

}  // namespace zta::jose
