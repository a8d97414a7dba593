// Whether an access token this idp signed still stands: what introspection answers and what a
// token exchange requires of its subject token. A token is live only while everything it was
// derived from is: its jti and every token it was exchanged from (zta_parents) unrevoked, its
// grant (zta_grant) unrevoked with the user and app enabled, and every agent of its actor chain
// (RFC 8693 §4.1 act) and the agent it was issued to registered and enabled.
#pragma once

#include <string>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/idp/registry.h"
#include "zta/idp/stores.h"
#include "zta/jose/jwt.h"

namespace zta::idp {

// Deepest act nesting read (the exchange cap is lower; this bounds what a forged claim costs).
inline constexpr int kMaxActNesting = 16;
// Longest zta_parents list read: one per exchange hop, so the chain cap bounds it.
inline constexpr size_t kMaxParents = 16;

// The actors of an RFC 8693 §4.1 act claim, outermost (the current actor) first; empty when
// `claims` has no act. kInvalidArgument (reason bad_actor_chain) when act is not a nesting of
// objects each with a string sub, or nests deeper than kMaxActNesting.
Result<std::vector<std::string>> ReadActorChain(const Json& claims);

// The jtis of the tokens `claims` was exchanged from (zta_parents), nearest first; empty when
// none. kInvalidArgument when the claim is not an array of strings or is longer than kMaxParents.
Result<std::vector<std::string>> ReadParents(const Json& claims);

// Why `token` (verified: signature, issuer, typ, exp) no longer stands, as a reason code of
// zta/idp/reasons.h ("revoked", "parent_revoked", "grant_revoked", "user_disabled",
// "agent_disabled", ...), or "" when it stands. A store that cannot be read counts as revoked
// (fail closed). `actor_chain`, when given, receives the token's actors.
std::string WhyInactive(const RegistrySnapshot& registry, TokenStateStore& token_state,
                        const jose::VerifiedJwt& token,
                        std::vector<std::string>* actor_chain = nullptr);

}  // namespace zta::idp
