// The DPoP proof of a token request (RFC 9449 §5): which key the client proved it holds, so the
// tokens it gets are bound to that key (cnf.jkt, §6.1).
#pragma once

#include <string>

#include "client_auth.h"
#include "server_context.h"
#include "zta/http/message.h"
#include "zta/idp/oauth_error.h"

namespace zta::idp {

// Checks the request's DPoP header, if any, against §4.3 (htm POST, htu this token endpoint,
// iat window, the allowed algorithms, the server nonce when required) and records its jti as
// spent for that key in the store (§11.1, across nodes sharing the store). Returns the key's
// thumbprint, or "" when the request has no proof and `caller` is not registered with
// dpop_bound_access_tokens (§5.2). Refusals are invalid_dpop_proof or use_dpop_nonce, with the
// finer reason (jose/dpop.h kReasonDpop*) for the audit log.
OAuthResult<std::string> TokenRequestDpopKey(ServerContext& context, const http::Request& request,
                                             const Caller& caller);

// The DPoP-Nonce every token endpoint answer carries when nonces are required (§8: "the
// authorization server MAY supply a new nonce ... in any response"); "" otherwise.
std::string CurrentDpopNonce(const ServerContext& context);

}  // namespace zta::idp
