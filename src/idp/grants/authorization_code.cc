// grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6): an app redeems the code the
// user's approval at /authorize produced, proving PKCE and, when the code names a requested
// actor, that agent's own access token (draft-oauth-ai-agents-on-behalf-of-user-02). Result: a
// delegated grant and its tokens (delegated_token.h).
#include <algorithm>
#include <optional>
#include <string_view>

#include "delegated_token.h"
#include "grant.h"
#include "zta/core/base64url.h"
#include "zta/core/random.h"
#include "zta/core/secret.h"
#include "zta/core/sha256.h"
#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

// RFC 7636 §4.1: 43 to 128 characters of [A-Z] [a-z] [0-9] "-" "." "_" "~".
bool WellFormedVerifier(std::string_view v) {
  if (v.size() < 43 || v.size() > 128) return false;
  for (char c : v) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (!unreserved) return false;
  }
  return true;
}

OAuthError StoreError() {
  return OAuthError::TemporarilyUnavailable("the token state could not be stored")
      .WithReason(kReasonStoreError);
}

// The event that says what a code became, or that it came back.
AuditEvent CodeEvent(const GrantContext& context, const AuthorizationCode& code,
                     std::string action) {
  AuditEvent e;
  e.action = std::move(action);
  e.subject = code.user_id;
  if (!code.agent_id.empty()) e.actor_chain = {code.agent_id};
  e.client_id = context.caller.client_id;
  e.resource = code.resource;
  e.scopes_requested = code.scopes;
  if (!code.grant_id.empty()) e.attributes["zta.grant"] = code.grant_id;
  std::string digest = DetailsDigest(code.authorization_details);
  if (!digest.empty()) e.attributes["zta.details_digest"] = digest;
  return e;
}

// RFC 6749 §4.1.2: a code used twice is refused, and what it issued is revoked.
OAuthError RefuseReplay(const GrantContext& context, const AuthorizationCode& code, int64_t now) {
  AuditEvent replay = CodeEvent(context, code, "code.replay");
  replay.decision = AuditDecision::kDeny;
  replay.reason = kReasonCodeReplay;
  if (!code.grant_id.empty()) {
    Status revoked = context.token_state.RevokeGrant(code.grant_id, now, kReasonCodeReplay);
    replay.attributes["zta.grant_revoked"] = revoked.ok();
  }
  context.side_events.push_back(std::move(replay));
  return OAuthError::InvalidGrant("the authorization code was already used")
      .WithReason(kReasonCodeReplay);
}

// Reads the code `digest` names without spending it, so that a refused request leaves it as it
// was: whoever presents a code first must not be able to burn it, or revoke its grant, without
// being its app and holding its verifier.
OAuthResult<AuthorizationCode> FindCode(const GrantContext& context, const std::string& digest,
                                        bool* used) {
  auto found = context.token_state.FindCode(digest, used);
  if (!found.ok()) return StoreError();
  if (!found->has_value()) {
    return OAuthError::InvalidGrant("unknown authorization code").WithReason(kReasonCodeInvalid);
  }
  const AuthorizationCode& code = **found;
  context.event.subject = code.user_id;
  context.event.resource = code.resource;
  context.event.scopes_requested = code.scopes;
  return std::move(**found);
}

// Spends the code, once every check passed. Consumed in one transaction, so that two
// redemptions cannot both be first: the one that is not is a replay by the code's own app
// holding the verifier, and revokes what the other issued (RFC 6749 §4.1.2).
std::optional<OAuthError> SpendCode(const GrantContext& context, const AuthorizationCode& code,
                                    int64_t now) {
  bool first_use = false;
  auto consumed = context.token_state.ConsumeCode(code.digest, &first_use);
  if (!consumed.ok()) return StoreError();
  if (!consumed->has_value()) {
    return OAuthError::InvalidGrant("unknown authorization code").WithReason(kReasonCodeInvalid);
  }
  if (!first_use) return RefuseReplay(context, **consumed, now);
  return std::nullopt;
}

// The token request must come from the code's app, in time, and repeat what the authorization
// request said: redirect_uri, resource, and the PKCE verifier of its challenge.
std::optional<OAuthError> CheckRedemption(const GrantContext& context,
                                          const AuthorizationCode& code, int64_t now) {
  if (code.app_id != context.caller.app->client_id || code.expires_at <= now) {
    return OAuthError::InvalidGrant("unknown authorization code").WithReason(kReasonCodeInvalid);
  }
  // RFC 6749 §4.1.3: the redirect_uri of the authorization request, identical.
  if (context.Field("redirect_uri") != code.redirect_uri) {
    return OAuthError::InvalidGrant("redirect_uri does not match the authorization request")
        .WithReason(kReasonRedirectMismatch);
  }
  // RFC 8707 §2.2: a resource at the token endpoint may only repeat the code's.
  if (const std::string& asked = context.Field("resource");
      !asked.empty() && asked != code.resource) {
    return OAuthError::InvalidTarget("resource differs from the authorization request's");
  }
  // RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge (S256 only).
  const std::string& verifier = context.Field("code_verifier");
  if (code.code_challenge.empty() || !WellFormedVerifier(verifier) ||
      !ConstantTimeEquals(Base64UrlEncode(Sha256(verifier)), code.code_challenge)) {
    return OAuthError::InvalidGrant("code_verifier does not match the code challenge")
        .WithReason(kReasonPkceMismatch);
  }
  return std::nullopt;
}

