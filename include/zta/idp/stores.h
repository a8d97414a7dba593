// What the identity provider persists, split by concern so that each kind of state has one
// obvious home and one interface to implement per backend:
//   RegistryStore    who exists: resources, agents, users, apps and trusted external issuers;
//   TokenStateStore  what was issued, consumed or approved: revocations, single-use assertion
//                    ids, authorization codes, delegated grants and their refresh tokens,
//                    remembered consents, login sessions,
//                    CIBA backchannel requests;
//   KeyStore         signing-key metadata rows, and the sealed private keys of a shared store
//                    (a data folder keeps them in files, KeyManager).
// Implementations are thread-safe. SqlIdpStore implements all three, on one SQLite file or on
// PostgreSQL; IdpStore names that combination.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/idp/registry.h"

namespace zta::idp {

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // A counter that changes whenever any process changes the registry (cheap to poll).
  virtual Result<uint64_t> RegistryVersion() = 0;
  virtual Result<std::shared_ptr<const RegistrySnapshot>> LoadRegistry() = 0;

  virtual Status PutResource(const Resource& resource) = 0;  // insert or replace
  virtual Status PutAgent(const Agent& agent) = 0;            // insert or replace
  virtual Status DeleteAgent(const std::string& client_id) = 0;
  virtual Status PutUser(const User& user) = 0;               // insert or replace (by id)
  virtual Status DeleteUser(const std::string& id) = 0;
  virtual Status PutApp(const App& app) = 0;                  // insert or replace
  virtual Status DeleteApp(const std::string& client_id) = 0;
  virtual Status PutDelegationRule(const DelegationRule& rule) = 0;  // insert or replace
  virtual Status DeleteDelegationRule(const std::string& from, const std::string& to) = 0;
  // Trusted external issuers (federation), keyed by exact issuer.
  virtual Status PutFederatedIssuer(const FederatedIssuer& issuer) = 0;  // insert or replace
  virtual Status DeleteFederatedIssuer(const std::string& issuer) = 0;
};

// What the user approved for one (app, agent, resource): the record behind a delegated token.
// Created when an authorization code is redeemed; every access and refresh token issued for it
// carries its id (the `zta_grant` claim), so revoking it ends them all.
struct DelegatedGrant {
  std::string id;             // "g-" + random
  std::string user_id;
  std::string app_id;         // the app's client_id
  std::string agent_id;       // requested_actor; "" for a plain user token
  std::string resource;
  std::vector<std::string> scopes;
  Json authorization_details; // array as consented, or null
  std::string code_digest;    // the code it was redeemed from (a replay revokes the grant)
  int64_t auth_time = 0;      // when the user signed in (OIDC auth_time)
  int64_t created_at = 0;
  int64_t last_used_at = 0;
  int64_t revoked_at = 0;     // 0 = live
  std::string revoked_reason;
  // RFC 9449 §5: the thumbprint of the DPoP key a public app's refresh tokens are bound to (the
  // key of the proof at code redemption); every refresh must prove it. "" = not bound.
  std::string dpop_jkt;
};

// An authorization code (RFC 6749 §4.1.2): short-lived, single use, and bound to everything the
// token request must repeat or prove.
struct AuthorizationCode {
  std::string digest;          // DigestSecret(code); the code itself is never stored
  std::string app_id;
  std::string redirect_uri;
  std::string code_challenge;  // PKCE S256 (RFC 7636 §4.2)
  std::string user_id;
  std::string agent_id;        // requested_actor, "" when none
  std::string resource;
  std::vector<std::string> scopes;
  Json authorization_details;  // array or null
  std::string nonce;           // OIDC, "" when none
  int64_t auth_time = 0;
  int64_t expires_at = 0;
  // Set when redeemed: the grant it created (a replay revokes that grant).
  std::string grant_id;
};

// One refresh token (RFC 6749 §6) of a grant. Rotated on every use; a used one presented again
// revokes the grant (RFC 9700 §4.14.2).
struct RefreshToken {
  std::string digest;     // DigestSecret(token)
  std::string grant_id;   // its family
  int64_t expires_at = 0;
  bool used = false;
};

// A remembered consent to scopes alone (never to authorization_details), per (user, app, agent,
// resource): a later request within these scopes skips the consent page.
struct RememberedConsent {
  std::string user_id, app_id, agent_id, resource;
  std::vector<std::string> scopes;
  int64_t created_at = 0;
};

// A signed-in browser session (login page), keyed by the digest of its cookie value.
struct LoginSession {
  std::string digest;
  std::string user_id;
  int64_t auth_time = 0;     // when the password was checked
  int64_t last_seen_at = 0;  // for the idle lifetime
  int64_t expires_at = 0;    // absolute lifetime
  std::string csrf_secret;   // per-session secret the forms' CSRF tokens derive from
};

