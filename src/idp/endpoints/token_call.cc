// The common start of introspection and revocation: both authenticate their caller the same way
// (RFC 7662 §2.1, RFC 7009 §2.1) and take one token parameter.
#include "token_call.h"

#include "../form_fields.h"

namespace zta::idp {

OAuthResult<TokenCall> BeginTokenCall(ServerContext& context, const http::Request& request,
                                      bool allow_resources, AuditEvent& event) {
  auto form = http::ParseForm(request.body);
  if (!form.ok()) return OAuthError::InvalidRequest("malformed form body");
  TokenCall call;
  // Force a registry check so a just-disabled agent is refused, and its tokens inactive, at once.
  call.registry = context.registry.Get(true);
  auto fields = UniqueFields(*form);
  auto caller = fields.ok() ? context.client_auth.Authenticate(request, *fields, *call.registry,
                                                               allow_resources)
                            : OAuthResult<Caller>(fields.error());
  if (!caller.ok()) {
    const OAuthError& error = caller.error();
    event.decision = AuditDecision::kDeny;
    // The OAuth error code, as ever; a slowed-down wrong credential says so, and what it was.
    event.reason = error.auth_failure().empty() ? error.error() : error.AuditReason();
    if (!error.auth_failure().empty()) {
      event.attributes["zta.auth_failure"] = error.auth_failure();
      event.attributes["zta.source_address"] = request.remote_address;
    }
    (void)context.Audit(std::move(event));
    return std::move(caller).error();
  }
  call.caller = std::move(*caller);
  event.client_id = call.caller.client_id;
  call.token = Field(*fields, "token");
  call.token_type_hint = Field(*fields, "token_type_hint");
  if (call.token.empty()) return OAuthError::InvalidRequest("missing token");
  return call;
}

Decision RefuseClient(const http::Request& request, const OAuthError& error, AuditEvent event) {
  event.decision = AuditDecision::kDeny;
  event.reason = error.AuditReason();
  event.attributes["zta.source_address"] = request.remote_address;
  if (!error.auth_failure().empty()) event.attributes["zta.auth_failure"] = error.auth_failure();
  return Decision::Recorded(error.ToResponse(), std::move(event), false);
}

Decision RefuseRequest(const OAuthError& error, AuditEvent event) {
  if (!error.audited()) return Decision::Unrecorded(error.ToResponse());
  event.decision = error.AuditOutcome();
  event.reason = error.AuditReason();
  return Decision::Recorded(error.ToResponse(), std::move(event), false);
}

}  // namespace zta::idp
