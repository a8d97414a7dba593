// Redirect URIs of apps: which may be registered (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §4.1)
// and whether one presented at /authorize or /token matches a registered one.
#pragma once

#include <string_view>

#include "zta/core/status.h"
#include "zta/idp/registry.h"

namespace zta::idp {

// Ok when `uri` may be registered as a redirect URI: absolute, no fragment (RFC 6749 §3.1.2),
// no whitespace or control characters, and one of
//   https://host[:port]/...                          any host;
//   http://127.0.0.1[:port]/..., http://[::1][:port]/..., http://localhost[:port]/...
//                                                    loopback only (RFC 8252 §7.3, §8.3);
//   reverse.domain.scheme:/path                      a private-use scheme, which must contain a
//                                                    period (RFC 8252 §7.1).
// User information in the authority ("user@host") is refused. Else InvalidArgument saying why.
Status ValidateRedirectUri(std::string_view uri);

// Whether `presented` matches one of app.redirect_uris: byte-for-byte equal (RFC 9700 §4.1.3),
// or, for a registered http loopback URI without a port, the same URI with any port
// (RFC 8252 §7.3: the native app picks its port at run time). Nothing else is normalized.
bool RedirectUriMatches(const App& app, std::string_view presented);

}  // namespace zta::idp
