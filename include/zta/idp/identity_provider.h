// An identity provider's data folder opened as one object: the SQLite store, the signing keys
// and the registry administration used by `zta idp ...` commands.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/secret.h"
#include "zta/http/message.h"
#include "zta/idp/key_manager.h"
#include "zta/idp/sql_idp_store.h"

namespace zta::idp {

struct AgentSpec {
  std::string name;
  std::string owner;
  std::string description;
  std::string model;
  std::string resource;             // first allowance
  std::vector<std::string> scopes;  // within the resource's scopes
  std::optional<Json> public_jwk;   // set → private_key_jwt, else a generated client secret
  int64_t max_token_ttl_seconds = 0;
  bool require_dpop = false;  // RFC 9449 §5.2: every token request must carry a DPoP proof
  // External identities it may authenticate as; each issuer must be registered (federation).
  std::vector<FederatedSubject> federated_subjects;
};

// A trusted external issuer to register or replace (registry.h FederatedIssuer).
struct FederatedIssuerSpec {
  std::string issuer;         // https URL, or http on loopback; no query or fragment
  std::string jwks_uri;       // "" = discovered; else https (http on loopback)
  std::string audience;       // REQUIRED
  std::string subject_claim;  // "" or "sub" = sub; "oid" (Entra)
  // "EXTERNAL=scope" each; none = {scope=scope}. The only local claim is "scope".
  std::vector<std::string> map_claims;
  std::string allowed_typ;    // "" = at+jwt, JWT or none; else exact
  bool allow_subject_token = false;
  bool allow_client_assertion = false;  // at least one of the two is REQUIRED
};

// One RFC 9396 authorization_details type a resource accepts, as `zta idp resource add` reads it.
struct DetailsTypeSpec {
  std::string type;         // the entries' "type", e.g. "hotel_booking"
  std::string schema_json;  // a JSON Schema of one entry (a JSON object, as text: a file's content)
  std::string text;         // consent-page template: "book room {room_id} at {hotel_id}"
};

// A resource (API) to register or replace.
struct ResourceSpec {
  std::string uri;                         // RFC 8707 resource indicator: absolute URI, no fragment
  std::vector<std::string> scopes;         // at least one; RFC 6749 §3.3 scope-tokens
  int64_t max_ttl_seconds = 0;             // 0 = the server default
  bool with_introspection_secret = false;  // generate one, returned once
  std::map<std::string, std::string> scope_descriptions;  // scope → words; keys within scopes
  std::vector<DetailsTypeSpec> details_types;
};

// A client application that hosts agents (registry.h App).
struct AppSpec {
  std::string name;
  std::vector<std::string> redirect_uris;              // at least one; see ValidateRedirectUri
  std::vector<std::string> post_logout_redirect_uris;  // same rules
  bool is_public = false;                              // no secret; PKCE alone
  bool require_par = false;  // only pushed authorization requests (RFC 9126 §5)
  bool require_dpop = false;  // every token request must carry a DPoP proof (RFC 9449 §5.2)
};

// Who may act after whom (registry.h DelegationRule), as `zta idp agent delegate` reads it.
struct DelegationRuleSpec {
  std::string from, to;             // agent client_ids, different, both registered
  std::string resource;             // "" = any; else a registered resource
  std::vector<std::string> scopes;  // "" = any; else within the resource's (when one is named)
  int max_depth = 0;                // 0 = the server cap; else 1..16
};

// Where an identity provider keeps its state.
struct IdpLocation {
  // Data folder: idp.db (SQLite) and keys/ when there is no store_url. REQUIRED without one.
  std::string data_dir;
  // A PostgreSQL store shared by several nodes (postgresql://..., docs/scale.md): the registry,
  // token state and the sealed signing keys all live there; ZTA_IDP_KEY_ENCRYPTION_KEY is then
  // required. "" = the data folder.
  std::string store_url;
};

// Thread-safe where its parts are.
class IdentityProvider {
 public:
  // Opens the store `where` names; the key encryption secret comes from
  // ZTA_IDP_KEY_ENCRYPTION_KEY when set (always required with a store_url).
  static Result<std::unique_ptr<IdentityProvider>> Open(const IdpLocation& where,
                                                        KeyManagerOptions key_options,
                                                        AuditSink& audit, const Clock& clock);
  // Creates DIR (mode 0700), DIR/idp.db and DIR/keys on first use. The key encryption secret
  // comes from ZTA_IDP_KEY_ENCRYPTION_KEY when set.
  static Result<std::unique_ptr<IdentityProvider>> Open(const std::string& data_dir,
                                                        KeyManagerOptions key_options,
                                                        AuditSink& audit, const Clock& clock);

