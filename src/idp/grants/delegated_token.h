// What the authorization_code and refresh_token grants share: checking the actor's own token
// (draft-oauth-ai-agents-on-behalf-of-user-02 actor_token), checking the user and the actor are
// still enabled, and minting the delegated access token, its refresh token and (with openid) the
// ID token (docs/delegation.md, "Tokens").
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "grant.h"
#include "zta/jose/jwt.h"

namespace zta::idp {

// RFC 8693 §3: the only actor_token_type accepted.
inline constexpr char kAccessTokenType[] = "urn:ietf:params:oauth:token-type:access_token";
// Lifetime of a refresh token: a rotation must happen within it. 14 days.
inline constexpr int64_t kRefreshTokenTtlSeconds = 14 * 24 * 3600;
// An access token this idp signed (iss = ours, typ at+jwt, a published key, unexpired with no
// leeway), whatever its single string aud; the caller checks aud, revocation and the registry.
// RFC 9449 §6.1: the cnf.jkt a token's claims bind it to, "" when unbound.
std::string BoundKey(const Json& claims);

Result<std::shared_ptr<const jose::VerifiedJwt>> VerifyOwnAccessToken(const KeyManager& keys,
                                                                      const std::string& issuer,
                                                                      std::string_view token,
                                                                      int64_t now);

// The audience of a token from a plain sign-in without a resource: the issuer itself (its
// /userinfo), with no resource scopes.
Resource UserinfoResource(const AuthorizationServerOptions& options);

// OpenID Connect scopes (OIDC Core §5.4): granted whenever consented, whatever the resource.
bool IsOpenIdScope(const std::string& scope);

// The requested actor `agent_id` proves itself with its own access token: actor_token (an at+jwt
// this idp signed, unexpired, unrevoked, sub = client_id = agent_id, no act) with
// actor_token_type = kAccessTokenType; the agent must exist and be enabled. invalid_grant else.
OAuthResult<const Agent*> CheckActor(const GrantContext& context, const std::string& agent_id);

// The user a grant is for, if it exists and is enabled; invalid_grant else.
OAuthResult<const User*> CheckUser(const GrantContext& context, const std::string& user_id);

// `requested` ∩ the agent's allowance at `resource` (none without an agent) ∩ the resource's
// scopes, OIDC scopes passing through; in `requested`'s order, without repeats.
std::vector<std::string> DelegatedScopes(const std::vector<std::string>& requested,
                                         const Agent* agent, const Resource& resource);

// Who and what a delegated grant is for, looked up again at every issue (code redemption and
// each refresh): the user and the actor must still be enabled, the resource still registered.
struct DelegationParties {
  const User* user = nullptr;
  const Agent* agent = nullptr;  // nullptr: no actor
  // The registered audience, or nullptr for a plain sign-in (no resource, no actor), whose
  // token is for the issuer's own /userinfo alone.
  const Resource* registered = nullptr;
  Resource userinfo;
  const Resource& resource() const { return registered ? *registered : userinfo; }
};

// CheckUser(user_id), CheckActor(agent_id) unless agent_id is "", and the resource `resource_uri`
// (UserinfoResource for "" without an actor); invalid_target "the <whose> resource is no longer
// registered" when it is gone.
OAuthResult<DelegationParties> ResolveDelegationParties(const GrantContext& context,
                                                        const std::string& user_id,
                                                        const std::string& agent_id,
                                                        const std::string& resource_uri,
                                                        std::string_view whose);

// What a delegated token request has established.
struct Delegation {
  const DelegatedGrant* grant = nullptr;
  const User* user = nullptr;
  const App* app = nullptr;
  const Agent* agent = nullptr;  // nullptr: a plain user token (no act)
  const Resource* resource = nullptr;
  std::vector<std::string> scopes;  // already narrowed by DelegatedScopes
  std::string nonce;                // OIDC nonce of the code ("" on refresh)
  bool id_token = false;            // issue an ID token (openid scope at code redemption)
};

// Mints the access token, a new refresh token of the grant's family and, when asked, the ID
// token; fills the event (subject, actor chain, scopes, zta.grant, zta.details_digest).
GrantResult IssueDelegatedTokens(const GrantContext& context, const Delegation& delegation);

// "sha256:<base64url>" of the canonical JSON of authorization_details ("" for null): what the
// audit log records instead of the details themselves.
std::string DetailsDigest(const Json& authorization_details);

}  // namespace zta::idp
