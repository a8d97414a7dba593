// The contract between code that needs access tokens (SecureFunctionTool, the gateway's
// upstream calls, scripts) and whatever obtains them (AuthProvider). An access token is an
// object that never prints its value.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"

namespace zta::http {
struct ClientRequest;
}  // namespace zta::http

namespace zta::auth {

class DpopKey;  // zta/auth/dpop_key.h

// RFC 8693 §3: the token type of access tokens (subject_token_type, actor_token_type,
// requested_token_type, issued_token_type).
inline constexpr char kAccessTokenType[] = "urn:ietf:params:oauth:token-type:access_token";

// How a token on behalf of a user (on_behalf_of) is approved by that user.
enum class Approval {
  kConsent,      // authorization code flow through a consent page (DelegatedTokenSource)
  kBackchannel,  // OpenID CIBA Core 1.0 poll mode: the user approves on their own device
};

// What a caller needs a token for.
struct TokenRequest {
  // RFC 8707 resource indicator: the API the token is for (its audience). REQUIRED.
  std::string resource;
  // Scopes wanted (RFC 6749 §3.3). Empty: the client's default allowance for the resource.
  std::vector<std::string> scopes;
  // The user the agent acts for (delegation, RFC 8693); empty: the agent acts as itself.
  std::string on_behalf_of;
  // RFC 9396 authorization_details (e.g. one booking); null when none.
  Json authorization_details;
  // Token exchange (RFC 8693 §2.1): the token carrying the user's authority that another agent
  // handed to this one. When set, the token is obtained by exchanging it together with the
  // agent's own access token as actor_token; the issued token's act chain gains this agent
  // (RFC 8693 §4.1). Never printed. Default: empty (no exchange).
  Secret subject_token;
  // RFC 8693 §3 type of subject_token. Default: access_token.
  std::string subject_token_type = kAccessTokenType;
  // With on_behalf_of (and no subject_token): how the user approves. Default: kConsent (the
  // consent redirect of DelegatedTokenSource); kBackchannel asks the identity provider to ask
  // the user (CIBA, login_hint = on_behalf_of).
  Approval approval = Approval::kConsent;
  // kBackchannel: shown to the user beside the request (CIBA §7.1 binding_message), at most 64
  // characters, no control characters. Default: empty (not sent).
  std::string binding_message;
  // W3C trace id (32 lowercase hex digits, W3C Trace Context §3.2.2.3) of the user request this
  // token serves. When valid, every request to the identity provider for this token (token,
  // PAR, bc-authorize) carries "traceparent: 00-<trace_id>-<new span id>-01", so the idp's audit
  // events share the caller's trace. Not part of the token cache key: a token cached for one
  // trace serves the next. Default: empty (no traceparent sent).
  std::string trace_id;
};

// An issued access token. The value is a Secret: streaming an AccessToken prints its jti.
struct AccessToken {
  Secret value;  // the compact JWT; present it with Attach()
  // "Bearer" (RFC 6750), or "DPoP" for a token bound to dpop_key (RFC 9449 §5, §7.1).
  std::string token_type = "Bearer";
  // The key the token is bound to (its cnf.jkt is this key's thumbprint): every request that
  // presents the token needs a fresh proof signed with it. Null for a bearer token.
  std::shared_ptr<DpopKey> dpop_key;
  std::string jti;                  // for logs and audit (RFC 7519 §4.1.7); empty if opaque
  std::vector<std::string> scopes;  // as granted
  std::string resource;
  int64_t issued_at = 0;   // Unix seconds, when obtained
  int64_t expires_at = 0;  // Unix seconds

  // "<token_type> <token>" for the Authorization header: enough for a bearer token only. Code
  // that may hold a DPoP-bound token calls Attach().
  std::string AuthorizationHeader() const { return token_type + " " + value.Reveal(); }
  // Sets "Authorization: <token_type> <token>" on `request` and, for a bound token, a DPoP
  // header with a proof for the request's method and URL whose ath is this token's hash (RFC
  // 9449 §7.1). Set the method and URL first. Errors never hold the token. (dpop_key.cc)
  Status Attach(http::ClientRequest& request) const;
};

// "AccessToken{jti=..., expires_at=...}": never the token itself.
inline std::ostream& operator<<(std::ostream& os, const AccessToken& token) {
  return os << "AccessToken{jti=" << token.jti << ", expires_at=" << token.expires_at << "}";
}

// Typed failures of token acquisition, as Status reasons: the codes of zta/auth/reasons.h
// ("idp_unavailable", "bad_token_response", "bad_metadata", "token_error", and for
// on_behalf_of "consent_required", "consent_denied", "consent_timeout", "state_mismatch",
// "issuer_mismatch", "bad_authorization_response"; for backchannel approval "approval_timeout"
// (the request expired before the user answered, or expired_token) and "approval_denied" (the
// user said no: access_denied while polling)) or
// the OAuth error code (RFC 6749 §5.2) the IdP sent, as is ("invalid_client", "invalid_scope",
// "unauthorized_client", "invalid_target", "access_denied"; the message carries
// error_description).
// Never an expired or empty token: a TokenSource either returns a usable token or an error.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual Result<AccessToken> GetToken(const TokenRequest& request) = 0;
  // Forgets any cached token for `request`, so the next GetToken obtains a fresh one: called when
  // a resource server answered 401 (RFC 6750 §3.1 invalid_token: revoked, signed with a key it
  // no longer trusts, or expired early). Default: nothing cached, nothing to do.
  virtual void Invalidate(const TokenRequest& request) { (void)request; }
};

}  // namespace zta::auth
