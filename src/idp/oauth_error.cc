// OAuth error responses (RFC 6749 §5.2): the named factories and the JSON answer they become.
#include "zta/idp/oauth_error.h"

namespace zta::idp {

OAuthError OAuthError::InvalidRequest(std::string description) {
  return OAuthError(400, "invalid_request", std::move(description));
}

OAuthError OAuthError::InvalidClient(std::string description, bool basic_challenge) {
  OAuthError e(401, "invalid_client", std::move(description));
  e.basic_challenge_ = basic_challenge;
  return e;
}

OAuthError OAuthError::InvalidGrant(std::string description) {
  return OAuthError(400, "invalid_grant", std::move(description));
}

OAuthError OAuthError::UnauthorizedClient(std::string description) {
  return OAuthError(400, "unauthorized_client", std::move(description));
}

OAuthError OAuthError::UnsupportedGrantType(std::string description) {
  return OAuthError(400, "unsupported_grant_type", std::move(description));
}

OAuthError OAuthError::InvalidScope(std::string description) {
  return OAuthError(400, "invalid_scope", std::move(description));
}

OAuthError OAuthError::InvalidTarget(std::string description) {
  return OAuthError(400, "invalid_target", std::move(description));
}

OAuthError OAuthError::InvalidAuthorizationDetails(std::string description) {
  return OAuthError(400, "invalid_authorization_details", std::move(description));
}

OAuthError OAuthError::SlowDown(int64_t retry_after_seconds, std::string description) {
  OAuthError e(429, "slow_down", std::move(description));
  e.retry_after_ = retry_after_seconds;
  return e;
}

OAuthError OAuthError::TemporarilyUnavailable(std::string description) {
  return OAuthError(503, "temporarily_unavailable", std::move(description));
}

OAuthError OAuthError::ServerError(std::string description) {
  return OAuthError(500, "server_error", std::move(description));
}

OAuthError OAuthError::MethodNotAllowed(std::string allow) {
  OAuthError e(405, "invalid_request", "use " + allow);
  e.allow_ = std::move(allow);
  return e;
}

OAuthError OAuthError::UnknownUserId(std::string description) {
  return OAuthError(400, "unknown_user_id", std::move(description));
}

OAuthError OAuthError::InvalidBindingMessage(std::string description) {
  return OAuthError(400, "invalid_binding_message", std::move(description));
}

OAuthError OAuthError::AuthorizationPending(std::string description) {
  return OAuthError(400, "authorization_pending", std::move(description));
}

OAuthError OAuthError::PollSlowDown(std::string description) {
  return OAuthError(400, "slow_down", std::move(description));
}

OAuthError OAuthError::ExpiredToken(std::string description) {
  return OAuthError(400, "expired_token", std::move(description));
}

OAuthError OAuthError::AccessDenied(std::string description) {
  return OAuthError(400, "access_denied", std::move(description));
}

OAuthError OAuthError::InvalidDpopProof(std::string description) {
  return OAuthError(400, "invalid_dpop_proof", std::move(description));
}

OAuthError OAuthError::UseDpopNonce(std::string nonce) {
  OAuthError e(400, "use_dpop_nonce", "a DPoP proof with the server's nonce is required");
  e.dpop_nonce_ = std::move(nonce);
  return e;
}

OAuthError OAuthError::WithReason(std::string reason) && {
  reason_ = std::move(reason);
  return std::move(*this);
}

OAuthError OAuthError::WithAuthFailure(std::string failure) && {
  auth_failure_ = std::move(failure);
  return std::move(*this);
}

OAuthError OAuthError::Unaudited() && {
  audited_ = false;
  return std::move(*this);
}

http::Response OAuthError::ToResponse() const {
  Json body = {{"error", error_}};
  if (!description_.empty()) body["error_description"] = description_;
  http::Response r = http::Response::Json(status_, body);
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Pragma", "no-cache");
  // RFC 6749 §5.2: a challenge only when the client used the Authorization header.
  if (status_ == 401 && basic_challenge_) r.headers.Set("WWW-Authenticate", "Basic realm=\"zta\"");
  if (retry_after_ > 0) r.headers.Set("Retry-After", std::to_string(retry_after_));
  if (!allow_.empty()) r.headers.Set("Allow", allow_);
  if (!dpop_nonce_.empty()) r.headers.Set("DPoP-Nonce", dpop_nonce_);  // RFC 9449 §8
  return r;
}

}  // namespace zta::idp