// Where an OpenID CIBA backchannel request stands (CIBA Core 1.0 §7, §11). Expiry is also read
// off expires_at: a request still kPending or kApproved past it is answered expired_token.
enum class BackchannelStatus {
  kPending,   // waiting for the user on /account
  kApproved,  // the user approved; the agent's next poll redeems it
  kDenied,    // the user denied: access_denied
  kRedeemed,  // tokens were issued once; a further poll is a replay
  kExpired,   // a poll found it past expires_at before it was redeemed
};

// One backchannel authentication request (CIBA Core 1.0 §7.1) in poll mode: an agent asks a user,
// by login_hint, to approve scopes (and authorization_details) at a resource. Keyed by the digest
// of its auth_req_id; the /account page names it by that digest too, never by the id itself.
struct BackchannelRequest {
  std::string digest;           // DigestSecret(auth_req_id); the id itself is never stored
  std::string agent_id;         // the client that asked (and alone may poll)
  std::string user_id;          // whom login_hint named
  std::string resource;         // RFC 8707
  std::vector<std::string> scopes;
  Json authorization_details;   // RFC 9396 array as requested, or null
  std::string binding_message;  // CIBA §7.1, shown to the user
  int64_t created_at = 0;
  int64_t expires_at = 0;
  int64_t interval = 5;         // CIBA §7.3: seconds between polls; +5 at each slow_down
  int64_t last_poll_at = 0;     // 0 = not polled yet (created_at counts as the last poll)
  BackchannelStatus status = BackchannelStatus::kPending;
  bool shown = false;           // the /account page has shown it (audited once)
  int64_t auth_time = 0;        // the approving session's sign-in time (OIDC auth_time)
  int64_t decided_at = 0;       // approved, denied or expired at
  std::string grant_id;         // the grant its redemption created
};

// A window of failed authentications (TokenStateStore::CountAuthFailure).
struct AuthFailureWindow {
  int64_t failures = 0;  // in this window, the one just counted included
  int64_t start = 0;     // when it opened
};

class TokenStateStore {
 public:
  virtual ~TokenStateStore() = default;

  // Revocation list: jti → the token's exp (rows can be dropped after it).
  virtual Status Revoke(const std::string& jti, int64_t expires_at) = 0;
  virtual Result<bool> IsRevoked(const std::string& jti) = 0;

  // RFC 7523 §3 item 7: records an assertion jti; false if it was seen before (replay).
  virtual Result<bool> RecordAssertionJti(const std::string& client_id, const std::string& jti,
                                          int64_t expires_at) = 0;
  // RFC 9449 §11.1: records the jti of a DPoP proof made with the key whose thumbprint is `jkt`
  // until `expires_at` (when its iat stops passing); false if that key used it before. Shared
  // by every node on one store, so a proof is single-use across nodes.
  virtual Result<bool> RecordDpopProofJti(const std::string& jkt, const std::string& jti,
                                          int64_t expires_at) = 0;

  // Failed client authentications under `key` (docs/idp.md, "How failed authentications are
  // limited") in a fixed window: the first failure opens a window of `window_seconds`, later
  // ones inside it count on, one at or after its end opens a new window at `now`. Returns the
  // current window. One atomic upsert, so on a store several nodes share the
  // count is exact across them.
  virtual Result<AuthFailureWindow> CountAuthFailure(const std::string& key, int64_t now,
                                           int64_t window_seconds) = 0;

  // Authorization codes. Consume marks the code redeemed and returns it in one transaction;
  // nullopt when unknown. `*first_use` is false for a replay (the record then carries the
  // grant_id the first redemption set, to revoke). SetCodeGrant records that grant.
  // FindCode only reads (`*used` true when already redeemed), so a redemption can be checked
  // whole before the code is spent: a refused request must leave the code as it was.
  virtual Status PutCode(const AuthorizationCode& code) = 0;
  virtual Result<std::optional<AuthorizationCode>> FindCode(const std::string& digest,
                                                            bool* used) = 0;
  virtual Result<std::optional<AuthorizationCode>> ConsumeCode(const std::string& digest,
                                                               bool* first_use) = 0;
  virtual Status SetCodeGrant(const std::string& digest, const std::string& grant_id) = 0;

  // Delegated grants.
  virtual Status PutGrant(const DelegatedGrant& grant) = 0;  // insert or replace
  virtual Result<std::optional<DelegatedGrant>> FindGrant(const std::string& id) = 0;
  virtual Result<std::vector<DelegatedGrant>> ListGrants(const std::string& user_id) = 0;
  // Marks the grant revoked (idempotent) and every refresh token of it used.
  virtual Status RevokeGrant(const std::string& id, int64_t at, const std::string& reason) = 0;
  virtual Status TouchGrant(const std::string& id, int64_t at) = 0;  // last_used_at

