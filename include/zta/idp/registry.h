// The identity provider's registry: resources (APIs, the token audiences) and agents (OAuth
// clients with their own identities). Persisted by a RegistryStore (zta/idp/stores.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
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
};

enum class ClientAuthMethod {
  kClientSecret,  // client_secret_basic or client_secret_post (RFC 6749 §2.3.1)
  kPrivateKeyJwt, // RFC 7523 §2.2 client assertion signed by the agent's registered key
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
  // resource URI → scopes the agent may request there.
  std::map<std::string, std::vector<std::string>> allowances;
  int64_t created_at = 0;
};

// An immutable view of the registry at one version; shared by request threads.
struct RegistrySnapshot {
  uint64_t version = 0;
  std::map<std::string, Resource> resources;
  std::map<std::string, Agent> agents;

  const Agent* FindAgent(const std::string& client_id) const;
  const Resource* FindResource(const std::string& uri) const;
};

}  // namespace zta::idp
