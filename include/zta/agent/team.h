// Teams of agents sharing one conversation: round-robin, and handoff (each assistant gets
// transfer_to_<agent> tools), with termination conditions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zta/agent/assistant_agent.h"
#include "zta/agent/message.h"
#include "zta/core/status.h"

namespace zta::agent {

// What a termination condition sees after each turn.
struct TeamState {
  const Conversation& conversation;
  size_t messages_added;       // messages appended since this Run began
  const std::string& speaker;  // who just spoke
  const TurnResult& turn;      // how that turn ended
};

// Why a team's run ended.
enum class TeamStopReason {
  kMaxMessages,  // "max_messages": MaxMessages(n) saw n messages added
  kTextMention,  // "text_mention": TextMention saw its text
  kHandoff,      // "handoff_to_<target>": HandoffTo(target), or a handoff to a non-member
  kEndOfInput,   // "end_of_input": a user proxy reached the end of its input
  kAgentDone,    // "agent_done": a HandoffTeam speaker ended its turn without a handoff
  kMaxTurns,     // "max_turns": the team's turn limit
};
// The fixed snake_case name ("handoff" for kHandoff; TeamResult adds the target).
std::string_view TeamStopReasonName(TeamStopReason reason);

// Returns a reason to stop, or nothing to go on.
using TerminationCondition = std::function<std::optional<TeamStopReason>(const TeamState&)>;

// Stops once `n` messages were added during the run.
TerminationCondition MaxMessages(size_t n);
// Stops when a message added by the last turn contains `text` (e.g. "TERMINATE").
TerminationCondition TextMention(std::string text);
// Stops when an agent hands off to `target` (default "user").
TerminationCondition HandoffTo(std::string target = "user");
// Stops when any of `conditions` does (the first one's reason).
TerminationCondition AnyOf(std::vector<TerminationCondition> conditions);

struct TeamResult {
  TeamStopReason stop_reason = TeamStopReason::kMaxTurns;
  std::string handoff_target;  // with kHandoff: whom the last turn handed off to
  int turns = 0;
  std::string last_speaker;

  // TeamStopReasonName, with kHandoff spelled "handoff_to_<handoff_target>".
  std::string StopReasonName() const;
};

// Agents speak in order, one turn each, until the condition stops the run or max_turns.
// Not thread-safe (it remembers whose turn is next across runs). Agents are not owned.
class RoundRobinTeam {
 public:
  RoundRobinTeam(std::vector<ChatAgent*> agents, TerminationCondition condition,
                 int max_turns = 20);
  Result<TeamResult> Run(Conversation& conversation);

 private:
  std::vector<ChatAgent*> agents_;
  TerminationCondition condition_;
  int max_turns_;
  size_t next_ = 0;
};

// The speaker keeps the floor until it hands off with transfer_to_<agent>; a handoff to a team
// member gives it the floor, a handoff to anyone else (e.g. "user") ends the run. A turn that
// ends without a handoff ends the run too ("agent_done"); the next Run resumes with the same
// speaker (as a chat UI does after the person answers). A UserProxyAgent member gives the floor
// back to whoever handed off to it. Not thread-safe. Agents are not owned.
class HandoffTeam {
 public:
  // The first agent starts. Call AddHandoff on the assistants for the transfers they may make
  // (or use ConnectAll).
  HandoffTeam(std::vector<ChatAgent*> agents, TerminationCondition condition, int max_turns = 20);
  // Gives every AssistantAgent in `agents` a handoff to every other member plus to "user".
  static Status ConnectAll(const std::vector<AssistantAgent*>& assistants,
                           const std::vector<ChatAgent*>& members, bool to_user = true);
  Result<TeamResult> Run(Conversation& conversation);
  const std::string& current_speaker() const;

 private:
  ChatAgent* Find(const std::string& name) const;
  std::vector<ChatAgent*> agents_;
  TerminationCondition condition_;
  int max_turns_;
  ChatAgent* speaker_;
  ChatAgent* previous_ = nullptr;  // who handed off to the current speaker
};

}  // namespace zta::agent
