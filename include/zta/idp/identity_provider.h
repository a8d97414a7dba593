// An identity provider's data folder opened as one object: the SQLite store, the signing keys
// and the registry administration used by `zta idp ...` commands.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/idp/key_manager.h"
#include "zta/http/message.h"
#include "zta/idp/sqlite_idp_store.h"

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
};

// Thread-safe where its parts are.
class IdentityProvider {
 public:
  // Creates DIR (mode 0700), DIR/idp.db and DIR/keys on first use. The key encryption secret
  // comes from ZTA_IDP_KEY_ENCRYPTION_KEY when set.
  static Result<std::unique_ptr<IdentityProvider>> Open(const std::string& data_dir,
                                                        KeyManagerOptions key_options,
                                                        AuditSink& audit, const Clock& clock);

  SqliteIdpStore& store() { return *store_; }
  KeyManager& keys() { return *keys_; }

  // Registry administration; each change is an audit event. Results are JSON for the CLI.
  Result<Json> AddResource(const std::string& uri, const std::vector<std::string>& scopes,
                           int64_t max_ttl_seconds, bool with_introspection_secret);
  Result<Json> AddAgent(const AgentSpec& spec);  // includes client_secret once, if generated
  Result<Json> ListAgents();
  Result<Json> ShowAgent(const std::string& client_id);
  Status SetAgentEnabled(const std::string& client_id, bool enabled);
  Status DeleteAgent(const std::string& client_id);
  Result<Json> ListResources();

  // Starts a key rotation (KeyManager::Rotate) and records it as `keys.rotate` with the new kid.
  Result<KeyRow> RotateKeys();

  static Json AgentPublicView(const Agent& agent);

 private:
  IdentityProvider(std::unique_ptr<SqliteIdpStore> store, AuditSink& audit, const Clock& clock)
      : store_(std::move(store)), audit_(audit), clock_(clock) {}
  void AuditChange(const std::string& action, const std::string& client_id,
                   const std::string& resource, const std::vector<std::string>& scopes);

  std::unique_ptr<SqliteIdpStore> store_;
  std::unique_ptr<KeyManager> keys_;
  AuditSink& audit_;
  const Clock& clock_;
};

}  // namespace zta::idp
