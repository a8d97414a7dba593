// The browser endpoints' HTML, cookies, sessions and CSRF tokens, and the step every one of
// them ends with: deciding what an authorization request still needs (login, consent) or
// answering it (a code or an error, by redirect).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../endpoints/endpoint.h"
#include "browser_state.h"
#include "zta/http/web.h"

namespace zta::idp::browser {

// A page: `title` and `body_html` (already escaped) inside the shared layout, with
// http::HtmlPage's security headers.
http::Response Page(int status, std::string_view title, const std::string& body_html);
// A page that only says `message` (escaped here).
http::Response ErrorPage(int status, std::string_view title, std::string_view message);
// 303 See Other to `location` (a form POST continues as a GET), never cached.
http::Response SeeOther(const std::string& location);

// The request's parameters: the query for GET/HEAD, the form body for POST. Repeated names,
// bad escapes and oversized input are refused (RFC 6749 §3.1). `*why` says which.
std::optional<FormFields> ReadParameters(const http::Request& request, std::string* why);

// The session cookie's name: "__Host-zta-session" under https, "zta-session" otherwise.
std::string SessionCookieName(const ServerContext& context);
// The request's live session (idle and absolute lifetimes checked, last_seen_at moved on);
// nullopt when none.
std::optional<LoginSession> CurrentSession(ServerContext& context, const http::Request& request);

// The CSRF guard for this server (Secure and "__Host-" under https).
http::CsrfGuard Csrf(const ServerContext& context);
// The CSRF token for a form on the page `response` will carry: the request's own cookie when
// it has a well-formed one, else a fresh one set on `response`. nullopt when randomness fails.
std::optional<std::string> CsrfToken(const ServerContext& context, const http::Request& request,
                                     http::Response& response);
// OK when the POST's token matches its cookie and its Origin (if any) is the issuer's.
Status CheckCsrf(const ServerContext& context, const http::Request& request,
                 const FormFields& fields);
// The 403 page for a failed CSRF check.
http::Response CsrfRefusedPage();

// A button's form POST (sign out, revoke): its fields once the method is POST, the parameters
// read and the CSRF token checked; else `refusal` is the page that answers it (405 naming
// `use_instead`, 400, or CsrfRefusedPage).
struct CheckedPost {
  std::optional<FormFields> fields;
  http::Response refusal;
};
CheckedPost ReadCheckedPost(const ServerContext& context, const http::Request& request,
                            std::string_view title, std::string_view use_instead);

// The authorization response as a redirect: `params` plus state and iss (RFC 9207).
http::Response RedirectToClient(const ServerContext& context, const AuthorizationRequest& request,
                                std::vector<std::pair<std::string, std::string>> params);
http::Response RedirectError(const ServerContext& context, const std::string& redirect_uri,
                             const std::string& state, const std::string& error,
                             const std::string& description);

// Whether the remembered consents of `user_id` cover `request` (scopes only, no
// authorization_details, no prompt=consent).
bool ConsentRemembered(ServerContext& context, const std::string& user_id,
                       const AuthorizationRequest& request);

// Issues the code for `request` approved by `session`'s user and redirects to the app.
// `event` is filled as code.issue.
Decision IssueCode(ServerContext& context, const AuthorizationRequest& request,
                   const LoginSession& session, AuditEvent event);

// What `pending` (under `pending_id`) needs next, given the session (if any): the login page,
// the consent page, or — consent remembered — the code. prompt=none turns the first two into
// login_required / consent_required.
Decision Continue(ServerContext& context, const std::string& pending_id,
                  const PendingAuthorization& pending, const std::optional<LoginSession>& session);

// "/login?request_id=..." etc.
std::string WithRequestId(std::string_view path, const std::string& pending_id);

// One scope as the user reads it: "<code>scope</code>: its description" (the resource's
// scope_descriptions, or the OIDC scopes' own words), as HTML, every value DisplayEscape'd.
std::string ScopeInWords(const Resource* resource, const std::string& scope);

// An audit event of `action` for `request`'s parties.
AuditEvent RequestEvent(std::string action, const AuthorizationRequest& request);

}  // namespace zta::idp::browser

namespace zta::idp::browser {
// Lets the page's forms end in a redirect to `redirect_uri`'s origin: browsers apply CSP
// form-action to the redirects a form submission follows (CSP3 §6.3.1), and the login and
// consent forms end at the app.
void AllowFormRedirectTo(http::Response& page, const std::string& redirect_uri);
}  // namespace zta::idp::browser
