// The account page: the signed-in user's backchannel requests waiting for a decision
// (account_backchannel.cc), remembered consents and delegated grants, each with a revoke
// button. Revoking a grant ends its refresh tokens and (at introspection) its access tokens;
// revoking a consent makes the next request ask again.
#include <ctime>

#include "../browser/details_schema.h"
#include "../browser/pages.h"
#include "zta/core/scopes.h"

namespace zta::idp {
namespace {

std::string Escape(std::string_view s) { return http::HtmlEscape(s); }

// A grant's authorization_details in words, one entry per line, as on the consent page.
std::string DescribeDetails(const Resource* resource, const Json& details) {
  if (!details.is_array()) return std::string();
  std::string out;
  for (const Json& entry : details) {
    if (!out.empty()) out += "<br>\n";
    out += browser::DescribeDetailsEntry(resource, entry);
  }
  return out;
}

std::string When(int64_t t) {
  if (t <= 0) return "never";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string AgentName(const RegistrySnapshot& registry, const std::string& id) {
  if (id.empty()) return "(you, no agent)";
  const Agent* agent = registry.FindAgent(id);
  return agent ? agent->name + " (" + id + ")" : id;
}

std::string AppName(const RegistrySnapshot& registry, const std::string& id) {
  if (id.empty()) return "(none: approved on this page)";  // a backchannel (CIBA) grant
  const App* app = registry.FindApp(id);
  return app ? app->name + " (" + id + ")" : id;
}

std::string Hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + Escape(name) + "\" value=\"" + Escape(value) + "\">";
}

}  // namespace

Decision AccountEndpoint(ServerContext& context, const http::Request& request) {
  auto session = browser::CurrentSession(context, request);
  if (!session) return Decision::Unrecorded(browser::SeeOther("/login"));
  auto registry = context.registry.Get(false);
  const User* user = registry->FindUser(session->user_id);
  http::Response cookies = browser::Page(200, "Your account", "");
  auto token = browser::CsrfToken(context, request, cookies);
  if (!token) return Decision::Unrecorded(browser::ErrorPage(503, "Try again later", "Busy."));
  std::string csrf = browser::Csrf(context).HiddenField(*token);

  std::string body =
      "<p>Signed in as <strong>" +
      Escape(user ? (user->display_name.empty() ? user->username : user->display_name)
                  : session->user_id) +
      "</strong>.</p>\n";
  body += "<form method=\"post\" action=\"/logout\">" + csrf +
          "<button type=\"submit\">Sign out</button></form>\n";

  body += BackchannelSection(context, *registry, session->user_id, csrf);
  body += "<h2>Access you gave</h2>\n";
  auto grants = context.token_state.ListGrants(session->user_id);
  if (!grants.ok() || grants->empty()) {
    body += "<p>None.</p>\n";
  } else {
    body +=
        "<table class=\"grants\">\n<tr><th scope=\"col\">Agent</th><th scope=\"col\">App</th>"
        "<th scope=\"col\">Resource</th><th scope=\"col\">Scopes</th><th scope=\"col\">"
        "Details</th><th scope=\"col\">Given</th><th scope=\"col\">Last used</th>"
        "<th scope=\"col\">Status</th></tr>\n";
    for (const DelegatedGrant& g : *grants) {
      body += "<tr><td>" + Escape(AgentName(*registry, g.agent_id)) + "</td><td>" +
              Escape(AppName(*registry, g.app_id)) + "</td><td><code>" + Escape(g.resource) +
              "</code></td><td>" + Escape(JoinSpaceDelimited(g.scopes)) + "</td><td>" +
              DescribeDetails(registry->FindResource(g.resource), g.authorization_details) +
              "</td><td>" + When(g.created_at) + "</td><td>" + When(g.last_used_at) + "</td><td>";
      if (g.revoked_at != 0) {
        body += "revoked " + When(g.revoked_at);
      } else {
        body += "<form method=\"post\" action=\"/account/revoke\">" + csrf +
                Hidden("kind", "grant") + Hidden("id", g.id) +
                "<button type=\"submit\">Revoke</button></form>";
      }
      body += "</td></tr>\n";
    }
    body += "</table>\n";
  }

  body += "<h2>Remembered consents</h2>\n";
  auto consents = context.token_state.ListConsents(session->user_id);
  if (!consents.ok() || consents->empty()) {
    body += "<p>None.</p>\n";
  } else {
    body +=
        "<table class=\"consents\">\n<tr><th scope=\"col\">Agent</th><th scope=\"col\">App"
        "</th><th scope=\"col\">Resource</th><th scope=\"col\">Scopes</th><th scope=\"col\">"
        "Given</th><th scope=\"col\"></th></tr>\n";
    for (const RememberedConsent& c : *consents) {
      body += "<tr><td>" + Escape(AgentName(*registry, c.agent_id)) + "</td><td>" +
              Escape(AppName(*registry, c.app_id)) + "</td><td><code>" + Escape(c.resource) +
              "</code></td><td>" + Escape(JoinSpaceDelimited(c.scopes)) + "</td><td>" +
              When(c.created_at) + "</td><td><form method=\"post\" action=\"/account/revoke\">" +
              csrf + Hidden("kind", "consent") + Hidden("app_id", c.app_id) +
              Hidden("agent_id", c.agent_id) + Hidden("resource", c.resource) +
              "<button type=\"submit\">Revoke</button></form></td></tr>\n";
    }
    body += "</table>\n";
  }
  http::Response page = browser::Page(200, "Your account", body);
  for (const auto& [name, value] : cookies.headers.fields()) {
    if (http::EqualsIgnoreCase(name, "Set-Cookie")) page.headers.Add(name, value);
  }
  return Decision::Unrecorded(std::move(page));
}

Decision AccountRevokeEndpoint(ServerContext& context, const http::Request& request) {
  auto post =
      browser::ReadCheckedPost(context, request, "Revoke", "Use the Revoke buttons on /account.");
  if (!post.fields) return Decision::Unrecorded(std::move(post.refusal));
  const FormFields& fields = *post.fields;
  auto session = browser::CurrentSession(context, request);
  if (!session) return Decision::Unrecorded(browser::SeeOther("/login"));
  const std::string& kind = Field(fields, "kind");
  AuditEvent event;
  event.subject = session->user_id;
  if (kind == "grant") {
    const std::string& id = Field(fields, "id");
    auto grant = context.token_state.FindGrant(id);
    // Only the user's own grants; someone else's id is answered like an unknown one.
    if (!grant.ok() || !grant->has_value() || (*grant)->user_id != session->user_id) {
      return Decision::Unrecorded(
          browser::ErrorPage(404, "Not found", "There is no such grant on your account."));
    }
    const DelegatedGrant& g = **grant;
    event.action = "grant.revoke";
    event.client_id = g.app_id;
    event.resource = g.resource;
    if (!g.agent_id.empty()) event.actor_chain = {g.agent_id};
    event.attributes["zta.grant"] = g.id;
    if (!context.token_state.RevokeGrant(g.id, context.clock.NowSeconds(), "user_revoked").ok()) {
      return Decision::Unrecorded(
          browser::ErrorPage(503, "Try again later", "The grant could not be revoked."));
    }
  } else if (kind == "consent") {
    event.action = "consent.revoke";
    event.client_id = Field(fields, "app_id");
    event.resource = Field(fields, "resource");
    const std::string& agent_id = Field(fields, "agent_id");
    if (!agent_id.empty()) event.actor_chain = {agent_id};
    if (!context.token_state
             .DeleteConsent(session->user_id, event.client_id, agent_id, event.resource)
             .ok()) {
      return Decision::Unrecorded(
          browser::ErrorPage(503, "Try again later", "The consent could not be revoked."));
    }
  } else {
    return Decision::Unrecorded(browser::ErrorPage(400, "Request refused", "Nothing to revoke."));
  }
  return Decision::Recorded(browser::SeeOther("/account"), std::move(event), false);
}

}  // namespace zta::idp
