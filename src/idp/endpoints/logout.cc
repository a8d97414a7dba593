// POST /logout: ends the browser's session (CSRF-protected, so no other site can sign a user
// out) and clears its cookie.
#include "../browser/pages.h"

namespace zta::idp {

Decision LogoutEndpoint(ServerContext& context, const http::Request& request) {
  if (request.method != "POST") {
    http::Response r = browser::ErrorPage(405, "Sign out", "Use the Sign out button.");
    r.headers.Set("Allow", "POST");
    return Decision::Unrecorded(std::move(r));
  }
  std::string why;
  auto fields = browser::ReadParameters(request, &why);
  if (!fields) return Decision::Unrecorded(browser::ErrorPage(400, "Request refused", why));
  if (!browser::CheckCsrf(context, request, *fields).ok()) {
    return Decision::Unrecorded(browser::CsrfRefusedPage());
  }
  AuditEvent event;
  event.action = "logout";
  if (auto session = browser::CurrentSession(context, request)) {
    event.subject = session->user_id;
    (void)context.token_state.DeleteSession(session->digest);
  }
  http::Response page = browser::ErrorPage(200, "Signed out", "You are signed out.");
  http::Cookie expired;
  expired.name = browser::SessionCookieName(context);
  expired.value = "";
  expired.max_age = 0;
  expired.secure = context.options.issuer.starts_with("https:");
  (void)http::SetCookie(page, expired);
  return Decision::Recorded(std::move(page), std::move(event), false);
}

}  // namespace zta::idp
