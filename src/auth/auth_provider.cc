// AuthProvider: token requests (RFC 6749 §4.4.2, RFC 8707 §2), client authentication, the token
// cache with single-flight, and bounded retries (see auth_provider.h).
#include "zta/auth/auth_provider.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <random>
#include <thread>

#include "oauth_answer.h"
#include "signing_key.h"
#include "trace_header.h"
#include "zta/auth/reasons.h"
#include "zta/core/base64url.h"
#include "zta/core/json.h"
#include "zta/core/random.h"
#include "zta/core/scopes.h"
#include "zta/core/sha256.h"
#include "zta/http/discovery.h"
#include "zta/http/protocol.h"
#include "zta/jose/dpop.h"
#include "zta/jose/jwt.h"

namespace zta::auth {
namespace {

using internal::DefaultAlgorithm;
using internal::OAuthErrorFromResponse;
using internal::ParseTokenResponse;

using SteadyClock = std::chrono::steady_clock;

// Discovery's bad_metadata is passed on as is: one value for both.
static_assert(std::string_view(kReasonBadMetadata) == http::kReasonBadMetadata);

}  // namespace

struct AuthProvider::Flight {
  Mutex mu;
  std::condition_variable done_cv;
  bool done ZTA_GUARDED_BY(mu) = false;
  std::optional<Result<AccessToken>> result ZTA_GUARDED_BY(mu);
};

std::string_view ClientAuthMethodName(ClientAuthMethod method) {
  switch (method) {
    case ClientAuthMethod::kClientSecretBasic:
      return "client_secret_basic";
    case ClientAuthMethod::kClientSecretPost:
      return "client_secret_post";
    case ClientAuthMethod::kPrivateKeyJwt:
      return "private_key_jwt";
  }
  return "";
}

Result<ClientAuthMethod> ParseClientAuthMethod(std::string_view name) {
  for (auto m : {ClientAuthMethod::kClientSecretBasic, ClientAuthMethod::kClientSecretPost,
                 ClientAuthMethod::kPrivateKeyJwt}) {
    if (ClientAuthMethodName(m) == name) return m;
  }
  if (name == "basic") return ClientAuthMethod::kClientSecretBasic;
  if (name == "post") return ClientAuthMethod::kClientSecretPost;
  return InvalidArgument("unknown client authentication method '" + std::string(name) +
                         "' (client_secret_basic, client_secret_post, private_key_jwt)");
}

Status AuthProviderOptions::Validate() const {
  if (issuer.empty()) return InvalidArgument("issuer is required");
  if (client_id.empty()) return InvalidArgument("client_id is required");
  if (auth_method == ClientAuthMethod::kPrivateKeyJwt) {
    if (!private_key) return InvalidArgument("private_key_jwt needs a private key");
    if (!private_key->has_private()) return InvalidArgument("the private key has no private part");
    if (private_key->kty() == jose::KeyType::kOct) {
      return InvalidArgument("private_key_jwt needs an asymmetric key");
    }
  } else if (client_secret.empty()) {
    return InvalidArgument(std::string(ClientAuthMethodName(auth_method)) +
                           " needs a client secret");
  }
  if (min_remaining_seconds < 0 || min_remaining_fraction < 0 || min_remaining_fraction >= 1) {
    return InvalidArgument("refresh margin must be >= 0 s and a fraction in [0, 1)");
  }
  if (max_attempts < 1) return InvalidArgument("max_attempts must be at least 1");
  if (backchannel_requested_expiry < 0) {
    return InvalidArgument("backchannel_requested_expiry must be >= 0");
  }
  if (request_timeout.count() <= 0 || deadline.count() <= 0) {
    return InvalidArgument("timeouts must be positive");
  }
  if (dpop_key && !dpop) return InvalidArgument("dpop_key is set but dpop is off");
  return Status::Ok();
}

AuthProvider::AuthProvider(AuthProviderOptions options, const Clock& clock,
                           http::Transport transport, std::shared_ptr<DpopKey> dpop_key)
    : options_(std::move(options)),
      clock_(clock),
      transport_(std::move(transport)),
      dpop_key_(std::move(dpop_key)) {
  token_endpoint_ = options_.token_endpoint;
  backchannel_endpoint_ = options_.backchannel_authentication_endpoint;
}

AuthProvider::~AuthProvider() = default;

Result<std::unique_ptr<AuthProvider>> AuthProvider::Create(AuthProviderOptions options,
                                                           const Clock& clock,
                                                           http::Transport transport) {
  ZTA_RETURN_IF_ERROR(options.Validate());
  std::shared_ptr<DpopKey> dpop_key;
  if (options.dpop) {
    auto key =
        options.dpop_key ? DpopKey::FromJwk(*options.dpop_key, clock) : DpopKey::Generate(clock);
    if (!key.ok()) return key.status().WithContext("dpop_key");
    dpop_key = std::move(key).value();
  }
  return std::unique_ptr<AuthProvider>(
      new AuthProvider(std::move(options), clock, std::move(transport), std::move(dpop_key)));
}

int64_t AuthProvider::token_requests() const {
  MutexLock lock(mu_);
  return token_requests_;
}

std::string AuthProvider::CacheKey(const TokenRequest& request,
                                   std::vector<std::string>* sorted) const {
  *sorted = request.scopes;
  std::sort(sorted->begin(), sorted->end());
  sorted->erase(std::unique(sorted->begin(), sorted->end()), sorted->end());
  // '\n' cannot occur in any part (URLs, scope tokens and ids have no control characters), so
  // the joined key is unambiguous.
  std::string key;
  key.reserve(128);
  key += options_.issuer;
  key += '\n';
  key += options_.client_id;
  key += '\n';
  key += request.on_behalf_of;
  key += '\n';
  key += request.resource;
  key += '\n';
  for (const auto& s : *sorted) {
    key += s;
    key += ' ';
  }
  key += '\n';
  if (!request.authorization_details.is_null()) {
    key += Sha256Hex(DumpJson(request.authorization_details));
  }
  // An exchanged token is good only for the chain it was exchanged from: the digest of the
  // subject token keeps two chains (two users, two handing agents) from sharing one.
  key += '\n';
  if (!request.subject_token.empty()) {
    key +=
        "exchange " + request.subject_token_type + ' ' + Sha256Hex(request.subject_token.Reveal());
  } else if (!request.on_behalf_of.empty() && request.approval == Approval::kBackchannel) {
    // The binding message says what the user approved ("Book Hotel Aurora"): a token approved
    // for one action is never served for another that asks with a different message.
    key += "backchannel " + Sha256Hex(request.binding_message);
  }
  return key;
}

Result<AccessToken> AuthProvider::GetToken(const TokenRequest& request) {
  if (request.resource.empty()) return InvalidArgument("a resource (RFC 8707) is required");
  if (!request.on_behalf_of.empty() && request.subject_token.empty() &&
      request.approval == Approval::kConsent) {
    // The person's consent is DelegatedTokenSource's (zta/auth/delegation.h).
    return Status(StatusCode::kPermissionDenied,
                  "tokens on behalf of a user need their consent: use a DelegatedTokenSource "
                  "with a ConsentHandler",
                  kReasonConsentRequired);
  }
  std::vector<std::string> scopes;
  const std::string key = CacheKey(request, &scopes);
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    MutexLock lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      // Served while remaining lifetime >= the margin, i.e. now <= expires_at - margin.
      if (clock_.NowSeconds() <= it->second.refresh_at) return it->second.token;
      cache_.erase(it);
    }
    auto& slot = flights_[key];
    if (!slot) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (!leader) {
    // Single-flight: wait for the caller already asking the IdP for this key.
    MutexLock lock(flight->mu);
    while (!flight->done) lock.Wait(flight->done_cv);
    return *flight->result;
  }

