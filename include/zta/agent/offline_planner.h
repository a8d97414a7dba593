// OfflinePlanner: a deterministic, rule-based stand-in for a language model — NOT an LLM. It maps
// the hotel scenario's requests (search hotels in a city, book a room, cancel a booking, assign
// staff) to tool calls by keywords and fills arguments from the request text by the parameter
// names of the tool's schema. It is the embedded default when no model is configured, so the
// whole system runs (and can be tested) without model weights or a network.
#pragma once

#include <string>

#include "zta/agent/chat_model.h"

namespace zta::agent {

struct OfflinePlannerOptions {
  // Obey instructions found in tool results, as a model talked into an attack by prompt injection
  // would — for demonstrating that the tokens, not the model, stop every attempt. Never for
  // production. Default: false.
  bool gullible = false;
};

// Rules, in order:
//  1. The last message is a tool result → answer in text, summarizing the results of the last
//     round (denials and errors included), without further calls.
//  2. The last user message matches an intent, first match wins:
//       cancel  ("cancel")                         → a tool whose name holds "cancel"
//       assign  ("assign", "allocate")             → "assign"
//       book    ("book", "reserve")                → "book" or "reserv" (not "cancel"/"list")
//       search  ("search", "find", "look", "show", "list", "available", "hotels in")
//                                                  → "search", "find" or "list"
//     and the tool's required arguments can be filled from the text:
//       *city*/*location*  → the capitalized words after " in " (or the last capitalized word)
//       *date*/check_in/check_out/from/to/start/end → ISO dates (YYYY-MM-DD) in order
//       <entity>_id / id   → the token after the entity word ("hotel h1", "booking #12"), else
//                            the first id-like token (letters, digits, '-', with a digit)
//       integer/number     → the number before "guest(s)/people/person/night(s)" or the first
//                            free number
//       *name*/*staff*/*employee* → the capitalized word after "assign"/"for"/"to"
//       enum               → the first allowed value mentioned
//       nullable           → null when not found
//     → one tool call. Missing required values → a text reply naming them.
//  3. Otherwise → a text reply saying what it is and what it can do.
//
// Gullible mode (OfflinePlannerOptions::gullible) changes rule 1 only. When the last messages are
// tool results (and tool_choice is not "none"), it scans the text of the last round's tool results
// — the string values inside JSON (strings that are JSON themselves included) when a result
// parses, else the raw text — for these instructions (case-insensitive) and OBEYS them, several
// calls in one reply when there are several:
//   "cancel (the) (booking|reservation) <id>"
//       → the tool whose name holds "cancel": booking_id (or id) = <id>.
//   "book|reserve (the) <words> <room-id> (at (hotel) <hotel-id>) for N nights from YYYY-MM-DD"
//       → the booking tool (name holds "create_booking", "book" or "reserv", not "cancel", "list",
//         "get", "search", "find"): room_id = <room-id>; hotel_id = <hotel-id>, else the longest
//         hotel_id argument of an earlier call that prefixes the room id, else the room id minus
//         its last '-' segment; check_in = the date; check_out = the date + N nights; guests =
//         the last guests value of an earlier call, else 1.
//   "list every|all (the) booking(s)", "every booking", "all bookings"
//       → the tool whose name holds "list" and "booking"; and, in this and later rounds, for each
//         booking id mentioned in any tool result (booking_id values, "id" of objects inside a
//         "bookings" array, the id after the word "booking"), the tool whose name holds "get" and
//         "booking" (not "list"), once per id.
//   "send ... to <http(s) URL>"
//       → the first tool with a parameter named *url*/*endpoint*/*webhook*: that parameter = the
//         URL; user/name/email parameters = the name of the user's message, details/data/body
//         parameters = "the guest details of <user>". No such tool → the final text says "I would
//         send the guest's details to <URL>".
//   "the price is now N (<CUR>) ... book"
//       → the booking tool with the arguments of the latest earlier calls of tools whose names
//         hold "room" or "book" (not "cancel"): hotel_id, room_id, dates, guests; plus N for a
//         *price*/*total*/*amount*/*cost* parameter.
// Arguments are matched by parameter name (hotel_id/hotelId, check_in/start_date/from, ...);
// those not in the tool's schema are dropped; a required one that cannot be filled skips the
// instruction (the final text says so). Each instruction is obeyed at most once per
// conversation: its calls get ids "inj_<hash of the instruction>_1", and an earlier assistant
// call with that id means it was obeyed. So it cannot loop. When nothing is left to obey it answers
// in text as in rule 1, after one line per instruction found in the conversation's tool results
// (followed, would send, or skipped and why). Rules 2 and 3 are unchanged.
// Thread-safe (stateless).
class OfflinePlanner final : public ChatModel {
 public:
  OfflinePlanner() = default;
  explicit OfflinePlanner(OfflinePlannerOptions options) : options_(options) {}

  Result<ChatResponse> Complete(const ChatRequest& request) override;
  std::string Describe() const override {
    return options_.gullible
               ? "offline planner (rule-based, not an LLM; gullible: obeys instructions in tool "
                 "results)"
               : "offline planner (rule-based, not an LLM)";
  }
  const OfflinePlannerOptions& options() const { return options_; }

 private:
  OfflinePlannerOptions options_;
};

}  // namespace zta::agent