  SqlIdpStore& store() { return *store_; }
  KeyManager& keys() { return *keys_; }

  // Registry administration; each change is an audit event (never with a password or secret).
  // Results are JSON for the CLI.
  Result<Json> AddResource(const ResourceSpec& spec);  // registers or replaces
  Result<Json> AddResource(const std::string& uri, const std::vector<std::string>& scopes,
                           int64_t max_ttl_seconds, bool with_introspection_secret);
  Result<Json> AddAgent(const AgentSpec& spec);  // includes client_secret once, if generated
  Result<Json> ListAgents();
  Result<Json> ShowAgent(const std::string& client_id);
  Status SetAgentEnabled(const std::string& client_id, bool enabled);
  Status DeleteAgent(const std::string& client_id);
  Result<Json> ListResources();

  // Users. `user` arguments take the id ("u-...") or the user name. Views never include the
  // password hash. AddUser: the name is unique (kAlreadyExists otherwise); the password is
  // hashed with Argon2id (password.h). Disabling or deleting a user refuses new tokens for them
  // at once; deleting also revokes their delegated grants.
  Result<Json> AddUser(const std::string& username, const std::string& email,
                       const std::string& display_name, const Secret& password);
  Result<Json> ListUsers();
  Result<Json> ShowUser(const std::string& user);
  Status SetUserEnabled(const std::string& user, bool enabled);
  Status DeleteUser(const std::string& user);
  Status SetUserPassword(const std::string& user, const Secret& password);

  // Apps (OAuth clients that send users to /authorize). AddApp's result includes
  // client_secret once for a confidential app; only its digest is stored.
  Result<Json> AddApp(const AppSpec& spec);
  Result<Json> ListApps();
  Result<Json> ShowApp(const std::string& client_id);
  Status DeleteApp(const std::string& client_id);

  // Delegation rules (docs/delegation.md, "Delegation rules"). Adding replaces the rule of the
  // same (from, to). List: every rule, or those where `agent` is from or to.
  Result<Json> AddDelegationRule(const DelegationRuleSpec& spec);
  Result<Json> ListDelegationRules(const std::string& agent);
  Status DeleteDelegationRule(const std::string& from, const std::string& to);
  static Json DelegationRulePublicView(const DelegationRule& rule);
  // Trusted external issuers (identity_provider_federation.cc). Add validates the spec with
  // clear errors (kInvalidArgument) and replaces an existing record of the same issuer.
  Result<Json> AddFederatedIssuer(const FederatedIssuerSpec& spec);
  Result<Json> ListFederatedIssuers();
  Status RemoveFederatedIssuer(const std::string& issuer);  // kNotFound when not registered
  static Json FederatedIssuerPublicView(const FederatedIssuer& issuer);
  // Checks an agent's federated subjects against `registry` (issuer registered, subject set).
  static Status ValidateFederatedSubjects(const std::vector<FederatedSubject>& subjects,
                                          const RegistrySnapshot& registry);

  // Starts a key rotation (KeyManager::Rotate) and records it as `keys.rotate` with the new kid.
  Result<KeyRow> RotateKeys();

  static Json AgentPublicView(const Agent& agent);
  static Json UserPublicView(const User& user);
  static Json AppPublicView(const App& app);
  static Json ResourcePublicView(const Resource& resource);

 private:
  IdentityProvider(std::unique_ptr<SqlIdpStore> store, AuditSink& audit, const Clock& clock)
      : store_(std::move(store)), audit_(audit), clock_(clock) {}
  void AuditChange(const std::string& action, const std::string& client_id,
                   const std::string& resource, const std::vector<std::string>& scopes,
                   Json attributes = Json::object());
  // A change to a user: `subject` is the user's id (never the password).
  void AuditUserChange(const std::string& action, const User& user);
  Result<User> FindUser(const std::string& id_or_name);

  std::unique_ptr<SqlIdpStore> store_;
  std::unique_ptr<KeyManager> keys_;
  AuditSink& audit_;
  const Clock& clock_;
};

}  // namespace zta::idp