// Stores the grant the code becomes, and links the code to it (for a later replay to revoke).
OAuthResult<DelegatedGrant> CreateGrant(const GrantContext& context, const AuthorizationCode& code,
                                        const std::string& digest, std::vector<std::string> scopes,
                                        int64_t now) {
  auto id = RandomToken(16);
  if (!id.ok()) return OAuthError::ServerError("randomness failed").Unaudited();
  DelegatedGrant grant;
  grant.id = "g-" + *id;
  grant.user_id = code.user_id;
  grant.app_id = context.caller.app->client_id;
  grant.agent_id = code.agent_id;
  grant.resource = code.resource;
  grant.scopes = std::move(scopes);
  grant.authorization_details = code.authorization_details;
  grant.code_digest = digest;
  grant.auth_time = code.auth_time;
  grant.created_at = now;
  grant.last_used_at = now;
  // RFC 9449 §5: a public client's refresh tokens are bound to the key of this proof; a
  // confidential app authenticates at every refresh, so its refresh tokens are not.
  if (context.caller.app->is_public) grant.dpop_jkt = context.dpop_jkt;
  if (!context.token_state.PutGrant(grant).ok() ||
      !context.token_state.SetCodeGrant(digest, grant.id).ok()) {
    return StoreError();
  }
  return grant;
}

}  // namespace

GrantResult AuthorizationCodeGrant(const GrantContext& context) {
  if (!context.caller.app) {
    return OAuthError::UnauthorizedClient("authorization_code is for registered apps");
  }
  const std::string& code_value = context.Field("code");
  if (code_value.empty()) return OAuthError::InvalidRequest("missing code");
  const std::string digest = DigestSecret(code_value);
  const int64_t now = context.clock.NowSeconds();
  // Everything that can refuse runs before the code is spent, so a refusal has no side effect:
  // the code stays redeemable by its app, and its grant stands.
  bool used = false;
  auto found = FindCode(context, digest, &used);
  if (!found.ok()) return std::move(found).error();
  AuthorizationCode& code = *found;
  code.digest = digest;
  if (auto refused = CheckRedemption(context, code, now)) return *std::move(refused);
  // Its own app, with the verifier, presenting it again: RFC 6749 §4.1.2's replay.
  if (used) return RefuseReplay(context, code, now);

  auto parties =
      ResolveDelegationParties(context, code.user_id, code.agent_id, code.resource, "code's");
  if (!parties.ok()) return std::move(parties).error();
  std::vector<std::string> scopes =
      DelegatedScopes(code.scopes, parties->agent, parties->resource());
  bool resource_scope = !parties->registered;
  for (const auto& s : scopes) resource_scope |= !IsOpenIdScope(s);
  if (scopes.empty() || !resource_scope) {
    return OAuthError::InvalidScope("no consented scope is within the actor's allowance");
  }
  if (auto refused = SpendCode(context, code, now)) return *std::move(refused);
  auto grant = CreateGrant(context, code, digest, scopes, now);
  if (!grant.ok()) return std::move(grant).error();

  Delegation delegation;
  delegation.grant = &*grant;
  delegation.user = parties->user;
  delegation.app = context.caller.app;
  delegation.agent = parties->agent;
  delegation.resource = &parties->resource();
  delegation.scopes = std::move(scopes);
  delegation.nonce = code.nonce;
  delegation.id_token =
      std::find(code.scopes.begin(), code.scopes.end(), "openid") != code.scopes.end();
  GrantResult issued = IssueDelegatedTokens(context, delegation);
  if (!issued.ok()) {
    (void)context.token_state.RevokeGrant(grant->id, now, "issue_failed");
    return issued;
  }
  AuditEvent redeemed = CodeEvent(context, code, "code.redeem");
  redeemed.attributes["zta.grant"] = grant->id;
  redeemed.scopes_granted = delegation.scopes;
  redeemed.jti = context.event.jti;
  context.side_events.push_back(std::move(redeemed));
  return issued;
}

}  // namespace zta::idp
