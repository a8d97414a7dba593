// Issuing an RFC 9068 access token: what every grant ends with once it has decided who the
// token is for, for which resource and with which scopes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "grant.h"

namespace zta::idp {

// What the token says beyond what the server fills in (iss, jti, iat, exp).
struct AccessTokenSpec {
  std::string subject;                 // RFC 9068 §2.2 sub
  std::string client_id;               // RFC 9068 §2.2 client_id
  const Resource* resource = nullptr;  // the audience (RFC 8707); its TTL caps the lifetime
  std::vector<std::string> scopes;     // granted scopes, in the order to list them
  int64_t max_ttl_seconds = 0;         // the client's own lifetime cap; 0 = none
  // No exp after this (Unix seconds): a token derived from another never outlives it
  // (RFC 8693 token exchange). 0 = none. REQUIRES: in the future when set.
  int64_t not_after = 0;
  Json claims = Json::object();        // further claims, e.g. zta_agent
};

// Signs the token with the current key and returns the token response body; fills the event's
// jti, zta.kid and zta.expires_at. Lifetime: options.default_token_ttl_seconds, capped by the
// resource and by spec.max_ttl_seconds. REQUIRES: spec.resource is set.
GrantResult IssueAccessToken(const GrantContext& context, const AccessTokenSpec& spec);

// The documented zta_agent claim of a token an agent holds or acts with: name, owner, model.
Json AgentClaim(const Agent& agent);

}  // namespace zta::idp
