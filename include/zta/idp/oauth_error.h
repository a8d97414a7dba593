// How the authorization server refuses: an OAuth error response (RFC 6749 §5.2) together with
// the audit reason behind it, and OAuthResult<T>, the one channel that carries either.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "zta/core/audit_sink.h"
#include "zta/http/message.h"

namespace zta::idp {

// One refusal. Built only by the named factories, so status and error code always agree.
// The audit reason is for the log alone (DESIGN.md: the client gets the standard error only).
// A value type; thread-compatible.
class OAuthError {
 public:
  // 400 invalid_request: malformed, repeated or missing parameters (RFC 6749 §5.2).
  static OAuthError InvalidRequest(std::string description);
  // 401 invalid_client (RFC 6749 §5.2). `basic_challenge`: the client tried HTTP Basic, so the
  // answer carries WWW-Authenticate: Basic.
  static OAuthError InvalidClient(std::string description, bool basic_challenge);
  // 400 invalid_grant: a code, refresh token or subject token that is not (or no longer) good.
  static OAuthError InvalidGrant(std::string description);
  // 400 unauthorized_client: this client may not do what it asked (RFC 6749 §5.2, RFC 7009).
  static OAuthError UnauthorizedClient(std::string description);
  // 400 unsupported_grant_type (RFC 6749 §5.2).
  static OAuthError UnsupportedGrantType(std::string description);
  // 400 invalid_scope (RFC 6749 §5.2).
  static OAuthError InvalidScope(std::string description);
  // 400 invalid_target: a resource the client may not have (RFC 8707 §2).
  static OAuthError InvalidTarget(std::string description);
  // 400 invalid_authorization_details: entries not acceptable (RFC 9396 §5, §6).
  static OAuthError InvalidAuthorizationDetails(std::string description);
  // 429 slow_down with Retry-After (RFC 6585 §4; the code is RFC 8628 §3.5's).
  static OAuthError SlowDown(int64_t retry_after_seconds, std::string description);
  // 503 temporarily_unavailable (RFC 6749 §4.1.2.1).
  static OAuthError TemporarilyUnavailable(std::string description);
  // 500 server_error (RFC 6749 §4.1.2.1).
  static OAuthError ServerError(std::string description);
  // 405 invalid_request with Allow: `allow` (RFC 9110 §15.5.6), described as "use <allow>".
  static OAuthError MethodNotAllowed(std::string allow);

  // OpenID CIBA Core 1.0: the backchannel endpoint's (§13) and the token poll's (§11) codes,
  // all 400 as RFC 6749 §5.2 answers. Unlike SlowDown above (429, a credential throttle),
  // PollSlowDown is the polling client's 400 slow_down.
  static OAuthError UnknownUserId(std::string description);
  static OAuthError InvalidBindingMessage(std::string description);
  static OAuthError AuthorizationPending(std::string description);
  static OAuthError PollSlowDown(std::string description);
  static OAuthError ExpiredToken(std::string description);
  static OAuthError AccessDenied(std::string description);
  // RFC 9449 §5 and §8: 400 invalid_dpop_proof, and 400 use_dpop_nonce carrying the nonce to use
  // in a DPoP-Nonce header.
  static OAuthError InvalidDpopProof(std::string description);
  static OAuthError UseDpopNonce(std::string nonce);

  // The audit reason (a kReason* of zta/idp/reasons.h, or a jose reason code) when it says
  // more than the error code.
  OAuthError WithReason(std::string reason) &&;
  // For a slow_down: what was wrong with the credential itself (e.g. "bad_client_secret"),
  // recorded as zta.auth_failure.
  OAuthError WithAuthFailure(std::string failure) &&;
  // Answered without an audit event. Only a failed random number generator at issuance does
  // this, as the token endpoint always has.
  OAuthError Unaudited() &&;

  int status() const { return status_; }
  const std::string& error() const { return error_; }
  const std::string& description() const { return description_; }
  int64_t retry_after() const { return retry_after_; }
  const std::string& reason() const { return reason_; }
  const std::string& auth_failure() const { return auth_failure_; }
  bool audited() const { return audited_; }
  // What the audit event says: the reason when there is one, else the error code itself.
  const std::string& AuditReason() const { return reason_.empty() ? error_ : reason_; }
  // A server-side failure (5xx) is recorded as an error, a refusal as a denial.
  AuditDecision AuditOutcome() const {
    return status_ >= 500 ? AuditDecision::kError : AuditDecision::kDeny;
  }

  // The JSON error response, never cached (RFC 6749 §5.2: Cache-Control no-store, Pragma).
  http::Response ToResponse() const;

 private:
  OAuthError(int status, std::string error, std::string description)
      : status_(status), error_(std::move(error)), description_(std::move(description)) {}

  int status_;
  std::string error_;
  std::string description_;
  int64_t retry_after_ = 0;
  bool basic_challenge_ = false;
  std::string allow_;  // 405: the Allow header
  std::string dpop_nonce_;  // use_dpop_nonce: the DPoP-Nonce header
  std::string reason_;
  std::string auth_failure_;
  bool audited_ = true;
};

// Either a T or the OAuthError to answer with instead (after zta::Result). Must be used.
template <typename T>
class [[nodiscard]] OAuthResult {
 public:
  OAuthResult(T value) : rep_(std::move(value)) {}           // NOLINT: implicit by design
  OAuthResult(OAuthError error) : rep_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(rep_); }
  // REQUIRES: !ok().
  const OAuthError& error() const& { return std::get<OAuthError>(rep_); }
  OAuthError&& error() && { return std::get<OAuthError>(std::move(rep_)); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, OAuthError> rep_;
};

}  // namespace zta::idp
