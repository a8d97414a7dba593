// AgentTool (zta/agent/agent_tool.h): runs another agent on the task the model gave, on a
// conversation of its own that carries the user's authority beside its messages, never in them.
#include "zta/agent/agent_tool.h"

#include "zta/agent/reasons.h"

namespace zta::agent {

AgentTool::AgentTool(std::string name, std::string description, ChatAgent& agent,
                     std::optional<Handover> handover)
    : FunctionTool(
          std::move(name), std::move(description),
          Schema::Object().Property(
              "task", Schema::String("What the agent should do, in plain words").MinLength(1)),
          nullptr),
      agent_(agent),
      handover_(std::move(handover)) {}

Result<std::unique_ptr<AgentTool>> AgentTool::Create(std::string name, std::string description,
                                                     ChatAgent& agent,
                                                     std::optional<Handover> handover) {
  ZTA_RETURN_IF_ERROR(ValidateToolName(name));
  if (handover) ZTA_RETURN_IF_ERROR(handover->Validate());
  return std::unique_ptr<AgentTool>(
      new AgentTool(std::move(name), std::move(description), agent, std::move(handover)));
}

ToolOutcome AgentTool::Invoke(const Json& args, ToolContext& context) const {
  if (Status valid = ValidateArguments(args); !valid.ok()) {
    return ToolOutcome::Failure(ToolStatus::kError, "error: invalid arguments: " + valid.message(),
                                kReasonInvalidArguments);
  }
  // Agents wired as each other's tools (or an injected model calling round and round) stop here.
  if (context.agent_depth >= kMaxAgentToolDepth) {
    return ToolOutcome::Failure(ToolStatus::kDenied,
                                "denied: agents are nested too deep to call " + agent_.name(),
                                kReasonToolFailed);
  }
  ToolOutcome outcome;
  HandedAuthority held;
  held.to = context.agent_id;
  held.token = context.subject_token;
  held.token_type = context.subject_token_type;
  auto handed = HandOver(context.agent_id, agent_.name(), context.user, &held,
                         handover_ ? &*handover_ : nullptr);
  if (handover_) {
    outcome.secured = true;
    outcome.resource = handover_->resource;
    outcome.scopes_requested = handover_->scopes;
    outcome.subject = context.user;
  }
  if (!handed.ok()) {
    const std::string reason = SafeTokenReason(handed.status().reason());
    outcome.status = ToolStatus::kDenied;
    outcome.reason = reason;
    outcome.content =
        "denied: could not hand the user's authority to " + agent_.name() + " (" + reason + ")";
    return outcome;
  }
  outcome.jti = handed->jti;
  const std::string token = handed->token.Reveal();

  Conversation conversation(context.user);
  conversation.set_trace_id(context.trace_id);
  conversation.set_agent_depth(context.agent_depth + 1);
  conversation.set_authority(std::move(handed).value());
  conversation.Append(Message::User(args.at("task").get<std::string>()));
  Result<TurnResult> turn = agent_.Run(conversation);
  Scrubber scrubber;
  if (!turn.ok()) {
    outcome.status = ToolStatus::kError;
    outcome.reason = kReasonToolFailed;
    outcome.content = "error: " + agent_.name() + " could not finish the task";
    return outcome;
  }
  // The other agent's answer is text a model wrote: scrubbed like any tool result, and of the
  // handed token too.
  outcome.content = scrubber.Scrub(turn->text.empty() ? "(no answer)" : turn->text, token);
  return outcome;
}

}  // namespace zta::agent
