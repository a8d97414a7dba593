// grant_type=refresh_token (RFC 6749 §6) for delegated grants: rotated on every use (RFC 9700
// §4.14.2), a used one presented again revokes the grant (its family and every access token
// issued under it), and a grant with an actor needs that actor's own token again, so a stolen
// refresh token alone is useless. Never widens scopes or details.
#include <algorithm>

#include "delegated_token.h"
#include "grant.h"
#include "zta/core/scopes.h"
#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

OAuthError StoreError() {
  return OAuthError::TemporarilyUnavailable("the token state could not be read or stored")
      .WithReason(kReasonStoreError);
}

OAuthError Invalid() {
  return OAuthError::InvalidGrant("unknown refresh token").WithReason(kReasonRefreshInvalid);
}

}  // namespace

GrantResult RefreshTokenGrant(const GrantContext& context) {
  if (!context.caller.app) return OAuthError::UnauthorizedClient("refresh_token is for apps");
  const App& app = *context.caller.app;
  const std::string& presented = context.Field("refresh_token");
  if (presented.empty()) return OAuthError::InvalidRequest("missing refresh_token");
  const int64_t now = context.clock.NowSeconds();
  // A bad actor_token is refused before the refresh token is spent, so a retry with a fresh
  // actor token still works (which agent it must be is checked once the grant is known).
  if (!context.Field("actor_token").empty()) {
    auto verified = VerifyOwnAccessToken(context.keys, context.options.issuer,
                                         context.Field("actor_token"), now);
    if (!verified.ok()) {
      return OAuthError::InvalidGrant("actor_token rejected: " + verified.status().reason())
          .WithReason(kReasonActorTokenInvalid);
    }
  }

  auto used = context.token_state.UseRefreshToken(DigestSecret(presented));
  if (!used.ok()) return StoreError();
  if (!used->has_value()) return Invalid();
  const RefreshToken& token = **used;
  auto found = context.token_state.FindGrant(token.grant_id);
  if (!found.ok()) return StoreError();
  if (!found->has_value()) return Invalid();
  const DelegatedGrant& grant = **found;
  context.event.subject = grant.user_id;
  context.event.resource = grant.resource;
  context.event.attributes["zta.grant"] = grant.id;
  if (grant.revoked_at != 0) {
    return OAuthError::InvalidGrant("the grant was revoked").WithReason(kReasonGrantRevoked);
  }
  // RFC 9700 §4.14.2: a rotated-out token came back, so one of its holders is not the app.
  if (token.used) {
    Status revoked = context.token_state.RevokeGrant(grant.id, now, kReasonRefreshReuse);
    AuditEvent reuse;
    reuse.action = "refresh.reuse";
    reuse.decision = AuditDecision::kDeny;
    reuse.reason = kReasonRefreshReuse;
    reuse.subject = grant.user_id;
    if (!grant.agent_id.empty()) reuse.actor_chain = {grant.agent_id};
    reuse.client_id = context.caller.client_id;
    reuse.resource = grant.resource;
    reuse.attributes["zta.grant"] = grant.id;
    reuse.attributes["zta.grant_revoked"] = revoked.ok();
    context.side_events.push_back(std::move(reuse));
    return OAuthError::InvalidGrant("the refresh token was already used; the grant is revoked")
        .WithReason(kReasonRefreshReuse);
  }
  if (token.expires_at <= now || grant.app_id != app.client_id) return Invalid();

  auto user = CheckUser(context, grant.user_id);
  if (!user.ok()) return std::move(user).error();
  const Agent* agent = nullptr;
  if (!grant.agent_id.empty()) {
    auto actor = CheckActor(context, grant.agent_id);
    if (!actor.ok()) return std::move(actor).error();
    agent = *actor;
  }
  Resource own = UserinfoResource(context.options);
  const Resource* resource =
      grant.resource.empty() && !agent ? &own : context.registry.FindResource(grant.resource);
  if (!resource) return OAuthError::InvalidTarget("the grant's resource is no longer registered");
  // RFC 8707 §2.2: the grant's resource only.
  if (const std::string& asked = context.Field("resource");
      !asked.empty() && asked != grant.resource) {
    return OAuthError::InvalidTarget("resource differs from the grant's");
  }
  // RFC 6749 §6: scope may narrow the grant, never widen it.
  std::vector<std::string> requested = SplitSpaceDelimited(context.Field("scope"));
  context.event.scopes_requested = requested;
  for (const std::string& s : requested) {
    if (std::find(grant.scopes.begin(), grant.scopes.end(), s) == grant.scopes.end()) {
      return OAuthError::InvalidScope("scope " + s + " was not granted");
    }
  }
  std::vector<std::string> scopes =
      DelegatedScopes(requested.empty() ? grant.scopes : requested, agent, *resource);
  if (scopes.empty()) return OAuthError::InvalidScope("no granted scope is still allowed");
  (void)context.token_state.TouchGrant(grant.id, now);

  Delegation delegation;
  delegation.grant = &grant;
  delegation.user = *user;
  delegation.app = &app;
  delegation.agent = agent;
  delegation.resource = resource;
  delegation.scopes = std::move(scopes);
  context.event.attributes["zta.refreshed"] = true;
  return IssueDelegatedTokens(context, delegation);
}

}  // namespace zta::idp
