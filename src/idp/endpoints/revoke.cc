// The revocation endpoint (RFC 7009): the client a token was issued to puts its jti on the
// revocation list, which introspection consults. Audited as token.revoke, synchronously: the
// revocation must be stored before it is acknowledged anyway.
#include "token_call.h"
#include "zta/idp/reasons.h"
#include "zta/jose/jwt.h"

namespace zta::idp {

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
  if (!verified.ok()) {
    allowed(kReasonUnknownToken);
    return Decision::Unrecorded(std::move(ok));
  }
  auto claims = ParseJsonStrict(verified->payload);
  if (!claims.ok() || !claims->is_object()) return Decision::Unrecorded(std::move(ok));
  std::string jti = claims->value("jti", "");
  std::string owner = claims->value("client_id", "");
  int64_t exp = (*claims).contains("exp") && (*claims)["exp"].is_number_integer()
                    ? (*claims)["exp"].get<int64_t>()
                    : context.clock.NowSeconds() + 86400;
  event.jti = jti;
  // RFC 7009 §2.1: only the client the token was issued to may revoke it.
  if (owner != call->caller.client_id) {
    return refuse(OAuthError::UnauthorizedClient("the token was issued to another client")
                      .WithReason(kReasonNotTokenOwner));
  }
  if (!context.token_state.Revoke(jti, exp).ok()) {
    return refuse(OAuthError::TemporarilyUnavailable("revocation could not be stored")
                      .WithReason(kReasonStoreError));
  }
  allowed(nullptr);
  return Decision::Unrecorded(std::move(ok));
}

}  // namespace zta::idp
