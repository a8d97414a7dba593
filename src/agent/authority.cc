// Handing the user's authority to the next agent (see zta/agent/authority.h): obtaining the
// token through the agent's TokenSource, or passing on the one it holds. Never logs a token.
#include "zta/agent/authority.h"

#include "zta/agent/reasons.h"

namespace zta::agent {

Status Handover::Validate() const {
  if (resource.empty()) return InvalidArgument("a handover needs a resource (RFC 8707)");
  if (tokens == nullptr) return InvalidArgument("a handover needs a token source");
  return Status::Ok();
}

Result<HandedAuthority> HandOver(const std::string& from, const std::string& to,
                                 const std::string& user, const HandedAuthority* held,
                                 const Handover* handover) {
  HandedAuthority out;
  out.to = to;
  out.from = from;
  if (handover == nullptr) {
    if (held == nullptr || held->token.empty()) return out;  // nothing to hand over
    out.token = held->token;
    out.token_type = held->token_type;
    out.jti = held->jti;
    return out;
  }
  ZTA_RETURN_IF_ERROR(handover->Validate());
  if (user.empty()) {
    return Status(StatusCode::kPermissionDenied,
                  "handing the user's authority to " + to + " needs a signed-in user",
                  kReasonNoUser);
  }
  auth::TokenRequest request;
  request.resource = handover->resource;
  request.scopes = handover->scopes;
  request.on_behalf_of = user;
  request.approval = handover->approval;
  request.binding_message = handover->binding_message;
  if (held != nullptr && !held->token.empty()) {
    // RFC 8693 §1.1: this agent acts on the authority it was given; the IdP adds it to `act`.
    request.subject_token = held->token;
    request.subject_token_type = held->token_type;
  }
  ZTA_ASSIGN_OR_RETURN(auth::AccessToken token, handover->tokens->GetToken(request));
  out.token = token.value;
  out.jti = token.jti;
  return out;
}

}  // namespace zta::agent
