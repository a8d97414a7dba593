// The OAuth 2.0 authorization server: metadata (RFC 8414, OIDC discovery), JWKS, the token
// endpoint with client_credentials (RFC 6749 §4.4) and RFC 8707 resources, RFC 9068 access
// tokens, introspection (RFC 7662) and revocation (RFC 7009). Transport-free: Handle() maps a
// request to a response, so tests drive it directly and `zta idp serve` puts it behind HTTP.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/metrics.h"
#include "zta/core/secret.h"
#include "zta/http/client.h"
#include "zta/http/embedded_files.h"
#include "zta/http/message.h"
#include "zta/http/server.h"
#include "zta/idp/key_manager.h"
#include "zta/idp/stores.h"
#include "zta/jose/dpop.h"

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

  // Longest RFC 8693 §4.1 actor chain a token exchange may produce (delegation rules may cap it
  // lower). Default: 4.
  int max_actor_chain_depth = 4;

  // DPoP (RFC 9449; docs/dpop.md). Algorithms accepted for proofs and announced as
  // dpop_signing_alg_values_supported. Default: jose::DpopAlgorithms() (asymmetric only).
  jose::AlgorithmSet dpop_algorithms = jose::DpopAlgorithms();
  // How old a proof's iat may be, seconds (RFC 9449 §11.1). Default: 60.
  int64_t dpop_max_age_seconds = 60;
  // Require a server nonce in every proof at the token endpoint (RFC 9449 §8). Default: false.
  bool dpop_require_nonce = false;
  // Key of the stateless nonces (at least 32 bytes); nodes that share it accept each other's
  // nonces. Default: empty, a random key per process.
  Secret dpop_nonce_key;
  // How long a nonce is current, seconds (it is accepted for up to twice that). Default: 300.
  int64_t dpop_nonce_lifetime_seconds = 300;

  // Browser pages (/authorize, /login, /consent, /account; src/idp/browser/).
  // A login session ends this long after its last request, seconds. Default: 1800 (30 min).
  int64_t session_idle_seconds = 1800;
  // ... and this long after the password was checked, whatever happens. Default: 43200 (12 h).
  int64_t session_absolute_seconds = 43200;
  // Wrong passwords allowed per user name and per source address within the window; past
  // either, the login page answers 429 without checking the password. Default: 5 per 300 s.
  int login_failure_limit = 5;
  int64_t login_failure_window_seconds = 300;
  // How long a browser may take from /authorize to the consent decision, seconds.
  // Default: 600.
  int64_t pending_request_seconds = 600;
  // Authorization code lifetime, seconds (RFC 6749 §4.1.2: short; OAuth 2.1: ≤ 60 s is
  // usual). Default: 60. REQUIRES: 0 < code_ttl_seconds <= 60.
  int64_t code_ttl_seconds = 60;
  // Lifetime of a pushed request_uri (RFC 9126 §2.2 expires_in), seconds. Default: 60.
  int64_t par_ttl_seconds = 60;
  // Count failed client authentications in the store (TokenStateStore::CountAuthFailure), so
  // the limit holds across every node sharing it. IdpService sets it for a PostgreSQL store.
  // Default: false (this process's memory; exact for a single node).
  bool count_auth_failures_in_store = false;
  // The pages' CSS (web/idp/, zta::web::Files()), served under /static/; set by whoever links
  // zta::web (the CLI, IdpService). Default: none (pages render unstyled).
  std::span<const http::EmbeddedFile> static_files;
  // How federated issuers' metadata and key sets are fetched (src/idp/federation.h). Default
  // (empty): http::DefaultTransport(). Tests inject one.
  http::Transport federation_transport;
};

struct ServerContext;  // src/idp/server_context.h
struct Decision;       // src/idp/endpoints/endpoint.h

// The facade `zta idp serve` and the tests drive: routes each request by exact path to its
// endpoint (src/idp/endpoints/), records the endpoint's audit event, then answers. Client
// authentication is src/idp/client_auth.cc, each grant type a file in src/idp/grants/.
// Thread-safe: Handle() may run on many threads at once.
class AuthorizationServer {
 public:
  AuthorizationServer(AuthorizationServerOptions options, IdpStore& store, KeyManager& keys,
                      AuditSink& audit, const Clock& clock);
  ~AuthorizationServer();
  AuthorizationServer(const AuthorizationServer&) = delete;
  AuthorizationServer& operator=(const AuthorizationServer&) = delete;

  // Answers `request`; returns once its audit event (if any) is recorded.
  http::Response Handle(const http::Request& request);
  // As Handle, but answers through `respond` once the event is durable, without blocking the
  // calling thread on the audit commit (token requests; see AuditSink::AppendAsync), so an
  // HTTP I/O thread keeps many token requests in flight and they share one fsync.
  void HandleAsync(const http::Request& request, http::Respond respond);

  // Metadata document (RFC 8414 §2); `openid` adds the OIDC discovery members.
  Json Metadata(bool openid);

  const AuthorizationServerOptions& options() const;

  // Another node changed the registry or the keys (PostgreSQL NOTIFY): re-read them now.
  void NoteStoreChanged();
  // What GET /metrics renders; IdpService adds its own gauges.
  Metrics& metrics();

 private:
  http::Response AuditUnavailable() const;
  // Counts an answered request into the metrics.
  void Finish(const http::Request& request, int status, const Decision& decision,
              std::chrono::steady_clock::time_point started);
  std::atomic<int64_t> audit_in_flight_{0};

  // The options, collaborators, registry cache, client authentication and grant table the
  // endpoints share. Never null.
  const std::unique_ptr<ServerContext> context_;
};

// Client secrets are 256-bit random values, so a plain SHA-256 digest is safe to store (there is
// nothing to brute-force) and fast to check — see docs/idp.md.
std::string DigestSecret(std::string_view secret);
bool SecretMatchesDigest(std::string_view secret, std::string_view digest);

}  // namespace zta::idp
