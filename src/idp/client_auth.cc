// Client authentication. Every presented credential is checked before any failure count is
// consulted, so a right one is always served (docs/idp.md, "How failed authentications are
// limited").
#include "client_auth.h"


#include <algorithm>

#include "zta/core/base64url.h"
#include "zta/core/secret.h"
#include "zta/core/sha256.h"
#include "zta/idp/reasons.h"
#include "zta/jose/verify_error.h"

namespace zta::idp {
namespace {

constexpr char kJwtBearerAssertion[] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// RFC 7523 §3 lets a client assertion's aud name the server by its issuer or its token endpoint
// URL, in a string or an array. draft-ietf-oauth-rfc7523bis narrows that to exactly one of them,
// alone: an assertion that also names other audiences would be accepted by each of them, so one
// server could replay what was made for another. Returns the audience to verify against.
Result<std::string> AssertionAudience(const Json& claims, const std::string& issuer) {
  auto it = claims.find("aud");
  const Json* aud = it == claims.end() ? nullptr : &*it;
  if (aud && aud->is_array() && aud->size() == 1) aud = &aud->front();
  if (aud && aud->is_string()) {
    const std::string& value = aud->get_ref<const std::string&>();
    if (value == issuer || value == issuer + "/token") return value;
  }
  return jose::VerifyFailure(jose::VerifyError::kBadAudience,
                             "aud must be exactly the issuer or the token endpoint URL");
}

// The claims of an assertion, unverified (null when they do not parse as an object): only to
// find which registered key must have signed it.
Json PeekClaims(const std::string& assertion) {
  jose::JwsVerifyOptions peek;
  peek.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  auto parsed = jose::ParseCompact(assertion, peek);
  if (!parsed.ok()) return Json();
  auto claims = ParseJsonStrict(parsed->payload);
  return claims.ok() && claims->is_object() ? *claims : Json();
}

// RFC 6749 §2.3.1: client_id and secret are form-urlencoded, then joined by ':' and base64.
OAuthResult<PresentedCredentials> ReadBasic(const std::string& header) {
  if (header.size() < 6 || !http::EqualsIgnoreCase(header.substr(0, 6), "Basic ")) {
    return OAuthError::InvalidRequest("unsupported Authorization scheme");
  }
  auto malformed = [] {
    return OAuthError::InvalidClient("malformed Basic credentials", /*basic_challenge=*/true);
  };
  auto decoded = Base64Decode(header.substr(6));
  size_t colon = decoded.ok() ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) return malformed();
  auto id = http::PercentDecode(decoded->substr(0, colon), true);
  auto pw = http::PercentDecode(decoded->substr(colon + 1), true);
  if (!id.ok() || !pw.ok()) return malformed();
  return PresentedCredentials{kClientSecretBasic, std::move(*id), std::move(*pw), true};
}

}  // namespace

std::string DigestSecret(std::string_view secret) {
  return "sha256:" + Base64UrlEncode(Sha256(secret));
}

bool SecretMatchesDigest(std::string_view secret, std::string_view digest) {
  // Compare digests in constant time; the digest of a wrong secret reveals nothing useful.
  return ConstantTimeEquals(DigestSecret(secret), digest);
}

OAuthResult<PresentedCredentials> ReadCredentials(const http::Request& request,
                                                  const FormFields& fields) {
  PresentedCredentials out;
  auto authorization = request.headers.GetAll("Authorization");
  if (authorization.size() > 1) {
    return OAuthError::InvalidRequest("more than one Authorization header");
  }
  if (!authorization.empty()) {
    auto basic = ReadBasic(authorization[0]);
    if (!basic.ok()) return std::move(basic).error();
    out = std::move(*basic);
  }
  // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
  constexpr char kTwoMethods[] = "more than one client authentication method";
  if (!Field(fields, "client_secret").empty()) {
    if (out.used_basic) return OAuthError::InvalidRequest(kTwoMethods);
    out.client_id = Field(fields, "client_id");
    out.secret = Field(fields, "client_secret");
    out.method = kClientSecretPost;
  }
  const std::string& assertion_type = Field(fields, "client_assertion_type");
  const std::string& assertion = Field(fields, "client_assertion");
  if (!assertion_type.empty() || !assertion.empty()) {
    if (!out.method.empty()) return OAuthError::InvalidRequest(kTwoMethods);
    if (assertion_type != kJwtBearerAssertion || assertion.empty()) {
      return OAuthError::InvalidRequest("unsupported client_assertion_type");
    }
    out.method = kPrivateKeyJwt;
  }
  return out;
}

