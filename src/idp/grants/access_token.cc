// RFC 9068 access tokens (typ at+jwt), signed by the key that is active now.
#include "access_token.h"

#include <algorithm>

#include "zta/core/random.h"
#include "zta/core/scopes.h"
#include "zta/idp/reasons.h"
#include "zta/jose/jwt.h"

namespace zta::idp {
namespace {

// RFC 9449 §6.1: cnf.jkt binds the token to the proof's key; nothing when there was no proof.
Json Confirmation(const std::string& jkt) {
  if (jkt.empty()) return Json::object();
  return {{"cnf", {{"jkt", jkt}}}};
}

}  // namespace

GrantResult IssueAccessToken(const GrantContext& context, const AccessTokenSpec& spec) {
  AuditEvent& event = context.event;
  auto signing = context.keys.CurrentSigningKey();
  if (!signing.ok()) {
    return OAuthError::ServerError("no signing key").WithReason(kReasonNoSigningKey);
  }
  int64_t ttl = context.options.default_token_ttl_seconds;
  if (spec.resource->max_token_ttl_seconds > 0) {
    ttl = std::min(ttl, spec.resource->max_token_ttl_seconds);
  }
  if (spec.max_ttl_seconds > 0) ttl = std::min(ttl, spec.max_ttl_seconds);
  const int64_t now = context.clock.NowSeconds();
  if (spec.not_after > 0) ttl = std::max<int64_t>(1, std::min(ttl, spec.not_after - now));
  auto jti = RandomToken(16);
  if (!jti.ok()) return OAuthError::ServerError("randomness failed").Unaudited();
  auto token = jose::JwtBuilder()
                   .Type("at+jwt")
                   .Issuer(context.options.issuer)
                   .Subject(spec.subject)
                   .Audience(spec.resource->uri)
                   .Claim("client_id", spec.client_id)
                   .Scopes(spec.scopes)
                   .Id(*jti)
                   .IssuedAt(now)
                   .ExpiresAt(now + ttl)
                   .Claims(spec.claims)
                   .Claims(Confirmation(context.dpop_jkt))
                   .Sign(signing->alg, signing->key);
  if (!token.ok()) {
    return OAuthError::ServerError("signing failed").WithReason(kReasonSigningFailed);
  }
  event.decision = AuditDecision::kAllow;
  event.jti = *jti;
  event.attributes["zta.kid"] = signing->key.kid();
  event.attributes["zta.expires_at"] = now + ttl;
  // RFC 9449 §5: a bound token is of type DPoP, and must be presented with a proof.
  return Json{{"access_token", *token},
              {"token_type", context.dpop_jkt.empty() ? "Bearer" : "DPoP"},
              {"expires_in", ttl},
              {"scope", JoinSpaceDelimited(spec.scopes)}};
}

Json AgentClaim(const Agent& agent) {
  Json claim = {{"name", agent.name}, {"owner", agent.owner}};
  if (!agent.model.empty()) claim["model"] = agent.model;
  return claim;
}

}  // namespace zta::idp
