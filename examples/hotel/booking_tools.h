// The two tools the hotel library builds in C++ because they do more than one HTTP call
// (docs/hotel.md, "The agents"):
//  - book_room (Guest Assistant): quotes the total from the hotel API with the assistant's own
//    token, asks the user to approve exactly that booking (RFC 9396 authorization_details with
//    max_total = the quote), then hands the booking and the user's delegated token to the
//    Booking Agent (AgentTool);
//  - create_booking (Booking Agent): exchanges the handed token for one naming itself as the
//    outermost actor (RFC 8693, through SecureFunctionTool) and POSTs the booking with an
//    Idempotency-Key derived from the tool call, so a retry cannot book twice.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "zta/agent/tool.h"
#include "zta/auth/token_source.h"
#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::hotel {

// The arguments both tools take: {hotel_id, room_id, check_in, check_out, guests}.
Json BookingParameters();

struct BookRoomSettings {
  std::string hotel_url;  // REQUIRED: the hotel API's base URL
  std::string resource;   // REQUIRED: its resource identifier (token audience)
  // Scopes the user is asked for with the booking. Default: create_bookings.
  std::vector<std::string> scopes = {"create_bookings"};
  // kConsent (consent page) or kBackchannel (the idp's account page). Default: kConsent.
  auth::Approval approval = auth::Approval::kConsent;
};

// `user_tokens` obtains the user's delegated token (a DelegatedTokenSource, or the agent's
// AuthProvider for backchannel approval); `own_tokens` the agent's own (the quote); `booking_agent`
// is the Booking Agent as a tool (agent::AgentTool). All must outlive the tool.
Result<std::shared_ptr<agent::Tool>> MakeBookRoomTool(BookRoomSettings settings,
                                                      auth::TokenSource& user_tokens,
                                                      auth::TokenSource& own_tokens,
                                                      std::shared_ptr<const agent::Tool> booking_agent);

// `tokens`: the Booking Agent's AuthProvider (it exchanges the handed token). Must outlive the tool.
Result<std::shared_ptr<agent::Tool>> MakeCreateBookingTool(const std::string& hotel_url,
                                                           const std::string& resource,
                                                           std::vector<std::string> scopes,
                                                           auth::TokenSource& tokens);

// The quote the hotel API gives for a room and dates: GET /api/hotels/{id}/rooms with `token`.
struct Quote {
  double total = 0;
  std::string currency;
  bool available = false;
};
Result<Quote> QuoteRoom(const std::string& hotel_url, const auth::AccessToken& token,
                        const Json& booking, const std::string& trace_id);

}  // namespace zta::hotel
