// grant_type=client_credentials (RFC 6749 §4.4): an agent asks for a token as itself, for one
// resource (RFC 8707) and scopes within its allowance there.
#include <algorithm>

#include "access_token.h"
#include "grant.h"
#include "zta/core/scopes.h"

namespace zta::idp {
namespace {

// The resource a token is for, and the scopes the agent may have there.
struct Target {
  const Resource* resource;
  const std::vector<std::string>* allowed;
};

// RFC 8707 §2: resource selects the audience; without one, the agent's only resource.
OAuthResult<Target> SelectResource(const GrantContext& context, const Agent& agent) {
  std::string resource = context.Field("resource");
  if (resource.empty()) {
    if (agent.allowances.size() != 1) {
      return OAuthError::InvalidTarget("resource is required for this client");
    }
    resource = agent.allowances.begin()->first;
  }
  context.event.resource = resource;
  const Resource* res = context.registry.FindResource(resource);
  auto allowance = agent.allowances.find(resource);
  if (!res || allowance == agent.allowances.end()) {
    return OAuthError::InvalidTarget("the client may not request tokens for this resource");
  }
  return Target{res, &allowance->second};
}

// Requested scopes must be allowed to the agent and defined by the resource; none requested
// means the whole allowance (RFC 6749 §3.3: the pre-defined default).
OAuthResult<std::vector<std::string>> GrantScopes(const GrantContext& context,
                                                  const std::vector<std::string>& allowed,
                                                  const Resource& resource) {
  std::vector<std::string> requested = SplitSpaceDelimited(context.Field("scope"));
  context.event.scopes_requested = requested;
  if (requested.empty()) return allowed;
  std::vector<std::string> granted;
  for (const auto& s : requested) {
    bool ok = std::find(allowed.begin(), allowed.end(), s) != allowed.end() &&
              std::find(resource.scopes.begin(), resource.scopes.end(), s) != resource.scopes.end();
    if (!ok) return OAuthError::InvalidScope("scope " + s + " is not allowed for this client");
    if (std::find(granted.begin(), granted.end(), s) == granted.end()) granted.push_back(s);
  }
  return granted;
}

}  // namespace

GrantResult ClientCredentialsGrant(const GrantContext& context) {
  // RFC 6749 §4.4: "MUST only be used by confidential clients".
  if (!context.caller.agent) {
    return OAuthError::UnauthorizedClient("client_credentials needs a confidential client");
  }
  const Agent& agent = *context.caller.agent;
  auto target = SelectResource(context, agent);
  if (!target.ok()) return std::move(target).error();
  auto granted = GrantScopes(context, *target->allowed, *target->resource);
  if (!granted.ok()) return std::move(granted).error();
  context.event.scopes_granted = *granted;

  AccessTokenSpec spec;
  spec.subject = agent.client_id;
  spec.client_id = agent.client_id;
  spec.resource = target->resource;
  spec.scopes = std::move(*granted);
  spec.max_ttl_seconds = agent.max_token_ttl_seconds;
  spec.claims["zta_agent"] = AgentClaim(agent);
  return IssueAccessToken(context, spec);
}

}  // namespace zta::idp
