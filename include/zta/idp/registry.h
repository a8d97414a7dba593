// The identity provider's registry: resources (APIs, the token audiences) and agents (OAuth
// clients with their own identities). Persisted by a RegistryStore (zta/idp/stores.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::idp {

// An API identified by a URI (RFC 8707 resource indicator = token audience).
struct Resource {
  std::string uri;
  std::vector<std::string> scopes;     // scopes this resource defines
  int64_t max_token_ttl_seconds = 0;   // 0 = the server default
  // Digest of the resource server's introspection secret ("" = cannot introspect).
  std::string introspection_secret_digest;
  int64_t created_at = 0;
  // scope → plain words for the consent page ("see your bookings").
  std::map<std::string, std::string> scope_descriptions;
  // RFC 9396 §2: the authorization_details types this resource accepts.
  struct DetailsType {
    Json schema;        // JSON Schema (the subset agent/schema.h validates) of one entry
    std::string text;   // consent-page template, "{field}" replaced by the entry's values
  };
  std::map<std::string, DetailsType> details_types;
};

// A person who signs in at the idp and lets agents act for them.
struct User {
  std::string id;            // stable, never reused: "u-" + 128 random bits; the tokens' sub
  std::string username;      // the login name, unique
  std::string email;
  std::string display_name;
  std::string password_hash; // PHC string of Argon2id (password.h)
  bool enabled = true;
  int64_t created_at = 0;
};

// A client application that hosts agents (a chat front end, a CLI): an OAuth client that
// sends users to /authorize (RFC 6749 §4.1).
struct App {
  std::string client_id;     // "app-" + random
  std::string name;
  std::vector<std::string> redirect_uris;             // exact match; loopback per RFC 8252 §7.3
  std::vector<std::string> post_logout_redirect_uris;
  bool is_public = false;    // true: no secret, PKCE alone (RFC 6749 §2.1)
  std::string secret_digest; // confidential apps: DigestSecret() of the generated secret
  bool require_par = false;  // RFC 9126 §5: only pushed authorization requests
  bool require_dpop = false; // RFC 9449 §5.2 dpop_bound_access_tokens: every token request proves
  bool enabled = true;
  int64_t created_at = 0;
};

enum class ClientAuthMethod {
  kClientSecret,  // client_secret_basic or client_secret_post (RFC 6749 §2.3.1)
  kPrivateKeyJwt, // RFC 7523 §2.2 client assertion signed by the agent's registered key
};

// --- federation: trusted external issuers (docs/delegation.md, "Federation") ---

// An identity provider whose JWTs this idp accepts, as a token-exchange subject token
// (RFC 8693 §2.1) and/or as a client assertion (RFC 7523 §2.2). Validated with the guard's
// rules (exact iss, audience, asymmetric algorithms, typ, key set with unknown-kid limits).
struct FederatedIssuer {
  std::string issuer;    // exact `iss` (RFC 8725 §3.8); https, or http on loopback only
  std::string jwks_uri;  // "" = discovered from the issuer's metadata (RFC 8414, OIDC Discovery)
  std::string audience;  // the `aud` its tokens must carry for us. REQUIRED
  std::string subject_claim = "sub";  // "sub", or "oid" (Entra's immutable object id)
  // external claim → local claim; the only local claim is "scope". Default {scope → scope}.
  std::map<std::string, std::string> claim_map = {{"scope", "scope"}};
  // Required JOSE `typ`: "" = any of at+jwt, JWT or none (RFC 9068 §2.1, Entra); else exact.
  std::string allowed_typ;
  bool allow_subject_token = false;     // may be a token exchange's subject_token
  bool allow_client_assertion = false;  // may authenticate an agent (workload identity)
  int64_t created_at = 0;
  bool operator==(const FederatedIssuer&) const = default;
};

// One external identity an agent may authenticate as: the (iss, subject) of an assertion from a
// FederatedIssuer with allow_client_assertion.
struct FederatedSubject {
  std::string issuer;
  std::string subject;
  bool operator==(const FederatedSubject&) const = default;
};

// An agent: its own OAuth client.
struct Agent {
  std::string client_id;
  std::string name;
  std::string owner;        // the accountable person
  std::string description;
  std::string model;        // e.g. "gpt-4o", informational
  bool enabled = true;
  ClientAuthMethod auth_method = ClientAuthMethod::kClientSecret;
  std::string secret_digest;  // "sha256:<base64url>" of the generated secret (kClientSecret)
  Json public_jwk;            // registered key (kPrivateKeyJwt), a public JWK object
  int64_t max_token_ttl_seconds = 0;  // 0 = no agent-specific cap
  // RFC 9449 §5.2 dpop_bound_access_tokens: token requests without a DPoP proof are refused.
  bool require_dpop = false;
  // resource URI → scopes the agent may request there.
  std::map<std::string, std::vector<std::string>> allowances;
  int64_t created_at = 0;
  // External identities that authenticate as this agent (federated client assertions).
  std::vector<FederatedSubject> federated_subjects;
};

// Who may act after whom (docs/delegation.md, "Delegation rules"): agent `to` may exchange
// (RFC 8693) a token whose current actor is agent `from` for one with `to` as the new actor.
struct DelegationRule {
  std::string from;                 // the current actor of the subject token (agent client_id)
  std::string to;                   // the agent that exchanges it (agent client_id)
  std::string resource;             // the only audience it covers; "" = any resource
  std::vector<std::string> scopes;  // the most it passes on; empty = whatever the subject has
  int max_depth = 0;                // longest act chain after the exchange; 0 = the server cap
  int64_t created_at = 0;
};

// An immutable view of the registry at one version; shared by request threads.
struct RegistrySnapshot {
  uint64_t version = 0;
  std::map<std::string, Resource> resources;
  std::map<std::string, Agent> agents;
  std::map<std::string, User> users;  // by id
  std::map<std::string, App> apps;    // by client_id
  // by (from, to)
  std::map<std::pair<std::string, std::string>, DelegationRule> delegation_rules;
  std::map<std::string, FederatedIssuer> federated_issuers;  // by issuer

  const Agent* FindAgent(const std::string& client_id) const;
  const Resource* FindResource(const std::string& uri) const;
  const User* FindUser(const std::string& id) const;
  const User* FindUserByName(const std::string& username) const;
  const App* FindApp(const std::string& client_id) const;
  const DelegationRule* FindDelegationRule(const std::string& from, const std::string& to) const;
  const FederatedIssuer* FindFederatedIssuer(const std::string& issuer) const;
};

}  // namespace zta::idp
