// Conversation messages as web chat events (web_chat_messages.h).
#include "web_chat_messages.h"

#include <initializer_list>
#include <string_view>

namespace zta::hotel {
namespace {

// The value at the first of `paths` ("a.b" walks objects) that holds a string or a number.
Json First(const Json& json, std::initializer_list<std::string_view> paths) {
  for (std::string_view path : paths) {
    const Json* at = &json;
    size_t start = 0;
    while (at != nullptr && start <= path.size()) {
      size_t dot = path.find('.', start);
      std::string key(path.substr(start, dot == std::string_view::npos ? path.npos : dot - start));
      auto it = at->is_object() ? at->find(key) : at->end();
      at = at->is_object() && it != at->end() ? &*it : nullptr;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    if (at != nullptr && (at->is_string() || at->is_number())) return *at;
  }
  return nullptr;
}

std::string_view ShownStatus(agent::ToolStatus status) {
  switch (status) {
    case agent::ToolStatus::kOk:
      return "ok";
    case agent::ToolStatus::kDenied:
      return "refused";
    case agent::ToolStatus::kError:
      break;
  }
  return "error";
}

Json ToolCallEvent(const agent::Message& message, const agent::ToolCall& call) {
  auto parsed = ParseJsonStrict(call.arguments);
  Json arguments = parsed.ok() ? std::move(*parsed) : Json(call.arguments);
  return {{"type", "tool_call"},
          {"agent", message.name},
          {"id", call.id},
          {"tool", call.name},
          {"arguments", std::move(arguments)}};
}

}  // namespace

std::vector<Json> MessageEvents(const agent::Message& message, const agent::ToolOutcome* outcome) {
  std::vector<Json> events;
  if (message.role == agent::Role::kAssistant) {
    if (!message.content.empty()) {
      events.push_back({{"type", "assistant"}, {"agent", message.name}, {"text", message.content}});
    }
    for (const agent::ToolCall& call : message.tool_calls) {
      events.push_back(ToolCallEvent(message, call));
    }
  } else if (message.role == agent::Role::kTool) {
    const agent::ToolStatus status = outcome ? outcome->status : agent::ToolStatus::kOk;
    Json e = {{"type", "tool_result"},
              {"id", message.tool_call_id},
              {"tool", message.tool_name},
              {"status", ShownStatus(status)}};
    if (outcome && !outcome->reason.empty()) e["reason"] = outcome->reason;
    events.push_back(std::move(e));
    if (status == agent::ToolStatus::kOk && message.tool_name == "book_room") {
      Json booking = BookingEvent(message.content);
      if (!booking.is_null()) events.push_back(std::move(booking));
    }
  }
  return events;
}

Json BookingEvent(const std::string& tool_result) {
  auto parsed = ParseJsonStrict(tool_result);
  if (!parsed.ok() || !parsed->is_object()) return nullptr;
  const Json& r = *parsed;
  Json id = First(r, {"booking_id", "booking.id", "booking.booking_id", "id"});
  if (id.is_null()) return nullptr;
  // The hotel API's actor chain, outermost (the current actor, RFC 8693 §4.1) first: the agent
  // that booked, then the one it acted after.
  Json chain = r.contains("booking") && r["booking"].is_object()
                   ? r["booking"].value("actor_chain", Json::array())
                   : Json::array();
  auto chain_at = [&](size_t i) -> Json {
    return chain.is_array() && chain.size() > i && chain[i].is_string() ? chain[i] : Json();
  };
  Json booked_by = First(r, {"booked_by", "booked_by.id", "agents.booking"});
  if (booked_by.is_null()) booked_by = chain_at(0);
  Json asked_by = First(r, {"asked_by", "asked_by.id", "agents.guest"});
  if (asked_by.is_null()) asked_by = chain_at(1);
  return {
      {"type", "booking"},
      {"booking_id", id},
      {"hotel", First(r, {"hotel_name", "hotel_id", "hotel", "booking.hotel_id", "booking.hotel"})},
      {"room", First(r, {"room_id", "room", "booking.room_id", "booking.room"})},
      {"check_in", First(r, {"check_in", "booking.check_in"})},
      {"check_out", First(r, {"check_out", "booking.check_out"})},
      {"guests", First(r, {"guests", "booking.guests"})},
      {"total", First(r, {"total", "total_price", "booking.total", "booking.total_price"})},
      {"currency", First(r, {"currency", "booking.currency"})},
      {"booked_by", booked_by},
      {"user", First(r, {"approved_by", "for", "user", "on_behalf_of"})},
      {"asked_by", asked_by},
      {"approved_at", First(r, {"approved_at", "consent.approved_at", "consented_at"})},
      {"booked_at", First(r, {"booked_at", "booking.created_at"})},
      {"trace_id", First(r, {"trace_id", "booking.trace_id"})},
  };
}

Json ConsentEvent(const auth::ConsentRequest& request) {
  return {{"type", "consent"},
          {"url", request.authorization_url},
          {"agent", request.agent},
          {"scopes", request.scopes},
          {"details", request.authorization_details}};
}

}  // namespace zta::hotel
