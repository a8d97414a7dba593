// An authorization request (RFC 6749 §4.1.1) read and checked once, for /authorize and /par:
// the client and its redirect URI first (refused on a page, never redirected: RFC 6749
// §4.1.2.1), then everything else (refused by redirecting with an error code).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../form_fields.h"
#include "zta/core/json.h"
#include "zta/idp/registry.h"

namespace zta::idp::browser {

// What the user is asked to approve, as the app asked for it. A value type.
struct AuthorizationRequest {
  std::string app_id;          // client_id
  std::string redirect_uri;    // as sent (and matched)
  std::string state;           // echoed; "" when none
  std::string code_challenge;  // PKCE S256 (RFC 7636 §4.2)
  std::string resource;        // RFC 8707
  std::vector<std::string> scopes;
  Json authorization_details;  // RFC 9396 §2 array, or null
  std::string agent_id;        // requested_actor; "" for a plain user token
  std::string prompt;          // "", "login", "consent" or "none"
  std::string login_hint;
  std::string nonce;
};

// How a request was refused.
struct AuthorizationRefusal {
  // True: the client or redirect URI is not to be trusted, so the browser gets an error page
  // (status `page_status`) and the app hears nothing. False: redirect with `error`.
  bool on_page = false;
  int page_status = 400;
  std::string error;        // RFC 6749 §4.1.2.1 code, e.g. "invalid_scope"
  std::string description;  // for error_description / the page
  // Set when !on_page: where to send the error, and the state to echo.
  std::string redirect_uri;
  std::string state;
};

// Reads `fields` (each name at most once) for `app` — the client and redirect URI checked
// already by CheckClient. Validates PKCE, resource, scope, authorization_details and
// requested_actor against `registry`.
std::optional<AuthorizationRefusal> ReadAuthorizationRequest(const FormFields& fields,
                                                             const App& app,
                                                             const RegistrySnapshot& registry,
                                                             AuthorizationRequest* out);

// RFC 9396 §2: `details` (the authorization_details parameter; "" = none, *out null) as a JSON
// array of 1 to 16 objects, each of a type `resource` declared (§5) and matching that type's
// schema, into *out. When not, the description of the invalid_authorization_details error.
// /authorize, /par and /bc-authorize all read the parameter with it.
std::optional<std::string> ParseAuthorizationDetails(const std::string& details,
                                                     const Resource& resource, Json* out);

// client_id names an enabled app and redirect_uri is one it registered (RFC 6749 §3.1.2.3).
// Returns the app, or sets `*refusal` (always on_page).
const App* CheckClient(const FormFields& fields, const RegistrySnapshot& registry,
                       AuthorizationRefusal* refusal);

// The redirect URI with `params` appended to its query (RFC 6749 §4.1.2: "retaining any
// existing query").
std::string AppendQuery(const std::string& uri,
                        const std::vector<std::pair<std::string, std::string>>& params);

// The OIDC scopes accepted next to the resource's own (OpenID Connect Core §5.4, §11).
bool IsOpenIdScope(const std::string& scope);

}  // namespace zta::idp::browser
