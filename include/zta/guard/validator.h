// The resource server's token check: a bearer token from the Authorization header, verified
// against one of several trusted issuers, mapped to a Principal, every decision audited; plus the
// RFC 6750 error responses and RFC 9728 protected resource metadata.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/guard/jwks_cache.h"
#include "zta/http/message.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/dpop.h"
#include "zta/jose/jwt.h"

namespace zta::guard {

// Reason codes of guard denials (Status::reason(), recorded in the audit log). Besides these,
// every jose::VerifyError reason ("expired", "bad_signature", "bad_audience", ...) appears as is;
// a token from an issuer not in the allow-list is "bad_issuer".
inline constexpr char kReasonMissingToken[] = "missing_token";               // 401, no error code
inline constexpr char kReasonUnsupportedScheme[] = "unsupported_scheme";     // 401, not Bearer
inline constexpr char kReasonMultipleTokens[] = "multiple_tokens";           // 400 invalid_request
inline constexpr char kReasonMalformedHeader[] = "malformed_authorization";  // 400
inline constexpr char kReasonTokenInQuery[] = "token_in_query";              // 400 (RFC 6750 §2.3)
inline constexpr char kReasonTokenInBody[] = "token_in_body";                // 400 (RFC 6750 §2.2)
inline constexpr char kReasonJwksUnavailable[] = "jwks_unavailable";         // 401, fail closed
inline constexpr char kReasonBadActor[] = "bad_actor_claim";      // 401, act is malformed
inline constexpr char kReasonTokenInactive[] = "token_inactive";  // 401, RFC 7662 active=false
inline constexpr char kReasonIntrospectionFailed[] = "introspection_unavailable";  // 401
inline constexpr char kReasonAuditUnavailable[] = "audit_unavailable";             // 503
inline constexpr char kReasonMissingSubject[] = "missing_sub";  // 401, RFC 9068 §2.2 needs sub
inline constexpr char kReasonMalformedScope[] = "malformed_scope";  // 401, RFC 6749 §3.3
inline constexpr char kReasonMalformedQuery[] = "malformed_query";        // 400, not decodable
inline constexpr char kReasonMalformedBody[] = "malformed_body";          // 400, not decodable
// DPoP (RFC 9449 §7): besides the jose kReasonDpop* reasons (401 invalid_dpop_proof, or
// use_dpop_nonce), these.
inline constexpr char kReasonDpopNotAccepted[] = "dpop_not_accepted";  // 401: policy off
inline constexpr char kReasonDpopReplayCacheFull[] = "dpop_replay_cache_full";  // 401, fail closed
inline constexpr char kReasonMalformedCnf[] = "malformed_cnf";  // 401: cnf is not {jkt: string}

// Whether a route takes DPoP-bound tokens (RFC 9449 §7). Whatever the policy, a token bound to a
// key (cnf.jkt) is accepted only as "DPoP" with a proof of that key (§7.2), and a "DPoP" token
// must be bound.
enum class DpopPolicy {
  kOff,       // the DPoP scheme is refused (so bound tokens are unusable here)
  kAllowed,   // Bearer tokens and DPoP-bound tokens
  kRequired,  // DPoP-bound tokens only
};
std::string_view DpopPolicyName(DpopPolicy policy);  // "off", "allowed", "required"
Result<DpopPolicy> ParseDpopPolicy(std::string_view name);

// Deepest RFC 8693 `act` nesting accepted; a deeper one is refused with bad_actor_claim. The idp
// caps exchange chains at 4 by default; 8 leaves room for other issuers without letting a token
// make every check walk an arbitrarily long chain.
inline constexpr size_t kMaxActorChainDepth = 8;

// Where and how to ask the issuer whether a token is still active (RFC 7662), for routes where a
// revoked token must stop working at once.
struct IntrospectionOptions {
  // The introspection endpoint. Default: "introspection_endpoint" from the issuer's metadata.
  std::string endpoint;
  // This resource server's credentials at the issuer (RFC 7662 §2.1 requires authentication),
  // sent with client_secret_basic. REQUIRED to enable introspection.
  std::string client_id;
  Secret client_secret;
  // How long an answer is reused, seconds (never past the token's exp). Default: 5.
  int64_t cache_seconds = 5;
  // Per-request timeout. Default: 3 s.
  std::chrono::milliseconds timeout{3'000};
};

// One issuer this resource accepts tokens from. Plain config.
struct TrustedIssuer {
  // Exact `iss` (RFC 8725 §3.8). REQUIRED.
  std::string issuer;
  // Key set location; empty: discovered from the issuer's metadata (RFC 8414 jwks_uri).
  std::string jwks_uri;
  // Accepted algorithms (RFC 8725 §3.1). Default: every asymmetric JWS algorithm.
  jose::AlgorithmSet allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  // The audience tokens must carry for this resource. Default: ValidatorOptions::audience.
  std::string audience;
  // Claims whose values become the principal's scopes: "scope" (space-separated string, RFC 9068
  // §2.2.3), "scp" (array or string, Entra/Okta), "roles" (array, Entra app roles). Default:
  // {"scope", "scp"}.
  std::vector<std::string> scope_claims = {"scope", "scp"};
  // Claim whose string value becomes Principal::subject; a token without it is refused
  // (missing_sub). Default: "sub". Entra ID: "oid", the object id of the user or service
  // principal, the same for every application, where Entra's `sub` is pairwise (one value per
  // application) — docs/delegation.md, "Accepting tokens from Microsoft Entra ID".
  std::string subject_claim = "sub";
  // Required `typ` header. Default: "at+jwt" (RFC 9068 §2.1); empty: not checked (issuers whose
  // access tokens are typed "JWT", such as Entra).
  std::string required_typ = "at+jwt";
  // Clock skew tolerated for exp/nbf/iat, seconds (at most 60 here). Default: 60.
  int64_t leeway_seconds = 60;
  // Longest accepted exp − iat, seconds. Default: 3600.
  int64_t max_lifetime_seconds = 3600;
  // JWKS cache behaviour (issuer and jwks_uri are taken from the fields above).
  JwksCacheOptions jwks;
  // Introspection for routes that ask for it; unset: such routes refuse this issuer's tokens.
  std::optional<IntrospectionOptions> introspection;
  // DPoP for this issuer's tokens (routes may override it). Default: kAllowed.
  DpopPolicy dpop = DpopPolicy::kAllowed;
};

struct ValidatorOptions {
  // The issuers whose tokens are accepted. REQUIRED, at least one.
  std::vector<TrustedIssuer> issuers;
  // This resource's identifier (RFC 8707 resource, the token's aud). REQUIRED unless every
  // issuer sets its own.
  std::string audience;
  // realm in WWW-Authenticate (RFC 6750 §3). Default: the audience.
  std::string realm;
  // Absolute URL of this resource's RFC 9728 metadata, announced in WWW-Authenticate
  // (RFC 9728 §5.1). Default: empty, not announced.
  std::string resource_metadata_url;
  // Scopes listed in the metadata (RFC 9728 §2 scopes_supported). Default: none.
  std::vector<std::string> scopes_supported;
  // Verified tokens cached per issuer (0 disables). Default: 10,000.
  size_t verified_token_cache_capacity = 10'000;
  // Largest token accepted, bytes. Default: 16 KiB.
  size_t max_token_bytes = jose::kMaxTokenBytes;
  // Audit component name. Default: "guard".
  std::string audit_component = "guard";