  // Refresh tokens. UseRefreshToken marks the token used and returns it as it was before (so
  // `used` true means a replay); nullopt when unknown.
  // FindRefreshToken only reads, so a request can be checked whole before its token is spent.
  virtual Status PutRefreshToken(const RefreshToken& token) = 0;
  virtual Result<std::optional<RefreshToken>> FindRefreshToken(const std::string& digest) = 0;
  virtual Result<std::optional<RefreshToken>> UseRefreshToken(const std::string& digest) = 0;

  // Remembered consents, one per (user, app, agent, resource).
  virtual Status PutConsent(const RememberedConsent& consent) = 0;
  virtual Result<std::vector<RememberedConsent>> ListConsents(const std::string& user_id) = 0;
  virtual Status DeleteConsent(const std::string& user_id, const std::string& app_id,
                               const std::string& agent_id, const std::string& resource) = 0;

  // Login sessions.
  virtual Status PutSession(const LoginSession& session) = 0;  // insert or replace
  virtual Result<std::optional<LoginSession>> FindSession(const std::string& digest) = 0;
  virtual Status DeleteSession(const std::string& digest) = 0;

  // CIBA backchannel requests (poll mode). Every change is one transaction, so two polls or two
  // decisions cannot both move the same request.
  // Inserts `request` unless its agent already has `max_per_agent` pending unexpired requests or
  // its user `max_per_user` (then kResourceExhausted, nothing stored).
  virtual Status PutBackchannel(const BackchannelRequest& request, int max_per_agent,
                                int max_per_user) = 0;
  virtual Result<std::optional<BackchannelRequest>> FindBackchannel(const std::string& digest) = 0;
  // The user's kPending requests with expires_at > now, oldest first.
  virtual Result<std::vector<BackchannelRequest>> ListPendingBackchannel(
      const std::string& user_id, int64_t now) = 0;
  // Records a poll at `now` and returns the request as it is after it; nullopt when unknown.
  // CIBA §11: while kPending, a poll sooner than `interval` after the last one (or after
  // created_at) sets `*too_soon` and grows the interval by 5 s for this and later polls.
  virtual Result<std::optional<BackchannelRequest>> PollBackchannel(const std::string& digest,
                                                                    int64_t now,
                                                                    bool* too_soon) = 0;
  // kPending and unexpired at `at` → `to` (kApproved or kDenied), with decided_at and, for an
  // approval, auth_time. false (nothing changed) when it was not pending any more.
  virtual Result<bool> DecideBackchannel(const std::string& digest, BackchannelStatus to,
                                         int64_t at, int64_t auth_time) = 0;
  // kPending or kApproved → kExpired at `at` (when a poll finds it past expires_at).
  virtual Result<bool> ExpireBackchannel(const std::string& digest, int64_t at) = 0;
  // The single redemption: kApproved → kRedeemed with `grant_id`, compare-and-set. false when
  // it was not kApproved (another poll redeemed it first).
  virtual Result<bool> RedeemBackchannel(const std::string& digest, const std::string& grant_id,
                                         int64_t at) = 0;
  // Sets `shown`; true only the first time (the page audits backchannel.shown once).
  virtual Result<bool> MarkBackchannelShown(const std::string& digest) = 0;
};

// Key metadata: when each signing key was made, signs, and stops being published.
struct KeyRow {
  std::string kid;
  std::string alg;
  int64_t created_at = 0;
  int64_t activate_at = 0;    // begins signing at this time
  int64_t publish_until = 0;  // 0 = while active or next; else stays in JWKS until then
  bool retired = false;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  virtual Result<std::vector<KeyRow>> ListKeys() = 0;
  virtual Status PutKey(const KeyRow& row) = 0;

  // The private half of key `kid` for a store that several nodes share (PostgreSQL), so every
  // node signs with the same schedule: always sealed by KeyManager (AES-256-GCM under the key
  // encryption key) before it gets here; the store never sees a private key in the clear.
  // A data folder keeps its private keys as files instead (KeyManagerOptions::keys_dir).
  virtual Status PutKeyMaterial(const std::string& kid, const std::string& sealed) = 0;
  virtual Result<std::optional<std::string>> FindKeyMaterial(const std::string& kid) = 0;
};

// All of one identity provider's state, as one data folder holds it.
class IdpStore : public RegistryStore, public TokenStateStore, public KeyStore {};

}  // namespace zta::idp
