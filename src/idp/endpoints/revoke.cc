// The revocation endpoint (RFC 7009): the client a token was issued to puts its jti on the
// revocation list, which introspection consults; a refresh token revokes its delegated grant.
// Audited as token.revoke, synchronously: the revocation must be stored before it is acknowledged
// anyway.
#include "token_call.h"
#include "zta/idp/reasons.h"
#include "zta/jose/jwt.h"

namespace zta::idp {

namespace {

OAuthError StoreError() {
  return OAuthError::TemporarilyUnavailable("revocation could not be stored")
      .WithReason(kReasonStoreError);
}

// RFC 7009 §2.1: only the client the token was issued to may revoke it.
OAuthError NotTheOwner() {
  return OAuthError::UnauthorizedClient("the token was issued to another client")
      .WithReason(kReasonNotTokenOwner);
}

// A refresh token (opaque; token_type_hint only says where to look first, §2.1) revokes its
// whole grant: the refresh family and every access token issued under it (§2.1: "SHOULD also
// invalidate the access token"). True once a grant is revoked, false when the token is no
// refresh token of a known grant. The token is only read before the owner check (RevokeGrant
// then uses up the whole family): spending it first let any client burn a stolen refresh token,
// so that the app's next refresh counted as a reuse and revoked the user's grant.
OAuthResult<bool> RevokeRefreshGrant(ServerContext& context, const TokenCall& call,
                                     AuditEvent& event) {
  auto refresh = context.token_state.FindRefreshToken(DigestSecret(call.token));
  if (!refresh.ok()) return StoreError();
  if (!refresh->has_value()) return false;
  auto grant = context.token_state.FindGrant((*refresh)->grant_id);
  if (!grant.ok()) return StoreError();
  if (!grant->has_value()) return false;
  event.subject = (*grant)->user_id;
  event.attributes["zta.grant"] = (*grant)->id;
  if ((*grant)->app_id != call.caller.client_id) return NotTheOwner();
  if (!context.token_state
           .RevokeGrant((*grant)->id, context.clock.NowSeconds(), "revoked_by_client")
           .ok()) {
    return StoreError();
  }
  return true;
}

// Puts a verified access token's jti on the revocation list until its exp. False when its
// payload is no JSON object: nothing to revoke, and nothing recorded.
OAuthResult<bool> RevokeAccessToken(ServerContext& context, const TokenCall& call,
                                    const std::string& payload, AuditEvent& event) {
  auto claims = ParseJsonStrict(payload);
  if (!claims.ok() || !claims->is_object()) return false;
  std::string jti = claims->value("jti", "");
  std::string owner = claims->value("client_id", "");
  int64_t exp = (*claims).contains("exp") && (*claims)["exp"].is_number_integer()
                    ? (*claims)["exp"].get<int64_t>()
                    : context.clock.NowSeconds() + 86400;
  event.jti = jti;
  if (owner != call.caller.client_id) return NotTheOwner();
  if (!context.token_state.Revoke(jti, exp).ok()) return StoreError();
  return true;
}

}  // namespace

Decision RevokeEndpoint(ServerContext& context, const http::Request& request) {
  AuditEvent event;
  event.action = "token.revoke";
  // RFC 7009 §2.1: the client authenticates; only clients (not resource servers) revoke.
  auto call = BeginTokenCall(context, request, /*allow_resources=*/false, event);
  if (!call.ok()) return Decision::Unrecorded(call.error().ToResponse());
  // Both 200 answers are allowed; a refusal is recorded as its error says.
  auto allowed = [&](const char* reason) {
    if (reason) event.reason = reason;
    event.decision = AuditDecision::kAllow;
    (void)context.Audit(std::move(event));
  };
  auto refuse = [&](const OAuthError& error) {
    event.decision = error.AuditOutcome();
    event.reason = error.AuditReason();
    (void)context.Audit(std::move(event));
    return Decision::Unrecorded(error.ToResponse());
  };
  http::Response ok = http::Response::Text(200, "");
  ok.headers.Set("Cache-Control", "no-store");
  // RFC 7009 §2.2: invalid or unknown tokens still get 200 — nothing to revoke.
  jose::JwsVerifyOptions jws_options;
  jws_options.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  auto verified = jose::VerifyCompact(call->token, *context.keys.PublishedKeys(), jws_options);
  if (!verified.ok() || call->token_type_hint == "refresh_token") {
    auto revoked = RevokeRefreshGrant(context, *call, event);
    if (!revoked.ok()) return refuse(revoked.error());
    if (*revoked) {
      allowed(nullptr);
      return Decision::Unrecorded(std::move(ok));
    }
  }
  if (!verified.ok()) {
    allowed(kReasonUnknownToken);
    return Decision::Unrecorded(std::move(ok));
  }
  auto revoked = RevokeAccessToken(context, *call, verified->payload, event);
  if (!revoked.ok()) return refuse(revoked.error());
  if (*revoked) allowed(nullptr);
  return Decision::Unrecorded(std::move(ok));
}

}  // namespace zta::idp
