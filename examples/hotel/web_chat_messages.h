// What the web chat's page is shown of a conversation: the agents' messages, tool calls and
// their outcome, consent requests and booking confirmations, as events of the feed
// (web_chat_events.h). Only what a person should read: tool arguments the model wrote, outcome
// status and reason codes, the booking's facts — never a token (the runtime keeps them out of
// messages, and nothing here reads a ToolContext).
#pragma once

#include <string>
#include <vector>

#include "zta/agent/message.h"
#include "zta/agent/tool.h"
#include "zta/auth/consent_handler.h"
#include "zta/core/json.h"

namespace zta::hotel {

// The events for one message an agent appended: "assistant" for text, one "tool_call" per call,
// "tool_result" for a tool's outcome (status "ok", "error" or "refused" for a denial), and also
// "booking" for a successful book_room.
std::vector<Json> MessageEvents(const agent::Message& message, const agent::ToolOutcome* outcome);

// {"type":"booking", booking_id, hotel, room, check_in, check_out, guests, total, currency,
//  booked_by, user, asked_by, approved_at, booked_at, trace_id} from book_room's result JSON
// ({"booking": the hotel API's record, "approved_by", "asked_by", ...}; the agents from the
// record's actor_chain when not named); null when the text is not a booking. Absent facts are
// null.
Json BookingEvent(const std::string& tool_result);

// {"type":"consent", url, agent, scopes, details}: the idp's page the person must open.
Json ConsentEvent(const auth::ConsentRequest& request);

}  // namespace zta::hotel
