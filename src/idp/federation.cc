// FederationVerifier: external JWTs checked by a guard::Validator built from the issuer's
// registry record (docs/delegation.md, "Federation: trusted external issuers").
#include "federation.h"

#include <algorithm>
#include <cctype>

#include "zta/core/base64url.h"
#include "zta/core/sha256.h"
#include "zta/idp/reasons.h"
#include "zta/jose/jws.h"
#include "zta/jose/verify_error.h"

namespace zta::idp {
namespace {

Status Refused(std::string message, std::string reason) {
  return Status(StatusCode::kUnauthenticated, std::move(message), std::move(reason));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// With no configured typ, what an access token or plain JWT may say: at+jwt (RFC 9068 §2.1,
// with or without the "application/" prefix RFC 7515 §4.1.9 lets it omit), JWT (Entra,
// Kubernetes service account tokens) or nothing. Anything else (an ID token's "id+jwt" profile,
// a logout token, a DPoP proof) is another kind of token and is refused (RFC 8725 §3.11).
bool DefaultTypAccepted(const Json& header) {
  auto it = header.find("typ");
  if (it == header.end()) return true;
  if (!it->is_string()) return false;
  const std::string& typ = it->get_ref<const std::string&>();
  return EqualsIgnoreCase(typ, "at+jwt") || EqualsIgnoreCase(typ, "application/at+jwt") ||
         EqualsIgnoreCase(typ, "JWT");
}

// The guard's view of one federated issuer. The typ is checked by the validator only when the
// record names one; otherwise DefaultTypAccepted applies after verification.
guard::ValidatorOptions ValidatorOptionsFor(const FederatedIssuer& f) {
  guard::TrustedIssuer t;
  t.issuer = f.issuer;
  t.jwks_uri = f.jwks_uri;
  t.audience = f.audience;
  t.required_typ = f.allowed_typ;
  t.scope_claims.clear();
  for (const auto& [external, local] : f.claim_map) {
    if (local == "scope") t.scope_claims.push_back(external);
  }
  // The validator needs a claim to read; with no mapping, none of its values become scopes.
  if (t.scope_claims.empty()) t.scope_claims = {"scope"};
  guard::ValidatorOptions o;
  o.issuers = {std::move(t)};
  o.audience = f.audience;
  o.audit_component = "idp.federation";
  o.verified_token_cache_capacity = 1'000;
  return o;
}

bool Permits(const FederatedIssuer& f, FederationUse use) {
  return use == FederationUse::kSubjectToken ? f.allow_subject_token : f.allow_client_assertion;
}

// The external subject: `sub`, or the configured claim (Entra's `oid`), which must be a
// non-empty string.
Result<std::string> ExternalSubject(const FederatedIssuer& f, const guard::Principal& p) {
  if (f.subject_claim.empty() || f.subject_claim == "sub") return p.subject;
  const Json& claims = p.claims();
  auto it = claims.find(f.subject_claim);
  if (it == claims.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Refused("token has no " + f.subject_claim + " claim", guard::kReasonMissingSubject);
  }
  return it->get<std::string>();
}

}  // namespace

std::string FederatedLocalSubject(std::string_view issuer, std::string_view subject) {
  std::string input;
  input.reserve(issuer.size() + 1 + subject.size());
  input.append(issuer).append("\n").append(subject);
  return "fed-" + Base64UrlEncode(Sha256(input)).substr(0, 22);
}

std::string PeekIssuer(std::string_view token) {
  jose::JwsVerifyOptions peek;
  peek.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  auto parsed = jose::ParseCompact(token, peek);
  if (!parsed.ok()) return "";
  auto claims = ParseJsonStrict(parsed->payload);
  if (!claims.ok() || !claims->is_object()) return "";
  auto it = claims->find("iss");
  return it != claims->end() && it->is_string() ? it->get<std::string>() : std::string();
}

FederationVerifier::FederationVerifier(const Clock& clock, http::Transport transport)
    : clock_(clock), transport_(transport ? std::move(transport) : http::DefaultTransport()) {}

FederationVerifier::~FederationVerifier() = default;

Result<std::shared_ptr<guard::Validator>> FederationVerifier::ValidatorFor(
    const RegistrySnapshot& registry, const FederatedIssuer& issuer) {
  MutexLock lock(mu_);
  // Forget issuers that were removed, so the map never outgrows the registry.
  if (validators_.size() >= registry.federated_issuers.size()) {
    std::erase_if(validators_, [&](const auto& entry) {
      return registry.FindFederatedIssuer(entry.first) == nullptr;
    });
  }
  auto it = validators_.find(issuer.issuer);
  // A changed record (audience, key location, claim map, typ, ...) gets a fresh validator: the
  // old one's cached verifications were made under the old rules.
  if (it != validators_.end() && it->second.config == issuer) return it->second.validator;
  ZTA_ASSIGN_OR_RETURN(
      std::unique_ptr<guard::Validator> built,
      guard::Validator::Create(ValidatorOptionsFor(issuer), clock_, discard_, transport_));
  std::shared_ptr<guard::Validator> validator = std::move(built);
  validators_[issuer.issuer] = Entry{issuer, validator};
  return validator;
}

Result<FederatedToken> FederationVerifier::Verify(const RegistrySnapshot& registry,
                                                  std::string_view token, FederationUse use) {
  const std::string iss = PeekIssuer(token);
  const FederatedIssuer* issuer = iss.empty() ? nullptr : registry.FindFederatedIssuer(iss);
  if (!issuer) return Refused("the token's issuer is not trusted", kReasonUntrustedIssuer);
  if (!Permits(*issuer, use)) {
    return Refused(use == FederationUse::kSubjectToken
                       ? "the issuer is not trusted for subject tokens"
                       : "the issuer is not trusted for client assertions",
                   kReasonUntrustedIssuer);
  }
  auto validator = ValidatorFor(registry, *issuer);
  if (!validator.ok()) {
    // A record the guard cannot use (it was validated when added; a damaged row): fail closed.
    return Refused("federated issuer misconfigured: " + validator.status().message(),
                   kReasonUntrustedIssuer);
  }
  ZTA_ASSIGN_OR_RETURN(guard::Principal p, (*validator)->AuthorizeToken(token));
  if (issuer->allowed_typ.empty() && !DefaultTypAccepted(p.token->header)) {
    return Refused("typ is not at+jwt or JWT",
                   std::string(jose::ReasonCode(jose::VerifyError::kBadTyp)));
  }
  if (use == FederationUse::kClientAssertion) {
    const int64_t max = (*validator)->options().issuers.front().max_lifetime_seconds;
    if (p.expires_at - clock_.NowSeconds() > max) {
      return Refused("assertion exp too far ahead",
                     std::string(jose::ReasonCode(jose::VerifyError::kLifetimeTooLong)));
    }
  }
  FederatedToken out;
  ZTA_ASSIGN_OR_RETURN(out.subject, ExternalSubject(*issuer, p));
  out.issuer = issuer->issuer;
  out.local_subject = FederatedLocalSubject(out.issuer, out.subject);
  out.scopes = std::move(p.scopes);
  out.jti = p.jti;
  out.expires_at = p.expires_at;
  out.claims = p.claims();
  // With no mapping the validator still read `scope` (it needs one claim); none count.
  const bool maps_scope = std::any_of(issuer->claim_map.begin(), issuer->claim_map.end(),
                                      [](const auto& m) { return m.second == "scope"; });
  if (!maps_scope) out.scopes.clear();
  return out;
}

}  // namespace zta::idp
