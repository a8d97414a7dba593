// Tokens for an agent acting for a user (docs/delegation.md, docs/auth.md "Acting for users"):
// authorization code with PKCE S256 (RFC 7636), requested_actor and actor_token
// (draft-oauth-ai-agents-on-behalf-of-user-02), pushed authorization requests (RFC 9126), the
// authorization response's iss (RFC 9207), and silent refresh with rotating refresh tokens
// (RFC 9700 §4.14.2). DelegatedTokenSource is the TokenSource an agent with `acting = "user"`
// tools is given: requests with on_behalf_of go through the person's consent, others to the
// agent's own AuthProvider.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "zta/auth/auth_provider.h"
#include "zta/auth/consent_handler.h"
#include "zta/auth/token_source.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/core/secret.h"
#include "zta/auth/reasons.h"
#include "zta/core/status.h"
#include "zta/http/client.h"

namespace zta::auth {

// Reasons of delegated token requests: kReasonConsent… and the rest in zta/auth/reasons.h.

// PKCE S256 (RFC 7636 §4.1-4.2). The verifier is a Secret: never logged.
struct Pkce {
  Secret verifier;        // 43 characters of base64url (32 random bytes)
  std::string challenge;  // BASE64URL(SHA256(verifier))
  static Result<Pkce> Generate();
};
// RFC 7636 §4.2, code_challenge_method=S256.
std::string PkceChallengeS256(std::string_view verifier);

// The canonical JSON of authorization_details whose SHA-256 goes into the cache key: compact,
// object members sorted by name (nlohmann's ordering), arrays in order.
std::string CanonicalDetailsJson(const Json& details);

struct DelegationOptions {
  // The app's client_id (the client hosting the agent: `zta idp app add`). REQUIRED.
  std::string app_client_id;
  // The app's authentication at /par and /token: kClientSecretBasic or kClientSecretPost with
  // app_client_secret. An empty secret means a public app (client_id in the form, PKCE alone).
  // Default: kClientSecretBasic.
  ClientAuthMethod app_auth_method = ClientAuthMethod::kClientSecretBasic;
  Secret app_client_secret;
  // Default: the ConsentHandler's RedirectUri().
  std::string redirect_uri;
  // Endpoints. Defaults: the issuer's metadata (RFC 8414) — authorization_endpoint,
  // token_endpoint, pushed_authorization_request_endpoint. The issuer is the agent's
  // (AuthProviderOptions::issuer).
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string pushed_authorization_request_endpoint;
  // Push the request (RFC 9126) when a PAR endpoint is known, so long authorization_details
  // need not travel in a URL. Default: true.
  bool use_par = true;
  // Extra scopes asked in every authorization request (e.g. "openid"). Default: none.
  std::vector<std::string> extra_scopes;
  // prompt (OIDC Core §3.1.2.1: "login", "consent", "none"). Default: empty, not sent.
  std::string prompt;
  // How long a person has to answer. Default: 5 minutes.
  std::chrono::milliseconds consent_timeout{300'000};
  // Scopes of the agent's own actor token (client credentials, same resource). Default: none,
  // the agent's default allowance for the resource.
  std::vector<std::string> actor_token_scopes;
  // Timeout of one HTTP request (metadata, /par, /token). Default: 5 s.
  std::chrono::milliseconds request_timeout{5'000};
  // Delegated grants cached (access token + refresh token). Default: 1,000.
  size_t cache_capacity = 1'000;

  Status Validate() const;
};

// Thread-safe. Concurrent requests for one cache key are served one at a time (one consent
// prompt, one refresh); different keys proceed in parallel.
//
// Cache key (documented, stable): issuer, app client_id, agent client_id, user (on_behalf_of),
// resource, the sorted de-duplicated scopes, and SHA-256 (hex) of CanonicalDetailsJson of the
// authorization_details (empty when null), joined by '\n'. An entry holds the access token and
// the refresh token; the access token is served while enough lifetime remains (the agent's
// min_remaining_seconds / min_remaining_fraction), then refreshed silently with the refresh
// token and the agent's actor token again; a refused refresh (invalid_grant: revoked, reused)
// drops the entry and asks the person again.
class DelegatedTokenSource final : public TokenSource {
 public:
  // `agent` gets the agent's own tokens (requests without on_behalf_of, and actor tokens) and
  // must outlive this; so must `consent` (may be null: on_behalf_of then fails with
  // consent_required unless a cached grant serves) and `clock`.
  static Result<std::unique_ptr<DelegatedTokenSource>> Create(
      DelegationOptions options, AuthProvider& agent, ConsentHandler* consent, const Clock& clock,
      http::Transport transport = http::DefaultTransport());
  ~DelegatedTokenSource() override;

  // Without on_behalf_of: agent.GetToken(request). With it: a cached delegated token, a refreshed
  // one, or one obtained through the person's consent (blocking up to consent_timeout).
  // Reasons: consent_required, consent_denied, consent_timeout, state_mismatch,
  // issuer_mismatch, bad_authorization_response, and token_source.h's.
  Result<AccessToken> GetToken(const TokenRequest& request) override;
  // Forgets the access token for `request` but keeps its refresh token: the next GetToken
  // refreshes silently.
  void Invalidate(const TokenRequest& request) override;
  // Forgets everything cached for `request`, refresh token included.
  void Forget(const TokenRequest& request);

  // The cache key of `request` (see above).
  std::string CacheKey(const TokenRequest& request) const;
  // Counters (tests, metrics): consent flows started, codes redeemed, refreshes sent.
  int64_t consents_started() const;
  int64_t codes_redeemed() const;
  int64_t refreshes() const;

 private:
  struct Endpoints {
    std::string authorization, token, par;
    bool iss_required = false;  // authorization_response_iss_parameter_supported
  };
  struct Entry {
    AccessToken token;
    int64_t refresh_at = 0;  // Unix seconds: served up to and including this second
    Secret refresh_token;    // empty: none issued
  };
  struct KeyLock;

  DelegatedTokenSource(DelegationOptions options, AuthProvider& agent, ConsentHandler* consent,
                       const Clock& clock, http::Transport transport);
  Result<Endpoints> Discover();
  Result<AccessToken> ActorToken(const TokenRequest& request);
  Result<Entry> Consent(const TokenRequest& request, const std::vector<std::string>& scopes,
                        const Endpoints& endpoints);
  // The steps of Consent, in order.
  std::vector<std::pair<std::string, std::string>> AuthorizationParams(
      const TokenRequest& request, const std::vector<std::string>& scopes,
      const std::string& redirect_uri, const std::string& state, const std::string& nonce,
      const std::string& code_challenge) const;
  // RFC 9126: returns the request_uri.
  // `trace_id`: TokenRequest::trace_id, sent as traceparent when valid.
  Result<std::string> PushAuthorizationRequest(
      const std::vector<std::pair<std::string, std::string>>& params, const Endpoints& endpoints,
      const std::string& trace_id);
  Result<std::string> AuthorizationUrl(
      const std::vector<std::pair<std::string, std::string>>& params, const Endpoints& endpoints,
      const std::string& trace_id);
  // Returns the redirect's query.
  Result<std::string> AwaitConsent(const TokenRequest& request,
                                   const std::vector<std::string>& scopes, std::string url,
                                   const std::string& state);
  Result<Entry> RedeemCode(const TokenRequest& request, const Endpoints& endpoints,
                           const std::string& code, const std::string& redirect_uri,
                           const Pkce& pkce, const AccessToken& actor);
  Result<Entry> Refresh(const TokenRequest& request, const Entry& entry,
                        const Endpoints& endpoints);
  Result<Entry> TokenCall(const TokenRequest& request, const std::string& endpoint,
                          std::vector<std::pair<std::string, std::string>> form);
  void AppAuthentication(http::Headers* headers,
                         std::vector<std::pair<std::string, std::string>>* form) const;
  void Store(const std::string& key, Entry entry);

  const DelegationOptions options_;
  AuthProvider& agent_;
  ConsentHandler* const consent_;
  const Clock& clock_;
  const http::Transport transport_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;                     // GUARDED_BY(mu_)
  std::unordered_map<std::string, std::shared_ptr<KeyLock>> locks_;  // GUARDED_BY(mu_)
  std::optional<Endpoints> endpoints_;                               // GUARDED_BY(mu_)
  int64_t consents_started_ = 0;                                     // GUARDED_BY(mu_)
  int64_t codes_redeemed_ = 0;                                       // GUARDED_BY(mu_)
  int64_t refreshes_ = 0;                                            // GUARDED_BY(mu_)
};

}  // namespace zta::auth
