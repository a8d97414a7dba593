// Header hygiene of `zta gateway` in both directions: what a client may not send upstream
// (identity and forwarding headers, in any spelling), what the gateway sets from what it saw,
// and how the upstream's absolute URLs are kept from reaching the client.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zta/guard/validator.h"
#include "zta/http/message.h"

namespace zta::guard::forwarding {

// True for a client header the gateway drops before forwarding: hop-by-hop fields (RFC 9110
// §7.6.1 and those named in Connection), Host, Content-Length, Authorization (unless
// `forward_authorization`), every name holding '_' (CGI/WSGI servers join "X_Zta_Subject" with
// "X-Zta-Subject"; nginx drops such names by default too), and, case-insensitively and with '_'
// read as '-', X-Zta-*, Forwarded, X-Forwarded-*, X-Real-IP, and the method and URL override
// headers frameworks honour (X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override,
// X-Original-URL, X-Original-URI, X-Rewrite-URL).
bool DropsRequestHeader(std::string_view name, const std::vector<std::string>& connection_options,
                        bool forward_authorization);

// The option names listed in every Connection field (RFC 9110 §7.6.1).
std::vector<std::string> ConnectionOptions(const http::Headers& headers);

// True for an upstream response header not passed back: hop-by-hop fields and Content-Length.
bool DropsResponseHeader(std::string_view name, const std::vector<std::string>& connection_options);

// Sets Forwarded (RFC 7239 §4), X-Forwarded-For, X-Forwarded-Host and X-Forwarded-Proto from what
// the gateway itself saw: the peer address and the Host the client sent.
void SetForwardedHeaders(const http::Request& request, http::Headers* upstream);

// Sets the X-Zta-* headers of a verified principal (docs/gateway.md).
void SetPrincipalHeaders(const Principal& principal, http::Headers* upstream);

// A Location or Content-Location value from the upstream: an absolute URL on the upstream's own
// origin (and under its path prefix, which is removed: the client's path P is the upstream's
// prefix + P) becomes the path-absolute reference (RFC 9110 §10.2.2 allows a relative one), so
// the upstream's internal address never reaches the client. nullopt — drop the field — when
// that URL lies outside the prefix, or when its path would read as a network-path reference
// ("//evil", "/\evil": an open redirect). Other values pass unchanged.
std::optional<std::string> RewriteUpstreamLocation(std::string_view value,
                                                   std::string_view upstream_origin,
                                                   std::string_view upstream_prefix);

}  // namespace zta::guard::forwarding
