// The login page: a user name and password form (CSRF-protected), one answer for every wrong
// combination, failures limited per user name and per source address, and on success a new
// session whose cookie value is 256 random bits (only its digest is stored).
#include "../browser/pages.h"
#include "zta/core/random.h"
#include "zta/idp/password.h"

namespace zta::idp {
namespace {

constexpr char kWrongCredentials[] = "The user name or password is wrong.";

http::Response LoginForm(ServerContext& context, const http::Request& request, int status,
                         const std::string& pending_id, const std::string& username,
                         const std::string& error, const std::string& redirect_uri) {
  std::string body;
  if (!error.empty())
    body += "<p role=\"alert\" class=\"error\">" + http::HtmlEscape(error) + "</p>\n";
  body += "<form method=\"post\" action=\"/login\">\n";
  http::Response page = browser::Page(status, "Sign in", "");
  auto token = browser::CsrfToken(context, request, page);
  if (!token) return browser::ErrorPage(503, "Try again later", "The server is busy.");
  body += browser::Csrf(context).HiddenField(*token) + "\n";
  if (!pending_id.empty()) {
    body += "<input type=\"hidden\" name=\"request_id\" value=\"" + http::HtmlEscape(pending_id) +
            "\">\n";
  }
  body +=
      "<label for=\"username\">User name</label>\n"
      "<input id=\"username\" name=\"username\" autocomplete=\"username\" required "
      "maxlength=\"256\" value=\"" +
      http::HtmlEscape(username) + "\">\n";
  body +=
      "<label for=\"password\">Password</label>\n"
      "<input id=\"password\" name=\"password\" type=\"password\" "
      "autocomplete=\"current-password\" required maxlength=\"1024\">\n"
      "<button type=\"submit\">Sign in</button>\n</form>\n";
  http::Response full = browser::Page(status, "Sign in", body);
  for (const auto& [name, value] : page.headers.fields()) {
    if (http::EqualsIgnoreCase(name, "Set-Cookie")) full.headers.Add(name, value);
  }
  if (!redirect_uri.empty()) browser::AllowFormRedirectTo(full, redirect_uri);
  return full;
}

// The audit event of a sign-in attempt, a failure until it succeeds.
AuditEvent LoginAttemptEvent(const http::Request& request, const std::string& username,
                             const std::optional<browser::PendingAuthorization>& pending) {
  AuditEvent event;
  event.action = "login.failure";
  event.decision = AuditDecision::kDeny;
  event.attributes["zta.username"] = username;
  event.attributes["zta.source_address"] = request.remote_address;
  if (pending) event.client_id = pending->request.app_id;
  return event;
}

// The user whose password this is, if enabled; nullptr else, with the reason in event.reason.
// Every failure costs the same time as a wrong password (no enumeration).
const User* CheckCredentials(const User* user, const Secret& password, AuditEvent& event) {
  if (user == nullptr || password.empty() || password.size() > 1024) {
    BurnPasswordWork(password);
    event.reason = user == nullptr ? "unknown_user" : "bad_password";
    return nullptr;
  }
  auto verified = VerifyPassword(password, user->password_hash);
  if (!verified.ok() || !*verified) {
    event.reason = "bad_password";
    return nullptr;
  }
  if (!user->enabled) {
    event.reason = "user_disabled";
    return nullptr;
  }
  event.reason = "";
  return user;
}

// A new session every time (no fixation); the one the browser had, if any, ends. Returns the
// stored session and the cookie that carries its value, or nullopt when the server is busy.
std::optional<std::pair<LoginSession, http::Cookie>> StartSession(ServerContext& context,
                                                                  const http::Request& request,
                                                                  const User& user, int64_t now) {
  if (auto old = http::GetCookie(request.headers, browser::SessionCookieName(context))) {
    (void)context.token_state.DeleteSession(DigestSecret(*old));
  }
  auto value = RandomToken(32);
  auto csrf_secret = RandomToken(32);
  if (!value.ok() || !csrf_secret.ok()) return std::nullopt;
  LoginSession session;
  session.digest = DigestSecret(*value);
  session.user_id = user.id;
  session.auth_time = now;
  session.last_seen_at = now;
  session.expires_at = now + context.options.session_absolute_seconds;
  session.csrf_secret = *csrf_secret;
  if (!context.token_state.PutSession(session).ok()) return std::nullopt;
  http::Cookie cookie;
  cookie.name = browser::SessionCookieName(context);
  cookie.value = *value;
  cookie.secure = context.options.issuer.starts_with("https:");
  return std::make_pair(std::move(session), std::move(cookie));
}

// Signed in: on to the pending authorization (or the account page) with the session cookie and
// a fresh CSRF token, once the success is in the audit log.
Decision FinishLogin(ServerContext& context, const std::string& pending_id,
                     std::optional<browser::PendingAuthorization>& pending,
                     const LoginSession& session, const http::Cookie& cookie, const User& user,
                     AuditEvent event) {
  if (pending) {
    browser::BrowserState::For(context).MarkFreshLogin(pending_id);
    pending->fresh_login = true;
  }
  Decision next = pending ? browser::Continue(context, pending_id, *pending, session)
                          : Decision::Unrecorded(browser::SeeOther("/account"));
  // A fresh CSRF token with the new session (OWASP: rotate on login), so a token planted
  // before the login does not carry over.
  auto csrf = browser::Csrf(context).Issue();
  if (!csrf.ok() || !http::SetCookie(next.response, csrf->second).ok() ||
      !http::SetCookie(next.response, cookie).ok()) {
    return Decision::Unrecorded(browser::ErrorPage(500, "Sign-in failed", "Please try again."));
  }
  event.action = "login.success";
  event.decision = AuditDecision::kAllow;
  event.reason.clear();
  event.subject = user.id;
  Status recorded = context.Audit(std::move(event));
  if (!recorded.ok()) {
    (void)context.token_state.DeleteSession(session.digest);
    return Decision::Unrecorded(
        browser::ErrorPage(503, "Try again later", "The audit log is unavailable."));
  }
  return next;
}

}  // namespace

Decision LoginEndpoint(ServerContext& context, const http::Request& request) {
  std::string why;
  auto fields = browser::ReadParameters(request, &why);
  if (!fields) return Decision::Unrecorded(browser::ErrorPage(400, "Request refused", why));
  int64_t now = context.clock.NowSeconds();
  const std::string& pending_id = Field(*fields, "request_id");
  std::optional<browser::PendingAuthorization> pending;
  if (!pending_id.empty()) {
    pending = browser::BrowserState::For(context).FindPending(pending_id, now);
    if (!pending) {
      return Decision::Unrecorded(browser::ErrorPage(
          400, "Request expired", "This sign-in request has expired. Start again at the app."));
    }
  }
  std::string redirect_uri = pending ? pending->request.redirect_uri : "";

  if (request.method != "POST") {
    std::string hint = pending ? pending->request.login_hint : "";
    return Decision::Unrecorded(
        LoginForm(context, request, 200, pending_id, hint, "", redirect_uri));
  }
  if (!browser::CheckCsrf(context, request, *fields).ok()) {
    return Decision::Unrecorded(browser::CsrfRefusedPage());
  }
  const std::string username = Field(*fields, "username").substr(0, 256);
  Secret password(Field(*fields, "password"));
  AuditEvent event = LoginAttemptEvent(request, username, pending);

  browser::BrowserState& state = browser::BrowserState::For(context);
  int64_t retry_after = 0;
  if (state.LoginBlocked(username, request.remote_address, context.options.login_failure_limit,
                         context.options.login_failure_window_seconds, now, &retry_after)) {
    event.reason = "too_many_failures";
    http::Response page = browser::ErrorPage(
        429, "Too many attempts", "Too many wrong sign-ins. Wait a few minutes and try again.");
    page.headers.Set("Retry-After", std::to_string(std::max<int64_t>(retry_after, 1)));
    return Decision::Recorded(std::move(page), std::move(event), false);
  }

  auto registry = context.registry.Get(true);
  const User* named = registry->FindUserByName(username);
  const User* user = CheckCredentials(named, password, event);
  if (!user) {
    state.CountLoginFailure(username, request.remote_address,
                            context.options.login_failure_window_seconds, now);
    if (named != nullptr) event.subject = named->id;
    return Decision::Recorded(
        LoginForm(context, request, 401, pending_id, username, kWrongCredentials, redirect_uri),
        std::move(event), false);
  }
  auto started = StartSession(context, request, *user, now);
  if (!started) {
    return Decision::Unrecorded(browser::ErrorPage(503, "Try again later", "The server is busy."));
  }
  return FinishLogin(context, pending_id, pending, started->first, started->second, *user,
                     std::move(event));
}

}  // namespace zta::idp
