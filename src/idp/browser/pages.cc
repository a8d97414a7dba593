// The browser endpoints' shared machinery: layout, parameters, session cookie, CSRF, and the
// step from an authorization request to the login page, the consent page or the code.
#include "pages.h"

#include <algorithm>

#include "../grants/delegated_token.h"
#include "details_schema.h"
#include "zta/core/random.h"
#include "zta/core/scopes.h"
#include "zta/http/message.h"

namespace zta::idp::browser {
namespace {

constexpr size_t kMaxParameterBytes = 64 * 1024;  // /par bodies carry long details
constexpr size_t kMaxParameters = 64;

bool IsHttps(const ServerContext& context) { return context.options.issuer.starts_with("https:"); }

bool IsBase64Url(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string IssuerOrigin(const ServerContext& context) {
  auto url = http::ParseUrl(context.options.issuer);
  return url.ok() ? url->Origin() : std::string();
}

}  // namespace

http::Response Page(int status, std::string_view title, const std::string& body_html) {
  std::string html;
  html.reserve(body_html.size() + 512);
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  html += http::HtmlEscape(title);
  html += "</title>\n<link rel=\"stylesheet\" href=\"/static/idp/style.css\">\n</head>\n<body>\n";
  html += "<main>\n<h1>";
  html += http::HtmlEscape(title);
  html += "</h1>\n";
  html += body_html;
  html += "</main>\n</body>\n</html>\n";
  return http::HtmlPage(status, std::move(html));
}

http::Response ErrorPage(int status, std::string_view title, std::string_view message) {
  return Page(status, title, "<p role=\"alert\">" + http::HtmlEscape(message) + "</p>\n");
}

static http::Response Redirect(int status, const std::string& location) {
  http::Response r = http::HtmlPage(status, "");
  r.headers.Set("Location", location);
  return r;
}

http::Response SeeOther(const std::string& location) { return Redirect(303, location); }

std::optional<FormFields> ReadParameters(const http::Request& request, std::string* why) {
  std::string_view raw;
  if (request.method == "POST") {
    raw = request.body;
  } else {
    raw = request.query;
  }
  if (raw.size() > kMaxParameterBytes) {
    *why = "The request is too large.";
    return std::nullopt;
  }
  auto form = http::ParseForm(raw);
  if (!form.ok()) {
    *why = "The request is malformed.";
    return std::nullopt;
  }
  if (form->size() > kMaxParameters) {
    *why = "The request has too many parameters.";
    return std::nullopt;
  }
  auto unique = UniqueFields(*form);
  if (!unique.ok()) {
    *why = "A parameter is repeated.";  // RFC 6749 §3.1
    return std::nullopt;
  }
  return std::move(*unique);
}

std::string SessionCookieName(const ServerContext& context) {
  return IsHttps(context) ? "__Host-zta-session" : "zta-session";
}

std::optional<LoginSession> CurrentSession(ServerContext& context, const http::Request& request) {
  auto value = http::GetCookie(request.headers, SessionCookieName(context));
  if (!value || value->size() != 43 || !IsBase64Url(*value)) return std::nullopt;
  std::string digest = DigestSecret(*value);
  auto found = context.token_state.FindSession(digest);
  if (!found.ok() || !found->has_value()) return std::nullopt;
  LoginSession session = std::move(**found);
  int64_t now = context.clock.NowSeconds();
  const RegistrySnapshot& registry = *context.registry.Get(true);
  const User* user = registry.FindUser(session.user_id);
  if (now >= session.expires_at ||
      now - session.last_seen_at >= context.options.session_idle_seconds || user == nullptr ||
      !user->enabled) {
    (void)context.token_state.DeleteSession(digest);
    return std::nullopt;
  }
  if (session.last_seen_at != now) {
    session.last_seen_at = now;
    (void)context.token_state.PutSession(session);
  }
  return session;
}

http::CsrfGuard Csrf(const ServerContext& context) {
  http::CsrfGuard guard;
  guard.secure = IsHttps(context);
  return guard;
}

std::optional<std::string> CsrfToken(const ServerContext& context, const http::Request& request,
                                     http::Response& response) {
  http::CsrfGuard guard = Csrf(context);
  auto existing = http::GetCookie(request.headers, guard.EffectiveCookieName());
  if (existing && existing->size() == 43 && IsBase64Url(*existing)) return *existing;
  auto issued = guard.Issue();
  if (!issued.ok()) return std::nullopt;
  if (!http::SetCookie(response, issued->second).ok()) return std::nullopt;
  return issued->first;
}

Status CheckCsrf(const ServerContext& context, const http::Request& request,
                 const FormFields& fields) {
  std::vector<std::pair<std::string, std::string>> form(fields.begin(), fields.end());
  return Csrf(context).Check(request, form, IssuerOrigin(context));
}

http::Response CsrfRefusedPage() {
  return ErrorPage(403, "Request refused",
                   "This form expired or did not come from this site. Go back, reload the page "
                   "and try again.");
}

CheckedPost ReadCheckedPost(const ServerContext& context, const http::Request& request,
                            std::string_view title, std::string_view use_instead) {
  CheckedPost out;
  if (request.method != "POST") {
    out.refusal = ErrorPage(405, title, use_instead);
    out.refusal.headers.Set("Allow", "POST");
    return out;
  }
  std::string why;
  auto fields = ReadParameters(request, &why);
  if (!fields) {
    out.refusal = ErrorPage(400, "Request refused", why);
  } else if (!CheckCsrf(context, request, *fields).ok()) {
    out.refusal = CsrfRefusedPage();
  } else {
    out.fields = std::move(fields);
  }
  return out;
}

http::Response RedirectToClient(const ServerContext& context, const AuthorizationRequest& request,
                                std::vector<std::pair<std::string, std::string>> params) {
  if (!request.state.empty()) params.emplace_back("state", request.state);
  params.emplace_back("iss", context.options.issuer);  // RFC 9207 §2
  // 303, never 307 (RFC 9700 §4.12): the answer may follow the login form's POST, whose body
  // (the password) a 307 would make the browser send on to the app.
  return SeeOther(AppendQuery(request.redirect_uri, params));
}

http::Response RedirectError(const ServerContext& context, const std::string& redirect_uri,
                             const std::string& state, const std::string& error,
                             const std::string& description) {
  AuthorizationRequest r;
  r.redirect_uri = redirect_uri;
  r.state = state;
  std::vector<std::pair<std::string, std::string>> params = {{"error", error}};
  if (!description.empty()) params.emplace_back("error_description", description);
  return RedirectToClient(context, r, std::move(params));
}

bool ConsentRemembered(ServerContext& context, const std::string& user_id,
                       const AuthorizationRequest& request) {
  if (request.prompt == "consent" || !request.authorization_details.is_null()) return false;
  auto consents = context.token_state.ListConsents(user_id);
  if (!consents.ok()) return false;
  for (const RememberedConsent& c : *consents) {
    if (c.app_id != request.app_id || c.agent_id != request.agent_id ||
        c.resource != request.resource) {
      continue;
    }
    return std::all_of(request.scopes.begin(), request.scopes.end(), [&](const std::string& s) {
      return std::find(c.scopes.begin(), c.scopes.end(), s) != c.scopes.end();
    });
  }
  return false;
}

std::string ScopeInWords(const Resource* resource, const std::string& scope) {
  std::string description;
  if (resource != nullptr) {
    auto d = resource->scope_descriptions.find(scope);
    if (d != resource->scope_descriptions.end()) description = d->second;
  }
  if (scope == "openid") description = "know who you are (your user id)";
  if (scope == "profile") description = "see your name";
  if (scope == "email") description = "see your email address";
  std::string html = "<code>" + DisplayEscape(scope) + "</code>";
  if (!description.empty()) html += ": " + DisplayEscape(description);
  return html;
}

AuditEvent RequestEvent(std::string action, const AuthorizationRequest& request) {
  AuditEvent event;
  event.action = std::move(action);
  event.client_id = request.app_id;
  event.resource = request.resource;
  event.scopes_requested = request.scopes;
  if (!request.agent_id.empty()) event.actor_chain = {request.agent_id};
  if (!request.authorization_details.is_null()) {
    event.attributes["zta.authorization_details_types"] = Json::array();
    for (const Json& entry : request.authorization_details) {
      event.attributes["zta.authorization_details_types"].push_back(entry.value("type", ""));
    }
    // The same digest code.redeem and token.issue carry, so `zta audit who` can tell which
    // consent a grant came from.
    event.attributes["zta.details_digest"] = DetailsDigest(request.authorization_details);
  }
  return event;
}

Decision IssueCode(ServerContext& context, const AuthorizationRequest& request,
                   const LoginSession& session, AuditEvent event) {
  event.action = "code.issue";
  event.subject = session.user_id;
  auto code = RandomToken(32);  // 256 bits (RFC 6749 §10.10)
  if (!code.ok()) {
    return Decision::Unrecorded(RedirectError(context, request.redirect_uri, request.state,
                                              "server_error", "no randomness"));
  }
  AuthorizationCode record;
  record.digest = DigestSecret(*code);
  record.app_id = request.app_id;
  record.redirect_uri = request.redirect_uri;
  record.code_challenge = request.code_challenge;
  record.user_id = session.user_id;
  record.agent_id = request.agent_id;
  record.resource = request.resource;
  record.scopes = request.scopes;
  record.authorization_details = request.authorization_details;
  record.nonce = request.nonce;
  record.auth_time = session.auth_time;
  record.expires_at =
      context.clock.NowSeconds() + std::clamp<int64_t>(context.options.code_ttl_seconds, 1, 60);
  if (!context.token_state.PutCode(record).ok()) {
    event.decision = AuditDecision::kError;
    event.reason = "store_error";
    return Decision::Recorded(
        RedirectError(context, request.redirect_uri, request.state, "temporarily_unavailable", ""),
        std::move(event), false);
  }
  event.scopes_granted = request.scopes;
  event.attributes["zta.code_expires_at"] = record.expires_at;
  return Decision::Recorded(RedirectToClient(context, request, {{"code", *code}}), std::move(event),
                            /*grants=*/true);
}

std::string WithRequestId(std::string_view path, const std::string& pending_id) {
  return std::string(path) + "?" + http::FormEncode({{"request_id", pending_id}});
}

Decision Continue(ServerContext& context, const std::string& pending_id,
                  const PendingAuthorization& pending, const std::optional<LoginSession>& session) {
  const AuthorizationRequest& request = pending.request;
  auto done = [&](http::Response response) {
    BrowserState::For(context).RemovePending(pending_id);
    return Decision::Unrecorded(std::move(response));
  };
  // prompt=login: the password checked for this very request (OIDC Core §3.1.2.1).
  bool logged_in = session.has_value() && (request.prompt != "login" || pending.fresh_login);
  if (!logged_in) {
    if (request.prompt == "none") {
      return done(
          RedirectError(context, request.redirect_uri, request.state, "login_required", ""));
    }
    return Decision::Unrecorded(SeeOther(WithRequestId("/login", pending_id)));
  }
  if (ConsentRemembered(context, session->user_id, request)) {
    BrowserState::For(context).RemovePending(pending_id);
    AuditEvent event = RequestEvent("code.issue", request);
    event.attributes["zta.consent"] = "remembered";
    return IssueCode(context, request, *session, std::move(event));
  }
  if (request.prompt == "none") {
    return done(
        RedirectError(context, request.redirect_uri, request.state, "consent_required", ""));
  }
  return Decision::Unrecorded(SeeOther(WithRequestId("/consent", pending_id)));
}

}  // namespace zta::idp::browser

namespace zta::idp::browser {
void AllowFormRedirectTo(http::Response& page, const std::string& redirect_uri) {
  auto url = http::ParseUrl(redirect_uri);
  auto csp = page.headers.Get("Content-Security-Policy");
  if (!url.ok() || !csp) return;
  std::string origin = url->Origin();
  // Only characters a CSP source expression may hold.
  if (origin.find_first_of(" ;,'\"\r\n") != std::string::npos) return;
  std::string policy = *csp;
  size_t at = policy.find("form-action 'self'");
  if (at == std::string::npos) return;
  policy.insert(at + std::string_view("form-action 'self'").size(), " " + origin);
  page.headers.Set("Content-Security-Policy", policy);
}
}  // namespace zta::idp::browser
