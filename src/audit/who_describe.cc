// Describe and StoryJson: a BookingStory in words and as JSON. Missing parts are said plainly.
#include <string>

#include "zta/audit/event_format.h"
#include "zta/audit/trace.h"
#include "zta/audit/who.h"

namespace zta::audit {
namespace {

std::string Join(const std::vector<std::string>& values, const char* sep) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : sep) + v;
  return out;
}

// `agent "Booking Agent" (client booking-agent, owner bob@example.com)`.
std::string Agent(const AgentIdentity& agent) {
  std::string out = "agent ";
  out += agent.name.empty() ? agent.client_id : "\"" + agent.name + "\"";
  out += " (client " + agent.client_id + ", ";
  out += agent.owner.empty() ? "owner unknown" : "owner " + agent.owner;
  return out + ")";
}

std::string ConsentSentence(const BookingStory& story) {
  std::string grant = story.grant_id.empty() ? "" : " (grant " + story.grant_id + ")";
  if (!story.consent) {
    return "No consent event was found at the idp" + grant +
           " (is the idp's data folder among --data?).";
  }
  const AuditEvent& c = *story.consent;
  std::string what = Join(c.scopes_granted.empty() ? c.scopes_requested : c.scopes_granted, " ");
  auto types = c.attributes.find("zta.authorization_details_types");
  if (types != c.attributes.end() && types->is_array() && !types->empty()) {
    std::vector<std::string> names;
    for (const Json& t : *types) {
      if (t.is_string()) names.push_back(t.get<std::string>());
    }
    what += " with authorization details " + Join(names, ", ");
  }
  std::string when = FormatTime(c.time_micros);
  if (c.action == "backchannel.approve") {
    return "The user approved it at " + when +
           " on the idp's account page, answering the agent's backchannel request (" + what + ")" +
           grant + ".";
  }
  if (c.action == "code.issue") {
    return "A consent the user had given earlier and the idp remembered covered it at " + when +
           " (" + what + ")" + grant + ".";
  }
  return "The user consented at " + when + " on the idp's consent page (" + what + ")" + grant +
         ".";
}

std::string TokenSentence(const BookingStory& story) {
  const AuditEvent& created = story.created;
  std::string out = "The hotel API accepted token jti " +
                    (created.jti.empty() ? std::string("(none recorded)") : created.jti) +
                    " with scopes " + Join(created.scopes_granted, " ");
  if (story.token) {
    const AuditEvent& t = *story.token;
    out += ", which the idp issued at " + FormatTime(t.time_micros) + " to " + t.client_id;
    auto exchange = t.attributes.find("zta.exchange");
    if (exchange != t.attributes.end() && exchange->is_boolean() && exchange->get<bool>()) {
      out += " by token exchange (RFC 8693)";
    }
  } else {
    out += "; the idp's record of issuing it was not found";
  }
  return out + ".";
}

std::string LaterSentences(const BookingStory& story) {
  std::string out;
  if (story.staff.empty()) {
    out += " No staff assigned yet.";
  }
  for (const StaffAssignment& s : story.staff) {
    out += " Staff " + (s.staff_id.empty() ? std::string("(unnamed)") : s.staff_id) +
           " was assigned at " + FormatTime(s.time_micros) + " by " + Agent(s.assigned_by) + ".";
  }
  if (story.cancelled) {
    out += " It was cancelled at " + FormatTime(story.cancelled->time_micros) + " by client " +
           story.cancelled->client_id + ".";
  }
  return out;
}

}  // namespace

std::string Describe(const BookingStory& story) {
  std::string out = "Booking " + story.booking_id + " was created at " +
                    FormatTime(story.created.time_micros) + " by " + Agent(story.creator);
  out += story.user.empty() ? " acting as itself" : " acting for user " + story.user;
  for (size_t i = 1; i < story.chain.size(); ++i) out += ", after " + Agent(story.chain[i]);
  if (!story.chain.empty()) {
    std::vector<std::string> ids;
    for (const AgentIdentity& a : story.chain) ids.push_back(a.client_id);
    out += " (actor chain " + Join(ids, " <- ") + ")";
  }
  out += ". " + ConsentSentence(story) + " " + TokenSentence(story);
  out += LaterSentences(story);
  if (!story.trace_ids.empty()) out += " Trace " + Join(story.trace_ids, ", ") + ".";
  return out;
}

Json StoryJson(const BookingStory& story) {
  auto agent = [](const AgentIdentity& a) {
    return Json{{"client_id", a.client_id}, {"name", a.name}, {"owner", a.owner}};
  };
  auto event = [](const std::optional<AuditEvent>& e) {
    if (!e) return Json();
    return Json{{"action", e->action},
                {"time", FormatTime(e->time_micros)},
                {"id", e->id},
                {"client_id", e->client_id},
                {"jti", e->jti}};
  };
  Json chain = Json::array();
  for (const AgentIdentity& a : story.chain) chain.push_back(agent(a));
  Json staff = Json::array();
  for (const StaffAssignment& s : story.staff) {
    staff.push_back({{"staff_id", s.staff_id},
                     {"time", FormatTime(s.time_micros)},
                     {"assigned_by", agent(s.assigned_by)}});
  }
  return Json{{"booking_id", story.booking_id},
              {"created_at", FormatTime(story.created.time_micros)},
              {"user", story.user},
              {"creator", agent(story.creator)},
              {"actor_chain", chain},
              {"client_id", story.created.client_id},
              {"grant_id", story.grant_id},
              {"jti", story.created.jti},
              {"scopes", story.created.scopes_granted},
              {"consent", event(story.consent)},
              {"token", event(story.token)},
              {"delegation", event(story.delegation)},
              {"staff", staff},
              {"cancelled", event(story.cancelled)},
              {"trace_ids", story.trace_ids},
              {"description", Describe(story)}};
}

}  // namespace zta::audit
