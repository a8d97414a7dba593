// grant_type=urn:openid:params:grant-type:ciba (OpenID CIBA Core 1.0 §10.1, poll mode): the
// agent that made a backchannel request (endpoints/bc_authorize.cc) polls with its auth_req_id
// until the user decides on /account. Approved, it is redeemed once for a delegated access token
// whose client is the agent itself (there is no app): sub = the user, act = the agent. No refresh
// token: the agent asks the user again (docs/delegation.md, "Backchannel approval").
#include <algorithm>

#include "access_token.h"
#include "delegated_token.h"
#include "grant.h"
#include "id_token.h"
#include "zta/core/random.h"
#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

OAuthError StoreError() {
  return OAuthError::TemporarilyUnavailable("the backchannel request could not be read or stored")
      .WithReason(kReasonStoreError);
}

// An event about request `r` beside token.issue (backchannel.expired, .redeem, .replay).
AuditEvent SideEvent(const GrantContext& context, const BackchannelRequest& r, std::string action,
                     AuditDecision decision, std::string reason) {
  AuditEvent e;
  e.action = std::move(action);
  e.decision = decision;
  e.reason = std::move(reason);
  e.subject = r.user_id;
  e.actor_chain = {r.agent_id};
  e.client_id = context.caller.client_id;
  e.resource = r.resource;
  e.scopes_requested = r.scopes;
  e.attributes["zta.backchannel"] = r.digest;
  if (!r.grant_id.empty()) e.attributes["zta.grant"] = r.grant_id;
  std::string details = DetailsDigest(r.authorization_details);
  if (!details.empty()) e.attributes["zta.details_digest"] = details;
  return e;
}

OAuthError RefuseReplay(const GrantContext& context, const BackchannelRequest& r) {
  context.side_events.push_back(
      SideEvent(context, r, "backchannel.replay", AuditDecision::kDeny, kReasonBackchannelReplay));
  return OAuthError::InvalidGrant("the auth_req_id was already redeemed")
      .WithReason(kReasonBackchannelReplay);
}

// The access token (and, with openid, the ID token) for `grant`.
GrantResult IssueTokens(const GrantContext& context, const DelegatedGrant& grant, const User& user,
                        const Resource& resource) {
  const Agent& agent = *context.caller.agent;
  AuditEvent& event = context.event;
  event.subject = user.id;
  event.actor_chain = {agent.client_id};
  event.resource = resource.uri;
  event.scopes_granted = grant.scopes;
  event.attributes["zta.grant"] = grant.id;
  std::string details = DetailsDigest(grant.authorization_details);
  if (!details.empty()) event.attributes["zta.details_digest"] = details;

  AccessTokenSpec spec;
  spec.subject = user.id;
  spec.client_id = agent.client_id;  // the agent is the client: CIBA has no app
  spec.resource = &resource;
  spec.scopes = grant.scopes;
  spec.max_ttl_seconds = agent.max_token_ttl_seconds;
  spec.claims["act"] = {{"sub", agent.client_id}};  // RFC 8693 §4.1
  spec.claims["zta_agent"] = AgentClaim(agent);
  spec.claims["zta_grant"] = grant.id;
  spec.claims["auth_time"] = grant.auth_time;
  if (!grant.authorization_details.is_null()) {
    spec.claims["authorization_details"] = grant.authorization_details;  // RFC 9396 §9.1
  }
  GrantResult issued = IssueAccessToken(context, spec);
  if (!issued.ok()) return issued;
  Json body = std::move(*issued);
  if (!grant.authorization_details.is_null()) {
    body["authorization_details"] = grant.authorization_details;  // RFC 9396 §7
  }
  // CIBA §10.1.1 / OIDC Core §3.1.3.3: with openid, an ID token for the agent (aud = its id).
  if (std::find(grant.scopes.begin(), grant.scopes.end(), "openid") != grant.scopes.end()) {
    IdTokenSpec id;
    id.user = &user;
    id.audience = agent.client_id;
    id.auth_time = grant.auth_time;
    if (auto failed = AddIdToken(context, id, body)) return std::move(*failed);
  }
  return body;
}

