// Backchannel approval on the account page (OpenID CIBA Core 1.0 §8: the user is authenticated
// and asked by the OP, here on /account): the "Waiting for you" section listing the signed-in
// user's pending requests in plain words, and POST /account/backchannel, which approves or denies
// one. A request is named on the page by the digest of its auth_req_id, never by the id, which
// only the agent holds.
#include <string>
#include <vector>

#include "../browser/details_schema.h"
#include "../browser/pages.h"
#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

// Every value shown is escaped and stripped of bidi and control characters, as on /consent.
std::string Escape(std::string_view s) { return browser::DisplayEscape(s); }

std::string TimeLeft(int64_t seconds) {
  if (seconds < 60) return std::to_string(seconds) + " s";
  return std::to_string(seconds / 60) + " min " + std::to_string(seconds % 60) + " s";
}

// One waiting request: who asks, its binding message, scopes and details, the time left, and
// the Approve / Deny form.
std::string RequestItem(const RegistrySnapshot& registry, const BackchannelRequest& r,
                        const std::string& csrf, int64_t now) {
  const Agent* agent = registry.FindAgent(r.agent_id);
  const Resource* resource = registry.FindResource(r.resource);
  std::string who =
      "<strong>" + Escape(agent ? agent->name : r.agent_id) + "</strong>, an AI agent";
  if (agent != nullptr && !agent->owner.empty()) who += " owned by " + Escape(agent->owner);
  std::string html = "<li class=\"backchannel-request\">\n<p>" + who +
                     ", asks to act for you at <code>" + Escape(r.resource) + "</code>.</p>\n";
  // CIBA §7.1: the message the agent also shows, so the user can tell its request from others.
  html += "<p>Its message: <q class=\"binding-message\">" + Escape(r.binding_message) +
          "</q> (approve only if it matches what the agent shows you).</p>\n<ul>\n";
  for (const std::string& scope : r.scopes) {
    html += "<li>" + browser::ScopeInWords(resource, scope) + "</li>\n";
  }
  if (r.authorization_details.is_array()) {
    for (const Json& entry : r.authorization_details) {
      html +=
          "<li class=\"detail\">This time only: " + browser::DescribeDetailsEntry(resource, entry) +
          "</li>\n";
    }
  }
  html += "</ul>\n<p class=\"time-left\">Time left: " + TimeLeft(r.expires_at - now) + "</p>\n";
  html += "<form method=\"post\" action=\"/account/backchannel\">" + csrf +
          "<input type=\"hidden\" name=\"request\" value=\"" + http::HtmlEscape(r.digest) +
          "\">\n<button name=\"decision\" value=\"approve\">Approve</button>\n"
          "<button name=\"decision\" value=\"deny\">Deny</button>\n</form>\n</li>\n";
  return html;
}

// The event about request `r` that `action` names, by the signed-in user.
AuditEvent RequestEvent(std::string action, const BackchannelRequest& r) {
  AuditEvent e;
  e.action = std::move(action);
  e.subject = r.user_id;
  e.client_id = r.agent_id;
  e.actor_chain = {r.agent_id};
  e.resource = r.resource;
  e.scopes_requested = r.scopes;
  e.attributes["zta.backchannel"] = r.digest;
  return e;
}

}  // namespace

std::string BackchannelSection(ServerContext& context, const RegistrySnapshot& registry,
                               const std::string& user_id, const std::string& csrf) {
  const int64_t now = context.clock.NowSeconds();
  auto pending = context.token_state.ListPendingBackchannel(user_id, now);
  if (!pending.ok()) return std::string();
  std::string items;
  for (const BackchannelRequest& r : *pending) {
    // A disabled or deleted agent could not redeem an approval: not worth the user's attention.
    const Agent* agent = registry.FindAgent(r.agent_id);
    if (agent == nullptr || !agent->enabled) continue;
    items += RequestItem(registry, r, csrf, now);
    // Audited the first time the user could see it, not at every reload.
    auto first = context.token_state.MarkBackchannelShown(r.digest);
    if (first.ok() && *first) {
      AuditEvent shown = RequestEvent("backchannel.shown", r);
      shown.decision = AuditDecision::kAllow;
      (void)context.Audit(std::move(shown));
    }
  }
  if (items.empty()) return std::string();
  return "<section aria-labelledby=\"waiting\"><h2 id=\"waiting\">Waiting for you</h2>\n"
         "<ul class=\"backchannel\">\n" +
         items + "</ul></section>\n";
}

Decision AccountBackchannelEndpoint(ServerContext& context, const http::Request& request) {
  auto post = browser::ReadCheckedPost(context, request, "Approve or deny",
                                       "Use the Approve and Deny buttons on /account.");
  if (!post.fields) return Decision::Unrecorded(std::move(post.refusal));
  auto session = browser::CurrentSession(context, request);
  if (!session) return Decision::Unrecorded(browser::SeeOther("/login"));
  const std::string& decision = Field(*post.fields, "decision");
  if (decision != "approve" && decision != "deny") {
    return Decision::Unrecorded(
        browser::ErrorPage(400, "Request refused", "Choose Approve or Deny."));
  }
  const std::string& digest = Field(*post.fields, "request");
  auto found = digest.empty() ? Result<std::optional<BackchannelRequest>>(std::nullopt)
                              : context.token_state.FindBackchannel(digest);
  // Only the user's own requests; someone else's is answered like an unknown one.
  if (!found.ok() || !found->has_value() || (*found)->user_id != session->user_id) {
    return Decision::Unrecorded(
        browser::ErrorPage(404, "Not found", "There is no such request on your account."));
  }
  const bool approve = decision == "approve";
  const int64_t now = context.clock.NowSeconds();
  auto moved = context.token_state.DecideBackchannel(
      digest, approve ? BackchannelStatus::kApproved : BackchannelStatus::kDenied, now,
      session->auth_time);
  if (!moved.ok()) {
    return Decision::Unrecorded(
        browser::ErrorPage(503, "Try again later", "The decision could not be stored."));
  }
  if (!*moved) {
    return Decision::Unrecorded(browser::ErrorPage(
        409, "Already decided", "This request was already decided, or it has expired."));
  }
  AuditEvent event = RequestEvent(approve ? "backchannel.approve" : "backchannel.deny", **found);
  event.decision = approve ? AuditDecision::kAllow : AuditDecision::kDeny;
  if (approve) {
    event.scopes_granted = (*found)->scopes;
  } else {
    event.reason = kReasonBackchannelDenied;
  }
  // An approval is a grant: without its record the page says so (the token it leads to is
  // recorded again, as token.issue and backchannel.redeem, before it leaves).
  return Decision::Recorded(browser::SeeOther("/account"), std::move(event), approve);
}

}  // namespace zta::idp
