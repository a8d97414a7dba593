// JWT claim validation (RFC 7519 §7.2, RFC 8725 §3, RFC 9068 §4), the caching verifier and the
// token builder.
#include "zta/jose/jwt.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <limits>

#include "key_material.h"
#include "zta/core/scopes.h"
#include "zta/jose/verified_token_cache.h"

namespace zta::jose {
namespace {

Status Fail(VerifyError e, std::string detail) { return VerifyFailure(e, std::move(detail)); }

// RFC 7519 §2 NumericDate: seconds, possibly fractional. Returns false when not a finite number.
bool ReadNumericDate(const Json& value, double* out) {
  if (!value.is_number()) return false;
  double d = value.get<double>();
  if (!std::isfinite(d) || d < 0 || d > 1e15) return false;
  *out = d;
  return true;
}

Result<int64_t> DateClaim(const Json& claims, const char* name, bool required, bool round_up) {
  auto it = claims.find(name);
  if (it == claims.end()) {
    if (required) return Fail(VerifyError::kMissingClaim, std::string("missing ") + name);
    return int64_t{0};
  }
  double d = 0;
  if (!ReadNumericDate(*it, &d)) {
    return Fail(VerifyError::kMalformed, std::string(name) + " is not a NumericDate");
  }
  // Round towards the stricter side: exp down, nbf/iat up.
  return static_cast<int64_t>(round_up ? std::ceil(d) : std::floor(d));
}

// RFC 7515 §4.1.9: typ is compared case-insensitively, "application/" may be omitted.
std::string NormalizeTyp(std::string_view typ) {
  std::string t;
  for (char c : typ) t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (t.rfind("application/", 0) == 0) t.erase(0, 12);
  return t;
}

Status CheckScopes(const VerifiedJwt& jwt, std::span<const std::string> required) {
  for (const auto& scope : required) {
    if (!jwt.HasScope(scope)) {
      return Fail(VerifyError::kInsufficientScope, "token lacks scope " + scope);
    }
  }
  return Status::Ok();
}

}  // namespace

Status JwtValidationOptions::Validate() const {
  if (issuer.empty()) return InvalidArgument("an expected issuer is required");
  if (audience.empty()) return InvalidArgument("an expected audience is required");
  if (allowed_algorithms.empty()) return InvalidArgument("an algorithm allow-list is required");
  if (leeway_seconds < 0 || leeway_seconds > 300) {
    return InvalidArgument("leeway must be between 0 and 300 seconds");
  }
  if (max_lifetime_seconds < 0) return InvalidArgument("max lifetime must not be negative");
  return Status::Ok();
}

bool VerifiedJwt::HasScope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

Result<std::vector<std::string>> ExtractScopes(const Json& claims) {
  std::vector<std::string> scopes;
  if (auto it = claims.find("scope"); it != claims.end()) {
    // RFC 8693 §4.2 / RFC 9068 §2.2.3: a space-delimited string.
    if (!it->is_string()) return Fail(VerifyError::kMalformed, "scope is not a string");
    scopes = SplitSpaceDelimited(it->get_ref<const std::string&>());
  }
  if (auto it = claims.find("scp"); it != claims.end()) {
    // Array form used by several issuers (and a space-separated string by some).
    if (it->is_array()) {
      for (const auto& v : *it) {
        if (!v.is_string()) return Fail(VerifyError::kMalformed, "scp entry is not a string");
        scopes.push_back(v.get<std::string>());
      }
    } else if (it->is_string()) {
      auto more = SplitSpaceDelimited(it->get_ref<const std::string&>());
      scopes.insert(scopes.end(), more.begin(), more.end());
    } else {
      return Fail(VerifyError::kMalformed, "scp is neither an array nor a string");
    }
  }
  return scopes;
}

namespace {

// iss and aud, into `v`.
Status CheckIssuerAndAudience(const Json& c, const JwtValidationOptions& options, VerifiedJwt& v) {
  // iss: exact string match (RFC 8725 §3.8).
  auto iss = c.find("iss");
  if (iss == c.end()) return Fail(VerifyError::kMissingClaim, "missing iss");
  if (!iss->is_string()) return Fail(VerifyError::kMalformed, "iss is not a string");
  if (*iss != options.issuer) return Fail(VerifyError::kBadIssuer, "unexpected issuer");
  v.issuer = iss->get<std::string>();

  // aud: a string or an array of strings that must contain our audience (RFC 7519 §4.1.3).
  auto aud = c.find("aud");
  if (aud == c.end()) return Fail(VerifyError::kMissingClaim, "missing aud");
  if (aud->is_string()) {
    v.audience.push_back(aud->get<std::string>());
  } else if (aud->is_array()) {
    for (const auto& a : *aud) {
      if (!a.is_string()) return Fail(VerifyError::kMalformed, "aud entry is not a string");
      v.audience.push_back(a.get<std::string>());
    }
  } else {
    return Fail(VerifyError::kMalformed, "aud is neither a string nor an array");
  }
  if (std::find(v.audience.begin(), v.audience.end(), options.audience) == v.audience.end()) {
    return Fail(VerifyError::kBadAudience, "token is not for this audience");
  }
  return Status::Ok();
}

// exp, nbf and iat against `now` with the leeway, and the lifetime limit, into `v`.
Status CheckTimes(const Json& c, const JwtValidationOptions& options, int64_t now,
                  VerifiedJwt& v) {
  ZTA_ASSIGN_OR_RETURN(v.expires_at, DateClaim(c, "exp", /*required=*/true, /*round_up=*/false));
  ZTA_ASSIGN_OR_RETURN(v.not_before, DateClaim(c, "nbf", false, true));
  ZTA_ASSIGN_OR_RETURN(v.issued_at, DateClaim(c, "iat", false, true));
  const int64_t leeway = options.leeway_seconds;
  if (now >= v.expires_at + leeway) return Fail(VerifyError::kExpired, "token has expired");
  if (c.contains("nbf") && now + leeway < v.not_before) {
    return Fail(VerifyError::kNotYetValid, "token is not valid yet");
  }
  if (c.contains("iat") && v.issued_at > now + leeway) {
    return Fail(VerifyError::kIssuedInFuture, "token was issued in the future");
  }
  if (options.max_lifetime_seconds > 0) {
    int64_t start = c.contains("iat") ? v.issued_at : now;
    if (v.expires_at - start > options.max_lifetime_seconds) {
      return Fail(VerifyError::kLifetimeTooLong, "token lifetime exceeds the maximum");
    }
  }
  return Status::Ok();
}

// sub, client_id, jti (each a string when present) and the scopes, into `v`.
Status ReadIdentityClaims(const Json& c, VerifiedJwt& v) {
  auto string_claim = [&](const char* name, std::string* out) -> Status {
    auto it = c.find(name);
    if (it == c.end()) return Status::Ok();
    if (!it->is_string()) {
      return Fail(VerifyError::kMalformed, std::string(name) + " is not a string");
    }
    *out = it->get<std::string>();
    return Status::Ok();
  };
  ZTA_RETURN_IF_ERROR(string_claim("sub", &v.subject));
  ZTA_RETURN_IF_ERROR(string_claim("client_id", &v.client_id));
  ZTA_RETURN_IF_ERROR(string_claim("jti", &v.jti));
  ZTA_ASSIGN_OR_RETURN(v.scopes, ExtractScopes(c));
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const VerifiedJwt>> VerifyJwt(std::string_view token, const Jwks& keys,
                                                     const JwtValidationOptions& options,
                                                     int64_t now) {
  JwsVerifyOptions jws_options;
  jws_options.allowed_algorithms = options.allowed_algorithms;
  jws_options.max_token_bytes = options.max_token_bytes;
  ZTA_ASSIGN_OR_RETURN(ParsedJws jws, ParseCompact(token, jws_options));

  // RFC 8725 §3.11 / RFC 9068 §4: explicit typing keeps other JWT kinds from being replayed.
  if (options.required_typ) {
    auto it = jws.header.find("typ");
    if (it == jws.header.end() || !it->is_string() ||
        NormalizeTyp(it->get_ref<const std::string&>()) != NormalizeTyp(*options.required_typ)) {
      return Fail(VerifyError::kBadTyp, "typ is not " + *options.required_typ);
    }
  }
  ZTA_ASSIGN_OR_RETURN(const Jwk* key, SelectKey(jws, keys));
  ZTA_RETURN_IF_ERROR(key->material().Verify(jws.alg, jws.signing_input, jws.signature));

  // The signature holds; now the claims (RFC 7519 §7.2 step 10).
  JsonLimits limits;
  limits.max_depth = kMaxJsonDepth;
  limits.max_bytes = options.max_token_bytes;
  auto claims = ParseJsonStrict(jws.payload, limits);
  if (!claims.ok()) {
    auto reason = claims.status().reason() == "too_large" ? VerifyError::kTooLarge
                                                          : VerifyError::kMalformed;
    return Fail(reason, "claims: " + claims.status().message());
  }
  if (!claims->is_object()) return Fail(VerifyError::kMalformed, "claims are not a JSON object");

  auto v = std::make_shared<VerifiedJwt>();
  v->alg = jws.alg;
  v->kid = jws.kid;
  const Json& c = *claims;

  ZTA_RETURN_IF_ERROR(CheckIssuerAndAudience(c, options, *v));
  ZTA_RETURN_IF_ERROR(CheckTimes(c, options, now, *v));
  for (const auto& name : options.required_claims) {
    if (!c.contains(name)) return Fail(VerifyError::kMissingClaim, "missing " + name);
  }
  ZTA_RETURN_IF_ERROR(ReadIdentityClaims(c, *v));
  ZTA_RETURN_IF_ERROR(CheckScopes(*v, options.required_scopes));

  v->header = std::move(jws.header);
  v->claims = std::move(claims).value();
  return std::shared_ptr<const VerifiedJwt>(std::move(v));
}

JwtVerifier::JwtVerifier(JwtValidationOptions options, std::shared_ptr<const Jwks> keys,
                         const Clock& clock, size_t cache_capacity)
    : options_(std::move(options)), clock_(clock), keys_(std::move(keys)) {
  if (cache_capacity > 0) cache_ = std::make_unique<VerifiedTokenCache>(cache_capacity);
}

JwtVerifier::~JwtVerifier() = default;

Result<std::shared_ptr<const VerifiedJwt>> JwtVerifier::Verify(
    std::string_view token, std::span<const std::string> extra_scopes) const {
  const int64_t now = clock_.NowSeconds();
  if (cache_) {
    if (auto hit = cache_->Lookup(token, now)) {
      // Everything but the per-call scopes was checked when the entry was made, and the cache
      // drops it at exp; nbf/iat cannot become false later.
      ZTA_RETURN_IF_ERROR(CheckScopes(*hit, extra_scopes));
      return hit;
    }
  }
  const uint64_t epoch = cache_ ? cache_->epoch() : 0;
  auto keys = std::atomic_load(&keys_);
  if (!keys) return Fail(VerifyError::kNoKey, "no key set configured");
  ZTA_ASSIGN_OR_RETURN(auto verified, VerifyJwt(token, *keys, options_, now));
  if (cache_) cache_->Insert(token, verified, now, epoch);
  ZTA_RETURN_IF_ERROR(CheckScopes(*verified, extra_scopes));
  return verified;
}

void JwtVerifier::SetKeys(std::shared_ptr<const Jwks> keys) {
  std::atomic_store(&keys_, std::move(keys));
  if (cache_) cache_->Clear();
}

std::shared_ptr<const Jwks> JwtVerifier::keys() const { return std::atomic_load(&keys_); }

JwtBuilder& JwtBuilder::Type(std::string typ) {
  header_["typ"] = std::move(typ);
  return *this;
}
JwtBuilder& JwtBuilder::KeyId(std::string kid) {
  header_["kid"] = std::move(kid);
  return *this;
}
JwtBuilder& JwtBuilder::HeaderParam(const std::string& name, Json value) {
  header_[name] = std::move(value);
  return *this;
}
JwtBuilder& JwtBuilder::Issuer(std::string iss) { return Claim("iss", std::move(iss)); }
JwtBuilder& JwtBuilder::Subject(std::string sub) { return Claim("sub", std::move(sub)); }
JwtBuilder& JwtBuilder::Audience(std::string aud) { return Claim("aud", std::move(aud)); }
JwtBuilder& JwtBuilder::Audiences(std::vector<std::string> aud) {
  return Claim("aud", std::move(aud));
}
JwtBuilder& JwtBuilder::IssuedAt(int64_t iat) { return Claim("iat", iat); }
JwtBuilder& JwtBuilder::NotBefore(int64_t nbf) { return Claim("nbf", nbf); }
JwtBuilder& JwtBuilder::ExpiresAt(int64_t exp) { return Claim("exp", exp); }
JwtBuilder& JwtBuilder::Id(std::string jti) { return Claim("jti", std::move(jti)); }
JwtBuilder& JwtBuilder::Scopes(const std::vector<std::string>& scopes) {
  return Claim("scope", JoinSpaceDelimited(scopes));
}
JwtBuilder& JwtBuilder::Claim(const std::string& name, Json value) {
  claims_[name] = std::move(value);
  return *this;
}
JwtBuilder& JwtBuilder::Claims(const Json& object) {
  if (object.is_object()) {
    for (const auto& [name, value] : object.items()) claims_[name] = value;
  }
  return *this;
}

Result<std::string> JwtBuilder::Sign(Algorithm alg, const Jwk& key) const {
  return SignCompact(alg, key, DumpJson(claims_), header_);
}

}  // namespace zta::jose
