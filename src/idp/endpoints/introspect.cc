// The introspection endpoint (RFC 7662): is this token active now, and what does it say? Asked
// by resource servers (about tokens for them only) and by agents. Every answer is audited as
// token.introspect, synchronously: this is not the hot path.
#include "token_call.h"
#include "../token_standing.h"
#include "zta/idp/reasons.h"
#include "zta/jose/jwt.h"
#include "zta/jose/verify_error.h"

namespace zta::idp {
namespace {

http::Response NoStore(Json body) {
  http::Response r = http::Response::Json(200, body);
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

// The token's aud, unverified (any of our resources may be the audience; the caller checks
// which), or the reason it has no single string aud.
Result<std::string> PeekAudience(const std::string& token, const jose::AlgorithmSet& algorithms) {
  jose::JwsVerifyOptions peek;
  peek.allowed_algorithms = algorithms;
  auto parsed = jose::ParseCompact(token, peek);
  if (!parsed.ok()) return parsed.status();
  auto claims = ParseJsonStrict(parsed->payload);
  if (!claims.ok() || !claims->is_object() || !claims->contains("aud") ||
      !(*claims)["aud"].is_string()) {
    return jose::VerifyFailure(jose::VerifyError::kMalformed, "aud is not one string");
  }
  return (*claims)["aud"].get<std::string>();
}

}  // namespace

Decision IntrospectEndpoint(ServerContext& context, const http::Request& request) {
  AuditEvent event;
  event.action = "token.introspect";
  // RFC 7662 §2.1: the caller must authenticate (a resource server or a client).
  auto call = BeginTokenCall(context, request, /*allow_resources=*/true, event);
  if (!call.ok()) return Decision::Unrecorded(call.error().ToResponse());
  const Caller& caller = call->caller;
  // RFC 7662 §2.1 asks for authorization: a public app's bare client_id is none.
  if (caller.auth_method == kAuthNone) {
    event.decision = AuditDecision::kDeny;
    event.reason = "invalid_client";
    (void)context.Audit(std::move(event));
    return Decision::Unrecorded(
        OAuthError::InvalidClient("client authentication required", false).ToResponse());
  }
  auto inactive = [&](const std::string& why) {
    event.decision = AuditDecision::kDeny;
    event.reason = why;
    (void)context.Audit(std::move(event));
    return Decision::Unrecorded(NoStore({{"active", false}}));
  };
  jose::JwtValidationOptions o;
  o.issuer = context.options.issuer;
  o.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  o.required_typ = "at+jwt";
  o.leeway_seconds = 0;  // introspection answers about now, without tolerance
  // Audience: any of ours. Peek at aud, then check it is a registered resource.
  auto audience = PeekAudience(call->token, o.allowed_algorithms);
  if (!audience.ok()) return inactive(audience.status().reason());
  o.audience = std::move(*audience);
  auto verified =
      jose::VerifyJwt(call->token, *context.keys.PublishedKeys(), o, context.clock.NowSeconds());
  if (!verified.ok()) return inactive(verified.status().reason());
  const auto& v = **verified;
  event.jti = v.jti;
  event.resource = o.audience;
  // A resource server may only learn about tokens addressed to it.
  if (caller.is_resource && caller.client_id != o.audience) return inactive(kReasonWrongAudience);
  // Live only while everything it derives from is (token_standing.h): its grant, user and app,
  // every agent of its actor chain, and every token it was exchanged from.
  std::string why = WhyInactive(*call->registry, context.token_state, v, &event.actor_chain);
  if (!why.empty()) return inactive(why);

  event.decision = AuditDecision::kAllow;
  event.subject = v.subject;
  (void)context.Audit(std::move(event));
  Json body = v.claims;
  body["active"] = true;
  // RFC 9449 §6.2: a bound token is of type DPoP, and cnf (in the claims) says to which key.
  body["token_type"] = body.contains("cnf") ? "DPoP" : "Bearer";
  return Decision::Unrecorded(NoStore(std::move(body)));
}

}  // namespace zta::idp
