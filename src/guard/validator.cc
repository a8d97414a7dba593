// The guard's token validation: Bearer extraction (RFC 6750 §2), issuer selection, JWT checks
// through jose::JwtVerifier with JWKS refresh, claim mapping, RFC 7662 introspection, audit.
#include "zta/guard/validator.h"

#include <algorithm>

#include "dpop_replay_cache.h"
#include "introspector.h"
#include "zta/core/random.h"
#include "zta/core/base64url.h"
#include "zta/core/mutex.h"
#include "zta/core/scopes.h"
#include "zta/core/trace_context.h"
#include "zta/http/client.h"
#include "zta/jose/verify_error.h"

namespace zta::guard {
namespace {

Status Deny(StatusCode code, std::string message, std::string reason) {
  return Status(code, std::move(message), std::move(reason));
}
Status Unauthenticated(std::string message, std::string reason) {
  return Deny(StatusCode::kUnauthenticated, std::move(message), std::move(reason));
}
Status BadRequest(std::string message, std::string reason) {
  return Deny(StatusCode::kInvalidArgument, std::move(message), std::move(reason));
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool IsB64Token(std::string_view s) {
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) break;
  }
  if (i == 0) return false;
  for (; i < s.size(); ++i) {
    if (s[i] != '=') return false;
  }
  return true;
}

// Finds a field named like `name` in an urlencoded query or body; an error if it does not decode.
Result<bool> HasFormField(std::string_view encoded, std::string_view name) {
  ZTA_ASSIGN_OR_RETURN(auto fields, http::ParseForm(encoded));
  for (const auto& [key, value] : fields) {
    if (ParameterNameIs(key, name)) return true;
  }
  return false;
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). A space inside one would make
// a second scope appear wherever the list is written space-separated (X-Zta-Scopes).
bool IsScopeToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e) return false;
  }
  return true;
}

// The unverified `iss` of a compact JWT, only to pick which issuer's keys to verify with.
Result<std::string> PeekIssuer(std::string_view token) {
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos) {
    return jose::VerifyFailure(jose::VerifyError::kMalformed, "not a compact JWS");
  }
  std::string payload;
  if (!Base64UrlDecodeInto(token.substr(a + 1, b - a - 1), payload)) {
    return jose::VerifyFailure(jose::VerifyError::kMalformed, "payload is not base64url");
  }
  JsonLimits limits;
  limits.max_depth = jose::kMaxJsonDepth;
  auto claims = ParseJsonStrict(payload, limits);
  if (!claims.ok() || !claims->is_object()) {
    return jose::VerifyFailure(jose::VerifyError::kMalformed, "claims are not a JSON object");
  }
  auto it = claims->find("iss");
  if (it == claims->end() || !it->is_string()) {
    return jose::VerifyFailure(jose::VerifyError::kMissingClaim, "missing iss");
  }
  return it->get<std::string>();
}

// Appends the values of one scope-carrying claim: a space-separated string (RFC 9068 §2.2.3)
// or an array of strings (scp, roles).
Status AppendScopes(const Json& value, const std::string& name, std::vector<std::string>* out) {
  // An invalid value refuses the whole token: dropping it would still accept a token its
  // issuer minted wrongly, and the scope it meant to grant cannot be known.
  auto add = [&](std::string scope) -> Status {
    if (!IsScopeToken(scope)) {
      return Unauthenticated(name + " holds a value that is not a scope token",
                             kReasonMalformedScope);
    }
    if (std::find(out->begin(), out->end(), scope) == out->end()) out->push_back(std::move(scope));
    return Status::Ok();
  };
  if (value.is_string()) {
    // Repeated or edge spaces are tolerated (they hide nothing); every item is checked.
    for (auto& scope : SplitSpaceDelimited(value.get_ref<const std::string&>())) {
      ZTA_RETURN_IF_ERROR(add(std::move(scope)));
    }
    return Status::Ok();
  }
  if (value.is_array()) {
    for (const auto& v : value) {
      if (!v.is_string()) {
        return Unauthenticated(name + " holds a non-string", "malformed");
      }
      ZTA_RETURN_IF_ERROR(add(v.get<std::string>()));
    }
    return Status::Ok();
  }
  return Unauthenticated(name + " is neither a string nor an array", "malformed");
}