  Result<AccessToken> result = Fetch(request, scopes);
  {
    MutexLock lock(mu_);
    if (result.ok() && result->expires_at > 0) {
      const int64_t lifetime = result->expires_at - result->issued_at;
      const int64_t margin = std::max<int64_t>(
          options_.min_remaining_seconds,
          static_cast<int64_t>(std::ceil(options_.min_remaining_fraction * lifetime)));
      const int64_t refresh_at = result->expires_at - margin;
      if (refresh_at > result->issued_at) {  // else too short-lived to reuse: not cached
        if (cache_.size() >= options_.cache_capacity) {
          const int64_t now = clock_.NowSeconds();
          std::erase_if(cache_, [now](const auto& e) { return e.second.refresh_at <= now; });
          if (cache_.size() >= options_.cache_capacity) cache_.erase(cache_.begin());
        }
        cache_[key] = Entry{*result, refresh_at};
      }
    }
    flights_.erase(key);
  }
  {
    MutexLock lock(flight->mu);
    flight->result = result;
    flight->done = true;
  }
  flight->done_cv.notify_all();
  return result;
}

void AuthProvider::Invalidate(const TokenRequest& request) {
  std::vector<std::string> scopes;
  const std::string key = CacheKey(request, &scopes);
  MutexLock lock(mu_);
  cache_.erase(key);
}

