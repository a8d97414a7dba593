// HTML responses, cookies and CSRF checks for the pages zta serves.
#include "zta/http/web.h"

#include "zta/core/base64url.h"
#include "zta/core/random.h"
#include "zta/core/secret.h"

namespace zta::http {
namespace {

// RFC 6265 §4.1.1 cookie-octet.
bool IsCookieValue(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\') return false;
  }
  return true;
}

// Path and Domain attribute values: no ';' and no controls (RFC 6265 §4.1.1 av-octet).
bool IsAttributeValue(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == ';') return false;
  }
  return true;
}

}  // namespace

Response HtmlPage(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "text/html; charset=utf-8");
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  r.headers.Set("X-Frame-Options", "DENY");
  r.headers.Set("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with every
  // form POST (Fetch §3.2.5, serializing a request origin), and CsrfGuard's Origin check could
  // then never pass. Cross-origin navigations (the redirect to an app) still carry no referrer.
  r.headers.Set("Referrer-Policy", "same-origin");
  r.body = std::move(body);
  return r;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Result<std::string> Cookie::ToSetCookie() const {
  if (!IsToken(name)) return InvalidArgument("cookie name is not a token");
  if (!IsCookieValue(value)) return InvalidArgument("cookie value has a forbidden byte");
  if (!IsAttributeValue(path) || !IsAttributeValue(domain)) {
    return InvalidArgument("cookie Path or Domain has a forbidden byte");
  }
  // RFC 6265bis §4.1.3: "__Secure-" needs Secure; "__Host-" also Path=/ and no Domain.
  if ((name.starts_with("__Secure-") || name.starts_with("__Host-")) && !secure) {
    return InvalidArgument("a __Secure- or __Host- cookie must be Secure");
  }
  if (name.starts_with("__Host-") && (path != "/" || !domain.empty())) {
    return InvalidArgument("a __Host- cookie must have Path=/ and no Domain");
  }
  if (same_site == SameSite::kNone && !secure) {
    return InvalidArgument("SameSite=None requires Secure");
  }
  std::string out = name + "=" + value;
  if (!path.empty()) out += "; Path=" + path;
  if (!domain.empty()) out += "; Domain=" + domain;
  if (max_age) out += "; Max-Age=" + std::to_string(*max_age);
  if (secure) out += "; Secure";
  if (http_only) out += "; HttpOnly";
  switch (same_site) {
    case SameSite::kStrict:
      out += "; SameSite=Strict";
      break;
    case SameSite::kLax:
      out += "; SameSite=Lax";
      break;
    case SameSite::kNone:
      out += "; SameSite=None";
      break;
  }
  return out;
}

Status SetCookie(Response& response, const Cookie& cookie) {
  ZTA_ASSIGN_OR_RETURN(std::string value, cookie.ToSetCookie());
  response.headers.Add("Set-Cookie", std::move(value));
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> ParseCookies(const Headers& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : headers.GetAll("Cookie")) {
    std::string_view rest(field);
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = TrimOws(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view name = TrimOws(pair.substr(0, eq));
      std::string_view value = TrimOws(pair.substr(eq + 1));
      // RFC 6265 §4.1.1 allows a DQUOTE-wrapped value; the quotes are not part of it.
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (!name.empty()) out.emplace_back(std::string(name), std::string(value));
    }
  }
  return out;
}

std::optional<std::string> GetCookie(const Headers& headers, std::string_view name) {
  std::optional<std::string> found;
  for (auto& [n, v] : ParseCookies(headers)) {
    if (n != name) continue;
    if (found) return std::nullopt;  // ambiguous
    found = std::move(v);
  }
  return found;
}

std::string CsrfGuard::EffectiveCookieName() const {
  if (!secure && cookie_name.starts_with("__Host-")) return cookie_name.substr(7);
  return cookie_name;
}

Result<std::pair<std::string, Cookie>> CsrfGuard::Issue() const {
  ZTA_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(32));
  std::string token = Base64UrlEncode(bytes);
  Cookie cookie;
  cookie.name = EffectiveCookieName();
  cookie.value = token;
  cookie.secure = secure;
  cookie.same_site = SameSite::kStrict;
  return std::make_pair(std::move(token), std::move(cookie));
}

std::string CsrfGuard::HiddenField(std::string_view token) const {
  return "<input type=\"hidden\" name=\"" + HtmlEscape(field_name) + "\" value=\"" +
         HtmlEscape(token) + "\">";
}

Status CsrfGuard::Check(const Request& request,
                        const std::vector<std::pair<std::string, std::string>>& form,
                        std::string_view expected_origin) const {
  if (!expected_origin.empty()) {
    if (auto origin = request.headers.Get("Origin"); origin && *origin != expected_origin) {
      return Status(StatusCode::kPermissionDenied, "form posted from another origin",
                    "csrf_origin");
    }
  }
  auto cookie = GetCookie(request.headers, EffectiveCookieName());
  std::optional<std::string> field;
  for (const auto& [name, value] : form) {
    if (name != field_name) continue;
    if (field) return Status(StatusCode::kPermissionDenied, "two CSRF fields", "csrf_mismatch");
    field = value;
  }
  if (!cookie || !field || cookie->size() < 32 || !ConstantTimeEquals(*cookie, *field)) {
    return Status(StatusCode::kPermissionDenied, "CSRF token missing or wrong", "csrf_mismatch");
  }
  return Status::Ok();
}

}  // namespace zta::http