// An approved request: checked again (user enabled, resource registered, scopes still within the
// agent's allowance), spent in one compare-and-set, then the grant and its tokens.
GrantResult Redeem(const GrantContext& context, BackchannelRequest r, int64_t now) {
  auto user = CheckUser(context, r.user_id);
  if (!user.ok()) return std::move(user).error();
  const Resource* resource = context.registry.FindResource(r.resource);
  if (resource == nullptr) {
    return OAuthError::InvalidTarget("the request's resource is no longer registered");
  }
  std::vector<std::string> scopes = DelegatedScopes(r.scopes, context.caller.agent, *resource);
  if (std::none_of(scopes.begin(), scopes.end(),
                   [](const std::string& s) { return !IsOpenIdScope(s); })) {
    return OAuthError::InvalidScope("no approved scope is within the agent's allowance");
  }
  auto id = RandomToken(16);
  if (!id.ok()) return OAuthError::ServerError("randomness failed").Unaudited();
  DelegatedGrant grant;
  grant.id = "g-" + *id;
  grant.user_id = r.user_id;
  grant.app_id = "";  // CIBA: the agent is the client, there is no app
  grant.agent_id = r.agent_id;
  grant.resource = r.resource;
  grant.scopes = std::move(scopes);
  grant.authorization_details = r.authorization_details;
  grant.code_digest = r.digest;  // what it was redeemed from
  grant.auth_time = r.auth_time;
  grant.created_at = now;
  grant.last_used_at = now;
  // Single redemption: of two polls that both read kApproved, one moves it to kRedeemed.
  auto redeemed = context.token_state.RedeemBackchannel(r.digest, grant.id, now);
  if (!redeemed.ok()) return StoreError();
  if (!*redeemed) return RefuseReplay(context, r);
  r.grant_id = grant.id;
  if (!context.token_state.PutGrant(grant).ok()) return StoreError();
  GrantResult issued = IssueTokens(context, grant, **user, *resource);
  if (!issued.ok()) {
    (void)context.token_state.RevokeGrant(grant.id, now, "issue_failed");
    return issued;
  }
  AuditEvent done =
      SideEvent(context, r, "backchannel.redeem", AuditDecision::kAllow, std::string());
  done.scopes_granted = grant.scopes;
  done.jti = context.event.jti;
  context.side_events.push_back(std::move(done));
  return issued;
}

// CIBA §11 for a request that is not approved (or is past its expiry).
OAuthError Unfinished(const GrantContext& context, const BackchannelRequest& r, bool too_soon,
                      int64_t now) {
  switch (r.status) {
    case BackchannelStatus::kRedeemed:
      return RefuseReplay(context, r);
    case BackchannelStatus::kDenied:
      return OAuthError::AccessDenied("the user denied the request")
          .WithReason(kReasonBackchannelDenied);
    case BackchannelStatus::kExpired:
      return OAuthError::ExpiredToken("the request expired").WithReason(kReasonBackchannelExpired);
    case BackchannelStatus::kPending:
    case BackchannelStatus::kApproved:
      break;
  }
  if (now >= r.expires_at) {
    // Reported once, by the poll that moves it; later polls read kExpired above.
    auto moved = context.token_state.ExpireBackchannel(r.digest, now);
    if (!moved.ok()) return StoreError();
    if (*moved) {
      context.side_events.push_back(SideEvent(context, r, "backchannel.expired",
                                              AuditDecision::kDeny, kReasonBackchannelExpired));
    }
    return OAuthError::ExpiredToken("the request expired").WithReason(kReasonBackchannelExpired);
  }
  context.event.attributes["zta.interval"] = r.interval;
  if (too_soon) {
    return OAuthError::PollSlowDown("poll every " + std::to_string(r.interval) + " seconds")
        .WithReason(kReasonPollTooFast);
  }
  return OAuthError::AuthorizationPending("the user has not decided yet")
      .WithReason(kReasonAuthorizationPending);
}

}  // namespace

GrantResult CibaGrant(const GrantContext& context) {
  if (context.caller.agent == nullptr) {
    return OAuthError::UnauthorizedClient("the CIBA grant is for agents");
  }
  const std::string& auth_req_id = context.Field("auth_req_id");
  if (auth_req_id.empty()) return OAuthError::InvalidRequest("missing auth_req_id");
  const std::string digest = DigestSecret(auth_req_id);
  const int64_t now = context.clock.NowSeconds();
  auto found = context.token_state.FindBackchannel(digest);
  if (!found.ok()) return StoreError();
  // CIBA §11: the client must be the one the auth_req_id was issued to. Another agent's id is
  // answered like an unknown one, and its polling state is left as it was.
  if (!found->has_value() || (*found)->agent_id != context.caller.client_id) {
    return OAuthError::InvalidGrant("unknown auth_req_id").WithReason(kReasonBackchannelInvalid);
  }
  context.event.subject = (*found)->user_id;
  context.event.resource = (*found)->resource;
  context.event.scopes_requested = (*found)->scopes;
  context.event.attributes["zta.backchannel"] = digest;
  bool too_soon = false;
  auto polled = context.token_state.PollBackchannel(digest, now, &too_soon);
  if (!polled.ok() || !polled->has_value()) return StoreError();
  BackchannelRequest& r = **polled;
  if (r.status != BackchannelStatus::kApproved || now >= r.expires_at) {
    return Unfinished(context, r, too_soon, now);
  }
  return Redeem(context, std::move(r), now);
}

}  // namespace zta::idp