  // DPoP (RFC 9449 §7; docs/guard.md, "DPoP"). The URL clients address this resource by, to
  // which a request's path is appended to give the proof's expected htu: "https://api.example"
  // or, behind a proxy that strips a prefix, "https://example.com/api". Never taken from the
  // Host header, which the client controls. Default: empty — DPoP requests are refused
  // (dpop_htu_mismatch) until it is set.
  std::string public_base_url;
  // Algorithms accepted for proofs. Default: jose::DpopAlgorithms().
  jose::AlgorithmSet dpop_algorithms = jose::DpopAlgorithms();
  // How old a proof's iat may be, seconds. Default: 60.
  int64_t dpop_max_age_seconds = 60;
  // Proof jtis remembered per validator (each until its iat leaves the window). When full of
  // live entries, new proofs are refused (dpop_replay_cache_full) rather than a live jti
  // forgotten. About 200 bytes each: the default holds 100,000 in about 20 MB, 1,600 proofs/s
  // for the 60 s window. Default: 100,000.
  size_t dpop_replay_cache_entries = 100'000;
  // Require a server nonce in every proof (RFC 9449 §9): a proof without a current one gets 401
  // use_dpop_nonce with a DPoP-Nonce header. Default: false.
  bool dpop_require_nonce = false;
  // Key of the stateless nonces (at least 32 bytes), shared by instances that must accept each
  // other's. Default: empty, a random key per validator.
  Secret dpop_nonce_key;

