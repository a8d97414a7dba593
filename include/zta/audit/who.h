// "Who booked this?": the accountable story of one booking, read from the audit logs of the
// components involved (the hotel API's, the idp's, the agents'). Pure functions over events
// already read and verified; `zta audit who` and `zta demo` call them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "zta/core/audit_sink.h"
#include "zta/core/status.h"

namespace zta::audit {

// The event names of the hotel scenario (docs/audit-events.md).
inline constexpr char kBookingCreate[] = "booking.create";
inline constexpr char kBookingAssignStaff[] = "booking.assign_staff";
inline constexpr char kBookingCancel[] = "booking.cancel";
inline constexpr char kBookingRefused[] = "booking.refused";

// An agent as the idp registered it.
struct AgentIdentity {
  std::string client_id;
  std::string name;   // "" when unknown
  std::string owner;  // the accountable person; "" when unknown
};

// client_id → identity. WhoBooked fills it from the idp's registry.agent.add events; a caller
// that can read the registry itself may pass more.
using AgentDirectory = std::map<std::string, AgentIdentity>;

struct StaffAssignment {
  int64_t time_micros = 0;
  std::string staff_id;       // attribute hotel.staff_id
  AgentIdentity assigned_by;  // the client that assigned (the Staff Manager agent)
};

struct BookingStory {
  std::string booking_id;
  AuditEvent created;                    // the booking.create the API allowed
  std::string user;                      // on whose behalf (created.subject)
  std::vector<AgentIdentity> chain;      // created.actor_chain, current actor (the creator) first
  AgentIdentity creator;                 // chain[0], or the client when the chain is empty
  std::string grant_id;                  // zta.grant_id, else the idp's zta.grant for the token
  std::optional<AuditEvent> token;       // the idp's token.issue of created.jti (the exchange)
  std::optional<AuditEvent> delegation;  // the idp's first token.issue under the grant
  std::optional<AuditEvent> consent;     // consent.granted, code.issue (remembered consent) or
                                         // backchannel.approve that led to the grant
  std::vector<StaffAssignment> staff;    // booking.assign_staff events, in time order
  std::optional<AuditEvent> cancelled;   // booking.cancel, if any
  std::vector<std::string> trace_ids;    // the W3C trace ids of the booking's events
};

// The story of `booking_id` in `logs` (each one log's events, in chain order). kNotFound when no
// allowed booking.create event carries zta.resource.id = booking_id. Parts the logs do not hold
// (no idp log given, no staff assigned yet) are left empty; Describe says so.
Result<BookingStory> WhoBooked(const std::vector<std::vector<AuditEvent>>& logs,
                               const std::string& booking_id,
                               const AgentDirectory& known_agents = {});

// The story as one paragraph of plain English. Names token ids (jti), never a token.
std::string Describe(const BookingStory& story);

// The story as one JSON object (for --json): the same facts, machine-readable.
Json StoryJson(const BookingStory& story);

}  // namespace zta::audit
