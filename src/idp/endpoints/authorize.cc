// The authorization endpoint (RFC 6749 §4.1.1) with the OAuth 2.1 / RFC 9700 rules: the client
// and redirect URI are checked first and refused on a page; everything else is refused by
// redirecting with an error, state and iss (RFC 9207). A good request waits in memory while
// the browser signs in and consents (login.cc, consent.cc); a pushed one (par.cc) is taken by
// its request_uri.
#include "../browser/pages.h"
#include "zta/http/web.h"

namespace zta::idp {

using browser::AuthorizationRefusal;
using browser::AuthorizationRequest;

Decision AuthorizeEndpoint(ServerContext& context, const http::Request& request) {
  std::string why;
  auto fields = browser::ReadParameters(request, &why);
  if (!fields) return Decision::Unrecorded(browser::ErrorPage(400, "Request refused", why));
  auto registry = context.registry.Get(true);
  int64_t now = context.clock.NowSeconds();

  AuditEvent refused_event;
  refused_event.action = "authorize.refuse";
  refused_event.decision = AuditDecision::kDeny;
  refused_event.client_id = Field(*fields, "client_id").substr(0, 200);
  auto refuse = [&](const AuthorizationRefusal& refusal) {
    refused_event.reason = refusal.error;
    refused_event.attributes["zta.description"] = refusal.description;
    if (refusal.on_page) {
      return Decision::Recorded(
          browser::ErrorPage(refusal.page_status, "Request refused", refusal.description),
          std::move(refused_event), false);
    }
    return Decision::Recorded(browser::RedirectError(context, refusal.redirect_uri, refusal.state,
                                                     refusal.error, refusal.description),
                              std::move(refused_event), false);
  };

  AuthorizationRequest authorization;
  const std::string& request_uri = Field(*fields, "request_uri");
  if (!request_uri.empty()) {
    // RFC 9126 §4: client_id must come along and match; the pushed parameters are the request.
    // Only the app that pushed it consumes it: a wrong client_id leaves it for that app.
    auto pushed = browser::BrowserState::For(context).TakePushed(request_uri,
                                                                 Field(*fields, "client_id"), now);
    if (!pushed) {
      AuthorizationRefusal r;
      r.on_page = true;
      r.error = "invalid_request";
      r.description = "The request has expired or was already used. Start again at the app.";
      return refuse(r);
    }
    const App* app = registry->FindApp(pushed->app_id);
    if (app == nullptr || !app->enabled) {
      AuthorizationRefusal r;
      r.on_page = true;
      r.error = "invalid_client";
      r.description = "The application is not registered here.";
      return refuse(r);
    }
    authorization = std::move(*pushed);
  } else {
    AuthorizationRefusal refusal;
    const App* app = browser::CheckClient(*fields, *registry, &refusal);
    if (app == nullptr) return refuse(refusal);
    if (app->require_par) {
      // RFC 9126 §5: this app's requests come only by request_uri.
      refusal.on_page = false;
      refusal.error = "invalid_request";
      refusal.description = "this client must use pushed authorization requests";
      refusal.redirect_uri = Field(*fields, "redirect_uri");
      refusal.state = Field(*fields, "state");
      return refuse(refusal);
    }
    if (auto bad = browser::ReadAuthorizationRequest(*fields, *app, *registry, &authorization)) {
      return refuse(*bad);
    }
  }

  browser::PendingAuthorization pending;
  pending.request = std::move(authorization);
  pending.created_at = now;
  pending.expires_at = now + context.options.pending_request_seconds;
  // Bounded per source address: a flood from one address evicts only its own requests.
  auto id = browser::BrowserState::For(context).AddPending(pending, request.remote_address);
  if (!id) {
    return Decision::Unrecorded(
        browser::ErrorPage(503, "Try again later", "The server is busy. Try again later."));
  }
  return browser::Continue(context, *id, pending, browser::CurrentSession(context, request));
}

}  // namespace zta::idp