// RFC 8693 §4.1: act = {sub, act?}; the outermost is the current actor.
Status ActorChain(const Json& claims, std::vector<std::string>* chain) {
  const Json* act = nullptr;
  if (auto it = claims.find("act"); it != claims.end()) act = &*it;
  while (act != nullptr) {
    // Each level must be an object with a non-empty string sub; anything else (a string, null,
    // an array) is malformed rather than the end of the chain, which would hide earlier actors.
    if (!act->is_object()) return Unauthenticated("act is not an object", kReasonBadActor);
    if (chain->size() == kMaxActorChainDepth) {
      return Unauthenticated("act nests deeper than " + std::to_string(kMaxActorChainDepth),
                             kReasonBadActor);
    }
    auto sub = act->find("sub");
    if (sub == act->end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
      return Unauthenticated("act has no sub", kReasonBadActor);
    }
    chain->push_back(sub->get<std::string>());
    auto next = act->find("act");
    act = next == act->end() ? nullptr : &*next;
  }
  return Status::Ok();
}

std::string StringClaim(const Json& claims, const char* name) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The reasons DpopDenial answers: the jose proof reasons and the guard's own DPoP ones.
bool IsDpopReason(std::string_view reason) {
  return reason.starts_with("dpop_") || reason == jose::kReasonUseDpopNonce ||
         reason == kReasonMalformedCnf;
}

std::string Join(std::span<const std::string> items, char sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// A quoted-string for an auth-param (RFC 9110 §5.6.4); our values never need escapes, but a
// configured realm might.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  }
  out += '"';
  return out;
}

}  // namespace

class Validator::IssuerState {
 public:
  TrustedIssuer config;
  std::string audience;
  std::unique_ptr<JwksCache> jwks;
  std::unique_ptr<jose::JwtVerifier> verifier;

  // Gives the verifier the newest published key set. Always the newest, never the set a caller
  // happened to load: two threads holding sets of different ages must not flip the verifier
  // back to an older set, which would make a token under a just-rotated key fail.
  void SyncKeys() {
    MutexLock lock(keys_mu);
    auto latest = jwks->Published();
    if (latest && verifier->keys() != latest) verifier->SetKeys(std::move(latest));
  }
  Mutex keys_mu;  // one SyncKeys at a time: its compare and set is not atomic

  std::unique_ptr<Introspector> introspector;  // set when the issuer has introspection options
};

std::string_view DpopPolicyName(DpopPolicy policy) {
  switch (policy) {
    case DpopPolicy::kOff:
      return "off";
    case DpopPolicy::kRequired:
      return "required";
    case DpopPolicy::kAllowed:
      break;
  }
  return "allowed";
}

Result<DpopPolicy> ParseDpopPolicy(std::string_view name) {
  for (DpopPolicy p : {DpopPolicy::kOff, DpopPolicy::kAllowed, DpopPolicy::kRequired}) {
    if (name == DpopPolicyName(p)) return p;
  }
  return InvalidArgument("dpop must be \"required\", \"allowed\" or \"off\", not \"" +
                         std::string(name) + "\"");
}

bool Principal::HasScope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

const Json& Principal::claims() const {
  static const Json kNull;
  return token ? token->claims : kNull;
}