  Status Validate() const;
};

// Who is calling, as a verified token says.
struct Principal {
  std::string issuer;
  std::string subject;    // sub: the user, or the agent itself (client credentials)
  std::string client_id;  // client_id (RFC 9068 §2.2), else azp, else appid
  // RFC 8693 §4.1: the outermost act is the current actor; earlier actors nest inside it.
  std::vector<std::string> actor_chain;
  std::vector<std::string> scopes;  // from the issuer's scope_claims, de-duplicated, in order
  std::string jti;  // jti (RFC 7519 §4.1.7), else Entra's uti; may be empty
  int64_t expires_at = 0;
  Json authorization_details;                      // RFC 9396, null when absent
  // RFC 9449: the thumbprint of the key whose proof came with the token ("" for Bearer).
  std::string dpop_jkt;
  std::shared_ptr<const jose::VerifiedJwt> token;  // header and every claim

  bool HasScope(std::string_view scope) const;
  const Json& claims() const;
};

// Per-request extras for Authorize.
struct AuthorizeOptions {
  // Scopes the request needs (all of them). Default: none.
  std::span<const std::string> required_scopes;
  // Ask the issuer whether the token is still active (RFC 7662). Default: false.
  bool introspect = false;
  // For the audit event: the trace id. Default: "" — Authorize then takes the trace id of the
  // request's `traceparent` header (W3C Trace Context §3.2), if it has a valid one.
  std::string trace_id;
  // DPoP policy of this route; unset: the issuer's. Default: unset.
  std::optional<DpopPolicy> dpop;
};

// Thread-safe: Authorize may run on many threads; key sets refresh behind it.
// An access token as a request presents it: the Authorization scheme (Bearer, RFC 6750 §2.1, or
// DPoP, RFC 9449 §7.1) and, for DPoP, the one DPoP proof header.
struct PresentedToken {
  std::string token;
  bool dpop = false;
  std::string proof;  // "" unless dpop
};

class DpopReplayCache;  // src/guard/dpop_replay_cache.h

class Validator {
 public:
  // `clock` and `audit` must outlive the validator.
  static Result<std::unique_ptr<Validator>> Create(ValidatorOptions options, const Clock& clock,
                                                   AuditSink& audit,
                                                   HttpFetcher fetcher = DefaultFetcher());
  ~Validator();

  // Takes the bearer token from `request` and checks it and `options.required_scopes`. Every
  // call appends one audit event (allow, or deny with the reason). Failures carry a reason code
  // and the status code DenialResponse maps: kInvalidArgument → 400 invalid_request,
  // kUnauthenticated → 401 invalid_token, kPermissionDenied → 403 insufficient_scope.
  Result<Principal> Authorize(const http::Request& request, const AuthorizeOptions& options = {});