Result<http::Response> AuthProvider::SendWithRetries(
    const std::function<Result<http::ClientRequest>()>& build, SteadyClock::time_point deadline) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  auto backoff = options_.initial_backoff;
  Status last = Unavailable("no attempt made");
  for (int attempt = 1;; ++attempt) {
    auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (remaining.count() <= 0) break;
    ZTA_ASSIGN_OR_RETURN(http::ClientRequest request, build());
    request.timeout = std::min(options_.request_timeout, remaining);
    auto response = transport_(request);
    std::chrono::milliseconds wait = backoff;
    if (response.ok() && !http::IsRetryableStatus(response->status)) return response;
    if (response.ok()) {
      last = Unavailable("HTTP " + std::to_string(response->status) + " from " + request.url);
      if (auto value = response->headers.Get("Retry-After")) {
        if (auto after = http::ParseRetryAfter(*value, clock_)) wait = std::max(wait, *after);
      }
    } else if (response.status().code() == StatusCode::kInvalidArgument) {
      return response.status();  // a bad URL does not get better by waiting
    } else {
      last = response.status();
    }
    if (attempt >= options_.max_attempts) break;
    // Full jitter in [wait/2, wait], so many agents do not retry in lockstep.
    auto jittered = std::chrono::milliseconds(
        wait.count() / 2 + static_cast<int64_t>(jitter() % (wait.count() / 2 + 1)));
    if (SteadyClock::now() + jittered >= deadline) break;
    std::this_thread::sleep_for(jittered);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return Status(StatusCode::kUnavailable, "identity provider unavailable: " + last.message(),
                kReasonIdpUnavailable);
}

Result<std::string> AuthProvider::TokenEndpoint(SteadyClock::time_point deadline) {
  {
    MutexLock lock(mu_);
    if (!token_endpoint_.empty()) return token_endpoint_;
  }
  // Every discovery request goes through the same retries as token requests: a transport
  // failure or retryable status that outlasts them ends discovery with idp_unavailable.
  const http::Transport with_retries = [&](const http::ClientRequest& request) {
    return SendWithRetries([&]() -> Result<http::ClientRequest> { return request; }, deadline);
  };
  auto metadata = http::DiscoverMetadata(with_retries, options_.issuer, options_.request_timeout);
  if (!metadata.ok()) {
    // token_source.h's reasons: a document naming another issuer is bad_metadata; no document
    // at all is idp_unavailable, like any other unreachable IdP.
    if (metadata.status().reason() == http::kReasonMetadataUnavailable) {
      return Status(StatusCode::kUnavailable, metadata.status().message(), kReasonIdpUnavailable);
    }
    return metadata.status();
  }
  auto it = metadata->find("token_endpoint");
  if (it == metadata->end() || !it->is_string()) {
    return Status(StatusCode::kFailedPrecondition, "metadata has no token_endpoint",
                  kReasonBadMetadata);
  }
  MutexLock lock(mu_);
  token_endpoint_ = it->get<std::string>();
  // CIBA Core §4: where backchannel requests go, learnt from the same document.
  auto bc = metadata->find("backchannel_authentication_endpoint");
  if (backchannel_endpoint_.empty() && bc != metadata->end() && bc->is_string()) {
    backchannel_endpoint_ = bc->get<std::string>();
  }
  return token_endpoint_;
}

