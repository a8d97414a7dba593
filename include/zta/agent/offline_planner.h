// OfflinePlanner: a deterministic, rule-based stand-in for a language model — NOT an LLM. It maps
// the hotel scenario's requests (search hotels in a city, book a room, cancel a booking, assign
// staff) to tool calls by keywords and fills arguments from the request text by the parameter
// names of the tool's schema. It is the embedded default when no model is configured, so the
// whole system runs (and can be tested) without model weights or a network.
#pragma once

#include <string>

#include "zta/agent/chat_model.h"

namespace zta::agent {

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
// Thread-safe (stateless).
class OfflinePlanner final : public ChatModel {
 public:
  Result<ChatResponse> Complete(const ChatRequest& request) override;
  std::string Describe() const override { return "offline planner (rule-based, not an LLM)"; }
};

}  // namespace zta::agent
