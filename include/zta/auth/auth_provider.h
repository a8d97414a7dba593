// AuthProvider: the client side of OAuth 2.0 for an agent. Gets access tokens with client
// credentials (RFC 6749 §4.4) and RFC 8707 resource indicators, authenticating with
// client_secret_basic, client_secret_post or private_key_jwt (RFC 7523 §2.2); exchanges a
// token another agent handed over for one of its own (RFC 8693 token exchange, with its own
// token as actor_token); asks the identity provider to get a user's approval on their own
// device (OpenID CIBA Core 1.0, poll mode); caches tokens per (issuer, client, subject,
// resource, scopes, authorization_details, subject token digest) and refreshes just in time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "zta/auth/token_source.h"
#include "zta/core/clock.h"
#include "zta/core/mutex.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/http/client.h"
#include "zta/jose/jwk.h"

namespace zta::auth {

// How the client proves its identity at the token endpoint.
enum class ClientAuthMethod {
  kClientSecretBasic,  // RFC 6749 §2.3.1, HTTP Basic with form-urlencoded id and secret
  kClientSecretPost,   // RFC 6749 §2.3.1, client_id and client_secret in the form body
  kPrivateKeyJwt,      // RFC 7523 §2.2 / OIDC Core §9: a JWT signed with the client's key
};
std::string_view ClientAuthMethodName(ClientAuthMethod method);
Result<ClientAuthMethod> ParseClientAuthMethod(std::string_view name);

struct AuthProviderOptions {
  // The authorization server's issuer identifier; its metadata (RFC 8414, found by
  // http::DiscoverMetadata) gives the token endpoint. REQUIRED.
  std::string issuer;
  // Token endpoint URL. Default: token_endpoint from the issuer's metadata.
  std::string token_endpoint;
  // This agent's client_id. REQUIRED.
  std::string client_id;
  // Default: kClientSecretBasic.
  ClientAuthMethod auth_method = ClientAuthMethod::kClientSecretBasic;
  // REQUIRED for the client_secret_* methods.
  Secret client_secret;
  // REQUIRED for private_key_jwt: the private JWK (EC, RSA or OKP).
  std::optional<jose::Jwk> private_key;
  // aud of the client assertion. Default: the issuer (draft-ietf-oauth-rfc7523bis §4 asks for
  // the issuer identifier; RFC 7523 §3 also allows the token endpoint URL).
  std::string assertion_audience;
  // A cached token is reused only while at least max(min_remaining_seconds,
  // min_remaining_fraction × its lifetime) remains. Defaults: 30 s and 0.1.
  int64_t min_remaining_seconds = 30;
  double min_remaining_fraction = 0.1;
  // Timeout of one HTTP attempt. Default: 5 s.
  std::chrono::milliseconds request_timeout{5'000};
  // All attempts of one GetToken together, backoff included. Default: 15 s.
  std::chrono::milliseconds deadline{15'000};
  // Attempts when the IdP is unreachable, times out, or answers a status http::IsRetryableStatus
  // calls retryable (408, 429, 5xx), waiting at least what its Retry-After asks. Default: 4.
  int max_attempts = 4;
  // Backoff between attempts: doubled each time (with jitter), capped. Defaults: 200 ms, 2 s.
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{2'000};
  // Most tokens cached. Default: 1,000.
  size_t cache_capacity = 1'000;
  // Send RFC 8707's "resource" parameter in token requests. Microsoft Entra ID's v2.0 endpoint
  // refuses it (AADSTS901002) and takes the audience from the scope "<resource>/.default"
  // instead, so Entra clients turn it off. Default: true.
  bool send_resource_indicator = true;
  // CIBA backchannel authentication endpoint (CIBA Core §7.1). Default: the metadata's
  // backchannel_authentication_endpoint.
  std::string backchannel_authentication_endpoint;
  // CIBA requested_expiry in seconds (how long the user has to answer). Default: 0, not sent
  // (the identity provider's default; its answer's expires_in is what the SDK waits).
  int64_t backchannel_requested_expiry = 0;
  // How the SDK waits between backchannel polls (CIBA §7.3 interval). Default (empty):
  // std::this_thread::sleep_for. Tests pass one that advances a FakeClock, so polling is
  // instant and the deadline is the injected clock's.
  std::function<void(std::chrono::milliseconds)> sleep;
  // For `zta token get` and callers without their own: the resource and scopes to ask for.
  std::string default_resource;
  std::vector<std::string> default_scopes;

  Status Validate() const;
};

// Reads AuthProviderOptions from TOML text (docs/auth.md): the [auth] table when there is one,
// else the top level. The secret comes from client_secret_env (an environment variable) or
// client_secret_file; the key from private_key_file. Never from the TOML itself.
Result<AuthProviderOptions> ParseAuthConfig(std::string_view toml_text);
Result<AuthProviderOptions> LoadAuthConfig(const std::string& path);
// Reads a client secret from a file (trailing newline removed) or a private JWK from a file.
Result<Secret> ReadSecretFile(const std::string& path);
Result<jose::Jwk> ReadPrivateKeyFile(const std::string& path);

// Thread-safe. Many threads may call GetToken at once; concurrent callers for the same cache
// key share one HTTP request (single-flight).
class AuthProvider final : public TokenSource {
 public:
  // `clock` must outlive the provider. `transport` sends every request (discovery, tokens);
  // tests inject one that scripts failures.
  static Result<std::unique_ptr<AuthProvider>> Create(
      AuthProviderOptions options, const Clock& clock,
      http::Transport transport = http::DefaultTransport());
  ~AuthProvider() override;

  // A token for `request`: from the cache while enough lifetime remains, else from the IdP.
  // Errors carry the reasons listed in token_source.h.
  //  - With subject_token: RFC 8693 token exchange (the agent's own client-credentials token
  //    for the same resource as actor_token); the result is cached under a key that includes
  //    SHA-256 of the subject token, never past the subject or actor token's expiry.
  //  - With on_behalf_of and approval = kBackchannel: CIBA poll mode; blocks while the user
  //    decides, polling every `interval` (+5 s on slow_down), until the request's expires_in:
  //    approval_timeout, approval_denied.
  //  - With on_behalf_of and approval = kConsent: consent_required: the consent redirect is
  //    DelegatedTokenSource's (zta/auth/delegation.h), which uses this provider for the agent's
  //    actor token.
  Result<AccessToken> GetToken(const TokenRequest& request) override;

  // Drops the cached token for `request` (e.g. after a resource server answered 401).
  void Invalidate(const TokenRequest& request) override;

  // Token endpoint requests sent so far, retries included (tests, metrics).
  int64_t token_requests() const;
  const AuthProviderOptions& options() const { return options_; }

 private:
  struct Flight;
  struct Entry {
    AccessToken token;
    int64_t refresh_at = 0;  // Unix seconds: served up to and including this second
  };

  AuthProvider(AuthProviderOptions options, const Clock& clock, http::Transport transport);
  std::string CacheKey(const TokenRequest& request, std::vector<std::string>* sorted) const;
  Result<AccessToken> Fetch(const TokenRequest& request, const std::vector<std::string>& scopes)
      ZTA_EXCLUDES(mu_);
  // The grants Fetch chooses from (auth_provider.cc, token_exchange.cc, backchannel.cc).
  Result<AccessToken> ClientCredentials(const TokenRequest& request,
                                        const std::vector<std::string>& scopes) ZTA_EXCLUDES(mu_);
  Result<AccessToken> Exchange(const TokenRequest& request, const std::vector<std::string>& scopes)
      ZTA_EXCLUDES(mu_);
  Result<AccessToken> Backchannel(const TokenRequest& request,
                                  const std::vector<std::string>& scopes) ZTA_EXCLUDES(mu_);
  Result<AccessToken> PollBackchannel(const TokenRequest& request,
                                      const std::vector<std::string>& scopes,
                                      const std::string& auth_req_id, int64_t expires_at,
                                      int64_t interval) ZTA_EXCLUDES(mu_);
  Result<std::string> TokenEndpoint(std::chrono::steady_clock::time_point deadline)
      ZTA_EXCLUDES(mu_);
  Result<std::string> BackchannelEndpoint(std::chrono::steady_clock::time_point deadline)
      ZTA_EXCLUDES(mu_);
  // POSTs `form` with the client's authentication to `endpoint`, with retries; `token_request`
  // counts it in token_requests(). A valid `trace_id` adds a traceparent (W3C Trace Context).
  Result<http::Response> PostForm(const std::string& endpoint,
                                  const std::vector<std::pair<std::string, std::string>>& form,
                                  std::chrono::steady_clock::time_point deadline,
                                  bool token_request, const std::string& trace_id)
      ZTA_EXCLUDES(mu_);
  // Sends what `build` makes, retrying transport failures and retryable statuses within
  // `deadline`.
  Result<http::Response> SendWithRetries(const std::function<Result<http::ClientRequest>()>& build,
                                         std::chrono::steady_clock::time_point deadline);
  Result<std::vector<std::pair<std::string, std::string>>> ClientAuthentication(
      const std::string& endpoint, http::Headers* headers);

  const AuthProviderOptions options_;
  const Clock& clock_;
  const http::Transport transport_;

  mutable Mutex mu_;
  std::unordered_map<std::string, Entry> cache_ ZTA_GUARDED_BY(mu_);
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_ ZTA_GUARDED_BY(mu_);
  std::string token_endpoint_ ZTA_GUARDED_BY(mu_);
  std::string backchannel_endpoint_ ZTA_GUARDED_BY(mu_);
  int64_t token_requests_ ZTA_GUARDED_BY(mu_) = 0;
};

}  // namespace zta::auth
