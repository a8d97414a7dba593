// Reading what an authorization server answered, shared by AuthProvider (client credentials)
// and DelegatedTokenSource (PAR, code, refresh): the RFC 6749 §5.2 error object as a Status,
// the error-code → StatusCode rule, and the unverified peek at a JWT's claims. Private to auth.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zta/auth/token_source.h"

#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/http/message.h"

namespace zta::auth::internal {

// An OAuth error code as RFC 6749 §5.2 spells them: 1..64 of [a-z_].
bool IsSnakeCase(std::string_view s);

// Server-controlled text (error_description) headed for logs: printable ASCII, at most 300.
std::string Sanitize(std::string_view s);

// RFC 6749 §5.2, RFC 9126 §2.3 and OIDC Core §3.1.2.6 error codes → our status code; the
// reason stays the server's code itself.
StatusCode CodeForOAuthError(std::string_view error);

// A non-2xx answer of `endpoint` ("token endpoint", "PAR endpoint") as a Status: reason = the
// server's error code, or token_error when it sent none that is snake_case.
Status OAuthErrorFromResponse(std::string_view endpoint, const http::Response& response);

// The unverified claims of a JWT access token, only to learn its jti and exp for logs and
// caching; null when it is not a JWT with a JSON object payload. Clients never trust them for
// anything else (RFC 9068 §6: tokens are opaque to clients); the resource server verifies.
Json PeekClaims(std::string_view token);

// RFC 6749 §5.1: a successful token response as an AccessToken for `resource`, its lifetime the
// shorter of expires_in and the token's own exp, its scopes as granted (or as requested when
// the response omits them). bad_token_response when it is not one.
// `dpop_key`: the key whose proof the request carried, null when it carried none. token_type
// "DPoP" is accepted only then, and the token is bound to that key (RFC 9449 §5); "Bearer" is
// accepted either way (an AS that does not bind answers Bearer, §5) and stays unbound.
Result<AccessToken> ParseTokenResponse(std::string_view body, const std::string& resource,
                                       const std::vector<std::string>& scopes, int64_t now,
                                       const std::shared_ptr<DpopKey>& dpop_key);
// The same for a response already parsed (a JSON object), for callers that read more members
// of it (DelegatedTokenSource: refresh_token).
Result<AccessToken> TokenFromResponse(const Json& response, const std::string& resource,
                                      const std::vector<std::string>& scopes, int64_t now,
                                      const std::shared_ptr<DpopKey>& dpop_key);

}  // namespace zta::auth::internal
