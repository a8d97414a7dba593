// The consent page: what the agent asks for, in plain words — which agent (name, owner,
// description), through which app, which scopes (with their descriptions) at which resource,
// and each authorization_details entry through its type's template (RFC 9396 §2). Approving
// issues the code; denying answers access_denied (RFC 6749 §4.1.2.1).
#include <algorithm>

#include "../browser/details_schema.h"
#include "../browser/pages.h"

namespace zta::idp {
namespace {

using browser::AuthorizationRequest;

// Every value shown is escaped and stripped of bidi and control characters.
std::string Escape(std::string_view s) { return browser::DisplayEscape(s); }

// Who asks, as the start of a sentence: "Guest Assistant, an AI agent owned by ops@…,".
std::string Asker(const Agent* agent, const App* app) {
  if (agent == nullptr)
    return "<strong>" + Escape(app ? app->name : "The application") + "</strong>";
  std::string s = "<strong>" + Escape(agent->name) + "</strong>, an AI agent";
  if (!agent->owner.empty()) s += " owned by " + Escape(agent->owner);
  s += ",";
  return s;
}

std::string ConsentBody(const RegistrySnapshot& registry, const AuthorizationRequest& request) {
  const Agent* agent = request.agent_id.empty() ? nullptr : registry.FindAgent(request.agent_id);
  const App* app = registry.FindApp(request.app_id);
  const Resource* resource = registry.FindResource(request.resource);
  std::string asker = Asker(agent, app);
  std::string body;
  body += "<p>" + asker + " wants to act for you";
  if (agent != nullptr && app != nullptr)
    body += " through <strong>" + Escape(app->name) + "</strong>";
  body += " at <code>" + Escape(request.resource) + "</code>.</p>\n";
  if (agent != nullptr && !agent->description.empty()) {
    body += "<p class=\"description\">About this agent: " + Escape(agent->description) + "</p>\n";
  }
  if (!request.authorization_details.is_null()) {
    body += "<section aria-labelledby=\"details\"><h2 id=\"details\">This time only</h2>\n<ul>\n";
    for (const Json& entry : request.authorization_details) {
      body += "<li class=\"detail\">" + asker + " wants to " +
              browser::DescribeDetailsEntry(resource, entry) + "</li>\n";
    }
    body += "</ul></section>\n";
  }
  if (!request.scopes.empty()) {
    body += "<section aria-labelledby=\"scopes\"><h2 id=\"scopes\">Permissions</h2>\n<ul>\n";
    for (const std::string& scope : request.scopes) {
      body += "<li>" + browser::ScopeInWords(resource, scope) + "</li>\n";
    }
    body += "</ul></section>\n";
  }
  return body;
}

// The consent page itself: the request in plain words and an Allow / Deny form.
Decision ConsentPage(ServerContext& context, const http::Request& request,
                     const RegistrySnapshot& registry, const AuthorizationRequest& authorization,
                     const std::string& pending_id, AuditEvent event) {
  http::Response page = browser::Page(200, "Allow access?", "");
  auto token = browser::CsrfToken(context, request, page);
  if (!token) return Decision::Unrecorded(browser::ErrorPage(503, "Try again later", "Busy."));
  std::string body = ConsentBody(registry, authorization);
  body += "<form method=\"post\" action=\"/consent\">\n" +
          browser::Csrf(context).HiddenField(*token) +
          "\n<input type=\"hidden\" name=\"request_id\" value=\"" + http::HtmlEscape(pending_id) +
          "\">\n<button name=\"decision\" value=\"approve\">Allow</button>\n"
          "<button name=\"decision\" value=\"deny\">Deny</button>\n</form>\n";
  http::Response full = browser::Page(200, "Allow access?", body);
  for (const auto& [name, value] : page.headers.fields()) {
    if (http::EqualsIgnoreCase(name, "Set-Cookie")) full.headers.Add(name, value);
  }
  browser::AllowFormRedirectTo(full, authorization.redirect_uri);
  return Decision::Recorded(std::move(full), std::move(event), false);
}

// Scopes alone may be remembered (merged into what this user already allowed the same app,
// agent and resource); authorization_details are asked for every time.
void RememberConsent(ServerContext& context, const std::string& user_id,
                     const AuthorizationRequest& authorization, int64_t now) {
  RememberedConsent remembered;
  remembered.user_id = user_id;
  remembered.app_id = authorization.app_id;
  remembered.agent_id = authorization.agent_id;
  remembered.resource = authorization.resource;
  remembered.scopes = authorization.scopes;
  remembered.created_at = now;
  auto existing = context.token_state.ListConsents(user_id);
  if (existing.ok()) {
    for (const RememberedConsent& c : *existing) {
      if (c.app_id == remembered.app_id && c.agent_id == remembered.agent_id &&
          c.resource == remembered.resource) {
        for (const std::string& s : c.scopes) {
          if (std::find(remembered.scopes.begin(), remembered.scopes.end(), s) ==
              remembered.scopes.end()) {
            remembered.scopes.push_back(s);
          }
        }
        remembered.created_at = c.created_at;
      }
    }
  }
  (void)context.token_state.PutConsent(remembered);
}

}  // namespace

Decision ConsentEndpoint(ServerContext& context, const http::Request& request) {
  std::string why;
  auto fields = browser::ReadParameters(request, &why);
  if (!fields) return Decision::Unrecorded(browser::ErrorPage(400, "Request refused", why));
  int64_t now = context.clock.NowSeconds();
  const std::string& pending_id = Field(*fields, "request_id");
  auto pending = browser::BrowserState::For(context).FindPending(pending_id, now);
  if (!pending) {
    return Decision::Unrecorded(browser::ErrorPage(
        400, "Request expired", "This request has expired. Start again at the app."));
  }
  const AuthorizationRequest& authorization = pending->request;
  if (request.method == "POST" && !browser::CheckCsrf(context, request, *fields).ok()) {
    return Decision::Unrecorded(browser::CsrfRefusedPage());
  }
  auto session = browser::CurrentSession(context, request);
  if (!session || (authorization.prompt == "login" && !pending->fresh_login)) {
    return Decision::Unrecorded(browser::SeeOther(browser::WithRequestId("/login", pending_id)));
  }
  auto registry = context.registry.Get(true);
  AuditEvent event = browser::RequestEvent("consent.shown", authorization);
  event.subject = session->user_id;

  // The agent or app may have been disabled since the request came in.
  const App* app = registry->FindApp(authorization.app_id);
  const Agent* agent =
      authorization.agent_id.empty() ? nullptr : registry->FindAgent(authorization.agent_id);
  if (app == nullptr || !app->enabled ||
      (!authorization.agent_id.empty() && (agent == nullptr || !agent->enabled))) {
    browser::BrowserState::For(context).RemovePending(pending_id);
    return Decision::Unrecorded(browser::ErrorPage(
        400, "Request refused", "The application or agent is no longer allowed here."));
  }

  if (request.method != "POST") {
    return ConsentPage(context, request, *registry, authorization, pending_id, std::move(event));
  }

  const std::string& decision = Field(*fields, "decision");
  if (decision != "approve" && decision != "deny") {
    return Decision::Unrecorded(
        browser::ErrorPage(400, "Request refused", "Choose Allow or Deny."));
  }
  // One decision per request: taking it is atomic, so of two concurrent approves only one goes on.
  if (!browser::BrowserState::For(context).TakePending(pending_id, now)) {
    return Decision::Unrecorded(browser::ErrorPage(
        400, "Request expired", "This request was already decided. Start again at the app."));
  }
  if (decision == "deny") {
    event.action = "consent.denied";
    event.decision = AuditDecision::kDeny;
    event.reason = "access_denied";
    return Decision::Recorded(
        browser::RedirectError(context, authorization.redirect_uri, authorization.state,
                               "access_denied", "the user denied the request"),
        std::move(event), false);
  }
  event.action = "consent.granted";
  event.scopes_granted = authorization.scopes;
  if (authorization.authorization_details.is_null()) {
    RememberConsent(context, session->user_id, authorization, now);
    event.attributes["zta.consent"] = "remembered";
  }
  if (!context.Audit(event).ok()) {
    return Decision::Unrecorded(
        browser::ErrorPage(503, "Try again later", "The audit log is unavailable."));
  }
  AuditEvent issue = browser::RequestEvent("code.issue", authorization);
  return browser::IssueCode(context, authorization, *session, std::move(issue));
}

}  // namespace zta::idp