Result<std::vector<std::pair<std::string, std::string>>> AuthProvider::ClientAuthentication(
    const std::string& endpoint, http::Headers* headers) {
  std::vector<std::pair<std::string, std::string>> form;
  switch (options_.auth_method) {
    case ClientAuthMethod::kClientSecretBasic:
      // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
      headers->Set("Authorization",
                   "Basic " + Base64Encode(http::PercentEncode(options_.client_id) + ":" +
                                           http::PercentEncode(options_.client_secret.Reveal())));
      break;
    case ClientAuthMethod::kClientSecretPost:
      form.emplace_back("client_id", options_.client_id);
      form.emplace_back("client_secret", options_.client_secret.Reveal());
      break;
    case ClientAuthMethod::kPrivateKeyJwt: {
      // RFC 7523 §3: iss = sub = client_id, aud = the authorization server, short exp, unique
      // jti (servers reject replays). A fresh assertion for every attempt.
      const int64_t now = clock_.NowSeconds();
      ZTA_ASSIGN_OR_RETURN(std::string jti, RandomToken(16));
      const std::string audience =
          options_.assertion_audience.empty() ? options_.issuer : options_.assertion_audience;
      ZTA_ASSIGN_OR_RETURN(std::string assertion, jose::JwtBuilder()
                                                      .Issuer(options_.client_id)
                                                      .Subject(options_.client_id)
                                                      .Audience(audience)
                                                      .IssuedAt(now)
                                                      .ExpiresAt(now + 60)
                                                      .Id(jti)
                                                      .Sign(DefaultAlgorithm(*options_.private_key),
                                                            *options_.private_key));
      form.emplace_back("client_id", options_.client_id);
      form.emplace_back("client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      form.emplace_back("client_assertion", std::move(assertion));
      (void)endpoint;
      break;
    }
  }
  return form;
}

Result<AccessToken> AuthProvider::Fetch(const TokenRequest& request,
                                        const std::vector<std::string>& scopes) {
  if (!request.subject_token.empty()) return Exchange(request, scopes);
  if (!request.on_behalf_of.empty()) return Backchannel(request, scopes);
  return ClientCredentials(request, scopes);
}

Result<http::Response> AuthProvider::PostForm(
    const std::string& endpoint, const std::vector<std::pair<std::string, std::string>>& form,
    SteadyClock::time_point deadline, bool token_request, const std::string& trace_id) {
  // RFC 9449 §5: proofs go to the token endpoint only; CIBA's authentication request is not one.
  const bool proof = token_request && dpop_key_ != nullptr;
  auto build = [&]() -> Result<http::ClientRequest> {
    http::ClientRequest r;
    r.method = "POST";
    r.url = endpoint;
    r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    r.headers.Set("Accept", "application/json");
    internal::SetTraceParent(trace_id, &r.headers);
    std::vector<std::pair<std::string, std::string>> body = form;
    ZTA_ASSIGN_OR_RETURN(auto auth, ClientAuthentication(endpoint, &r.headers));
    body.insert(body.end(), auth.begin(), auth.end());
    r.body = http::FormEncode(body);
    if (proof) {
      // A fresh proof for every attempt (new jti and iat, the latest nonce), htu the endpoint.
      ZTA_ASSIGN_OR_RETURN(std::string dpop, dpop_key_->Proof("POST", endpoint));
      r.headers.Set(jose::kDpopHeader, std::move(dpop));
    }
    if (token_request) {
      MutexLock lock(mu_);
      ++token_requests_;
    }
    return r;
  };
  ZTA_ASSIGN_OR_RETURN(http::Response response, SendWithRetries(build, deadline));
  if (!proof || !dpop_key_->LearnNonce(endpoint, response)) return response;
  // §8: the server wants a nonce: once more with it. A second challenge is its final answer.
  ZTA_ASSIGN_OR_RETURN(response, SendWithRetries(build, deadline));
  (void)dpop_key_->LearnNonce(endpoint, response);
  return response;
}

Result<AccessToken> AuthProvider::ClientCredentials(const TokenRequest& request,
                                                    const std::vector<std::string>& scopes) {
  const auto deadline = SteadyClock::now() + options_.deadline;
  ZTA_ASSIGN_OR_RETURN(std::string endpoint, TokenEndpoint(deadline));
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "client_credentials"},  // RFC 6749 §4.4.2
  };
  if (options_.send_resource_indicator) {
    form.emplace_back("resource", request.resource);  // RFC 8707 §2
  }
  if (!scopes.empty()) form.emplace_back("scope", JoinSpaceDelimited(scopes));
  if (!request.authorization_details.is_null()) {  // RFC 9396 §6
    form.emplace_back("authorization_details", DumpJson(request.authorization_details));
  }
  ZTA_ASSIGN_OR_RETURN(http::Response response,
                       PostForm(endpoint, form, deadline, true, request.trace_id));
  if (response.status != 200) return OAuthErrorFromResponse("token endpoint", response);
  return ParseTokenResponse(response.body, request.resource, scopes, clock_.NowSeconds(),
                            dpop_key_);
}

}  // namespace zta::auth
