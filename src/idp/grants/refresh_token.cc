// grant_type=refresh_token (RFC 6749 §6) for delegated grants: rotated on every use (RFC 9700
// §4.14.2), a used one presented again revokes the grant (its family and every access token
// issued under it), and a grant with an actor needs that actor's own token again, so a stolen
// refresh token alone is useless. Never widens scopes or details.
#include <algorithm>
#include <optional>

#include "delegated_token.h"
#include "grant.h"
#include "zta/core/scopes.h"
#include "zta/idp/reasons.h"
#include "zta/jose/dpop.h"

namespace zta::idp {
namespace {

OAuthError StoreError() {
  return OAuthError::TemporarilyUnavailable("the token state could not be read or stored")
      .WithReason(kReasonStoreError);
}

OAuthError Invalid() {
  return OAuthError::InvalidGrant("unknown refresh token").WithReason(kReasonRefreshInvalid);
}

// A bad actor_token is refused before the refresh token is spent, so a retry with a fresh
// actor token still works (which agent it must be is checked once the grant is known).
std::optional<OAuthError> PrecheckActorToken(const GrantContext& context, int64_t now) {
  if (context.Field("actor_token").empty()) return std::nullopt;
  auto verified =
      VerifyOwnAccessToken(context.keys, context.options.issuer, context.Field("actor_token"), now);
  if (!verified.ok()) {
    return OAuthError::InvalidGrant("actor_token rejected: " + verified.status().reason())
        .WithReason(kReasonActorTokenInvalid);
  }
  return std::nullopt;
}

// RFC 9700 §4.14.2: a rotated-out token came back, so one of its holders is not the app.
OAuthError RevokeOnReuse(const GrantContext& context, const DelegatedGrant& grant, int64_t now) {
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

// The presented refresh token's grant, read without spending the token, if the grant is live,
// the calling app's, and the token unexpired. A token already used comes back as a reuse
// (RFC 9700 §4.14.2) — but only to the app it was issued to, so another client cannot revoke
// a user's grant with a leaked, spent token.
OAuthResult<DelegatedGrant> FindLiveGrant(const GrantContext& context,
                                          const std::string& presented, int64_t now,
                                          RefreshToken* token) {
  auto found_token = context.token_state.FindRefreshToken(DigestSecret(presented));
  if (!found_token.ok()) return StoreError();
  if (!found_token->has_value()) return Invalid();
  *token = **found_token;
  auto found = context.token_state.FindGrant(token->grant_id);
  if (!found.ok()) return StoreError();
  if (!found->has_value()) return Invalid();
  const DelegatedGrant& grant = **found;
  context.event.subject = grant.user_id;
  context.event.resource = grant.resource;
  context.event.attributes["zta.grant"] = grant.id;
  if (grant.app_id != context.caller.app->client_id) return Invalid();
  if (grant.revoked_at != 0) {
    return OAuthError::InvalidGrant("the grant was revoked").WithReason(kReasonGrantRevoked);
  }
  if (token->used) return RevokeOnReuse(context, grant, now);
  if (token->expires_at <= now) return Invalid();
  // RFC 9449 §5: a refresh token bound to a key is refreshed only with a proof of that key; a
  // copy without it is refused before it is spent, so the app's own next refresh still works.
  if (!grant.dpop_jkt.empty() && grant.dpop_jkt != context.dpop_jkt) {
    return OAuthError::InvalidDpopProof(context.dpop_jkt.empty()
                                            ? "this refresh token needs a DPoP proof"
                                            : "the DPoP proof is not by this refresh token's key")
        .WithReason(context.dpop_jkt.empty() ? jose::kReasonDpopMissing
                                             : jose::kReasonDpopKeyMismatch);
  }
  return grant;
}

// Spends the token once every check passed. Two requests with one token can both pass the
// checks; the store lets only one of them spend it, and the other is a reuse.
std::optional<OAuthError> SpendRefreshToken(const GrantContext& context,
                                            const DelegatedGrant& grant,
                                            const std::string& presented, int64_t now) {
  auto used = context.token_state.UseRefreshToken(DigestSecret(presented));
  if (!used.ok()) return StoreError();
  if (!used->has_value()) return Invalid();
  if ((*used)->used) return RevokeOnReuse(context, grant, now);
  return std::nullopt;
}

// RFC 8707 §2.2 and RFC 6749 §6: the grant's resource only, and a scope that may narrow the
// grant, never widen it; then what the actor and the resource still allow.
OAuthResult<std::vector<std::string>> RefreshedScopes(const GrantContext& context,
                                                      const DelegatedGrant& grant,
                                                      const DelegationParties& parties) {
  if (const std::string& asked = context.Field("resource");
      !asked.empty() && asked != grant.resource) {
    return OAuthError::InvalidTarget("resource differs from the grant's");
  }
  std::vector<std::string> requested = SplitSpaceDelimited(context.Field("scope"));
  context.event.scopes_requested = requested;
  for (const std::string& s : requested) {
    if (std::find(grant.scopes.begin(), grant.scopes.end(), s) == grant.scopes.end()) {
      return OAuthError::InvalidScope("scope " + s + " was not granted");
    }
  }
  std::vector<std::string> scopes = DelegatedScopes(requested.empty() ? grant.scopes : requested,
                                                    parties.agent, parties.resource());
  if (scopes.empty()) return OAuthError::InvalidScope("no granted scope is still allowed");
  return scopes;
}

}  // namespace

GrantResult RefreshTokenGrant(const GrantContext& context) {
  if (!context.caller.app) return OAuthError::UnauthorizedClient("refresh_token is for apps");
  const std::string& presented = context.Field("refresh_token");
  if (presented.empty()) return OAuthError::InvalidRequest("missing refresh_token");
  const int64_t now = context.clock.NowSeconds();
  // Everything that can refuse (the grant, the app, the actor's token, the scopes) is checked
  // before the refresh token is spent: a request that fails leaves it usable, so someone holding
  // a stolen refresh token but not the agent's credentials cannot burn it — which would turn the
  // app's next, legitimate refresh into a "reuse" that revokes the user's grant.
  if (auto refused = PrecheckActorToken(context, now)) return *std::move(refused);
  RefreshToken token;
  auto grant = FindLiveGrant(context, presented, now, &token);
  if (!grant.ok()) return std::move(grant).error();
  auto parties = ResolveDelegationParties(context, grant->user_id, grant->agent_id, grant->resource,
                                          "grant's");
  if (!parties.ok()) return std::move(parties).error();
  auto scopes = RefreshedScopes(context, *grant, *parties);
  if (!scopes.ok()) return std::move(scopes).error();
  if (auto refused = SpendRefreshToken(context, *grant, presented, now)) {
    return *std::move(refused);
  }
  (void)context.token_state.TouchGrant(grant->id, now);

  Delegation delegation;
  delegation.grant = &*grant;
  delegation.user = parties->user;
  delegation.app = context.caller.app;
  delegation.agent = parties->agent;
  delegation.resource = &parties->resource();
  delegation.scopes = std::move(*scopes);
  context.event.attributes["zta.refreshed"] = true;
  return IssueDelegatedTokens(context, delegation);
}

}  // namespace zta::idp
