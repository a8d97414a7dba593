// Federation: verifying JWTs minted by trusted external issuers (registry FederatedIssuer), for
// a token exchange's subject_token (RFC 8693 §2.1) and for federated client assertions
// (RFC 7523 §2.2, workload identity federation). The checks are the guard's own: one
// guard::Validator per issuer, so an external token passes here exactly when a zta resource
// server configured the same way would accept it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/core/mutex.h"
#include "zta/core/status.h"
#include "zta/guard/validator.h"
#include "zta/http/client.h"
#include "zta/idp/registry.h"

namespace zta::idp {

// A verified external token.
struct FederatedToken {
  std::string issuer;               // exact iss
  std::string subject;              // the external subject (the issuer's subject_claim value)
  std::string local_subject;        // FederatedLocalSubject(issuer, subject)
  std::vector<std::string> scopes;  // mapped via the issuer's claim_map
  std::string jti;                  // may be ""
  int64_t expires_at = 0;
  Json claims;  // every claim, verified
};

// What the token is presented as; each needs its own permission on the issuer record.
enum class FederationUse {
  kSubjectToken,     // a token exchange's subject_token: needs allow_subject_token
  kClientAssertion,  // an agent's client_assertion: needs allow_client_assertion
};

// The local `sub` for an external (issuer, subject): "fed-" + the first 22 characters of
// base64url(SHA-256(issuer + "\n" + subject)).
// Stable: a pure function of the pair, so every exchange for the same external person or
// workload yields the same local id, across restarts and servers, with nothing stored.
// Collision-safe enough: 22 base64url characters are 132 bits of SHA-256; an accidental
// collision needs ~2^66 distinct pairs, and a chosen one a second preimage of SHA-256. The
// "\n" separator cannot occur in an issuer URL, so ("a", "b\nc") and ("a\nb", "c") differ.
// The "fed-" prefix keeps these ids apart from users ("u-...") and agents ("agt_...").
std::string FederatedLocalSubject(std::string_view issuer, std::string_view subject);

// The unverified `iss` of a compact JWS ("" when it has none or does not parse): only to pick
// the issuer record whose keys must verify it.
std::string PeekIssuer(std::string_view token);

// Thread-safe. Holds one guard::Validator per federated issuer, built on first use from the
// registry record and rebuilt when that record changes; entries of issuers no longer
// registered are dropped, so there are never more than the registry holds.
class FederationVerifier {
 public:
  // `clock` must outlive the verifier; `transport` fetches metadata and key sets (tests inject
  // one; the server passes http::DefaultTransport()).
  FederationVerifier(const Clock& clock, http::Transport transport);
  ~FederationVerifier();
  FederationVerifier(const FederationVerifier&) = delete;
  FederationVerifier& operator=(const FederationVerifier&) = delete;

  // Verifies `token` as `use` against the issuer `registry` names by its iss. Failures are
  // kUnauthenticated with a reason: untrusted_issuer (iss not registered, or registered without
  // the permission `use` needs), bad_typ, or the guard's (bad_audience, expired, bad_signature,
  // jwks_unavailable, lifetime_too_long, missing_sub, ...). A client assertion's exp may also
  // be no further ahead than the guard's max_lifetime (exp − iat, default 1 h): RFC 7523 §3
  // asks for short assertions, and a stolen one must not work for longer than one is minted.
  Result<FederatedToken> Verify(const RegistrySnapshot& registry, std::string_view token,
                                FederationUse use);

 private:
  struct Entry {
    FederatedIssuer config;  // the record the validator was built from
    std::shared_ptr<guard::Validator> validator;
  };
  // The validator for `issuer`, built or rebuilt when its record differs from the one cached.
  Result<std::shared_ptr<guard::Validator>> ValidatorFor(const RegistrySnapshot& registry,
                                                         const FederatedIssuer& issuer);

  const Clock& clock_;
  const http::Transport transport_;
  NullAuditSink discard_;  // the idp audits federated decisions itself
  Mutex mu_;
  std::map<std::string, Entry> validators_ ZTA_GUARDED_BY(mu_);  // by issuer
};

}  // namespace zta::idp
