// Delegated tokens (docs/delegation.md): the actor's proof, the user's standing, the scopes, and
// the access token + refresh token + ID token a delegated grant ends with.
#include "delegated_token.h"

#include <algorithm>

#include "../client_auth.h"
#include "access_token.h"
#include "id_token.h"
#include "zta/core/base64url.h"
#include "zta/core/random.h"
#include "zta/core/sha256.h"
#include "zta/idp/reasons.h"
#include "zta/jose/dpop.h"
#include "zta/jose/verify_error.h"

namespace zta::idp {

Result<std::shared_ptr<const jose::VerifiedJwt>> VerifyOwnAccessToken(const KeyManager& keys,
                                                                      const std::string& issuer,
                                                                      std::string_view token,
                                                                      int64_t now) {
  jose::JwtValidationOptions o;
  o.issuer = issuer;
  o.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  o.required_typ = "at+jwt";
  o.leeway_seconds = 0;  // about now, without tolerance
  o.required_claims = {"jti", "sub"};
  // The audience may be any of ours: peek at it (the signature is checked over these bytes).
  jose::JwsVerifyOptions peek;
  peek.allowed_algorithms = o.allowed_algorithms;
  auto parsed = jose::ParseCompact(token, peek);
  if (!parsed.ok()) return parsed.status();
  auto claims = ParseJsonStrict(parsed->payload);
  if (!claims.ok() || !claims->is_object() || !claims->contains("aud") ||
      !(*claims)["aud"].is_string()) {
    return jose::VerifyFailure(jose::VerifyError::kMalformed, "aud is not one string");
  }
  o.audience = (*claims)["aud"].get<std::string>();
  return jose::VerifyJwt(token, *keys.PublishedKeys(), o, now);
}

std::string BoundKey(const Json& claims) {
  auto cnf = claims.find("cnf");
  if (cnf == claims.end() || !cnf->is_object()) return "";
  auto jkt = cnf->find("jkt");
  return jkt != cnf->end() && jkt->is_string() ? jkt->get<std::string>() : "";
}

Resource UserinfoResource(const AuthorizationServerOptions& options) {
  Resource own;
  own.uri = options.issuer;
  return own;
}

bool IsOpenIdScope(const std::string& scope) {
  return scope == "openid" || scope == "profile" || scope == "email";
}

OAuthResult<const Agent*> CheckActor(const GrantContext& context, const std::string& agent_id) {
  auto refused = [](std::string why) {
    return OAuthError::InvalidGrant(std::move(why)).WithReason(kReasonActorTokenInvalid);
  };
  const Agent* agent = context.registry.FindAgent(agent_id);
  if (agent && !agent->enabled) {
    return OAuthError::InvalidGrant("the requested actor is disabled")
        .WithReason(kReasonAgentDisabled);
  }
  const std::string& token = context.Field("actor_token");
  if (token.empty()) return refused("actor_token is required: the grant names an actor");
  if (context.Field("actor_token_type") != kAccessTokenType) {
    return refused(std::string("actor_token_type must be ") + kAccessTokenType);
  }
  auto verified =
      VerifyOwnAccessToken(context.keys, context.options.issuer, token, context.clock.NowSeconds());
  if (!verified.ok()) return refused("actor_token rejected: " + verified.status().reason());
  const jose::VerifiedJwt& v = **verified;
  // The agent's own token (client_credentials): sub and client_id both the agent, no act.
  if (!agent || v.subject != agent_id || v.client_id != agent_id || v.claims.contains("act")) {
    return refused("actor_token is not the requested actor's own token");
  }
  auto revoked = context.token_state.IsRevoked(v.jti);
  if (!revoked.ok() || *revoked) return refused("actor_token is revoked");
  // RFC 9449 §6.1: an actor token bound to a key is the actor's only with a proof of that key,
  // or a copy that leaked from a tool result would let anyone act as the agent.
  if (std::string jkt = BoundKey(v.claims); !jkt.empty() && jkt != context.dpop_jkt) {
    return OAuthError::InvalidGrant("actor_token is DPoP-bound to a key this request did not prove")
        .WithReason(jose::kReasonDpopKeyMismatch);
  }
  context.event.attributes["zta.actor_token_jti"] = v.jti;
  return agent;
}

OAuthResult<const User*> CheckUser(const GrantContext& context, const std::string& user_id) {
  const User* user = context.registry.FindUser(user_id);
  if (!user)
    return OAuthError::InvalidGrant("the user no longer exists").WithReason(kReasonUserDeleted);
  if (!user->enabled) {
    return OAuthError::InvalidGrant("the user is disabled").WithReason(kReasonUserDisabled);
  }
  return user;
}

OAuthResult<DelegationParties> ResolveDelegationParties(const GrantContext& context,
                                                        const std::string& user_id,
                                                        const std::string& agent_id,
                                                        const std::string& resource_uri,
                                                        std::string_view whose) {
  DelegationParties parties;
  auto user = CheckUser(context, user_id);
  if (!user.ok()) return std::move(user).error();
  parties.user = *user;
  if (!agent_id.empty()) {
    auto actor = CheckActor(context, agent_id);
    if (!actor.ok()) return std::move(actor).error();
    parties.agent = *actor;
  }
  if (resource_uri.empty() && !parties.agent) {
    parties.userinfo = UserinfoResource(context.options);
    return parties;
  }
  parties.registered = context.registry.FindResource(resource_uri);
  if (!parties.registered) {
    return OAuthError::InvalidTarget("the " + std::string(whose) +
                                     " resource is no longer registered");
  }
  return parties;
}

std::vector<std::string> DelegatedScopes(const std::vector<std::string>& requested,
                                         const Agent* agent, const Resource& resource) {
  const std::vector<std::string>* allowed = nullptr;
  if (agent) {
    auto it = agent->allowances.find(resource.uri);
    static const std::vector<std::string> kNone;
    allowed = it == agent->allowances.end() ? &kNone : &it->second;
  }
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  std::vector<std::string> out;
  for (const std::string& s : requested) {
    bool ok = IsOpenIdScope(s) || (has(resource.scopes, s) && (!allowed || has(*allowed, s)));
    if (ok && !has(out, s)) out.push_back(s);
  }
  return out;
}

std::string DetailsDigest(const Json& authorization_details) {
  if (authorization_details.is_null()) return "";
  return "sha256:" + Base64UrlEncode(Sha256(authorization_details.dump()));
}

GrantResult IssueDelegatedTokens(const GrantContext& context, const Delegation& d) {
  const DelegatedGrant& grant = *d.grant;
  AuditEvent& event = context.event;
  event.subject = d.user->id;
  event.actor_chain.clear();
  if (d.agent) event.actor_chain.push_back(d.agent->client_id);
  event.client_id = d.app->client_id;
  event.resource = d.resource->uri;
  event.scopes_granted = d.scopes;
  event.attributes["zta.grant"] = grant.id;
  std::string details_digest = DetailsDigest(grant.authorization_details);
  if (!details_digest.empty()) event.attributes["zta.details_digest"] = details_digest;

  AccessTokenSpec spec;
  spec.subject = d.user->id;
  spec.client_id = d.app->client_id;
  spec.resource = d.resource;
  spec.scopes = d.scopes;
  if (d.agent) {
    spec.max_ttl_seconds = d.agent->max_token_ttl_seconds;
    spec.claims["act"] = {{"sub", d.agent->client_id}};  // RFC 8693 §4.1
    spec.claims["zta_agent"] = AgentClaim(*d.agent);
  }
  spec.claims["zta_grant"] = grant.id;
  spec.claims["auth_time"] = grant.auth_time;
  if (!grant.authorization_details.is_null()) {
    spec.claims["authorization_details"] = grant.authorization_details;  // RFC 9396 §9.1
  }
  GrantResult issued = IssueAccessToken(context, spec);
  if (!issued.ok()) return issued;
  Json body = std::move(*issued);

  // RFC 9700 §4.14.2: a fresh refresh token of the grant's family on every issue.
  auto refresh = RandomToken(32);
  if (!refresh.ok()) return OAuthError::ServerError("randomness failed").Unaudited();
  const int64_t now = context.clock.NowSeconds();
  RefreshToken row{DigestSecret(*refresh), grant.id, now + kRefreshTokenTtlSeconds, false};
  if (!context.token_state.PutRefreshToken(row).ok()) {
    return OAuthError::TemporarilyUnavailable("the refresh token could not be stored")
        .WithReason(kReasonStoreError);
  }
  body["refresh_token"] = *refresh;
  // RFC 9396 §7: the details granted, in the token response too.
  if (!grant.authorization_details.is_null()) {
    body["authorization_details"] = grant.authorization_details;
  }
  if (d.id_token) {
    IdTokenSpec id;
    id.user = d.user;
    id.audience = d.app->client_id;
    id.auth_time = grant.auth_time;
    id.nonce = d.nonce;
    if (auto failed = AddIdToken(context, id, body)) return std::move(*failed);
  }
  return body;
}

}  // namespace zta::idp