Status ValidatorOptions::Validate() const {
  if (issuers.empty()) return InvalidArgument("at least one trusted issuer is required");
  for (size_t i = 0; i < issuers.size(); ++i) {
    const auto& t = issuers[i];
    if (t.issuer.empty()) return InvalidArgument("a trusted issuer needs its issuer string");
    for (size_t j = 0; j < i; ++j) {
      if (issuers[j].issuer == t.issuer) return InvalidArgument("duplicate issuer " + t.issuer);
    }
    if (t.audience.empty() && audience.empty()) {
      return InvalidArgument("an audience is required (the resource's identifier)");
    }
    if (t.allowed_algorithms.empty()) {
      return InvalidArgument("issuer " + t.issuer + " allows no algorithm");
    }
    // DESIGN.md: nbf/iat leeway at most 60 s.
    if (t.leeway_seconds < 0 || t.leeway_seconds > 60) {
      return InvalidArgument("leeway must be between 0 and 60 seconds");
    }
    if (t.max_lifetime_seconds < 0) return InvalidArgument("max lifetime must not be negative");
    if (t.scope_claims.empty()) return InvalidArgument("scope_claims must name a claim");
    if (t.subject_claim.empty()) return InvalidArgument("subject_claim must name a claim");
    JwksCacheOptions jwks = t.jwks;
    jwks.issuer = t.issuer;
    jwks.jwks_uri = t.jwks_uri;
    ZTA_RETURN_IF_ERROR(jwks.Validate().WithContext("issuer " + t.issuer));
    if (t.introspection &&
        (t.introspection->client_id.empty() || t.introspection->client_secret.empty())) {
      return InvalidArgument("introspection for " + t.issuer + " needs client_id and secret");
    }
  }
  if (!public_base_url.empty() && !jose::NormalizeHtu(public_base_url).ok()) {
    return InvalidArgument("public_base_url must be an absolute http(s) URL: " + public_base_url);
  }
  if (dpop_max_age_seconds < 1 || dpop_max_age_seconds > 600) {
    return InvalidArgument("dpop_max_age_seconds must be between 1 and 600");
  }
  if (dpop_replay_cache_entries < 1) return InvalidArgument("dpop_replay_cache_entries must be >= 1");
  if (!dpop_nonce_key.empty() && dpop_nonce_key.Reveal().size() < 32) {
    return InvalidArgument("the DPoP nonce key needs at least 32 bytes");
  }
  return Status::Ok();
}

bool ParameterNameIs(std::string_view name, std::string_view wanted) {
  // PHP (php_register_variable_ex) skips leading spaces and ends a name at NUL or '['.
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  name = name.substr(0, name.find('\0'));
  name = name.substr(0, name.find('['));
  if (name.size() != wanted.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i] == ' ' || name[i] == '.' ? '_' : name[i];
    if (std::tolower(static_cast<unsigned char>(c)) != wanted[i]) return false;
  }
  return true;
}

Result<std::string> ExtractBearerToken(const http::Request& request) {
  ZTA_ASSIGN_OR_RETURN(PresentedToken presented, ExtractAccessToken(request));
  if (presented.dpop) return Unauthenticated("not a Bearer credential", kReasonUnsupportedScheme);
  return std::move(presented.token);
}

Result<PresentedToken> ExtractAccessToken(const http::Request& request) {
  // RFC 6750 §2.3/§2.2 allow tokens in the query and the body; we refuse both: URLs end up in
  // logs and Referer headers, and a token in a form invites CSRF-style replay (RFC 9700 §2.5).
  if (!request.query.empty()) {
    auto found = HasFormField(request.query, "access_token");
    if (!found.ok()) return BadRequest("malformed query string", kReasonMalformedQuery);
    if (*found) return BadRequest("access token in the query string", kReasonTokenInQuery);
  }
  if (!request.body.empty() && http::IsFormUrlEncoded(request.headers)) {
    auto found = HasFormField(request.body, "access_token");
    if (!found.ok()) return BadRequest("malformed form body", kReasonMalformedBody);
    if (*found) return BadRequest("access token in the request body", kReasonTokenInBody);
  }
  auto fields = request.headers.GetAll("Authorization");
  if (fields.empty()) return Unauthenticated("no Authorization header", kReasonMissingToken);
  // "Every presented token must verify": two fields could carry two tokens; refuse rather than
  // pick one (RFC 6750 §3.1 invalid_request covers more than one method or token).
  if (fields.size() > 1) {
    return BadRequest("more than one Authorization header", kReasonMultipleTokens);
  }
  std::string_view value = fields[0];
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  size_t space = value.find(' ');
  std::string_view scheme = value.substr(0, space);
  // RFC 9110 §11.1: the auth-scheme is case-insensitive. RFC 9449 §7.1: DPoP is the scheme of
  // a bound token.
  PresentedToken presented;
  presented.dpop = http::EqualsIgnoreCase(scheme, "DPoP");
  if (!presented.dpop && !http::EqualsIgnoreCase(scheme, "Bearer")) {
    return Unauthenticated("not a Bearer or DPoP credential", kReasonUnsupportedScheme);
  }
  if (space == std::string_view::npos) {
    return BadRequest("Authorization without a token", kReasonMalformedHeader);
  }
  std::string_view token = value.substr(space);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.find(',') != std::string_view::npos) {
    return BadRequest("more than one credential in Authorization", kReasonMultipleTokens);
  }
  if (!IsB64Token(token)) {
    return BadRequest("the access token is not a b64token", kReasonMalformedHeader);
  }
  presented.token = std::string(token);
  if (presented.dpop) {
    // RFC 9449 §4.3 item 1: exactly one DPoP header.
    auto proofs = request.headers.GetAll(jose::kDpopHeader);
    if (proofs.empty()) return Unauthenticated("DPoP token without a proof", jose::kReasonDpopMissing);
    if (proofs.size() > 1) return BadRequest("more than one DPoP header", jose::kReasonDpopMalformed);
    presented.proof = proofs[0];
  }
  return presented;
}

