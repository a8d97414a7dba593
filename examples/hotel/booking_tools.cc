// book_room and create_booking (booking_tools.h).
#include "hotel/booking_tools.h"

#include <cmath>

#include "zta/core/sha256.h"
#include "zta/core/trace_context.h"
#include "zta/http/client.h"
#include "zta/http/message.h"

namespace zta::hotel {
namespace {

const char* const kBookingFields[] = {"hotel_id", "room_id", "check_in", "check_out"};

std::string TaskText(const Json& args) {
  return "Book room " + args.value("room_id", "") + " at hotel " + args.value("hotel_id", "") +
         " from " + args.value("check_in", "") + " to " + args.value("check_out", "") + " for " +
         std::to_string(args.value("guests", 1)) + " guests.";
}

Result<http::Response> Call(const std::string& method, const std::string& url,
                            const std::string& authorization, const std::string& body,
                            const std::string& trace_id, const std::string& idempotency_key) {
  http::ClientRequest request;
  request.method = method;
  request.url = url;
  request.headers.Set("Authorization", authorization);
  request.headers.Set("Accept", "application/json");
  auto span = NewSpanId();
  if (IsTraceId(trace_id) && span.ok()) {
    request.headers.Set(kTraceParentHeader, FormatTraceParent(trace_id, *span));
  }
  if (!idempotency_key.empty()) request.headers.Set("Idempotency-Key", idempotency_key);
  if (!body.empty()) {
    request.headers.Set("Content-Type", "application/json");
    request.body = body;
  }
  return http::Send(request);
}

// The booking the user asked for, found among the user's bookings after the Booking Agent ran.
Result<Json> FindBooking(const std::string& hotel_url, const auth::AccessToken& token,
                         const Json& args, const std::string& trace_id) {
  ZTA_ASSIGN_OR_RETURN(http::Response r, Call("GET", hotel_url + "/api/bookings",
                                               token.AuthorizationHeader(), "", trace_id, ""));
  if (r.status != 200) {
    return Status(StatusCode::kUnavailable, "the hotel API answered " + std::to_string(r.status));
  }
  ZTA_ASSIGN_OR_RETURN(Json list, ParseJsonStrict(r.body));
  const Json* found = nullptr;
  if (list.contains("bookings") && list["bookings"].is_array()) {
    for (const Json& b : list["bookings"]) {
      bool same = b.value("status", "") == "confirmed";
      for (const char* f : kBookingFields) same = same && b.value(f, "") == args.value(f, "");
      if (same) found = &b;  // the latest of equal ones
    }
  }
  if (found == nullptr) return Status(StatusCode::kNotFound, "no such booking was made");
  return *found;
}

agent::ToolRequirement BookRoomRequirement(const BookRoomSettings& s, auth::TokenSource& own_tokens) {
  agent::ToolRequirement req;
  req.resource = s.resource;
  req.scopes = s.scopes;
  req.acting = agent::Acting::kOnBehalfOfUser;
  req.approval = s.approval;
  // RFC 9396: the user approves exactly this booking, up to the total the hotel quotes now.
  req.authorization_details = [s, &own_tokens](const Json& args) -> Result<Json> {
    auth::TokenRequest own;
    own.resource = s.resource;
    own.scopes = {"read_rooms"};
    ZTA_ASSIGN_OR_RETURN(auth::AccessToken token, own_tokens.GetToken(own));
    ZTA_ASSIGN_OR_RETURN(Quote quote, QuoteRoom(s.hotel_url, token, args, ""));
    if (!quote.available) return InvalidArgument("that room is not free for those dates");
    Json entry = {{"type", "hotel_booking"}, {"max_total", quote.total},
                  {"currency", quote.currency}};
    for (const char* f : kBookingFields) entry[f] = args.at(f);
    return Json::array({entry});
  };
  req.binding_message = [](const Json& args) {
    std::string m = "Book " + args.value("room_id", "") + " " + args.value("check_in", "") +
                    ".." + args.value("check_out", "").substr(5);
    return m.substr(0, 64);
  };
  req.resource_id = [](const Json& args) { return args.value("room_id", ""); };
  return req;
}

}  // namespace

using agent::ToolRequirement;

Json BookingParameters() {
  Json props = Json::object();
  for (const char* f : kBookingFields) props[f] = {{"type", "string"}};
  props["check_in"]["description"] = "YYYY-MM-DD";
  props["check_out"]["description"] = "YYYY-MM-DD";
  props["guests"] = {{"type", "integer"}, {"minimum", 1}, {"maximum", 10}};
  return {{"type", "object"},
          {"properties", props},
          {"required", {"hotel_id", "room_id", "check_in", "check_out", "guests"}}};
}

Result<Quote> QuoteRoom(const std::string& hotel_url, const auth::AccessToken& token,
                        const Json& booking, const std::string& trace_id) {
  std::string url = hotel_url + "/api/hotels/" + http::PercentEncode(booking.value("hotel_id", "")) +
                    "/rooms?check_in=" + http::PercentEncode(booking.value("check_in", "")) +
                    "&check_out=" + http::PercentEncode(booking.value("check_out", ""));
  ZTA_ASSIGN_OR_RETURN(http::Response r,
                       Call("GET", url, token.AuthorizationHeader(), "", trace_id, ""));
  if (r.status != 200) {
    return InvalidArgument("the hotel API refused the quote (" + std::to_string(r.status) + ")");
  }
  ZTA_ASSIGN_OR_RETURN(Json rooms, ParseJsonStrict(r.body));
  if (!rooms.contains("rooms") || !rooms["rooms"].is_array()) {
    return InvalidArgument("the hotel API sent no rooms");
  }
  for (const Json& room : rooms["rooms"]) {
    if (!room.is_object() || !room.contains("id") || room["id"] != booking["room_id"]) continue;
    Quote q;
    // Read defensively: the answer is another service's JSON.
    const Json& total = room.contains("total") ? room["total"] : Json();
    const Json& currency = room.contains("currency") ? room["currency"] : Json();
    const Json& free = room.contains("available") ? room["available"] : Json();
    q.total = total.is_number() ? total.get<double>() : 0;
    q.currency = currency.is_string() ? currency.get<std::string>() : "";
    q.available = (free.is_boolean() && free.get<bool>()) ||
                  (free.is_number() && free.get<double>() >= 1);
    if (!std::isfinite(q.total) || q.total <= 0 || q.currency.empty()) {
      return InvalidArgument("the hotel API sent no price for that room");
    }
    return q;
  }
  return InvalidArgument("hotel " + booking.value("hotel_id", "") + " has no room " +
                         booking.value("room_id", ""));
}

Result<std::shared_ptr<agent::Tool>> MakeBookRoomTool(
    BookRoomSettings settings, auth::TokenSource& user_tokens, auth::TokenSource& own_tokens,
    std::shared_ptr<const agent::Tool> booking_agent) {
  if (!booking_agent) return InvalidArgument("book_room needs the Booking Agent");
  const std::string hotel_url = settings.hotel_url;
  agent::ToolHandler handler = [hotel_url, booking_agent](
                                   const Json& args, agent::ToolContext& context) -> Result<Json> {
    // The user's delegated token (sub = user, act = this agent) goes to the Booking Agent beside
    // the task, never inside it.
    agent::ToolContext handed = context;
    handed.subject_token = context.token->value;
    handed.subject_token_type = auth::kAccessTokenType;
    agent::ToolOutcome done = booking_agent->Invoke({{"task", TaskText(args)}}, handed);
    if (done.status != agent::ToolStatus::kOk) {
      return Status(StatusCode::kPermissionDenied, "the Booking Agent could not book: " + done.content);
    }
    auto booking = FindBooking(hotel_url, *context.token, args, context.trace_id);
    if (!booking.ok()) {
      return Status(StatusCode::kPermissionDenied,
                    "the Booking Agent answered but no booking was made: " + done.content);
    }
    return Json{{"status", "booked"},
                {"booking", *booking},
                {"approved_by", context.user},
                {"asked_by", context.agent_id},
                {"consent_token_jti", context.token->jti},
                {"booking_agent_said", done.content}};
  };
  ZTA_ASSIGN_OR_RETURN(auto tool, agent::SecureFunctionTool::Create("book_room",
                                           "Book a room for the guest: quotes the total, asks the "
                                           "guest to approve exactly this booking, then books it",
                                           BookingParameters(),
                                           BookRoomRequirement(settings, own_tokens), user_tokens,
                                           std::move(handler)));
  return std::shared_ptr<agent::Tool>(std::move(tool));
}

Result<std::shared_ptr<agent::Tool>> MakeCreateBookingTool(const std::string& hotel_url,
                                                           const std::string& resource,
                                                           std::vector<std::string> scopes,
                                                           auth::TokenSource& tokens) {
  ToolRequirement req;
  req.resource = resource;
  req.scopes = std::move(scopes);
  req.acting = agent::Acting::kOnBehalfOfUser;
  req.resource_id = [](const Json& args) { return args.value("room_id", ""); };
  agent::ToolHandler handler = [hotel_url](const Json& args,
                                           agent::ToolContext& context) -> Result<Json> {
    // One key per tool call: the retry after a refused token (SecureFunctionTool) or a lost
    // answer books once (the hotel API keeps the key, docs/hotel.md).
    std::string key = Sha256Hex(context.trace_id + "/" + context.tool_call_id).substr(0, 32);
    ZTA_ASSIGN_OR_RETURN(http::Response r,
                         Call("POST", hotel_url + "/api/bookings",
                              context.token->AuthorizationHeader(), args.dump(), context.trace_id,
                              key));
    if (r.status == 401 || r.status == 403) {
      return Status(StatusCode::kPermissionDenied, "the hotel API refused the booking (" +
                                                       std::to_string(r.status) + ")");
    }
    auto body = ParseJsonStrict(r.body);
    if (r.status / 100 != 2) {
      std::string why = body.ok() ? body->value("error_description", body->value("error", ""))
                                  : std::string();
      return Status(StatusCode::kFailedPrecondition,
                    "the hotel API answered " + std::to_string(r.status) + ": " + why);
    }
    if (!body.ok()) return Status(StatusCode::kUnavailable, "the hotel API sent no JSON");
    return *body;
  };
  ZTA_ASSIGN_OR_RETURN(auto tool, agent::SecureFunctionTool::Create(
                                       "create_booking", "Create the booking the guest approved",
                                       BookingParameters(), std::move(req), tokens,
                                       std::move(handler)));
  return std::shared_ptr<agent::Tool>(std::move(tool));
}

}  // namespace zta::hotel
