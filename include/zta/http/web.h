// What HTML pages (login, consent, account) need from zta::http: HTML responses with the
// security headers a page served by an identity provider must carry, escaping, cookies
// (RFC 6265) and a CSRF check for forms (double-submit cookie, OWASP's CSRF cheat sheet).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/status.h"
#include "zta/http/message.h"

namespace zta::http {

// An HTML page: Content-Type text/html; charset=utf-8, never cached (pages carry per-user
// state), never framed (clickjacking on consent buttons: CSP frame-ancestors 'none' and
// X-Frame-Options DENY), no MIME sniffing, no Referer leaving the site, and a
// Content-Security-Policy allowing only the site's own scripts, styles and form targets.
Response HtmlPage(int status, std::string body);

// Escapes & < > " ' for HTML text and double- or single-quoted attribute values.
std::string HtmlEscape(std::string_view text);

enum class SameSite { kStrict, kLax, kNone };

// A Set-Cookie (RFC 6265 §4.1). Secure defaults: HttpOnly, SameSite=Lax, Path=/, session
// lifetime. `secure` is on by default; turn it off only for plain-HTTP loopback.
struct Cookie {
  std::string name;   // REQUIRED, an RFC 9110 token
  std::string value;  // cookie-octets only (no space, '"', ',', ';', '\', controls)
  std::string path = "/";
  std::string domain;                 // Default: none (host-only cookie)
  std::optional<int64_t> max_age;     // seconds; 0 deletes. Default: session cookie.
  bool secure = true;
  bool http_only = true;
  SameSite same_site = SameSite::kLax;

  // The Set-Cookie field value; an error when name or value has bytes RFC 6265 forbids, or a
  // "__Host-" / "__Secure-" prefixed name lacks what its prefix promises (RFC 6265bis §4.1.3).
  Result<std::string> ToSetCookie() const;
};

// Adds a Set-Cookie field for `cookie` to `response`.
Status SetCookie(Response& response, const Cookie& cookie);

// The cookies of a request's Cookie fields (RFC 6265 §5.4: "a=b; c=d"), in order. Pairs
// without '=' are skipped; values keep their bytes (no decoding).
std::vector<std::pair<std::string, std::string>> ParseCookies(const Headers& headers);

// The value of the cookie `name` when exactly one is sent. Two of the same name (one planted
// by a sibling subdomain, say) are ambiguous: nullopt rather than a guess.
std::optional<std::string> GetCookie(const Headers& headers, std::string_view name);

// Double-submit CSRF protection for HTML forms: the page sets a random token in a cookie and
// the same token in a hidden form field; a POST is accepted only when both are present and
// equal (constant-time). Together with SameSite cookies and an Origin check this is what
// OWASP recommends for stateless forms.
struct CsrfGuard {
  // Cookie name. Default: "__Host-zta-csrf" (host-only, Secure, Path=/).
  std::string cookie_name = "__Host-zta-csrf";
  // Hidden form field name. Default: "csrf_token".
  std::string field_name = "csrf_token";
  // Whether the cookie is Secure. Default: true. Plain-HTTP loopback must turn it off, and the
  // cookie name then loses its "__Host-" prefix (which requires Secure).
  bool secure = true;

  // A fresh token (32 random bytes, base64url) and the cookie carrying it.
  Result<std::pair<std::string, Cookie>> Issue() const;
  // The hidden field to put in a form: <input type="hidden" name="..." value="...">.
  std::string HiddenField(std::string_view token) const;
  // OK when `request` carries the cookie and `form` the same token; PermissionDenied
  // (reason "csrf_mismatch") otherwise. When the request has an Origin header, it must be
  // `expected_origin` (reason "csrf_origin") unless that is empty.
  Status Check(const Request& request,
               const std::vector<std::pair<std::string, std::string>>& form,
               std::string_view expected_origin) const;

  std::string EffectiveCookieName() const;
};

}  // namespace zta::http