std::string BearerChallenge(std::string_view realm, std::string_view error,
                            std::string_view description, std::string_view scope,
                            std::string_view resource_metadata_url) {
  std::string out = "Bearer realm=" + Quote(realm);
  if (!error.empty()) out += ", error=" + Quote(error);
  if (!description.empty()) out += ", error_description=" + Quote(description);
  if (!scope.empty()) out += ", scope=" + Quote(scope);
  if (!resource_metadata_url.empty()) {
    out += ", resource_metadata=" + Quote(resource_metadata_url);  // RFC 9728 §5.1
  }
  return out;
}

Validator::Validator(ValidatorOptions options, const Clock& clock, AuditSink& audit,
                     http::Transport fetcher)
    : options_(std::move(options)), clock_(clock), audit_(audit), fetcher_(std::move(fetcher)) {}

Validator::~Validator() = default;

Result<std::unique_ptr<Validator>> Validator::Create(ValidatorOptions options, const Clock& clock,
                                                     AuditSink& audit, http::Transport fetcher) {
  ZTA_RETURN_IF_ERROR(options.Validate());
  if (options.realm.empty()) options.realm = options.audience;
  std::unique_ptr<Validator> v(new Validator(std::move(options), clock, audit, fetcher));
  for (const auto& t : v->options_.issuers) {
    auto state = std::make_unique<IssuerState>();
    state->config = t;
    state->audience = t.audience.empty() ? v->options_.audience : t.audience;
    JwksCacheOptions jwks = t.jwks;
    jwks.issuer = t.issuer;
    jwks.jwks_uri = t.jwks_uri;
    state->jwks = std::make_unique<JwksCache>(jwks, clock, v->fetcher_);
    jose::JwtValidationOptions o;
    o.issuer = t.issuer;
    o.audience = state->audience;
    o.allowed_algorithms = t.allowed_algorithms;
    if (!t.required_typ.empty()) o.required_typ = t.required_typ;
    o.leeway_seconds = t.leeway_seconds;
    o.max_lifetime_seconds = t.max_lifetime_seconds;
    o.max_token_bytes = v->options_.max_token_bytes;
    ZTA_RETURN_IF_ERROR(o.Validate());
    state->verifier = std::make_unique<jose::JwtVerifier>(
        std::move(o), nullptr, clock, v->options_.verified_token_cache_capacity);
    if (t.introspection) {
      state->introspector =
          std::make_unique<Introspector>(t.issuer, *t.introspection, v->fetcher_, clock);
    }
    v->issuers_.push_back(std::move(state));
  }
  v->dpop_replays_ = std::make_unique<DpopReplayCache>(v->options_.dpop_replay_cache_entries);
  if (v->options_.dpop_require_nonce) {
    Secret key = v->options_.dpop_nonce_key;
    if (key.empty()) {
      ZTA_ASSIGN_OR_RETURN(std::string random, RandomBytes(32));
      key = Secret(std::move(random));
    }
    ZTA_ASSIGN_OR_RETURN(jose::DpopNonces nonces, jose::DpopNonces::Create(key));
    v->dpop_nonces_ = std::move(nonces);
  }
  return v;
}