AuthFailureLimiter::AuthFailureLimiter(int limit, int64_t window_seconds, const Clock& clock,
                                       TokenStateStore* shared)
    : limit_(limit), window_seconds_(window_seconds), clock_(clock), shared_(shared) {}

OAuthError AuthFailureLimiter::Count(const std::string& client_id, const std::string& address,
                                     OAuthError wrong) {
  int64_t retry_after = 0;
  {
    MutexLock lock(mu_);
    const int64_t now = clock_.NowSeconds();
    if (windows_.size() > 100'000) windows_.clear();  // bound memory under a flood
    // One address guessing at one client, and one address guessing across many ids. Never per
    // client alone: ids are public, so such a count would let anyone switch a client off.
    // The address leads the pair key: it holds no space, so the key is unambiguous.
    for (const std::string& key : {"a:" + address, "c:" + address + " " + client_id}) {
      Window& w = windows_[key];
      if (w.failures == 0 || now - w.start >= window_seconds_) {
        w.start = now;
        w.failures = 0;
      }
      ++w.failures;
      Window counted = w;
      if (shared_ != nullptr) {
        auto across = shared_->CountAuthFailure(key, now, window_seconds_);
        if (across.ok()) counted = {across->start, static_cast<int>(across->failures)};
      }
      if (counted.failures > limit_) {
        retry_after = std::max(retry_after, window_seconds_ - (now - counted.start));
      }
    }
  }
  if (retry_after == 0) return wrong;
  return OAuthError::SlowDown(retry_after, "too many failed authentications")  // RFC 6585 §4
      .WithReason(kReasonTooManyFailures)
      .WithAuthFailure(wrong.reason());
}

ClientAuthenticator::ClientAuthenticator(const AuthorizationServerOptions& options,
                                         TokenStateStore& store, FederationVerifier& federation,
                                         const Clock& clock)
    : options_(options),
      store_(store),
      federation_(federation),
      clock_(clock),
      limiter_(options.failed_auth_limit, options.failed_auth_window_seconds, clock,
               options.count_auth_failures_in_store ? &store : nullptr) {}

OAuthResult<Caller> ClientAuthenticator::Authenticate(const http::Request& request,
                                                      const FormFields& fields,
                                                      const RegistrySnapshot& registry,
                                                      bool allow_resources) {
  auto presented = ReadCredentials(request, fields);
  if (!presented.ok()) return std::move(presented).error();
  if (presented->method.empty()) return AuthenticatePublicClient(fields, registry);
  if (presented->method == kPrivateKeyJwt) return AuthenticateAssertion(request, fields, registry);
  return AuthenticateSecret(request, *presented, registry, allow_resources);
}

// ---- client_secret_basic, client_secret_post (RFC 6749 §2.3.1) --------------------------------

OAuthResult<Caller> ClientAuthenticator::AuthenticateSecret(const http::Request& request,
                                                            const PresentedCredentials& presented,
                                                            const RegistrySnapshot& registry,
                                                            bool allow_resources) {
  // Every presented secret is checked, over the failure limit or not, so a right one is always
  // served. Exactly one digest per request, whoever the id names (or if it names no one with
  // a secret), so timing does not reveal which ids exist.
  const std::string& client_id = presented.client_id;
  const Agent* agent = registry.FindAgent(client_id);
  const App* app = !agent ? registry.FindApp(client_id) : nullptr;
  const Resource* res =
      !agent && !app && allow_resources ? registry.FindResource(client_id) : nullptr;
  std::string_view digest = "sha256:";  // matches no secret
  if (agent && agent->auth_method == ClientAuthMethod::kClientSecret) {
    digest = agent->secret_digest;
  } else if (app && !app->is_public && !app->secret_digest.empty()) {
    digest = app->secret_digest;
  } else if (res && !res->introspection_secret_digest.empty()) {
    digest = res->introspection_secret_digest;
  }
  if (SecretMatchesDigest(presented.secret, digest)) {
    if (app) {
      if (!app->enabled) {
        return OAuthError::InvalidClient("client is disabled", presented.used_basic)
            .WithReason(kReasonClientDisabled);
      }
      return Caller{client_id, false, presented.method, nullptr, app};
    }
    if (!agent) return Caller{client_id, true, presented.method, nullptr};
    if (!agent->enabled) {
      return OAuthError::InvalidClient("client is disabled", presented.used_basic)
          .WithReason(kReasonClientDisabled);
    }
    return Caller{client_id, false, presented.method, agent};
  }
  return limiter_.Count(
      client_id, request.remote_address,
      OAuthError::InvalidClient("client authentication failed", presented.used_basic)
          .WithReason(kReasonBadClientSecret));
}

// ---- private_key_jwt (RFC 7523 §2.2, §3) -------------------------------------------------------

OAuthResult<Caller> ClientAuthenticator::AuthenticateAssertion(const http::Request& request,
                                                               const FormFields& fields,
                                                               const RegistrySnapshot& registry) {
  auto refused = [](std::string description) {
    return OAuthError::InvalidClient(std::move(description), /*basic_challenge=*/false);
  };
  const std::string& assertion = Field(fields, "client_assertion");
  // RFC 7523 §3: iss and sub are the client_id. The unverified claims only say which
  // registered key must have signed the assertion; everything is verified below.
  const Json claims = PeekClaims(assertion);
  auto iss_it = claims.find("iss");
  const std::string iss =
      iss_it != claims.end() && iss_it->is_string() ? iss_it->get<std::string>() : std::string();
  // An assertion whose iss is a URL comes from an external issuer: agent client ids are never
  // URLs (they are "agt_..."), federated issuers always are.
  if (registry.FindFederatedIssuer(iss) || iss.find("://") != std::string::npos) {
    return AuthenticateFederated(request, fields, registry, iss);
  }
  auto sub_it = claims.find("sub");  // end() unless claims is an object
  const std::string sub =
      sub_it != claims.end() && sub_it->is_string() ? sub_it->get<std::string>() : std::string();
  const std::string& form_id = Field(fields, "client_id");
  const std::string& client_id = form_id.empty() ? sub : form_id;
  const std::string& address = request.remote_address;
  const Agent* agent = registry.FindAgent(client_id);
  if (!agent || agent->auth_method != ClientAuthMethod::kPrivateKeyJwt || sub != client_id) {
    return limiter_.Count(client_id, address,
                          refused("client authentication failed").WithReason(kReasonUnknownClient));
  }
  auto keys = jose::Jwks::ParseKeyOrSet(agent->public_jwk.dump());
  if (!keys.ok()) return refused("client authentication failed").WithReason(kReasonBadClientKey);
  auto verified = VerifyAssertion(assertion, claims, *keys, client_id);
  if (!verified.ok()) {
    const std::string& why = verified.status().reason();
    return limiter_.Count(client_id, address,
                          refused("client assertion rejected: " + why).WithReason(why));
  }
  auto fresh = store_.RecordAssertionJti(client_id, (*verified)->jti, (*verified)->expires_at);
  if (!fresh.ok() || !*fresh) {
    return limiter_.Count(
        client_id, address,
        refused("client assertion jti was already used").WithReason(kReasonAssertionReplay));
  }
  if (!agent->enabled) return refused("client is disabled").WithReason(kReasonClientDisabled);
  return Caller{client_id, false, kPrivateKeyJwt, agent};
}

Result<std::shared_ptr<const jose::VerifiedJwt>> ClientAuthenticator::VerifyAssertion(
    const std::string& assertion, const Json& claims, const jose::Jwks& keys,
    const std::string& client_id) {
  const int64_t now = clock_.NowSeconds();
  jose::JwtValidationOptions o;
  o.issuer = client_id;
  o.audience = options_.issuer;
  o.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  o.max_lifetime_seconds = options_.max_assertion_lifetime_seconds;
  o.required_claims = {"jti", "sub"};
  // The aud rule is checked on the peeked claims; VerifyJwt then checks the signature over
  // those same bytes. Claims that did not parse fail in VerifyJwt with its own reason.
  if (claims.is_object()) {
    auto audience = AssertionAudience(claims, options_.issuer);
    if (!audience.ok()) return audience.status();
    o.audience = *audience;
  }
  auto verified = jose::VerifyJwt(assertion, keys, o, now);
  // RFC 7523 §3 asks for a short exp: no further ahead than the longest lifetime we accept.
  if (verified.ok() && (*verified)->expires_at - now > options_.max_assertion_lifetime_seconds) {
    return jose::VerifyFailure(jose::VerifyError::kLifetimeTooLong, "assertion exp too far ahead");
  }
  return verified;
}

// ---- federated client assertions (RFC 7523 §2.2, workload identity federation) ------------

// An external issuer (Entra ID, a Kubernetes cluster, any OIDC provider) vouches for a workload
// and the agent registered that workload's (issuer, subject). The assertion's sub is the
// external subject, so client_id names the agent. Its aud is the audience agreed with that
// issuer (the record's, e.g. Entra's api://AzureADTokenExchange or a service account token's
// configured audience), not our token endpoint: the workload cannot choose what its platform
// writes there, and an audience reserved for this trust keeps those tokens from being
// accepted by anything else. Every refusal with a checked credential counts as a wrong one.
OAuthResult<Caller> ClientAuthenticator::AuthenticateFederated(const http::Request& request,
                                                               const FormFields& fields,
                                                               const RegistrySnapshot& registry,
                                                               const std::string& issuer) {
  auto refused = [](std::string description, std::string_view reason) {
    return OAuthError::InvalidClient(std::move(description), /*basic_challenge=*/false)
        .WithReason(std::string(reason));
  };
  const std::string& client_id = Field(fields, "client_id");
  const std::string& address = request.remote_address;
  if (client_id.empty()) {
    return refused("client_id is required with a federated client assertion",
                   kReasonUnknownClient);
  }
  auto token = federation_.Verify(registry, Field(fields, "client_assertion"),
                                  FederationUse::kClientAssertion);
  if (!token.ok()) {
    const std::string& why = token.status().reason();
    return limiter_.Count(client_id, address,
                          refused("client assertion rejected: " + why, why));
  }
  const Agent* agent = registry.FindAgent(client_id);
  const FederatedSubject presented{token->issuer, token->subject};
  if (!agent || std::find(agent->federated_subjects.begin(), agent->federated_subjects.end(),
                          presented) == agent->federated_subjects.end()) {
    return limiter_.Count(client_id, address,
                          refused("client authentication failed", kReasonFederatedSubjectMismatch));
  }
  // RFC 7523 §3 item 7: single use when the issuer gives a jti, keyed by issuer (its jtis are
  // unique only within it). Platforms that mint no jti rely on the short exp checked above.
  if (!token->jti.empty()) {
    auto fresh = store_.RecordAssertionJti(issuer, token->jti, token->expires_at);
    if (!fresh.ok() || !*fresh) {
      return limiter_.Count(client_id, address,
                            refused("client assertion jti was already used",
                                    kReasonAssertionReplay));
    }
  }
  if (!agent->enabled) return refused("client is disabled", kReasonClientDisabled);
  Caller caller{client_id, false, kPrivateKeyJwt, agent};
  caller.federated_issuer = token->issuer;
  return caller;
}

// ---- public clients (RFC 6749 §2.1) -------------------------------------------------------------

// A public app presents only its client_id: what binds its authorization code to it is PKCE
// (RFC 7636), which the authorization_code grant always requires. Nothing secret is checked, so
// nothing is counted against the failure limit. Anyone else without credentials is refused.
OAuthResult<Caller> ClientAuthenticator::AuthenticatePublicClient(
    const FormFields& fields, const RegistrySnapshot& registry) {
  const std::string& client_id = Field(fields, "client_id");
  const App* app = client_id.empty() ? nullptr : registry.FindApp(client_id);
  if (!app || !app->is_public) {
    return OAuthError::InvalidClient("client authentication required", /*basic_challenge=*/false);
  }
  if (!app->enabled) {
    return OAuthError::InvalidClient("client is disabled", false).WithReason(kReasonClientDisabled);
  }
  return Caller{client_id, false, kAuthNone, nullptr, app};
}

}  // namespace zta::idp
