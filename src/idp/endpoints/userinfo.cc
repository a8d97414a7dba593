// The UserInfo endpoint (OIDC Core §5.3): claims about the user a bearer token (RFC 6750) of
// this idp with the openid scope was issued for. GET or POST; the token in the Authorization
// header (RFC 6750 §2.1) or, for a form POST, as access_token (§2.2).
#include <algorithm>

#include "../grants/delegated_token.h"
#include "endpoint.h"
#include "zta/http/message.h"
#include "zta/idp/reasons.h"
#include "zta/jose/dpop.h"

namespace zta::idp {
namespace {

// RFC 6750 §3: 401 with a Bearer challenge (error only when a token was presented), or 403
// insufficient_scope.
http::Response Challenge(int status, const std::string& error, const std::string& description) {
  Json body = Json::object();
  std::string challenge = "Bearer";
  if (!error.empty()) {
    body = {{"error", error}, {"error_description", description}};
    challenge += " error=\"" + error + "\"";
  }
  http::Response r = http::Response::Json(status, body);
  r.headers.Set("WWW-Authenticate", challenge);
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

// The access token, "" when none; `duplicate` when more than one method carries one (§2);
// `dpop` when it came with the DPoP scheme (RFC 9449 §7.1).
std::string PresentedToken(const http::Request& request, bool* duplicate, bool* dpop) {
  std::string token;
  auto authorization = request.headers.GetAll("Authorization");
  *duplicate = authorization.size() > 1;
  *dpop = false;
  if (authorization.size() == 1 && authorization[0].size() > 7 &&
      http::EqualsIgnoreCase(authorization[0].substr(0, 7), "Bearer ")) {
    token = authorization[0].substr(7);
  } else if (authorization.size() == 1 && authorization[0].size() > 5 &&
             http::EqualsIgnoreCase(authorization[0].substr(0, 5), "DPoP ")) {
    token = authorization[0].substr(5);
    *dpop = true;
  }
  if (request.method == "POST" && http::IsFormUrlEncoded(request.headers)) {
    auto form = http::ParseForm(request.body);
    if (form.ok()) {
      for (const auto& [k, v] : *form) {
        if (k != "access_token") continue;
        if (!token.empty()) *duplicate = true;
        token = v;
      }
    }
  }
  return token;
}

// RFC 9449 §7: a token bound to a key (cnf.jkt) is good only as "DPoP" with a proof of that
// key for this request; sent as Bearer it is refused (§7.2), and so is an unbound token sent
// as DPoP. Returns the refusal's reason, "" when the presentation is right.
std::string CheckPresentation(ServerContext& context, const http::Request& request,
                              const std::string& token, const jose::VerifiedJwt& verified,
                              bool dpop_scheme) {
  const std::string jkt = BoundKey(verified.claims);
  if (jkt.empty()) return dpop_scheme ? jose::kReasonDpopKeyMismatch : "";
  if (!dpop_scheme) return jose::kReasonDpopMissing;
  auto proofs = request.headers.GetAll(jose::kDpopHeader);
  if (proofs.size() != 1) {
    return proofs.empty() ? jose::kReasonDpopMissing : jose::kReasonDpopMalformed;
  }
  jose::DpopProofCheck check;
  check.method = request.method;
  check.url = context.options.issuer + "/userinfo";
  check.now = context.clock.NowSeconds();
  check.max_age_seconds = context.options.dpop_max_age_seconds;
  check.allowed_algorithms = context.options.dpop_algorithms;
  check.access_token = token;
  check.expected_jkt = jkt;
  auto proof = jose::VerifyDpopProof(proofs[0], check);
  if (!proof.ok()) return proof.status().reason();
  auto fresh =
      context.token_state.RecordDpopProofJti(proof->jkt, proof->jti, proof->RecordedUntil(check));
  if (!fresh.ok()) return kReasonStoreError;
  return *fresh ? "" : jose::kReasonDpopReplay;
}

}  // namespace

Decision UserinfoEndpoint(ServerContext& context, const http::Request& request) {
  AuditEvent event;
  event.action = "userinfo.read";
  auto refuse = [&](http::Response r, const std::string& reason) {
    event.decision = AuditDecision::kDeny;
    event.reason = reason;
    return Decision::Recorded(std::move(r), std::move(event), false);
  };
  bool duplicate = false;
  bool dpop_scheme = false;
  const std::string token = PresentedToken(request, &duplicate, &dpop_scheme);
  if (duplicate) {
    return refuse(Challenge(400, "invalid_request", "more than one access token"),
                  "invalid_request");
  }
  if (token.empty()) return Decision::Unrecorded(Challenge(401, "", ""));
  auto verified =
      VerifyOwnAccessToken(context.keys, context.options.issuer, token, context.clock.NowSeconds());
  if (!verified.ok()) {
    return refuse(Challenge(401, "invalid_token", "the access token is not valid"),
                  verified.status().reason());
  }
  const jose::VerifiedJwt& v = **verified;
  event.jti = v.jti;
  event.subject = v.subject;
  event.client_id = v.client_id;
  if (std::string why = CheckPresentation(context, request, token, v, dpop_scheme); !why.empty()) {
    http::Response r = Challenge(401, "invalid_token", "the token's DPoP binding is not proven");
    r.headers.Add("WWW-Authenticate", "DPoP error=\"invalid_dpop_proof\"");  // RFC 9449 §7.1
    return refuse(std::move(r), why);
  }
  auto revoked = context.token_state.IsRevoked(v.jti);
  if (!revoked.ok() || *revoked) {
    return refuse(Challenge(401, "invalid_token", "the access token is revoked"), kReasonRevoked);
  }
  auto grant_claim = v.claims.find("zta_grant");
  if (grant_claim == v.claims.end() || !grant_claim->is_string()) {
    // Only tokens issued for a user (a delegated grant) describe one.
    return refuse(Challenge(401, "invalid_token", "the access token is not a user's"),
                  "invalid_token");
  }
  auto grant = context.token_state.FindGrant(grant_claim->get<std::string>());
  if (!grant.ok() || !grant->has_value() || (*grant)->revoked_at != 0) {
    return refuse(Challenge(401, "invalid_token", "the grant was revoked"), kReasonGrantRevoked);
  }
  auto registry = context.registry.Get(true);
  const User* user = registry->FindUser(v.subject);
  if (!user || !user->enabled) {
    return refuse(Challenge(401, "invalid_token", "the user is not active"),
                  user ? kReasonUserDisabled : kReasonUserDeleted);
  }
  if (!v.HasScope("openid")) {
    return refuse(Challenge(403, "insufficient_scope", "the openid scope is required"),
                  "insufficient_scope");
  }
  // OIDC Core §5.4: profile → name, preferred_username; email → email.
  Json body = {{"sub", user->id}};
  if (v.HasScope("profile")) {
    body["name"] = user->display_name.empty() ? user->username : user->display_name;
    body["preferred_username"] = user->username;
  }
  if (v.HasScope("email") && !user->email.empty()) body["email"] = user->email;
  event.decision = AuditDecision::kAllow;
  http::Response r = http::Response::Json(200, body);
  r.headers.Set("Cache-Control", "no-store");
  return Decision::Recorded(std::move(r), std::move(event), false);
}

}  // namespace zta::idp