int64_t Validator::jwks_fetch_count() const {
  int64_t n = 0;
  for (const auto& s : issuers_) n += s->jwks->fetch_count();
  return n;
}

Result<Principal> Validator::Authorize(const http::Request& request,
                                       const AuthorizeOptions& options) {
  auto presented = ExtractAccessToken(request);
  if (!presented.ok()) return Decide(presented.status(), options, &request);
  Result<Principal> checked = Check(presented->token, options);
  if (checked.ok()) {
    const IssuerState* issuer = nullptr;
    for (const auto& s : issuers_) {
      if (s->config.issuer == checked->issuer) issuer = s.get();
    }
    Status presentation = issuer == nullptr
                              ? Unauthenticated("issuer is not trusted", "bad_issuer")
                              : CheckPresentation(request, *presented, *issuer, options, &*checked);
    if (!presentation.ok()) checked = presentation;
  }
  return Decide(std::move(checked), options, &request);
}

Result<Principal> Validator::AuthorizeToken(std::string_view token,
                                            const AuthorizeOptions& options) {
  return Decide(Check(token, options), options, nullptr);
}

namespace {

// The Principal a verified token describes, by the issuer's claim mapping (RFC 9068 §2.2,
// RFC 8693 §4.1 for act, scp/roles per TrustedIssuer::scope_claims).
Result<Principal> PrincipalOf(std::shared_ptr<const jose::VerifiedJwt> verified,
                              const TrustedIssuer& issuer) {
  Principal p;
  p.token = verified;
  const auto& jwt = *verified;
  const Json& claims = jwt.claims;
  p.issuer = jwt.issuer;
  p.jti = jwt.jti;
  // Entra ID puts its token identifier in `uti` and sends no jti; the audit needs one of them.
  if (p.jti.empty()) p.jti = StringClaim(claims, "uti");
  p.expires_at = jwt.expires_at;
  // RFC 9068 §2.2: sub is REQUIRED. Required of every issuer here (ID-token-shaped and Entra
  // tokens carry one too): a principal without a subject would travel as an empty identity.
  if (jwt.subject.empty()) return Unauthenticated("token has no sub", kReasonMissingSubject);
  // Another subject claim (Entra's oid) replaces sub and is as required.
  p.subject = issuer.subject_claim == "sub" ? jwt.subject
                                            : StringClaim(claims, issuer.subject_claim.c_str());
  if (p.subject.empty()) {
    return Unauthenticated("token has no " + issuer.subject_claim, kReasonMissingSubject);
  }
  p.client_id = jwt.client_id;
  if (p.client_id.empty()) p.client_id = StringClaim(claims, "azp");    // OIDC / Entra v2
  if (p.client_id.empty()) p.client_id = StringClaim(claims, "appid");  // Entra v1
  for (const auto& name : issuer.scope_claims) {
    if (auto it = claims.find(name); it != claims.end()) {
      ZTA_RETURN_IF_ERROR(AppendScopes(*it, name, &p.scopes));
    }
  }
  ZTA_RETURN_IF_ERROR(ActorChain(claims, &p.actor_chain));
  if (auto it = claims.find("authorization_details"); it != claims.end()) {
    p.authorization_details = *it;
  }
  return p;
}

}  // namespace

