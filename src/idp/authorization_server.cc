// The authorization server's endpoints. Every decision is audited; errors follow RFC 6749 §5.2.
#include "zta/idp/authorization_server.h"

#include <openssl/sha.h>

#include <algorithm>
#include <set>

#include "zta/core/base64url.h"
#include "zta/core/random.h"
#include "zta/core/scopes.h"
#include "zta/core/secret.h"
#include "zta/jose/jwt.h"
#include "zta/jose/verify_error.h"

namespace zta::idp {
namespace {

using Form = std::vector<std::pair<std::string, std::string>>;

constexpr char kJwtBearerAssertion[] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// Form fields must not repeat (RFC 6749 §3.2: "Request and response parameters MUST NOT be
// included more than once").
Result<std::map<std::string, std::string>> UniqueFields(const Form& form) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : form) {
    if (!out.emplace(k, v).second) {
      return InvalidArgument("parameter " + k + " is repeated");
    }
  }
  return out;
}

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

}  // namespace

std::string DigestSecret(std::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  return "sha256:" +
         Base64UrlEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

bool SecretMatchesDigest(std::string_view secret, std::string_view digest) {
  // Compare digests in constant time; the digest of a wrong secret reveals nothing useful.
  return ConstantTimeEquals(DigestSecret(secret), digest);
}

struct AuthorizationServer::OAuthError {
  int status = 400;
  std::string error;
  std::string description;
  int64_t retry_after = 0;
  bool basic_challenge = false;  // client tried HTTP Basic: answer with WWW-Authenticate
  std::string failure = {};  // with a 429: the wrong credential's own reason, for the audit event
};

struct AuthorizationServer::Caller {
  std::string client_id;       // agent client_id, or the resource URI for resource servers
  bool is_resource = false;
  std::string auth_method;     // client_secret_basic | client_secret_post | private_key_jwt
  const Agent* agent = nullptr;
};

struct AuthorizationServer::TokenCall {
  std::shared_ptr<const RegistrySnapshot> registry;  // keeps caller.agent alive
  Caller caller;
  std::string token;  // the "token" form parameter
};

AuthorizationServer::AuthorizationServer(AuthorizationServerOptions options, IdpStore& store,
                                         KeyManager& keys, AuditSink& audit, const Clock& clock)
    : options_(std::move(options)), store_(store), keys_(keys), audit_(audit), clock_(clock) {}

std::shared_ptr<const RegistrySnapshot> AuthorizationServer::Registry(bool force_check) {
  std::lock_guard<std::mutex> lock(registry_mu_);
  int64_t now = clock_.NowMicros();
  bool due = !registry_ || force_check ||
             now - registry_checked_micros_ >= options_.registry_refresh_millis * 1000;
  if (due) {
    registry_checked_micros_ = now;
    auto version = store_.RegistryVersion();
    if (version.ok() && (!registry_ || *version != registry_->version)) {
      auto loaded = store_.LoadRegistry();
      if (loaded.ok()) {
        // Key rotations by the CLI bump the same version: pick up new keys as well.
        if (registry_) (void)keys_.Reload();
        registry_ = *loaded;
      }
    }
  }
  if (!registry_) registry_ = std::make_shared<const RegistrySnapshot>();
  return registry_;
}

Status AuthorizationServer::Audit(AuditEvent event) {
  event.component = "idp";
  if (event.time_micros == 0) event.time_micros = clock_.NowMicros();
  // Durable sinks return only once the event is on disk. Callers that grant something check
  // the result and fail closed; refusals are refused whether or not the record landed.
  return audit_.Append(std::move(event));
}

http::Response AuthorizationServer::ErrorResponse(const OAuthError& error) const {
  Json body = {{"error", error.error}};
  if (!error.description.empty()) body["error_description"] = error.description;
  http::Response r = http::Response::Json(error.status, body);
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Pragma", "no-cache");
  if (error.status == 401) {
    // RFC 6749 §5.2: a challenge only when the client used the Authorization header.
    if (error.basic_challenge) r.headers.Set("WWW-Authenticate", "Basic realm=\"zta\"");
  }
  if (error.retry_after > 0) r.headers.Set("Retry-After", std::to_string(error.retry_after));
  return r;
}

Status AuthorizationServer::RecordAuthFailure(const std::string& client_id,
                                              const std::string& address, Status why,
                                              OAuthError* error) {
  const int64_t window = options_.failed_auth_window_seconds;
  int64_t retry_after = 0;
  {
    std::lock_guard<std::mutex> lock(limiter_mu_);
    const int64_t now = clock_.NowSeconds();
    if (failures_.size() > 100'000) failures_.clear();  // bound memory under a flood
    // One address guessing at one client, and one address guessing across many ids. Never per
    // client alone: ids are public, so such a count would let anyone switch a client off.
    // The address leads the pair key: it holds no space, so the key is unambiguous.
    for (const std::string& key : {"a:" + address, "c:" + address + " " + client_id}) {
      FailureWindow& w = failures_[key];
      if (w.failures == 0 || now - w.window_start >= window) {
        w.window_start = now;
        w.failures = 0;
      }
      if (++w.failures > options_.failed_auth_limit) {
        retry_after = std::max(retry_after, window - (now - w.window_start));
      }
    }
  }
  if (retry_after == 0) return why;
  error->status = 429;  // RFC 6585 §4, with Retry-After
  error->error = "slow_down";
  error->description = "too many failed authentications";
  error->retry_after = retry_after;
  error->failure = why.reason();
  return Status(StatusCode::kResourceExhausted, error->description, "too_many_failures");
}

Result<AuthorizationServer::Caller> AuthorizationServer::AuthenticateClient(
    const http::Request& request, const Form& form, const RegistrySnapshot& registry,
    bool allow_resources, OAuthError* error) {
  auto fields_or = UniqueFields(form);
  error->status = 401;
  error->error = "invalid_client";
  if (!fields_or.ok()) {
    error->status = 400;
    error->error = "invalid_request";
    error->description = fields_or.status().message();
    return fields_or.status();
  }
  const auto& fields = *fields_or;
  auto field = [&](const char* name) -> std::string {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  };

  std::string client_id, secret, method;
  auto authorization = request.headers.GetAll("Authorization");
  if (authorization.size() > 1) {
    error->status = 400;
    error->error = "invalid_request";
    error->description = "more than one Authorization header";
    return InvalidArgument(error->description);
  }
  bool used_basic = false;
  if (!authorization.empty()) {
    const std::string& h = authorization[0];
    if (h.size() < 6 || !http::EqualsIgnoreCase(h.substr(0, 6), "Basic ")) {
      error->status = 400;
      error->error = "invalid_request";
      error->description = "unsupported Authorization scheme";
      return InvalidArgument(error->description);
    }
    used_basic = true;
    error->basic_challenge = true;
    // RFC 6749 §2.3.1: client_id and secret are form-urlencoded, then joined by ':' and base64.
    auto decoded = Base64Decode(h.substr(6));
    size_t colon = decoded.ok() ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      error->description = "malformed Basic credentials";
      return InvalidArgument(error->description);
    }
    auto id = http::PercentDecode(decoded->substr(0, colon), true);
    auto pw = http::PercentDecode(decoded->substr(colon + 1), true);
    if (!id.ok() || !pw.ok()) {
      error->description = "malformed Basic credentials";
      return InvalidArgument(error->description);
    }
    client_id = *id;
    secret = *pw;
    method = "client_secret_basic";
  }
  const std::string assertion_type = field("client_assertion_type");
  const std::string assertion = field("client_assertion");
  if (!field("client_secret").empty()) {
    if (used_basic) {
      // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
      error->status = 400;
      error->error = "invalid_request";
      error->description = "more than one client authentication method";
      return InvalidArgument(error->description);
    }
    client_id = field("client_id");
    secret = field("client_secret");
    method = "client_secret_post";
  }
  if (!assertion_type.empty() || !assertion.empty()) {
    if (!method.empty()) {
      error->status = 400;
      error->error = "invalid_request";
      error->description = "more than one client authentication method";
      return InvalidArgument(error->description);
    }
    if (assertion_type != kJwtBearerAssertion || assertion.empty()) {
      error->status = 400;
      error->error = "invalid_request";
      error->description = "unsupported client_assertion_type";
      return InvalidArgument(error->description);
    }
    method = "private_key_jwt";
  }
  if (method.empty()) {
    error->description = "client authentication required";
    return Status(StatusCode::kUnauthenticated, error->description);
  }

  const int64_t now = clock_.NowSeconds();
  if (method == "private_key_jwt") {
    // RFC 7523 §3: iss and sub are the client_id. Peek at the (unverified) claims only to find
    // which registered key must have signed it; everything is verified below.
    jose::JwsVerifyOptions peek;
    peek.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
    auto parsed = jose::ParseCompact(assertion, peek);
    Json claims;
    if (parsed.ok()) {
      auto c = ParseJsonStrict(parsed->payload);
      if (c.ok() && c->is_object()) claims = *c;
    }
    std::string sub = claims.is_object() && claims.contains("sub") && claims["sub"].is_string()
                          ? claims["sub"].get<std::string>()
                          : std::string();
    client_id = field("client_id").empty() ? sub : field("client_id");
    const Agent* agent = registry.FindAgent(client_id);
    if (!agent || agent->auth_method != ClientAuthMethod::kPrivateKeyJwt || sub != client_id) {
      error->description = "client authentication failed";
      return RecordAuthFailure(
          client_id, request.remote_address,
          Status(StatusCode::kUnauthenticated, error->description, "unknown_client"), error);
    }
    auto keys = jose::Jwks::ParseKeyOrSet(agent->public_jwk.dump());
    if (!keys.ok()) {
      error->description = "client authentication failed";
      return Status(StatusCode::kUnauthenticated, error->description, "bad_client_key");
    }
    jose::JwtValidationOptions o;
    o.issuer = client_id;
    o.audience = options_.issuer;
    o.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
    o.max_lifetime_seconds = options_.max_assertion_lifetime_seconds;
    o.required_claims = {"jti", "sub"};
    // The aud rule is checked on the peeked claims; VerifyJwt then checks the signature over
    // those same bytes. Claims that did not parse fail in VerifyJwt with its own reason.
    auto audience = claims.is_object() ? AssertionAudience(claims, options_.issuer)
                                       : Result<std::string>(options_.issuer);
    if (audience.ok()) o.audience = *audience;
    auto verified = audience.ok()
                        ? jose::VerifyJwt(assertion, *keys, o, now)
                        : Result<std::shared_ptr<const jose::VerifiedJwt>>(audience.status());
    if (verified.ok() && (*verified)->expires_at - now > options_.max_assertion_lifetime_seconds) {
      verified = Status(StatusCode::kUnauthenticated, "assertion exp too far ahead",
                        "lifetime_too_long");
    }
    if (!verified.ok()) {
      error->description = "client assertion rejected: " + verified.status().reason();
      return RecordAuthFailure(client_id, request.remote_address, verified.status(), error);
    }
    auto fresh = store_.RecordAssertionJti(client_id, (*verified)->jti, (*verified)->expires_at);
    if (!fresh.ok() || !*fresh) {
      error->description = "client assertion jti was already used";
      return RecordAuthFailure(
          client_id, request.remote_address,
          Status(StatusCode::kUnauthenticated, error->description, "assertion_replay"), error);
    }
    if (!agent->enabled) {
      error->description = "client is disabled";
      return Status(StatusCode::kUnauthenticated, error->description, "client_disabled");
    }
    return Caller{client_id, false, method, agent};
  }

  // Every presented secret is checked, over the failure limit or not, so a right one is always
  // served. Exactly one digest per request, whoever the id names (or if it names no one with
  // a secret), so timing does not reveal which ids exist.
  const Agent* agent = registry.FindAgent(client_id);
  const Resource* res = !agent && allow_resources ? registry.FindResource(client_id) : nullptr;
  std::string_view digest = "sha256:";  // matches no secret
  if (agent && agent->auth_method == ClientAuthMethod::kClientSecret) {
    digest = agent->secret_digest;
  } else if (res && !res->introspection_secret_digest.empty()) {
    digest = res->introspection_secret_digest;
  }
  if (SecretMatchesDigest(secret, digest)) {
    if (!agent) return Caller{client_id, true, method, nullptr};
    if (!agent->enabled) {
      error->description = "client is disabled";
      return Status(StatusCode::kUnauthenticated, error->description, "client_disabled");
    }
    return Caller{client_id, false, method, agent};
  }
  error->description = "client authentication failed";
  return RecordAuthFailure(
      client_id, request.remote_address,
      Status(StatusCode::kUnauthenticated, error->description, "bad_client_secret"), error);
}

http::Response AuthorizationServer::Handle(const http::Request& request) {
  Decision decision = Dispatch(request);
  if (!decision.event) return std::move(decision.response);
  Status recorded = Audit(std::move(*decision.event));
  if (!recorded.ok() && decision.grants) return AuditUnavailable();
  return std::move(decision.response);
}

void AuthorizationServer::HandleAsync(const http::Request& request, http::Respond respond) {
  Decision decision = Dispatch(request);
  if (!decision.event) return respond(std::move(decision.response));
  AuditEvent& event = *decision.event;
  event.component = "idp";
  if (event.time_micros == 0) event.time_micros = clock_.NowMicros();
  // The response waits in the callback until the record's commit (shared with every other
  // request in flight) is on disk; the I/O thread meanwhile serves other connections.
  audit_.AppendAsync(std::move(event), [this, response = std::move(decision.response),
                                        grants = decision.grants,
                                        respond = std::move(respond)](Status recorded) mutable {
    if (!recorded.ok() && grants) return respond(AuditUnavailable());
    respond(std::move(response));
  });
}

http::Response AuthorizationServer::AuditUnavailable() const {
  return ErrorResponse({503, "temporarily_unavailable", "the audit log is unavailable", 0, false});
}

AuthorizationServer::Decision AuthorizationServer::Dispatch(const http::Request& request) {
  const std::string& path = request.path;
  if (path == "/.well-known/oauth-authorization-server" ||
      path == "/.well-known/openid-configuration") {
    if (request.method != "GET" && request.method != "HEAD") {
      return Unrecorded(http::Response::Json(405, {{"error", "invalid_request"}}));
    }
    auto r = http::Response::Json(200, Metadata(path == "/.well-known/openid-configuration"));
    r.headers.Set("Cache-Control", "max-age=300");
    return Unrecorded(std::move(r));
  }
  if (path == "/jwks") {
    (void)Registry(false);  // picks up keys rotated by another process
    return Unrecorded(Jwks());
  }
  if (path == "/token" || path == "/introspect" || path == "/revoke") {
    if (request.method != "POST") {
      auto r = ErrorResponse({405, "invalid_request", "use POST", 0, false});
      r.headers.Set("Allow", "POST");
      return Unrecorded(std::move(r));
    }
    auto ct = request.headers.Get("Content-Type");
    if (!ct || ct->rfind("application/x-www-form-urlencoded", 0) != 0) {
      return Unrecorded(ErrorResponse(
          {400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded", 0,
           false}));
    }
    if (path == "/token") return Token(request);
    // Introspection and revocation record their events synchronously (they are not the hot
    // path, and revocation must be stored before it is acknowledged anyway).
    if (path == "/introspect") return Unrecorded(Introspect(request));
    return Unrecorded(Revoke(request));
  }
  return Unrecorded(http::Response::Json(404, {{"error", "not_found"}}));
}

Json AuthorizationServer::Metadata(bool openid) {
  const std::string& iss = options_.issuer;
  std::set<std::string> scopes;
  {
    // Metadata may be served while the registry reloads; a slightly old scope list is fine.
    auto reg = Registry(false);
    for (const auto& [uri, r] : reg->resources) scopes.insert(r.scopes.begin(), r.scopes.end());
  }
  Json signing_algs = {"ES256", "ES384", "RS256", "PS256", "EdDSA"};
  Json auth_methods = {"client_secret_basic", "client_secret_post", "private_key_jwt"};
  Json m = {
      {"issuer", iss},
      {"token_endpoint", iss + "/token"},
      {"jwks_uri", iss + "/jwks"},
      {"introspection_endpoint", iss + "/introspect"},
      {"revocation_endpoint", iss + "/revoke"},
      {"grant_types_supported", {"client_credentials"}},
      {"response_types_supported", Json::array({"token"})},
      {"token_endpoint_auth_methods_supported", auth_methods},
      {"token_endpoint_auth_signing_alg_values_supported", signing_algs},
      {"introspection_endpoint_auth_methods_supported", auth_methods},
      {"revocation_endpoint_auth_methods_supported", auth_methods},
      {"scopes_supported", scopes},
      {"resource_indicators_supported", true},
  };
  if (openid) {
    m["subject_types_supported"] = {"public"};
    m["id_token_signing_alg_values_supported"] = {"ES256"};
  }
  return m;
}

http::Response AuthorizationServer::Jwks() const {
  auto r = http::Response::Json(200, keys_.PublishedKeys()->ToPublicJson());
  r.headers.Set("Content-Type", "application/jwk-set+json");
  r.headers.Set("Cache-Control", "public, max-age=" + std::to_string(options_.jwks_max_age_seconds));
  return r;
}

AuthorizationServer::Decision AuthorizationServer::Token(const http::Request& request) {
  AuditEvent event;
  event.action = "token.issue";
  auto form_or = http::ParseForm(request.body);
  if (!form_or.ok()) {
    return Unrecorded(ErrorResponse({400, "invalid_request", "malformed form body", 0, false}));
  }
  auto registry = Registry(false);
  OAuthError error;
  auto caller = AuthenticateClient(request, *form_or, *registry, false, &error);
  if (!caller.ok()) {
    event.client_id = "";
    event.decision = AuditDecision::kDeny;
    event.reason = caller.status().reason().empty() ? error.error : caller.status().reason();
    event.attributes["zta.source_address"] = request.remote_address;
    if (!error.failure.empty()) event.attributes["zta.auth_failure"] = error.failure;
    return Recorded(ErrorResponse(error), std::move(event), false);
  }
  event.client_id = caller->client_id;
  event.subject = caller->client_id;
  event.actor_chain = {caller->client_id};
  event.attributes["zta.client_auth_method"] = caller->auth_method;
  auto deny = [&](OAuthError e) {
    event.decision = AuditDecision::kDeny;
    event.reason = e.error;
    return Recorded(ErrorResponse(e), std::move(event), false);
  };

  auto fields_or = UniqueFields(*form_or);
  if (!fields_or.ok()) return deny({400, "invalid_request", fields_or.status().message(), 0, false});
  const auto& fields = *fields_or;
  auto field = [&](const char* name) -> std::string {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  };
  const std::string grant_type = field("grant_type");
  if (grant_type.empty()) return deny({400, "invalid_request", "missing grant_type", 0, false});
  if (grant_type != "client_credentials") {
    return deny({400, "unsupported_grant_type", "only client_credentials is supported", 0, false});
  }
  const Agent& agent = *caller->agent;

  // RFC 8707 §2: resource selects the audience; without one, the agent's only resource.
  std::string resource = field("resource");
  if (resource.empty()) {
    if (agent.allowances.size() != 1) {
      return deny({400, "invalid_target", "resource is required for this client", 0, false});
    }
    resource = agent.allowances.begin()->first;
  }
  event.resource = resource;
  const Resource* res = registry->FindResource(resource);
  auto allowance = agent.allowances.find(resource);
  if (!res || allowance == agent.allowances.end()) {
    return deny({400, "invalid_target", "the client may not request tokens for this resource", 0,
                 false});
  }
  std::vector<std::string> requested = SplitSpaceDelimited(field("scope"));
  event.scopes_requested = requested;
  std::vector<std::string> granted;
  if (requested.empty()) {
    granted = allowance->second;  // RFC 6749 §3.3: the pre-defined default
  } else {
    for (const auto& s : requested) {
      bool allowed =
          std::find(allowance->second.begin(), allowance->second.end(), s) !=
              allowance->second.end() &&
          std::find(res->scopes.begin(), res->scopes.end(), s) != res->scopes.end();
      if (!allowed) {
        return deny({400, "invalid_scope", "scope " + s + " is not allowed for this client", 0,
                     false});
      }
      if (std::find(granted.begin(), granted.end(), s) == granted.end()) granted.push_back(s);
    }
  }
  event.scopes_granted = granted;

  auto signing = keys_.CurrentSigningKey();
  if (!signing.ok()) {
    event.decision = AuditDecision::kError;
    event.reason = "no_signing_key";
    return Recorded(ErrorResponse({500, "server_error", "no signing key", 0, false}),
                    std::move(event), false);
  }
  int64_t ttl = options_.default_token_ttl_seconds;
  if (res->max_token_ttl_seconds > 0) ttl = std::min(ttl, res->max_token_ttl_seconds);
  if (agent.max_token_ttl_seconds > 0) ttl = std::min(ttl, agent.max_token_ttl_seconds);
  const int64_t now = clock_.NowSeconds();
  auto jti = RandomToken(16);
  if (!jti.ok()) {
    return Unrecorded(ErrorResponse({500, "server_error", "randomness failed", 0, false}));
  }
  Json agent_claim = {{"name", agent.name}, {"owner", agent.owner}};
  if (!agent.model.empty()) agent_claim["model"] = agent.model;
  auto token = jose::JwtBuilder()
                   .Type("at+jwt")
                   .Issuer(options_.issuer)
                   .Subject(agent.client_id)
                   .Audience(resource)
                   .Claim("client_id", agent.client_id)
                   .Scopes(granted)
                   .Id(*jti)
                   .IssuedAt(now)
                   .ExpiresAt(now + ttl)
                   .Claim("zta_agent", agent_claim)
                   .Sign(signing->alg, signing->key);
  if (!token.ok()) {
    event.decision = AuditDecision::kError;
    event.reason = "signing_failed";
    return Recorded(ErrorResponse({500, "server_error", "signing failed", 0, false}),
                    std::move(event), false);
  }
  event.decision = AuditDecision::kAllow;
  event.jti = *jti;
  event.attributes["zta.kid"] = signing->key.kid();
  event.attributes["zta.expires_at"] = now + ttl;

  Json body = {{"access_token", *token},
               {"token_type", "Bearer"},
               {"expires_in", ttl},
               {"scope", JoinSpaceDelimited(granted)}};
  http::Response r = http::Response::Json(200, body);
  r.headers.Set("Cache-Control", "no-store");  // RFC 6749 §5.1
  r.headers.Set("Pragma", "no-cache");
  // DESIGN.md, Audit: the issuance is durable before the token leaves; no record, no token.
  return Recorded(std::move(r), std::move(event), /*grants=*/true);
}

std::optional<http::Response> AuthorizationServer::BeginTokenCall(const http::Request& request,
                                                                  bool allow_resources,
                                                                  AuditEvent& event,
                                                                  TokenCall* call) {
  auto form = http::ParseForm(request.body);
  if (!form.ok()) return ErrorResponse({400, "invalid_request", "malformed form body", 0, false});
  // Force a registry check so a just-disabled agent is refused, and its tokens inactive, at once.
  call->registry = Registry(true);
  OAuthError error;
  auto caller = AuthenticateClient(request, *form, *call->registry, allow_resources, &error);
  if (!caller.ok()) {
    event.decision = AuditDecision::kDeny;
    // The OAuth error code, as ever; a slowed-down wrong credential says so, and what it was.
    event.reason = error.failure.empty() ? error.error : caller.status().reason();
    if (!error.failure.empty()) {
      event.attributes["zta.auth_failure"] = error.failure;
      event.attributes["zta.source_address"] = request.remote_address;
    }
    (void)Audit(std::move(event));
    return ErrorResponse(error);
  }
  call->caller = *caller;
  event.client_id = caller->client_id;
  for (const auto& [k, v] : *form) {
    if (k == "token") call->token = v;
  }
  if (call->token.empty()) {
    return ErrorResponse({400, "invalid_request", "missing token", 0, false});
  }
  return std::nullopt;
}

http::Response AuthorizationServer::Introspect(const http::Request& request) {
  AuditEvent event;
  event.action = "token.introspect";
  // RFC 7662 §2.1: the caller must authenticate (a resource server or a client).
  TokenCall call;
  if (auto refused = BeginTokenCall(request, /*allow_resources=*/true, event, &call)) {
    return std::move(*refused);
  }
  auto& registry = call.registry;
  auto* caller = &call.caller;
  const std::string& token = call.token;

  auto inactive = [&](const std::string& why) {
    event.decision = AuditDecision::kDeny;
    event.reason = why;
    (void)Audit(std::move(event));
    http::Response r = http::Response::Json(200, {{"active", false}});
    r.headers.Set("Cache-Control", "no-store");
    return r;
  };
  jose::JwtValidationOptions o;
  o.issuer = options_.issuer;
  o.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  o.required_typ = "at+jwt";
  o.leeway_seconds = 0;  // introspection answers about now, without tolerance
  // Audience: any of ours. Peek at aud, then check it is a registered resource.
  jose::JwsVerifyOptions peek;
  peek.allowed_algorithms = o.allowed_algorithms;
  auto parsed = jose::ParseCompact(token, peek);
  if (!parsed.ok()) return inactive(parsed.status().reason());
  auto peek_claims = ParseJsonStrict(parsed->payload);
  if (!peek_claims.ok() || !peek_claims->is_object() || !peek_claims->contains("aud") ||
      !(*peek_claims)["aud"].is_string()) {
    return inactive("malformed");
  }
  o.audience = (*peek_claims)["aud"].get<std::string>();
  auto verified = jose::VerifyJwt(token, *keys_.PublishedKeys(), o, clock_.NowSeconds());
  if (!verified.ok()) return inactive(verified.status().reason());
  const auto& v = **verified;
  event.jti = v.jti;
  event.resource = o.audience;
  // A resource server may only learn about tokens addressed to it.
  if (caller->is_resource && caller->client_id != o.audience) return inactive("wrong_audience");
  auto revoked = store_.IsRevoked(v.jti);
  if (!revoked.ok() || *revoked) return inactive("revoked");
  const Agent* agent = registry->FindAgent(v.client_id);
  if (!agent) return inactive("agent_deleted");
  if (!agent->enabled) return inactive("agent_disabled");

  event.decision = AuditDecision::kAllow;
  event.subject = v.subject;
  (void)Audit(std::move(event));
  Json body = v.claims;
  body["active"] = true;
  body["token_type"] = "Bearer";
  http::Response r = http::Response::Json(200, body);
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

http::Response AuthorizationServer::Revoke(const http::Request& request) {
  AuditEvent event;
  event.action = "token.revoke";
  // RFC 7009 §2.1: the client authenticates; only clients (not resource servers) revoke.
  TokenCall call;
  if (auto refused = BeginTokenCall(request, /*allow_resources=*/false, event, &call)) {
    return std::move(*refused);
  }
  auto* caller = &call.caller;
  const std::string& token = call.token;
  http::Response ok = http::Response::Text(200, "");
  ok.headers.Set("Cache-Control", "no-store");
  // RFC 7009 §2.2: invalid or unknown tokens still get 200 — nothing to revoke.
  jose::JwsVerifyOptions jws_options;
  jws_options.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  auto verified = jose::VerifyCompact(token, *keys_.PublishedKeys(), jws_options);
  if (!verified.ok()) {
    event.decision = AuditDecision::kAllow;
    event.reason = "unknown_token";
    (void)Audit(std::move(event));
    return ok;
  }
  auto claims = ParseJsonStrict(verified->payload);
  if (!claims.ok() || !claims->is_object()) return ok;
  std::string jti = claims->value("jti", "");
  std::string owner = claims->value("client_id", "");
  int64_t exp = (*claims).contains("exp") && (*claims)["exp"].is_number_integer()
                    ? (*claims)["exp"].get<int64_t>()
                    : clock_.NowSeconds() + 86400;
  event.jti = jti;
  // RFC 7009 §2.1: only the client the token was issued to may revoke it.
  if (owner != caller->client_id) {
    event.decision = AuditDecision::kDeny;
    event.reason = "not_token_owner";
    (void)Audit(std::move(event));
    return ErrorResponse({400, "unauthorized_client", "the token was issued to another client", 0,
                          false});
  }
  Status st = store_.Revoke(jti, exp);
  if (!st.ok()) {
    event.decision = AuditDecision::kError;
    event.reason = "store_error";
    (void)Audit(std::move(event));
    return ErrorResponse({503, "temporarily_unavailable", "revocation could not be stored", 0,
                          false});
  }
  event.decision = AuditDecision::kAllow;
  (void)Audit(std::move(event));
  return ok;
}

const Agent* RegistrySnapshot::FindAgent(const std::string& client_id) const {
  auto it = agents.find(client_id);
  return it == agents.end() ? nullptr : &it->second;
}

const Resource* RegistrySnapshot::FindResource(const std::string& uri) const {
  auto it = resources.find(uri);
  return it == resources.end() ? nullptr : &it->second;
}

}  // namespace zta::idp