  // The same for a token already in hand (no request checks, so no DPoP proof: how the token was
  // presented is the caller's to check). Audited.
  Result<Principal> AuthorizeToken(std::string_view token, const AuthorizeOptions& options = {});

  // The RFC 6750 §3 response for a failure of Authorize. The body and header carry only the
  // standard error code, never the internal reason.
  http::Response DenialResponse(const Status& denial,
                                std::span<const std::string> required_scopes = {}) const;

  // RFC 9728 §2 protected resource metadata.
  Json ProtectedResourceMetadata() const;
  // Answers GET /.well-known/oauth-protected-resource (and the RFC 9728 §3.1 form with the
  // resource's path appended); nullopt for any other request.
  std::optional<http::Response> HandleMetadataRequest(const http::Request& request) const;

  const ValidatorOptions& options() const { return options_; }
  // JWKS fetches so far across issuers (tests, metrics).
  int64_t jwks_fetch_count() const;

  class IssuerState;

 private:
  Validator(ValidatorOptions options, const Clock& clock, AuditSink& audit, HttpFetcher fetcher);
  Result<Principal> Check(std::string_view token, const AuthorizeOptions& options);
  // The trusted issuer whose keys must verify `token` (by its unverified iss when there are
  // several); null with `error` set when none is.
  IssuerState* SelectIssuer(std::string_view token, Status* error);
  Result<Principal> Decide(Result<Principal> outcome, const AuthorizeOptions& options,
                           const http::Request* request);
  // RFC 9449 §7.1 challenges and answers (validator.cc).
  bool AcceptsDpop() const;
  std::string DpopChallenge(std::string_view error) const;
  http::Response DpopDenial(const std::string& reason) const;
  // RFC 9449 §7: the token's binding against how it was presented; sets p->dpop_jkt.
  Status CheckPresentation(const http::Request& request, const PresentedToken& presented,
                           const IssuerState& issuer, const AuthorizeOptions& options,
                           Principal* p);

  const ValidatorOptions options_;
  const Clock& clock_;
  AuditSink& audit_;
  const HttpFetcher fetcher_;
  std::vector<std::unique_ptr<IssuerState>> issuers_;
  std::unique_ptr<DpopReplayCache> dpop_replays_;
  jose::DpopKeyCache dpop_keys_;  // imported proof keys, shared by every request
  std::optional<jose::DpopNonces> dpop_nonces_;  // set when options_.dpop_require_nonce
};

// As ExtractBearerToken, but the scheme may be DPoP too, which then needs exactly one DPoP
// header (none: dpop_missing; more: dpop_malformed, 400).
Result<PresentedToken> ExtractAccessToken(const http::Request& request);

// Extracts the bearer token per RFC 6750 §2.1: exactly one Authorization field, scheme Bearer,
// one b64token; a token in the query (§2.3) or a form body (§2.2) is refused. The query, and a
// body whose media type is application/x-www-form-urlencoded in any letter case, are decoded
// once, names included ("access%5Ftoken" is access_token); one that does not decode is refused
// (400) rather than read as "no token", since the server behind may decode it more leniently.
// Reasons above.
Result<std::string> ExtractBearerToken(const http::Request& request);

// True when a decoded query or form field name would reach a common server framework as
// `wanted`: ASCII case folded, and PHP's reading applied: leading spaces skipped, the name ended
// at NUL or '[', ' ' and '.' read as '_' (" Access.Token[]" is access_token).
bool ParameterNameIs(std::string_view name, std::string_view wanted);

// `WWW-Authenticate: Bearer realm="...", error="...", ...` (RFC 6750 §3).
std::string BearerChallenge(std::string_view realm, std::string_view error,
                            std::string_view description, std::string_view scope,
                            std::string_view resource_metadata_url);

}  // namespace zta::guard