namespace {

// RFC 9449 §6.1: the key a token is bound to; "" when it has no cnf.
Result<std::string> BoundKey(const Json& claims) {
  auto cnf = claims.find("cnf");
  if (cnf == claims.end()) return std::string();
  if (!cnf->is_object()) return Unauthenticated("cnf is not an object", kReasonMalformedCnf);
  auto jkt = cnf->find("jkt");
  if (jkt == cnf->end()) return std::string();  // another confirmation method (e.g. x5t#S256)
  if (!jkt->is_string() || jkt->get_ref<const std::string&>().empty()) {
    return Unauthenticated("cnf.jkt is not a string", kReasonMalformedCnf);
  }
  return jkt->get<std::string>();
}

// The request's URL as the client addressed it: the configured public base, then the target's
// path as received (not the normalized path: the client signed what it sent), no query.
std::string RequestUrl(const std::string& base, const http::Request& request) {
  std::string_view target = request.target.empty() ? request.path : request.target;
  target = target.substr(0, target.find('?'));
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + std::string(target);
}

}  // namespace

Status Validator::CheckPresentation(const http::Request& request, const PresentedToken& presented,
                                    const IssuerState& issuer, const AuthorizeOptions& options,
                                    Principal* p) {
  const DpopPolicy policy = options.dpop.value_or(issuer.config.dpop);
  ZTA_ASSIGN_OR_RETURN(std::string jkt, BoundKey(p->claims()));
  if (!presented.dpop) {
    // §7.2: a bound token sent as Bearer is refused, whatever the policy.
    if (!jkt.empty()) return Unauthenticated("a DPoP-bound token sent as Bearer", jose::kReasonDpopMissing);
    if (policy == DpopPolicy::kRequired) {
      return Unauthenticated("this resource needs a DPoP-bound token", jose::kReasonDpopMissing);
    }
    return Status::Ok();
  }
  if (policy == DpopPolicy::kOff) {
    return Unauthenticated("DPoP is not accepted here", kReasonDpopNotAccepted);
  }
  if (jkt.empty()) {
    return Unauthenticated("a DPoP token must be bound (cnf.jkt)", jose::kReasonDpopKeyMismatch);
  }
  if (options_.public_base_url.empty()) {
    return Unauthenticated("public_base_url is not configured", jose::kReasonDpopHtuMismatch);
  }
  const int64_t now = clock_.NowSeconds();
  jose::DpopProofCheck check;
  check.method = request.method;
  check.url = RequestUrl(options_.public_base_url, request);
  check.now = now;
  check.max_age_seconds = options_.dpop_max_age_seconds;
  check.allowed_algorithms = options_.dpop_algorithms;
  check.access_token = presented.token;
  check.expected_jkt = jkt;
  check.key_cache = &dpop_keys_;
  if (dpop_nonces_) {
    check.accept_nonce = [this, now](std::string_view n) { return dpop_nonces_->Accepts(n, now); };
  }
  ZTA_ASSIGN_OR_RETURN(jose::VerifiedDpopProof proof, jose::VerifyDpopProof(presented.proof, check));
  switch (dpop_replays_->Record(proof.jkt, proof.jti, proof.RecordedUntil(check), now)) {
    case DpopReplayCache::Outcome::kReplay:
      return Unauthenticated("the DPoP proof was used before", jose::kReasonDpopReplay);
    case DpopReplayCache::Outcome::kFull:
      return Unauthenticated("too many live DPoP proofs", kReasonDpopReplayCacheFull);
    case DpopReplayCache::Outcome::kFresh:
      break;
  }
  p->dpop_jkt = std::move(jkt);
  return Status::Ok();
}

Validator::IssuerState* Validator::SelectIssuer(std::string_view token, Status* error) {
  if (issuers_.size() == 1) return issuers_[0].get();  // its verifier checks iss exactly
  auto iss = PeekIssuer(token);
  if (!iss.ok()) {
    *error = Unauthenticated(iss.status().message(), iss.status().reason());
    return nullptr;
  }
  for (const auto& s : issuers_) {
    if (s->config.issuer == *iss) return s.get();
  }
  *error = Unauthenticated("issuer is not trusted", "bad_issuer");
  return nullptr;
}

