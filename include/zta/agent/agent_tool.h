// AgentTool: another agent exposed as a tool of this one, so an agent can hand a piece of work
// to another agent with the user's authority (docs/delegation.md, "The SDK: token exchange and
// backchannel approval").
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "zta/agent/assistant_agent.h"
#include "zta/agent/authority.h"
#include "zta/agent/tool.h"

namespace zta::agent {

// The model calls it with {"task": "<what to do>"}. The agent runs one turn on a conversation of
// its own (the same user and trace id) that starts with the task, and its last text is the
// tool's result. The user's authority goes along (HandOver): with a Handover, a token obtained
// through it (exchanging the authority the calling agent holds, if any); without, the calling
// agent's own (ToolContext::subject_token), as is. So the agent's SecureFunctionTools acting for
// the user exchange it and the API sees the chain. The token is never in the task or the result
// (the result is scrubbed of it). Thread-safe if the agent is (AssistantAgent is, once
// configured: each call runs on a conversation of its own).
// Deepest nesting of AgentTool calls (an agent's tool running an agent whose tool runs another…).
inline constexpr int kMaxAgentToolDepth = 4;

class AgentTool final : public FunctionTool {
 public:
  // `agent` must outlive the tool. Errors: a bad tool name, a handover without resource or
  // token source.
  static Result<std::unique_ptr<AgentTool>> Create(std::string name, std::string description,
                                                   ChatAgent& agent,
                                                   std::optional<Handover> handover = {});

  ToolOutcome Invoke(const Json& args, ToolContext& context) const override;
  bool uses_handed_authority() const override { return true; }

 private:
  AgentTool(std::string name, std::string description, ChatAgent& agent,
            std::optional<Handover> handover);
  ChatAgent& agent_;
  const std::optional<Handover> handover_;
};

}  // namespace zta::agent
