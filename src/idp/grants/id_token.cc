// ID tokens (OIDC Core §2): iss, sub, aud, exp, iat, auth_time, nonce, azp, at_hash.
#include "id_token.h"

#include <openssl/evp.h>

#include "zta/core/base64url.h"
#include "zta/core/random.h"
#include "zta/idp/reasons.h"
#include "zta/jose/jwt.h"

namespace zta::idp {

std::string LeftHalfHash(jose::Algorithm alg, std::string_view value) {
  const EVP_MD* md = EVP_sha256();
  switch (jose::Spec(alg).hash) {
    case jose::HashAlg::kSha384:
      md = EVP_sha384();
      break;
    case jose::HashAlg::kSha512:
      md = EVP_sha512();
      break;
    case jose::HashAlg::kNone:
      md = EVP_sha512();
      break;  // Ed25519 hashes with SHA-512
    case jose::HashAlg::kSha256:
      break;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(value.data(), value.size(), digest, &len, md, nullptr) != 1) return "";
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest), len / 2));
}

Result<std::string> IssueIdToken(const GrantContext& context, const IdTokenSpec& spec) {
  ZTA_ASSIGN_OR_RETURN(auto signing, context.keys.CurrentSigningKey());
  ZTA_ASSIGN_OR_RETURN(std::string jti, RandomToken(16));
  const int64_t now = context.clock.NowSeconds();
  jose::JwtBuilder b;
  b.Type("JWT")
      .Issuer(context.options.issuer)
      .Subject(spec.user->id)
      .Audience(spec.audience)
      .Claim("azp", spec.audience)  // OIDC Core §2: the party the token was issued to
      .Id(jti)
      .IssuedAt(now)
      .ExpiresAt(now + context.options.default_token_ttl_seconds)
      .Claim("auth_time", spec.auth_time);
  if (!spec.nonce.empty()) b.Claim("nonce", spec.nonce);  // §3.1.2.1: echoed unmodified
  if (!spec.access_token.empty()) {
    b.Claim("at_hash", LeftHalfHash(signing.alg, spec.access_token));
  }
  return b.Sign(signing.alg, signing.key);
}

std::optional<OAuthError> AddIdToken(const GrantContext& context, IdTokenSpec spec, Json& body) {
  spec.access_token = body["access_token"].get<std::string>();
  auto id_token = IssueIdToken(context, spec);
  if (!id_token.ok()) {
    return OAuthError::ServerError("signing failed").WithReason(kReasonSigningFailed);
  }
  body["id_token"] = *id_token;
  return std::nullopt;
}

}  // namespace zta::idp