Result<Principal> Validator::Check(std::string_view token, const AuthorizeOptions& options) {
  if (token.size() > options_.max_token_bytes) {
    return Unauthenticated("token too large", "too_large");
  }
  Status not_selected;
  IssuerState* issuer = SelectIssuer(token, &not_selected);
  if (issuer == nullptr) return not_selected;

  auto keys = issuer->jwks->Get();
  if (!keys.ok()) return Unauthenticated(keys.status().message(), kReasonJwksUnavailable);
  if (issuer->verifier->keys() != *keys) issuer->SyncKeys();
  auto verified = issuer->verifier->Verify(token);
  if (!verified.ok() && verified.status().reason() == "unknown_kid") {
    // Maybe the issuer rotated: refetch (rate-limited inside the cache) and retry once.
    auto fresh = issuer->jwks->RefreshForUnknownKid(*keys);
    if (fresh.ok() && *fresh != *keys) {
      issuer->SyncKeys();
      verified = issuer->verifier->Verify(token);
    }
  }
  if (!verified.ok()) {
    // Every verification failure is a 401 here, key problems included.
    return Unauthenticated(verified.status().message(), verified.status().reason());
  }

  ZTA_ASSIGN_OR_RETURN(Principal p, PrincipalOf(*verified, issuer->config));
  if (options.introspect) {
    if (!issuer->introspector) {
      return Unauthenticated("introspection required but not configured for this issuer",
                             kReasonIntrospectionFailed);
    }
    ZTA_RETURN_IF_ERROR(issuer->introspector->CheckActive(token, p.expires_at));
  }

  for (const auto& scope : options.required_scopes) {
    if (!p.HasScope(scope)) {
      return Deny(StatusCode::kPermissionDenied, "token lacks scope " + scope,
                  "insufficient_scope");
    }
  }
  return p;
}

Result<Principal> Validator::Decide(Result<Principal> outcome, const AuthorizeOptions& options,
                                    const http::Request* request) {
  AuditEvent event;
  event.trace_id = options.trace_id;
  // W3C Trace Context §3.2: without a trace id from the caller, the request's own traceparent
  // joins this decision to the rest of the user's request (an invalid one counts as absent).
  if (event.trace_id.empty() && request != nullptr) {
    event.trace_id = TraceIdOf(request->headers.Get(kTraceParentHeader));
  }
  event.component = options_.audit_component;
  event.action = "request.authorize";
  event.resource = options_.audience;
  event.scopes_requested.assign(options.required_scopes.begin(), options.required_scopes.end());
  if (request != nullptr) {
    event.attributes["http.request.method"] = request->method;
    event.attributes["url.path"] = request->path;
  }
  if (outcome.ok()) {
    const Principal& p = *outcome;
    event.decision = AuditDecision::kAllow;
    event.subject = p.subject;
    event.actor_chain = p.actor_chain;
    event.client_id = p.client_id;
    event.scopes_granted = p.scopes;
    event.jti = p.jti;
    event.attributes["zta.issuer"] = p.issuer;
    if (!p.dpop_jkt.empty()) event.attributes["zta.dpop_jkt"] = p.dpop_jkt;
  } else {
    event.decision = AuditDecision::kDeny;
    event.reason = outcome.status().reason();
  }
  Status appended = audit_.Append(std::move(event));
  if (!appended.ok() && outcome.ok()) {
    // DESIGN.md: the decision is durable before the action is acknowledged.
    return Status(StatusCode::kUnavailable, "audit log unavailable", kReasonAuditUnavailable);
  }
  return outcome;
}

