// DelegatedTokenSource: the authorization code flow for an agent acting for a user — PKCE,
// PAR, the consent handler, state and iss checks, code redemption with the actor token, the
// delegated cache and silent refresh (see zta/auth/delegation.h). Never logs or puts into an
// error message a token, code, verifier or secret.
#include "zta/auth/delegation.h"

#include <algorithm>
#include <cmath>

#include "oauth_answer.h"
#include "trace_header.h"
#include "zta/core/base64url.h"
#include "zta/core/random.h"
#include "zta/core/scopes.h"
#include "zta/core/sha256.h"
#include "zta/http/discovery.h"
#include "zta/jose/dpop.h"

namespace zta::auth {
namespace {

using Form = std::vector<std::pair<std::string, std::string>>;
using internal::CodeForOAuthError;
using internal::IsSnakeCase;
using internal::OAuthErrorFromResponse;
using internal::TokenFromResponse;
using internal::Sanitize;

std::string Field(const Form& form, std::string_view name) {
  for (const auto& [n, v] : form) {
    if (n == name) return v;
  }
  return {};
}

bool HasField(const Form& form, std::string_view name) {
  return std::any_of(form.begin(), form.end(), [&](const auto& f) { return f.first == name; });
}

std::vector<std::string> SortedScopes(const std::vector<std::string>& scopes) {
  std::vector<std::string> sorted = scopes;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return sorted;
}

// RFC 6749 §4.1.2 with RFC 9207 and §10.12: the code from the redirect's query, once it is
// shown to answer this request (state) from this issuer (iss) and is not an error.
Result<std::string> CodeFromAuthorizationResponse(std::string_view query, const std::string& state,
                                                  const std::string& issuer, bool iss_required,
                                                  const std::string& user) {
  auto fields = http::ParseForm(query);
  if (!fields.ok()) {
    return Status(StatusCode::kFailedPrecondition, "the authorization response does not decode",
                  kReasonBadAuthorizationResponse);
  }
  // RFC 9207 §2.4: iss, when present (and it must be when the metadata promises it), is exactly
  // the issuer the request went to; otherwise the answer may come from another server (mix-up).
  if (HasField(*fields, "iss") || iss_required) {
    if (Field(*fields, "iss") != issuer) {
      return Status(StatusCode::kPermissionDenied,
                    HasField(*fields, "iss")
                        ? "the authorization response comes from another issuer"
                        : "the authorization response has no iss (RFC 9207)",
                    kReasonIssuerMismatch);
    }
  }
  // RFC 6749 §10.12: the state sent, exactly; else the response belongs to another request.
  if (Field(*fields, "state") != state) {
    return Status(StatusCode::kPermissionDenied,
                  "the authorization response's state is not the one sent", kReasonStateMismatch);
  }
  if (HasField(*fields, "error")) {
    const std::string error = Field(*fields, "error");
    if (error == "access_denied") {
      return Status(StatusCode::kPermissionDenied, user + " declined the consent request",
                    kReasonConsentDenied);
    }
    if (!IsSnakeCase(error)) {
      return Status(StatusCode::kFailedPrecondition, "the authorization response has a bad error",
                    kReasonBadAuthorizationResponse);
    }
    std::string message = "the authorization server refused: " + error;
    if (auto d = Field(*fields, "error_description"); !d.empty())
      message += " (" + Sanitize(d) + ")";
    return Status(CodeForOAuthError(error), message, error);
  }
  std::string code = Field(*fields, "code");
  if (code.empty()) {
    return Status(StatusCode::kFailedPrecondition, "the authorization response has no code",
                  kReasonBadAuthorizationResponse);
  }
  return code;
}
}  // namespace

struct DelegatedTokenSource::KeyLock {
  std::mutex mu;  // held while one caller obtains or refreshes this key's grant
};

Result<Pkce> Pkce::Generate() {
  ZTA_ASSIGN_OR_RETURN(std::string verifier, RandomToken(32));  // RFC 7636 §4.1: 43 chars
  Pkce pkce;
  pkce.challenge = PkceChallengeS256(verifier);
  pkce.verifier = Secret(std::move(verifier));
  return pkce;
}

std::string PkceChallengeS256(std::string_view verifier) {
  return Base64UrlEncode(Sha256(verifier));
}

std::string CanonicalDetailsJson(const Json& details) {
  return details.is_null() ? std::string() : DumpJson(details);
}

Status DelegationOptions::Validate() const {
  if (app_client_id.empty()) return InvalidArgument("app_client_id is required");
  if (app_auth_method == ClientAuthMethod::kPrivateKeyJwt) {
    return InvalidArgument(
        "the app authenticates with client_secret_basic, client_secret_post "
        "or nothing (a public app)");
  }
  if (consent_timeout.count() <= 0 || request_timeout.count() <= 0) {
    return InvalidArgument("timeouts must be positive");
  }
  if (cache_capacity < 1) return InvalidArgument("cache_capacity must be at least 1");
  return Status::Ok();
}

DelegatedTokenSource::DelegatedTokenSource(DelegationOptions options, AuthProvider& agent,
                                           ConsentHandler* consent, const Clock& clock,
                                           http::Transport transport)
    : options_(std::move(options)),
      agent_(agent),
      consent_(consent),
      clock_(clock),
      transport_(std::move(transport)) {}

DelegatedTokenSource::~DelegatedTokenSource() = default;

Result<std::unique_ptr<DelegatedTokenSource>> DelegatedTokenSource::Create(
    DelegationOptions options, AuthProvider& agent, ConsentHandler* consent, const Clock& clock,
    http::Transport transport) {
  ZTA_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<DelegatedTokenSource>(
      new DelegatedTokenSource(std::move(options), agent, consent, clock, std::move(transport)));
}

std::string DelegatedTokenSource::CacheKey(const TokenRequest& request) const {
  std::string key = agent_.options().issuer + '\n' + options_.app_client_id + '\n' +
                    agent_.options().client_id + '\n' + request.on_behalf_of + '\n' +
                    request.resource + '\n' + JoinSpaceDelimited(SortedScopes(request.scopes)) +
                    '\n';
  if (!request.authorization_details.is_null()) {
    key += Sha256Hex(CanonicalDetailsJson(request.authorization_details));
  }
  return key;
}

int64_t DelegatedTokenSource::consents_started() const {
  std::lock_guard lock(mu_);
  return consents_started_;
}
int64_t DelegatedTokenSource::codes_redeemed() const {
  std::lock_guard lock(mu_);
  return codes_redeemed_;
}
int64_t DelegatedTokenSource::refreshes() const {
  std::lock_guard lock(mu_);
  return refreshes_;
}

void DelegatedTokenSource::Invalidate(const TokenRequest& request) {
  if (request.on_behalf_of.empty() || !request.subject_token.empty() ||
      request.approval == Approval::kBackchannel) {
    return agent_.Invalidate(request);
  }
  std::lock_guard lock(mu_);
  auto it = cache_.find(CacheKey(request));
  if (it != cache_.end()) it->second.refresh_at = 0;  // refresh on next use
}

void DelegatedTokenSource::Forget(const TokenRequest& request) {
  std::lock_guard lock(mu_);
  cache_.erase(CacheKey(request));
}

Result<DelegatedTokenSource::Endpoints> DelegatedTokenSource::Discover() {
  {
    std::lock_guard lock(mu_);
    if (endpoints_) return *endpoints_;
  }
  Endpoints e;
  e.authorization = options_.authorization_endpoint;
  e.token = options_.token_endpoint;
  e.par = options_.pushed_authorization_request_endpoint;
  const bool all_given =
      !e.authorization.empty() && !e.token.empty() && (!e.par.empty() || !options_.use_par);
  if (!all_given) {
    auto metadata =
        http::DiscoverMetadata(transport_, agent_.options().issuer, options_.request_timeout);
    if (!metadata.ok()) {
      if (metadata.status().reason() == http::kReasonMetadataUnavailable) {
        return Status(StatusCode::kUnavailable, metadata.status().message(), kReasonIdpUnavailable);
      }
      return metadata.status();
    }
    auto text = [&](const char* name) {
      auto it = metadata->find(name);
      return it != metadata->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (e.authorization.empty()) e.authorization = text("authorization_endpoint");
    if (e.token.empty()) e.token = text("token_endpoint");
    if (e.par.empty()) e.par = text("pushed_authorization_request_endpoint");
    auto iss = metadata->find("authorization_response_iss_parameter_supported");
    e.iss_required = iss != metadata->end() && iss->is_boolean() && iss->get<bool>();
    if (e.authorization.empty() || e.token.empty()) {
      return Status(StatusCode::kFailedPrecondition,
                    "metadata has no authorization_endpoint or token_endpoint",
                    http::kReasonBadMetadata);
    }
  }
  if (!options_.use_par) e.par.clear();
  std::lock_guard lock(mu_);
  endpoints_ = e;
  return e;
}

Result<AccessToken> DelegatedTokenSource::ActorToken(const TokenRequest& request) {
  TokenRequest own;
  own.resource = request.resource;
  own.scopes = options_.actor_token_scopes;
  own.trace_id = request.trace_id;
  auto token = agent_.GetToken(own);
  if (!token.ok()) return token.status().WithContext("the agent's actor token");
  return token;
}

void DelegatedTokenSource::AppAuthentication(http::Headers* headers, Form* form) const {
  if (options_.app_client_secret.empty()) {  // public app: PKCE alone (RFC 6749 §2.1)
    form->emplace_back("client_id", options_.app_client_id);
  } else if (options_.app_auth_method == ClientAuthMethod::kClientSecretPost) {
    form->emplace_back("client_id", options_.app_client_id);
    form->emplace_back("client_secret", options_.app_client_secret.Reveal());
  } else {  // RFC 6749 §2.3.1: both parts form-urlencoded before base64
    headers->Set("Authorization",
                 "Basic " + Base64Encode(http::PercentEncode(options_.app_client_id) + ":" +
                                         http::PercentEncode(options_.app_client_secret.Reveal())));
  }
}

Result<DelegatedTokenSource::Entry> DelegatedTokenSource::TokenCall(const TokenRequest& request,
                                                                    const std::string& endpoint,
                                                                    Form form) {
  http::ClientRequest r;
  r.method = "POST";
  r.url = endpoint;
  r.timeout = options_.request_timeout;
  r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  r.headers.Set("Accept", "application/json");
  AppAuthentication(&r.headers, &form);
  internal::SetTraceParent(request.trace_id, &r.headers);
  r.body = http::FormEncode(form);
  // RFC 9449 §5: with the agent's DPoP on, the code redemption and the refresh carry a proof
  // with the agent's key, so the user's tokens (and, §5, a public app's refresh token) are bound
  // to the agent that acts with them, like its own.
  const std::shared_ptr<DpopKey>& dpop = agent_.dpop_key();
  auto send = [&]() -> Result<http::Response> {
    if (dpop != nullptr) {
      ZTA_ASSIGN_OR_RETURN(std::string proof, dpop->Proof("POST", endpoint));
      r.headers.Set(jose::kDpopHeader, std::move(proof));
    }
    return transport_(r);
  };
  auto response = send();
  // §8: one retry with the nonce the server asked for.
  if (dpop != nullptr && response.ok() && dpop->LearnNonce(endpoint, *response)) {
    response = send();
    if (response.ok()) (void)dpop->LearnNonce(endpoint, *response);
  }
  if (!response.ok()) {
    return Status(StatusCode::kUnavailable,
                  "token endpoint unreachable: " + response.status().message(),
                  kReasonIdpUnavailable);
  }
  if (response->status >= 500) {
    return Status(StatusCode::kUnavailable,
                  "token endpoint answered HTTP " + std::to_string(response->status),
                  kReasonIdpUnavailable);
  }
  if (response->status != 200) return OAuthErrorFromResponse("token endpoint", *response);
  auto bad = [](std::string what) {
    return Status(StatusCode::kFailedPrecondition, "token response: " + what,
                  kReasonBadTokenResponse);
  };
  auto json = ParseJsonStrict(response->body);
  if (!json.ok() || !json->is_object()) return bad("not a JSON object");
  const int64_t now = clock_.NowSeconds();
  Entry entry;
  ZTA_ASSIGN_OR_RETURN(entry.token, TokenFromResponse(*json, request.resource,
                                                      SortedScopes(request.scopes), now, dpop));
  const int64_t expires_at = entry.token.expires_at;
  if (auto it = json->find("refresh_token"); it != json->end()) {
    if (!it->is_string()) return bad("refresh_token is not a string");
    entry.refresh_token = Secret(it->get<std::string>());
  }
  const int64_t lifetime = expires_at - now;
  const auto& agent = agent_.options();
  const int64_t margin = std::max<int64_t>(
      agent.min_remaining_seconds, static_cast<int64_t>(std::ceil(agent.min_remaining_fraction *
                                                                  static_cast<double>(lifetime))));
  entry.refresh_at = expires_at - margin;
  return entry;
}

Form DelegatedTokenSource::AuthorizationParams(const TokenRequest& request,
                                               const std::vector<std::string>& scopes,
                                               const std::string& redirect_uri,
                                               const std::string& state, const std::string& nonce,
                                               const std::string& code_challenge) const {
  std::vector<std::string> all_scopes = options_.extra_scopes;
  all_scopes.insert(all_scopes.end(), scopes.begin(), scopes.end());
  Form params = {
      {"response_type", "code"},
      {"client_id", options_.app_client_id},
      {"redirect_uri", redirect_uri},
      {"state", state},
      {"nonce", nonce},
      {"code_challenge", code_challenge},
      {"code_challenge_method", "S256"},
      {"requested_actor", agent_.options().client_id},
      {"login_hint", request.on_behalf_of},
  };
  if (agent_.options().send_resource_indicator) params.emplace_back("resource", request.resource);
  if (!all_scopes.empty())
    params.emplace_back("scope", JoinSpaceDelimited(SortedScopes(all_scopes)));
  if (!request.authorization_details.is_null()) {
    params.emplace_back("authorization_details",
                        CanonicalDetailsJson(request.authorization_details));
  }
  if (!options_.prompt.empty()) params.emplace_back("prompt", options_.prompt);
  return params;
}

Result<std::string> DelegatedTokenSource::PushAuthorizationRequest(const Form& params,
                                                                   const Endpoints& endpoints,
                                                                   const std::string& trace_id) {
  // RFC 9126 §2: the same parameters, with the client's authentication, to the PAR endpoint.
  http::ClientRequest r;
  r.method = "POST";
  r.url = endpoints.par;
  r.timeout = options_.request_timeout;
  r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  r.headers.Set("Accept", "application/json");
  // RFC 6749 §3.1: no parameter twice; the app's authentication says who it is.
  Form form = params;
  std::erase_if(form, [](const auto& f) { return f.first == "client_id"; });
  AppAuthentication(&r.headers, &form);
  if (!HasField(form, "client_id")) form.emplace_back("client_id", options_.app_client_id);
  internal::SetTraceParent(trace_id, &r.headers);
  r.body = http::FormEncode(form);
  auto response = transport_(r);
  if (!response.ok()) {
    return Status(StatusCode::kUnavailable,
                  "PAR endpoint unreachable: " + response.status().message(),
                  kReasonIdpUnavailable);
  }
  if (response->status >= 500) {
    return Status(StatusCode::kUnavailable,
                  "PAR endpoint answered HTTP " + std::to_string(response->status),
                  kReasonIdpUnavailable);
  }
  if (response->status != 201 && response->status != 200) {
    return OAuthErrorFromResponse("PAR endpoint", *response);
  }
  auto json = ParseJsonStrict(response->body);
  std::string request_uri;
  if (json.ok() && json->is_object()) {
    if (auto it = json->find("request_uri"); it != json->end() && it->is_string()) {
      request_uri = it->get<std::string>();
    }
  }
  if (request_uri.empty()) {
    return Status(StatusCode::kFailedPrecondition, "PAR response has no request_uri",
                  kReasonBadTokenResponse);
  }
  return request_uri;
}

Result<std::string> DelegatedTokenSource::AuthorizationUrl(const Form& params,
                                                           const Endpoints& endpoints,
                                                           const std::string& trace_id) {
  std::string url = endpoints.authorization;
  url += url.find('?') == std::string::npos ? '?' : '&';
  if (endpoints.par.empty()) return url + http::FormEncode(params);
  ZTA_ASSIGN_OR_RETURN(std::string request_uri,
                       PushAuthorizationRequest(params, endpoints, trace_id));
  // RFC 9126 §4: only client_id and request_uri travel through the browser.
  return url + http::FormEncode(
                   Form{{"client_id", options_.app_client_id}, {"request_uri", request_uri}});
}

Result<std::string> DelegatedTokenSource::AwaitConsent(const TokenRequest& request,
                                                       const std::vector<std::string>& scopes,
                                                       std::string url, const std::string& state) {
  ConsentRequest consent;
  consent.authorization_url = std::move(url);
  consent.state = state;
  consent.user = request.on_behalf_of;
  consent.agent = agent_.options().client_id;
  consent.app = options_.app_client_id;
  consent.resource = request.resource;
  consent.scopes = scopes;
  consent.authorization_details = request.authorization_details;
  {
    std::lock_guard lock(mu_);
    ++consents_started_;
  }
  auto query = consent_->AwaitRedirect(consent, options_.consent_timeout);
  if (!query.ok()) {
    if (query.status().code() == StatusCode::kDeadlineExceeded) {
      return Status(StatusCode::kDeadlineExceeded,
                    request.on_behalf_of + " did not answer the consent request in time",
                    kReasonConsentTimeout);
    }
    return query.status().WithContext("consent handler");
  }
  return query;
}

Result<DelegatedTokenSource::Entry> DelegatedTokenSource::RedeemCode(
    const TokenRequest& request, const Endpoints& endpoints, const std::string& code,
    const std::string& redirect_uri, const Pkce& pkce, const AccessToken& actor) {
  // RFC 6749 §4.1.3 with RFC 7636 §4.5 and the draft's actor_token.
  Form form = {
      {"grant_type", "authorization_code"},  {"code", code},
      {"redirect_uri", redirect_uri},        {"code_verifier", pkce.verifier.Reveal()},
      {"actor_token", actor.value.Reveal()}, {"actor_token_type", kAccessTokenType},
  };
  if (agent_.options().send_resource_indicator) form.emplace_back("resource", request.resource);
  {
    std::lock_guard lock(mu_);
    ++codes_redeemed_;
  }
  return TokenCall(request, endpoints.token, std::move(form));
}

Result<DelegatedTokenSource::Entry> DelegatedTokenSource::Consent(
    const TokenRequest& request, const std::vector<std::string>& scopes,
    const Endpoints& endpoints) {
  if (consent_ == nullptr) {
    return Status(StatusCode::kPermissionDenied,
                  "acting for " + request.on_behalf_of +
                      " needs their consent, and no consent handler is configured",
                  kReasonConsentRequired);
  }
  // The actor token first: an agent that cannot get its own token should not ask a person.
  ZTA_ASSIGN_OR_RETURN(AccessToken actor, ActorToken(request));
  ZTA_ASSIGN_OR_RETURN(Pkce pkce, Pkce::Generate());
  ZTA_ASSIGN_OR_RETURN(std::string state, RandomToken(16));
  ZTA_ASSIGN_OR_RETURN(std::string nonce, RandomToken(16));
  const std::string redirect_uri =
      options_.redirect_uri.empty() ? consent_->RedirectUri() : options_.redirect_uri;
  const Form params =
      AuthorizationParams(request, scopes, redirect_uri, state, nonce, pkce.challenge);
  ZTA_ASSIGN_OR_RETURN(std::string url, AuthorizationUrl(params, endpoints, request.trace_id));
  ZTA_ASSIGN_OR_RETURN(std::string query, AwaitConsent(request, scopes, std::move(url), state));
  ZTA_ASSIGN_OR_RETURN(std::string code,
                       CodeFromAuthorizationResponse(query, state, agent_.options().issuer,
                                                     endpoints.iss_required, request.on_behalf_of));
  return RedeemCode(request, endpoints, code, redirect_uri, pkce, actor);
}

Result<DelegatedTokenSource::Entry> DelegatedTokenSource::Refresh(const TokenRequest& request,
                                                                  const Entry& entry,
                                                                  const Endpoints& endpoints) {
  ZTA_ASSIGN_OR_RETURN(AccessToken actor, ActorToken(request));
  // RFC 6749 §6; the draft: a grant with an actor needs the actor's token again.
  Form form = {
      {"grant_type", "refresh_token"},
      {"refresh_token", entry.refresh_token.Reveal()},
      {"actor_token", actor.value.Reveal()},
      {"actor_token_type", kAccessTokenType},
  };
  {
    std::lock_guard lock(mu_);
    ++refreshes_;
  }
  ZTA_ASSIGN_OR_RETURN(Entry refreshed, TokenCall(request, endpoints.token, std::move(form)));
  // RFC 6749 §6: without a new refresh token the old one stays valid.
  if (refreshed.refresh_token.empty()) refreshed.refresh_token = entry.refresh_token;
  return refreshed;
}

void DelegatedTokenSource::Store(const std::string& key, Entry entry) {
  std::lock_guard lock(mu_);
  if (cache_.size() >= options_.cache_capacity && cache_.find(key) == cache_.end()) {
    // Drop an entry that can no longer be refreshed first, else any.
    auto victim = std::find_if(cache_.begin(), cache_.end(),
                               [](const auto& e) { return e.second.refresh_token.empty(); });
    cache_.erase(victim != cache_.end() ? victim : cache_.begin());
  }
  cache_[key] = std::move(entry);
}

Result<AccessToken> DelegatedTokenSource::GetToken(const TokenRequest& request) {
  // Token exchange and backchannel approval are the agent's own grants (it authenticates as
  // itself, not as the app): AuthProvider does them and caches their results.
  if (request.on_behalf_of.empty() || !request.subject_token.empty() ||
      request.approval == Approval::kBackchannel) {
    return agent_.GetToken(request);
  }
  if (request.resource.empty()) return InvalidArgument("a resource (RFC 8707) is required");
  const std::string key = CacheKey(request);
  std::shared_ptr<KeyLock> key_lock;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && clock_.NowSeconds() <= it->second.refresh_at) {
      return it->second.token;
    }
    auto& slot = locks_[key];
    if (!slot) slot = std::make_shared<KeyLock>();
    key_lock = slot;
  }
  // One caller per key at a time: the others wait and then find its result in the cache.
  std::lock_guard flight(key_lock->mu);
  std::optional<Entry> cached;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (clock_.NowSeconds() <= it->second.refresh_at) return it->second.token;
      cached = it->second;
    }
  }
  ZTA_ASSIGN_OR_RETURN(Endpoints endpoints, Discover());
  if (cached && !cached->refresh_token.empty()) {
    auto refreshed = Refresh(request, *cached, endpoints);
    if (refreshed.ok()) {
      AccessToken token = refreshed->token;
      Store(key, std::move(*refreshed));
      return token;
    }
    // A refresh token refused (revoked grant, reuse detected, expired) is useless: ask again.
    // Any other failure (idp down) is reported; the person is not asked because of an outage.
    if (refreshed.status().reason() != "invalid_grant") return refreshed.status();
    Forget(request);
  }
  std::vector<std::string> scopes = SortedScopes(request.scopes);
  ZTA_ASSIGN_OR_RETURN(Entry entry, Consent(request, scopes, endpoints));
  AccessToken token = entry.token;
  Store(key, std::move(entry));
  return token;
}

}  // namespace zta::auth
