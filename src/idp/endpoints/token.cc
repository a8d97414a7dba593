// The token endpoint (RFC 6749 §3.2): authenticate the client, look up its grant_type, run the
// grant. Every outcome but a malformed body is audited as token.issue; an issued token leaves
// only once its event is recorded (DESIGN.md, Audit: no record, no token).
#include <vector>

#include "../dpop_proof.h"
#include "../form_fields.h"
#include "endpoint.h"
#include "token_call.h"

namespace zta::idp {
namespace {

// "only client_credentials is supported", from the grant table.
std::string SupportedGrants(const GrantTypes& grants) {
  std::vector<std::string> names = grants.Names();
  std::string list;
  for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
  return "only " + list + (names.size() == 1 ? " is supported" : " are supported");
}

}  // namespace

Decision TokenEndpoint(ServerContext& context, const http::Request& request) {
  AuditEvent event;
  event.action = "token.issue";
  auto form = http::ParseForm(request.body);
  if (!form.ok()) {
    return Decision::Unrecorded(OAuthError::InvalidRequest("malformed form body").ToResponse());
  }
  auto registry = context.registry.Get(false);  // keeps caller->agent alive
  auto fields = UniqueFields(*form);
  if (!fields.ok()) return RefuseClient(request, fields.error(), std::move(event));
  auto caller = context.client_auth.Authenticate(request, *fields, *registry, false);
  if (!caller.ok()) return RefuseClient(request, caller.error(), std::move(event));
  event.client_id = caller->client_id;
  event.subject = caller->client_id;
  event.actor_chain = {caller->client_id};
  event.attributes["zta.client_auth_method"] = caller->auth_method;
  if (!caller->federated_issuer.empty()) {
    event.attributes["zta.federated_issuer"] = caller->federated_issuer;
  }

  const std::string& grant_type = Field(*fields, "grant_type");
  if (grant_type.empty()) {
    return RefuseRequest(OAuthError::InvalidRequest("missing grant_type"), std::move(event));
  }
  GrantHandler grant = context.grants.Find(grant_type);
  if (!grant) {
    return RefuseRequest(OAuthError::UnsupportedGrantType(SupportedGrants(context.grants)),
                         std::move(event));
  }
  // RFC 9449 §5: the key the client proves it holds, before the grant spends anything.
  auto dpop_jkt = TokenRequestDpopKey(context, request, *caller);
  if (!dpop_jkt.ok()) return RefuseRequest(dpop_jkt.error(), std::move(event));
  if (!dpop_jkt->empty()) event.attributes["zta.dpop_jkt"] = *dpop_jkt;
  std::vector<AuditEvent> side_events;
  GrantContext grant_context{*caller,       *fields,      *registry,           context.options,
                             context.clock, context.keys, context.token_state, context.federation,
                             event,         side_events,  *dpop_jkt};
  GrantResult granted = grant(grant_context);
  // code.redeem, code.replay, refresh.reuse: recorded before the answer; a token waits for them.
  bool side_recorded = true;
  for (AuditEvent& side : side_events) side_recorded &= context.Audit(std::move(side)).ok();
  if (!granted.ok()) return RefuseRequest(granted.error(), std::move(event));
  std::string nonce = CurrentDpopNonce(context);
  if (!side_recorded) {
    return Decision::Unrecorded(
        OAuthError::TemporarilyUnavailable("the audit log is unavailable").ToResponse());
  }

  http::Response r = http::Response::Json(200, *granted);
  r.headers.Set("Cache-Control", "no-store");  // RFC 6749 §5.1
  r.headers.Set("Pragma", "no-cache");
  if (!nonce.empty()) r.headers.Set(jose::kDpopNonceHeader, nonce);  // RFC 9449 §8
  event.decision = AuditDecision::kAllow;
  // DESIGN.md, Audit: the issuance is durable before the token leaves; no record, no token.
  return Decision::Recorded(std::move(r), std::move(event), /*grants=*/true);
}

}  // namespace zta::idp