http::Response Validator::DenialResponse(const Status& denial,
                                         std::span<const std::string> required_scopes) const {
  const std::string& reason = denial.reason();
  int status = 401;
  std::string error;
  std::string scope;
  if (reason == kReasonAuditUnavailable) {
    return http::Response::Json(503, Json{{"error", "temporarily_unavailable"}});
  }
  if (IsDpopReason(reason) && denial.code() == StatusCode::kUnauthenticated) {
    return DpopDenial(reason);
  }
  if (reason == kReasonMissingToken || reason == kReasonUnsupportedScheme) {
    // RFC 6750 §3.1: no error code when the request carried no (Bearer) credential.
  } else if (denial.code() == StatusCode::kInvalidArgument) {
    status = 400;
    error = "invalid_request";
  } else if (denial.code() == StatusCode::kPermissionDenied) {
    status = 403;
    error = "insufficient_scope";
    scope = Join(required_scopes, ' ');  // RFC 6750 §3: the scope needed for access
  } else {
    error = "invalid_token";
  }
  http::Response response = error.empty()
                                ? http::Response::Json(status, Json{{"error", "unauthorized"}})
                                : http::Response::Json(status, Json{{"error", error}});
  response.headers.Set("WWW-Authenticate", BearerChallenge(options_.realm, error, "", scope,
                                                           options_.resource_metadata_url));
  // RFC 9449 §7.1: where DPoP is accepted, a request without credentials learns that too.
  if (error.empty() && AcceptsDpop()) response.headers.Add("WWW-Authenticate", DpopChallenge(""));
  response.headers.Set("Cache-Control", "no-store");
  return response;
}

bool Validator::AcceptsDpop() const {
  for (const auto& t : options_.issuers) {
    if (t.dpop != DpopPolicy::kOff) return true;
  }
  return false;
}

std::string Validator::DpopChallenge(std::string_view error) const {
  std::string algs;
  for (int i = 0; i < jose::kAlgorithmCount; ++i) {
    auto alg = static_cast<jose::Algorithm>(i);
    if (!options_.dpop_algorithms.Contains(alg)) continue;
    algs += (algs.empty() ? "" : " ") + std::string(jose::AlgorithmName(alg));
  }
  std::string out = "DPoP algs=" + Quote(algs);
  if (!error.empty()) out += ", error=" + Quote(error);
  return out;
}

http::Response Validator::DpopDenial(const std::string& reason) const {
  // RFC 9449 §7.1 and §9: the proof's failures are invalid_dpop_proof, a missing nonce
  // use_dpop_nonce with the nonce to use; a token bound but sent wrongly is invalid_token.
  std::string error = reason == jose::kReasonUseDpopNonce ? jose::kErrorUseDpopNonce
                      : reason == jose::kReasonDpopMissing ? "invalid_token"
                                                            : jose::kErrorInvalidDpopProof;
  http::Response response = http::Response::Json(401, Json{{"error", error}});
  response.headers.Set("WWW-Authenticate", DpopChallenge(error));
  if (dpop_nonces_ && reason == jose::kReasonUseDpopNonce) {
    response.headers.Set(jose::kDpopNonceHeader, dpop_nonces_->Current(clock_.NowSeconds()));
  }
  response.headers.Set("Cache-Control", "no-store");
  return response;
}

Json Validator::ProtectedResourceMetadata() const {
  Json servers = Json::array();
  for (const auto& t : options_.issuers) servers.push_back(t.issuer);
  Json metadata = {
      {"resource", options_.audience},
      {"authorization_servers", servers},
      {"bearer_methods_supported", Json::array({"header"})},  // RFC 9728 §2: header only
  };
  if (!options_.scopes_supported.empty()) metadata["scopes_supported"] = options_.scopes_supported;
  return metadata;
}

std::optional<http::Response> Validator::HandleMetadataRequest(const http::Request& request) const {
  static constexpr std::string_view kWellKnown = "/.well-known/oauth-protected-resource";
  if (request.path.rfind(kWellKnown, 0) != 0) return std::nullopt;
  std::string suffix = request.path.substr(kWellKnown.size());
  // RFC 9728 §3.1: the resource's path, if any, follows the well-known segment.
  std::string resource_path;
  if (auto url = http::ParseUrl(options_.audience); url.ok() && url->target != "/") {
    resource_path = url->target;
  }
  if (!suffix.empty() && suffix != resource_path) return std::nullopt;
  if (request.method != "GET" && request.method != "HEAD") {
    http::Response r = http::Response::Json(405, Json{{"error", "method_not_allowed"}});
    r.headers.Set("Allow", "GET, HEAD");
    return r;
  }
  http::Response r = http::Response::Json(200, ProtectedResourceMetadata());
  r.headers.Set("Cache-Control", "max-age=300");
  return r;
}

}  // namespace zta::guard
