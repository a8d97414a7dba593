// Instructions planted in tool results (prompt injection) and the tool calls a gullible model
// makes to obey them. Internal to zta::agent: the gullible OfflinePlanner and the adversarial test
// model server share it, so both obey exactly the rules documented in offline_planner.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zta/agent/chat_model.h"

namespace zta::agent::internal {

enum class InjectedKind {
  kCancel,        // "cancel booking <id>"
  kBook,          // "book (the) <words> <room-id> for N nights from YYYY-MM-DD"
  kListBookings,  // "list every booking" / "list all bookings" / "every booking"
  kSend,          // "send ... to <URL>"
  kPriceBook,     // "the price is now N <CUR>, book it"
};

struct InjectedInstruction {
  InjectedKind kind = InjectedKind::kCancel;
  std::string text;        // the words matched, as written
  std::string booking_id;  // kCancel
  std::string room_id;     // kBook
  std::string hotel_id;    // kBook, when the text names one ("... at hotel h-1 ...")
  std::string check_in;    // kBook: YYYY-MM-DD
  int64_t nights = 0;      // kBook
  std::string url;         // kSend
  std::string amount;      // kPriceBook: "1"
  std::string currency;    // kPriceBook: "USD" (may be empty)

  // Identifies the instruction across rounds, so it is obeyed at most once.
  std::string Key() const;
};

// Every instruction in `text` (case-insensitive), in order of appearance.
std::vector<InjectedInstruction> FindInstructions(const std::string& text);

// The texts of one tool result: its JSON string values (strings that are JSON themselves
// included) when it parses as JSON, else the raw text.
std::vector<std::string> ResultTexts(const std::string& content);

// What a gullible model does after a tool round.
struct InjectedPlan {
  // The calls obeying the instructions found in the last round's tool results, not obeyed before.
  std::vector<ToolCall> calls;
  // One line per instruction found in any tool result of the conversation: what was done, what
  // would have been done, or why it was skipped. For the final text reply.
  std::vector<std::string> notes;
};
InjectedPlan PlanInjectedCalls(const ChatRequest& request);

// Whether a tool call id is one PlanInjectedCalls made (they start with "inj_").
bool IsInjectedCallId(std::string_view id);

}  // namespace zta::agent::internal
