// The OAuth 2.0 authorization server: metadata (RFC 8414, OIDC discovery), JWKS, the token
// endpoint with client_credentials (RFC 6749 §4.4) and RFC 8707 resources, RFC 9068 access
// tokens, introspection (RFC 7662) and revocation (RFC 7009). Transport-free: Handle() maps a
// request to a response, so tests drive it directly and `zta idp serve` puts it behind HTTP.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/http/message.h"
#include "zta/http/server.h"
#include "zta/idp/key_manager.h"
#include "zta/idp/registry.h"

namespace zta::idp {

struct AuthorizationServerOptions {
  // Issuer identifier (RFC 8414 §2): "http://127.0.0.1:PORT" when serving on loopback. REQUIRED.
  std::string issuer;
  // Access token lifetime when neither resource nor agent caps it lower, seconds. Default: 300.
  int64_t default_token_ttl_seconds = 300;
  // Longest lifetime accepted for a private_key_jwt client assertion (exp − now), seconds.
  // Default: 300 (RFC 7523 §3 asks for a short exp).
  int64_t max_assertion_lifetime_seconds = 300;
  // Cache-Control max-age on the JWKS, seconds. Default: 60.
  int64_t jwks_max_age_seconds = 60;
  // Wrong client credentials allowed per (client id, source address) and per source address
  // within the window; past either, a wrong credential gets 429 slow_down (RFC 6585 §4) instead
  // of 401. A right credential is always served, however many wrong ones came before it.
  // Default: 10 per 60 s.
  int failed_auth_limit = 10;
  int64_t failed_auth_window_seconds = 60;
  // How often the registry is re-read for token requests, milliseconds (introspection always
  // checks for changes). Default: 250.
  int64_t registry_refresh_millis = 250;
};

// Thread-safe: Handle() may run on many threads at once.
class AuthorizationServer {
 public:
  AuthorizationServer(AuthorizationServerOptions options, IdpStore& store, KeyManager& keys,
                      AuditSink& audit, const Clock& clock);

  // Answers `request`; returns once its audit event (if any) is recorded.
  http::Response Handle(const http::Request& request);
  // As Handle, but answers through `respond` once the event is durable, without blocking the
  // calling thread on the audit commit (token requests; see AuditSink::AppendAsync), so an
  // HTTP I/O thread keeps many token requests in flight and they share one fsync.
  void HandleAsync(const http::Request& request, http::Respond respond);

  // Metadata document (RFC 8414 §2); `openid` adds the OIDC discovery members.
  Json Metadata(bool openid);

  const AuthorizationServerOptions& options() const { return options_; }

 private:
  struct Caller;  // an authenticated client or resource server
  struct OAuthError;
  // A response and the audit event to record before it may be sent.
  struct Decision {
    http::Response response;
    std::optional<AuditEvent> event;
    bool grants = false;  // when recording fails: true → 503 instead (fail closed)
  };
  static Decision Unrecorded(http::Response response) { return {std::move(response), {}, false}; }
  static Decision Recorded(http::Response response, AuditEvent event, bool grants) {
    return {std::move(response), std::move(event), grants};
  }

  // What /introspect and /revoke start with: an authenticated caller and the token parameter.
  struct TokenCall;
  // Parses the form, authenticates the caller against a freshly checked registry and finds the
  // token. Returns the response to send instead (the refusal audited) when any step fails.
  std::optional<http::Response> BeginTokenCall(const http::Request& request, bool allow_resources,
                                               AuditEvent& event, TokenCall* call);

  Decision Dispatch(const http::Request& request);
  Decision Token(const http::Request& request);
  http::Response AuditUnavailable() const;
  http::Response Introspect(const http::Request& request);
  http::Response Revoke(const http::Request& request);
  http::Response Jwks() const;

  // Authenticates the client (Basic, form secret or client assertion) against `registry`.
  Result<Caller> AuthenticateClient(const http::Request& request,
                                    const std::vector<std::pair<std::string, std::string>>& form,
                                    const RegistrySnapshot& registry, bool allow_resources,
                                    OAuthError* error);
  std::shared_ptr<const RegistrySnapshot> Registry(bool force_check);
  // Counts a wrong credential `address` presented for `client_id`, per (client, address) and per
  // address, and returns `why`; once either count is over failed_auth_limit in its window,
  // fills `error` with 429 slow_down and Retry-After and returns kResourceExhausted
  // ("too_many_failures") instead. Called only after the credential was checked and found
  // wrong, so no count ever refuses a right one.
  Status RecordAuthFailure(const std::string& client_id, const std::string& address, Status why,
                           OAuthError* error);
  http::Response ErrorResponse(const OAuthError& error) const;
  Status Audit(AuditEvent event);

  const AuthorizationServerOptions options_;
  IdpStore& store_;
  KeyManager& keys_;
  AuditSink& audit_;
  const Clock& clock_;

  std::mutex registry_mu_;
  std::shared_ptr<const RegistrySnapshot> registry_;  // GUARDED_BY(registry_mu_)
  int64_t registry_checked_micros_ = 0;               // GUARDED_BY(registry_mu_)

  std::mutex limiter_mu_;
  struct FailureWindow {
    int64_t window_start = 0;
    int failures = 0;
  };
  // GUARDED_BY(limiter_mu_); keys "a:<address>" and "c:<address> <client_id>".
  std::map<std::string, FailureWindow> failures_;
};

// Client secrets are 256-bit random values, so a plain SHA-256 digest is safe to store (there is
// nothing to brute-force) and fast to check — see docs/idp.md.
std::string DigestSecret(std::string_view secret);
bool SecretMatchesDigest(std::string_view secret, std::string_view digest);

}  // namespace zta::idp
