// WhoBooked and Describe: one booking's accountable story from several components' audit logs.
#include "zta/audit/who.h"

#include <algorithm>

#include "zta/audit/event_format.h"
#include "zta/audit/reader.h"
#include "zta/audit/trace.h"

namespace zta::audit {
namespace {

using Events = std::vector<const AuditEvent*>;  // every log's events, merged in time order

Events Merged(const std::vector<std::vector<AuditEvent>>& logs) {
  Events out;
  for (const EventRef& ref : MergeInTimeOrder(logs)) out.push_back(&logs[ref.log][ref.index]);
  return out;
}

bool Allowed(const AuditEvent& e) { return e.decision == AuditDecision::kAllow; }
bool IsIdp(const AuditEvent& e) { return e.component == "idp"; }
bool IsBooking(const AuditEvent& e, const std::string& id) {
  return StringAttribute(e, kResourceIdAttribute) == id;
}
bool IsExchange(const AuditEvent& e) {
  auto it = e.attributes.find("zta.exchange");
  return it != e.attributes.end() && it->is_boolean() && it->get<bool>();
}

// The first event `match` accepts (or the last, when `last`), nullptr when none.
template <typename Match>
const AuditEvent* Find(const Events& events, Match match, bool last = false) {
  const AuditEvent* found = nullptr;
  for (const AuditEvent* e : events) {
    if (!match(*e)) continue;
    found = e;
    if (!last) break;
  }
  return found;
}

// The registry's agents, as the idp recorded adding them (registry.agent.add), over `known`.
AgentDirectory Directory(const Events& events, const AgentDirectory& known) {
  AgentDirectory out = known;
  for (const AuditEvent* e : events) {
    if (!IsIdp(*e) || e->action != "registry.agent.add" || e->client_id.empty()) continue;
    AgentIdentity& agent = out[e->client_id];
    agent.client_id = e->client_id;
    if (agent.name.empty()) agent.name = StringAttribute(*e, "gen_ai.agent.name");
    if (agent.owner.empty()) agent.owner = StringAttribute(*e, "zta.agent.owner");
  }
  return out;
}

AgentIdentity Lookup(const AgentDirectory& directory, const std::string& client_id) {
  auto it = directory.find(client_id);
  if (it == directory.end()) return AgentIdentity{client_id, "", ""};
  AgentIdentity agent = it->second;
  agent.client_id = client_id;
  return agent;
}

// A backchannel grant: the approval of the request its backchannel.redeem names.
const AuditEvent* BackchannelConsent(const Events& events, const std::string& grant_id) {
  const AuditEvent* redeem = Find(events, [&](const AuditEvent& e) {
    return IsIdp(e) && e.action == "backchannel.redeem" &&
           StringAttribute(e, kIdpGrantAttribute) == grant_id;
  });
  if (redeem == nullptr) return nullptr;
  const std::string request = StringAttribute(*redeem, "zta.backchannel");
  return Find(events, [&](const AuditEvent& e) {
    return IsIdp(e) && e.action == "backchannel.approve" && Allowed(e) && !request.empty() &&
           StringAttribute(e, "zta.backchannel") == request;
  });
}

// A browser grant: the consent page's approval (or a remembered consent's code.issue) by this
// user for this agent, with the same authorization_details, last before the code was redeemed.
// The consent precedes the grant, so it names no grant id: user, agent, details digest and time
// single it out.
const AuditEvent* PageConsent(const Events& events, const BookingStory& story) {
  const AuditEvent* anchor = Find(events, [&](const AuditEvent& e) {
    return IsIdp(e) && e.action == "code.redeem" && !story.grant_id.empty() &&
           StringAttribute(e, kIdpGrantAttribute) == story.grant_id;
  });
  if (anchor == nullptr && story.delegation) anchor = &*story.delegation;
  std::string agent = story.chain.empty() ? "" : story.chain.back().client_id;
  int64_t before = story.created.time_micros;
  std::string digest;
  if (anchor != nullptr) {
    if (!anchor->actor_chain.empty()) agent = anchor->actor_chain.front();
    before = anchor->time_micros;
    digest = StringAttribute(*anchor, "zta.details_digest");
  }
  return Find(
      events,
      [&](const AuditEvent& e) {
        bool consent =
            e.action == "consent.granted" ||
            (e.action == "code.issue" && StringAttribute(e, "zta.consent") == "remembered");
        std::string their_digest = StringAttribute(e, "zta.details_digest");
        return IsIdp(e) && consent && Allowed(e) && e.subject == story.user &&
               !e.actor_chain.empty() && e.actor_chain.front() == agent &&
               e.time_micros <= before &&
               (digest.empty() || their_digest.empty() || digest == their_digest);
      },
      /*last=*/true);
}

void FindIdpRecords(const Events& events, BookingStory& story) {
  const AuditEvent& created = story.created;
  if (const AuditEvent* token = Find(events, [&](const AuditEvent& e) {
        return IsIdp(e) && e.action == "token.issue" && Allowed(e) && !created.jti.empty() &&
               e.jti == created.jti;
      })) {
    story.token = *token;
    if (story.grant_id.empty()) story.grant_id = StringAttribute(*token, kIdpGrantAttribute);
  }
  if (!story.grant_id.empty()) {
    if (const AuditEvent* first = Find(events, [&](const AuditEvent& e) {
          return IsIdp(e) && e.action == "token.issue" && Allowed(e) && !IsExchange(e) &&
                 StringAttribute(e, kIdpGrantAttribute) == story.grant_id;
        })) {
      story.delegation = *first;
    }
  }
  const AuditEvent* consent =
      story.grant_id.empty() ? nullptr : BackchannelConsent(events, story.grant_id);
  if (consent == nullptr) consent = PageConsent(events, story);
  if (consent != nullptr) story.consent = *consent;
}

void FindLaterEvents(const Events& events, const AgentDirectory& directory, BookingStory& story) {
  for (const AuditEvent* e : events) {
    if (!IsBooking(*e, story.booking_id) || !Allowed(*e)) continue;
    if (e->action == kBookingAssignStaff) {
      story.staff.push_back(
          {e->time_micros, StringAttribute(*e, "hotel.staff_id"), Lookup(directory, e->client_id)});
    } else if (e->action == kBookingCancel && !story.cancelled) {
      story.cancelled = *e;
    }
    if (!e->trace_id.empty() && std::find(story.trace_ids.begin(), story.trace_ids.end(),
                                          e->trace_id) == story.trace_ids.end()) {
      story.trace_ids.push_back(e->trace_id);
    }
  }
}

}  // namespace

Result<BookingStory> WhoBooked(const std::vector<std::vector<AuditEvent>>& logs,
                               const std::string& booking_id, const AgentDirectory& known_agents) {
  if (booking_id.empty()) return InvalidArgument("who needs a booking id");
  Events events = Merged(logs);
  const AuditEvent* created = Find(events, [&](const AuditEvent& e) {
    return e.action == kBookingCreate && Allowed(e) && IsBooking(e, booking_id);
  });
  if (created == nullptr) {
    return NotFound("no booking.create event for booking " + booking_id + " in the logs given");
  }
  AgentDirectory directory = Directory(events, known_agents);
  BookingStory story;
  story.booking_id = booking_id;
  story.created = *created;
  story.user = created->subject;
  for (const std::string& id : created->actor_chain) story.chain.push_back(Lookup(directory, id));
  story.creator = story.chain.empty() ? Lookup(directory, created->client_id) : story.chain.front();
  story.grant_id = StringAttribute(*created, kGrantIdAttribute);
  FindIdpRecords(events, story);
  FindLaterEvents(events, directory, story);
  return story;
}

}  // namespace zta::audit
