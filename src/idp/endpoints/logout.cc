// POST /logout: ends the browser's session (CSRF-protected, so no other site can sign a user
// out) and clears its cookie.
#include "../browser/pages.h"

namespace zta::idp {

Decision LogoutEndpoint(ServerContext& context, const http::Request& request) {
  auto post = browser::ReadCheckedPost(context, request, "Sign out", "Use the Sign out button.");
  if (!post.fields) return Decision::Unrecorded(std::move(post.refusal));
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
