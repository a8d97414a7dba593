// Round-robin and handoff teams, and the termination conditions that end their runs.
#include "zta/agent/team.h"

#include <utility>

#include "zta/agent/reasons.h"

namespace zta::agent {

std::string_view TeamStopReasonName(TeamStopReason reason) {
  switch (reason) {
    case TeamStopReason::kMaxMessages:
      return "max_messages";
    case TeamStopReason::kTextMention:
      return "text_mention";
    case TeamStopReason::kHandoff:
      return "handoff";
    case TeamStopReason::kEndOfInput:
      return "end_of_input";
    case TeamStopReason::kAgentDone:
      return "agent_done";
    case TeamStopReason::kMaxTurns:
      return "max_turns";
  }
  return "unknown";
}

std::string TeamResult::StopReasonName() const {
  if (stop_reason == TeamStopReason::kHandoff) return "handoff_to_" + handoff_target;
  return std::string(TeamStopReasonName(stop_reason));
}

TerminationCondition MaxMessages(size_t n) {
  return [n](const TeamState& s) -> std::optional<TeamStopReason> {
    if (s.messages_added >= n) return TeamStopReason::kMaxMessages;
    return std::nullopt;
  };
}

TerminationCondition TextMention(std::string text) {
  return [text = std::move(text)](const TeamState& s) -> std::optional<TeamStopReason> {
    const auto& m = s.conversation.messages();
    size_t from = m.size() - std::min(m.size(), s.messages_added);
    // Only what the last turn said: earlier mentions were already checked.
    for (size_t i = m.size(); i-- > from;) {
      if (m[i].role == Role::kTool) continue;
      if (m[i].content.find(text) != std::string::npos) return TeamStopReason::kTextMention;
      if (m[i].name != s.speaker && m[i].role == Role::kAssistant) break;
    }
    return std::nullopt;
  };
}

TerminationCondition HandoffTo(std::string target) {
  return [target = std::move(target)](const TeamState& s) -> std::optional<TeamStopReason> {
    if (s.turn.stop_reason == kStopHandoff && s.turn.handoff_target == target) {
      return TeamStopReason::kHandoff;
    }
    return std::nullopt;
  };
}

TerminationCondition AnyOf(std::vector<TerminationCondition> conditions) {
  return [conditions = std::move(conditions)](const TeamState& s) -> std::optional<TeamStopReason> {
    for (const auto& c : conditions) {
      if (!c) continue;
      if (auto reason = c(s)) return reason;
    }
    return std::nullopt;
  };
}

RoundRobinTeam::RoundRobinTeam(std::vector<ChatAgent*> agents, TerminationCondition condition,
                               int max_turns)
    : agents_(std::move(agents)), condition_(std::move(condition)), max_turns_(max_turns) {}

Result<TeamResult> RoundRobinTeam::Run(Conversation& conversation) {
  if (agents_.empty()) return FailedPrecondition("a team needs at least one agent");
  TeamResult result;
  const size_t start = conversation.size();
  while (result.turns < max_turns_) {
    ChatAgent* agent = agents_[next_];
    next_ = (next_ + 1) % agents_.size();
    ZTA_ASSIGN_OR_RETURN(TurnResult turn, agent->Run(conversation));
    ++result.turns;
    result.last_speaker = agent->name();
    if (turn.stop_reason == kStopEndOfInput) {
      result.stop_reason = TeamStopReason::kEndOfInput;
      return result;
    }
    if (condition_) {
      TeamState state{conversation, conversation.size() - start, agent->name(), turn};
      if (auto reason = condition_(state)) {
        result.stop_reason = *reason;
        if (*reason == TeamStopReason::kHandoff) result.handoff_target = turn.handoff_target;
        return result;
      }
    }
  }
  result.stop_reason = TeamStopReason::kMaxTurns;
  return result;
}

HandoffTeam::HandoffTeam(std::vector<ChatAgent*> agents, TerminationCondition condition,
                         int max_turns)
    : agents_(std::move(agents)),
      condition_(std::move(condition)),
      max_turns_(max_turns),
      speaker_(agents_.empty() ? nullptr : agents_.front()) {}

Status HandoffTeam::ConnectAll(const std::vector<AssistantAgent*>& assistants,
                               const std::vector<ChatAgent*>& members, bool to_user) {
  for (AssistantAgent* a : assistants) {
    for (ChatAgent* m : members) {
      if (m == a) continue;
      ZTA_RETURN_IF_ERROR(
          a->AddHandoff(m->name(), "Hand over to " + m->name() + ": " + m->description()));
    }
    if (to_user) {
      ZTA_RETURN_IF_ERROR(a->AddHandoff("user", "Hand the conversation back to the user."));
    }
  }
  return Status::Ok();
}

const std::string& HandoffTeam::current_speaker() const {
  static const std::string kNone;
  return speaker_ ? speaker_->name() : kNone;
}

ChatAgent* HandoffTeam::Find(const std::string& name) const {
  for (ChatAgent* a : agents_) {
    if (a->name() == name) return a;
  }
  return nullptr;
}

Result<TeamResult> HandoffTeam::Run(Conversation& conversation) {
  if (speaker_ == nullptr) return FailedPrecondition("a team needs at least one agent");
  TeamResult result;
  const size_t start = conversation.size();
  while (result.turns < max_turns_) {
    ChatAgent* agent = speaker_;
    ZTA_ASSIGN_OR_RETURN(TurnResult turn, agent->Run(conversation));
    ++result.turns;
    result.last_speaker = agent->name();
    if (turn.stop_reason == kStopEndOfInput) {
      result.stop_reason = TeamStopReason::kEndOfInput;
      return result;
    }
    if (condition_) {
      TeamState state{conversation, conversation.size() - start, agent->name(), turn};
      if (auto reason = condition_(state)) {
        if (turn.stop_reason == kStopHandoff) {
          if (ChatAgent* next = Find(turn.handoff_target)) {
            previous_ = agent;
            speaker_ = next;
          }
        }
        result.stop_reason = *reason;
        if (*reason == TeamStopReason::kHandoff) result.handoff_target = turn.handoff_target;
        return result;
      }
    }
    if (turn.stop_reason == kStopHandoff) {
      ChatAgent* next = Find(turn.handoff_target);
      if (next == nullptr) {
        result.stop_reason = TeamStopReason::kHandoff;
        result.handoff_target = turn.handoff_target;
        return result;
      }
      previous_ = agent;
      speaker_ = next;
      continue;
    }
    if (turn.stop_reason == kStopUserInput) {
      // The person answered: back to whoever asked them.
      if (previous_ != nullptr && previous_ != agent) std::swap(previous_, speaker_);
      continue;
    }
    result.stop_reason = TeamStopReason::kAgentDone;
    return result;
  }
  result.stop_reason = TeamStopReason::kMaxTurns;
  return result;
}

}  // namespace zta::agent
