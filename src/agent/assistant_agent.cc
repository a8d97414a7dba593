// The tool loop: ask the model, check and run the tool calls it asks for (bounded concurrency),
// audit each one, feed scrubbed results back, until a text answer, a handoff or the round limit.
#include "zta/agent/assistant_agent.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <utility>

#include "zta/agent/reasons.h"
#include "zta/core/scopes.h"
#include "zta/core/sha256.h"
#include "zta/core/trace_context.h"

namespace zta::agent {
namespace {

constexpr std::string_view kHandoffPrefix = "transfer_to_";

AuditDecision DecisionOf(ToolStatus status) {
  switch (status) {
    case ToolStatus::kOk:
      return AuditDecision::kAllow;
    case ToolStatus::kDenied:
      return AuditDecision::kDeny;
    case ToolStatus::kError:
      return AuditDecision::kError;
  }
  return AuditDecision::kError;
}

}  // namespace

// One tool call of a model reply, from proposal to outcome.
struct AssistantAgent::PendingCall {
  ToolCall call;
  const Tool* tool = nullptr;
  const Handoff* handoff = nullptr;
  Json args;
  bool ready = false;  // passed every check and may run
  ToolOutcome outcome;
};

Status AgentOptions::Validate() const {
  if (name.empty()) return InvalidArgument("agent name is required");
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return InvalidArgument("agent name '" + name + "' may hold only a-z, A-Z, 0-9, _ and -");
    }
  }
  if (max_tool_iterations < 0) return InvalidArgument("max_tool_iterations must be >= 0");
  if (max_parallel_tools < 1) return InvalidArgument("max_parallel_tools must be >= 1");
  return Status::Ok();
}

AssistantAgent::AssistantAgent(AgentOptions options, ChatModel& model, AuditSink& audit)
    : options_(std::move(options)), model_(model), audit_(audit) {
  if (options_.id.empty()) options_.id = options_.name;
}

Result<std::unique_ptr<AssistantAgent>> AssistantAgent::Create(AgentOptions options,
                                                               ChatModel& model, AuditSink& audit) {
  ZTA_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<AssistantAgent>(new AssistantAgent(std::move(options), model, audit));
}

Status AssistantAgent::AddTool(std::shared_ptr<const Tool> tool) {
  if (!tool) return InvalidArgument("null tool");
  const std::string& name = tool->spec().name;
  ZTA_RETURN_IF_ERROR(ValidateToolName(name));
  if (name.starts_with(kHandoffPrefix)) {
    return InvalidArgument("tool name '" + name + "' is reserved for handoffs");
  }
  for (const auto& t : tools_) {
    if (t->spec().name == name) return InvalidArgument("duplicate tool '" + name + "'");
  }
  tools_.push_back(std::move(tool));
  return Status::Ok();
}

Status AssistantAgent::AddHandoff(const std::string& target, const std::string& description) {
  Handoff h;
  h.target = target;
  h.spec.name = std::string(kHandoffPrefix) + target;
  ZTA_RETURN_IF_ERROR(ValidateToolName(h.spec.name));
  for (const auto& existing : handoffs_) {
    if (existing.target == target) return InvalidArgument("duplicate handoff to " + target);
  }
  h.spec.description =
      description.empty() ? "Hand the conversation over to " + target + "." : description;
  h.spec.parameters = Schema::Object().json();
  h.spec.strict = true;
  handoffs_.push_back(std::move(h));
  return Status::Ok();
}

Status AssistantAgent::SetHandover(const std::string& target, Handover handover) {
  ZTA_RETURN_IF_ERROR(handover.Validate());
  for (auto& h : handoffs_) {
    if (h.target == target) {
      h.handover = std::move(handover);
      return Status::Ok();
    }
  }
  return InvalidArgument("no handoff to " + target + ": AddHandoff first");
}

std::vector<ToolSpec> AssistantAgent::ToolSpecs() const {
  std::vector<ToolSpec> specs;
  for (const auto& t : tools_) specs.push_back(t->spec());
  for (const auto& h : handoffs_) specs.push_back(h.spec);
  return specs;
}

ChatRequest AssistantAgent::BuildRequest(const Conversation& conversation, bool allow_tools) const {
  ChatRequest request;
  if (!options_.system_prompt.empty()) {
    request.messages.push_back(Message::System(options_.system_prompt));
  }
  // In a team the conversation also holds other agents' turns. This model sees their text as
  // user messages ("name: text") and not their tool calls: those name tools it does not have.
  std::set<std::string> foreign_calls;
  for (const Message& m : conversation.messages()) {
    if (m.role == Role::kAssistant && !m.name.empty() && m.name != options_.name) {
      for (const ToolCall& c : m.tool_calls) foreign_calls.insert(c.id);
      if (!m.content.empty()) {
        request.messages.push_back(Message::User(m.name + ": " + m.content, m.name));
      }
      continue;
    }
    if (m.role == Role::kTool && foreign_calls.count(m.tool_call_id) > 0) continue;
    if (m.role == Role::kSystem) continue;  // only this agent's own system prompt
    request.messages.push_back(m);
  }
  request.tools = ToolSpecs();
  request.tool_choice = allow_tools ? options_.tool_choice : "none";
  request.parallel_tool_calls = options_.parallel_tool_calls;
  request.temperature = options_.temperature;
  request.max_tokens = options_.max_tokens;
  return request;
}

void AssistantAgent::Append(Conversation& conversation, Message message,
                            const ToolOutcome* outcome) {
  conversation.Append(std::move(message));
  if (observer_) observer_(conversation.back(), outcome);
}

Status AssistantAgent::Audit(const Conversation& conversation, const PendingCall& p) {
  const ToolOutcome& o = p.outcome;
  AuditEvent e;
  e.trace_id = conversation.trace_id();
  e.component = "agent";
  e.action = "tool.call";
  e.subject = o.subject;
  e.actor_chain = {options_.id};
  e.client_id = options_.id;
  e.resource = o.resource;
  e.scopes_requested = o.scopes_requested;
  e.scopes_granted = o.scopes_granted;
  e.decision = DecisionOf(o.status);
  e.reason = o.status == ToolStatus::kOk ? "" : o.reason;
  e.jti = o.jti;
  Json& a = e.attributes;
  a["gen_ai.operation.name"] = "execute_tool";
  a["gen_ai.tool.name"] = p.call.name;
  a["gen_ai.tool.call.id"] = p.call.id;
  a["gen_ai.agent.id"] = options_.id;
  a["gen_ai.agent.name"] = options_.name;
  // A digest, never the arguments: they may hold personal data. Canonical JSON when they parse.
  a["zta.args.sha256"] =
      Sha256Hex(p.args.is_discarded() || p.args.is_null() ? p.call.arguments : DumpJson(p.args));
  a["zta.decision"] = std::string(AuditDecisionName(e.decision));
  a["zta.tool.status"] = std::string(ToolStatusName(o.status));
  if (o.secured) {
    a["zta.scope"] =
        JoinSpaceDelimited(o.scopes_granted.empty() ? o.scopes_requested : o.scopes_granted);
    a["zta.acting"] = o.subject.empty() ? "agent" : "on_behalf_of_user";
  }
  if (!o.jti.empty()) a["zta.jti"] = o.jti;
  if (!o.resource_id.empty()) a["zta.resource.id"] = o.resource_id;
  return audit_.Append(std::move(e));
}

bool AssistantAgent::EndsTurn(const ChatResponse& response, bool allow_tools, Message& reply,
                              TurnResult& result) {
  if (response.finish_reason == "content_filter") {
    reply.tool_calls.clear();
    if (reply.content.empty()) {
      reply.content = "[the model provider's content filter withheld this answer]";
    }
    result.stop_reason = kReasonContentFilter;
    result.text = reply.content;
    return true;
  }
  if (reply.tool_calls.empty() || !allow_tools) {
    // A model that still asks for tools after the last round gets no more: its text stands.
    bool wanted_tools = !reply.tool_calls.empty();
    reply.tool_calls.clear();
    result.text = reply.content;
    result.stop_reason = wanted_tools ? kStopMaxToolIterations : kStopFinal;
    return true;
  }
  return false;
}

std::vector<AssistantAgent::PendingCall> AssistantAgent::TakeToolCalls(int round, Message& reply) {
  // Models reuse or omit ids; every call needs a distinct one to pair results with calls.
  std::set<std::string> seen_ids;
  for (size_t i = 0; i < reply.tool_calls.size(); ++i) {
    ToolCall& c = reply.tool_calls[i];
    if (c.id.empty() || !seen_ids.insert(c.id).second) {
      c.id = "call_" + std::to_string(round) + "_" + std::to_string(i);
      seen_ids.insert(c.id);
    }
  }
  std::vector<PendingCall> calls(reply.tool_calls.size());
  for (size_t i = 0; i < calls.size(); ++i) calls[i].call = reply.tool_calls[i];
  return calls;
}

void AssistantAgent::PrepareCall(const Conversation& conversation, PendingCall& p) const {
  for (const auto& t : tools_) {
    if (t->spec().name == p.call.name) p.tool = t.get();
  }
  for (const auto& h : handoffs_) {
    if (h.spec.name == p.call.name) p.handoff = &h;
  }
  if (p.tool == nullptr && p.handoff == nullptr) {
    p.outcome = ToolOutcome::Failure(ToolStatus::kError,
                                     "error: there is no tool named '" + p.call.name + "'",
                                     kReasonUnknownTool);
    return;
  }
  JsonLimits limits;
  limits.max_depth = 32;
  limits.max_bytes = 256 * 1024;
  auto args = ParseJsonStrict(p.call.arguments.empty() ? "{}" : p.call.arguments, limits);
  if (!args.ok()) {
    p.outcome = ToolOutcome::Failure(ToolStatus::kError,
                                     "error: the arguments are not valid JSON; call " +
                                         p.call.name + " again with a JSON object",
                                     kReasonInvalidJson);
    return;
  }
  p.args = std::move(args).value();
  if (p.tool != nullptr && p.tool->requires_approval()) {
    bool yes = approval_ &&
               approval_({options_.name, p.call.name, p.call.id, p.args, conversation.user()});
    if (!yes) {
      p.outcome = ToolOutcome::Failure(
          ToolStatus::kDenied, "denied: a person did not approve this call to " + p.call.name,
          kReasonNotApproved);
      return;
    }
  }
  p.ready = true;
}

const AssistantAgent::Handoff* AssistantAgent::SelectRunnable(std::vector<PendingCall>& calls,
                                                              std::vector<size_t>& runnable) {
  const Handoff* handoff = nullptr;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (!calls[i].ready) continue;
    if (calls[i].handoff != nullptr) {
      if (handoff == nullptr) {
        handoff = calls[i].handoff;
        calls[i].outcome.content = "transferred to " + handoff->target;
      } else {
        calls[i].outcome = ToolOutcome::Failure(
            ToolStatus::kError, "error: only one handoff per reply", kReasonDuplicateHandoff);
      }
      continue;
    }
    runnable.push_back(i);
  }
  return handoff;
}

void AssistantAgent::InvokeCalls(const Conversation& conversation, std::vector<PendingCall>& calls,
                                 const std::vector<size_t>& runnable) const {
  auto run_one = [&](size_t i) {
    PendingCall& p = calls[i];
    ToolContext context;
    context.agent_id = options_.id;
    context.user = conversation.user();
    context.tool_call_id = p.call.id;
    context.trace_id = conversation.trace_id();
    context.agent_depth = conversation.agent_depth();
    context.transport = transport_;
    if (p.tool->uses_handed_authority() && conversation.authority().HeldBy(options_.name)) {
      context.subject_token = conversation.authority().token;
      context.subject_token_type = conversation.authority().token_type;
    }
    p.outcome = p.tool->Invoke(p.args, context);
  };
  size_t workers = std::min<size_t>(runnable.size(), options_.max_parallel_tools);
  if (workers <= 1) {
    for (size_t i : runnable) run_one(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t k = next++; k < runnable.size(); k = next++) run_one(runnable[k]);
    });
  }
  for (auto& t : threads) t.join();
}

bool AssistantAgent::HandOverAuthority(Conversation& conversation, std::vector<PendingCall>& calls,
                                       const Handoff& handoff) const {
  const HandedAuthority& current = conversation.authority();
  const HandedAuthority* held = current.HeldBy(options_.name) ? &current : nullptr;
  // Without a handover there is only something to pass on when this agent holds it; a handoff
  // to someone outside the team ("user") leaves the authority where it is.
  if (!handoff.handover && (held == nullptr || handoff.target == "user")) return true;
  auto handed = HandOver(options_.id, handoff.target, conversation.user(), held,
                         handoff.handover ? &*handoff.handover : nullptr);
  for (PendingCall& p : calls) {
    if (!p.ready || p.handoff != &handoff) continue;
    if (handoff.handover) {
      p.outcome.secured = true;
      p.outcome.resource = handoff.handover->resource;
      p.outcome.scopes_requested = handoff.handover->scopes;
      p.outcome.subject = conversation.user();
    }
    if (!handed.ok()) {
      // Fail closed: no handoff without the authority the next agent was meant to get. Only
      // the reason code reaches the model.
      const std::string reason = SafeTokenReason(handed.status().reason());
      p.outcome = ToolOutcome::Failure(
          ToolStatus::kDenied,
          "denied: could not hand the user's authority to " + handoff.target + " (" + reason + ")",
          reason);
      return false;
    }
    p.outcome.jti = handed->jti;
    break;  // SelectRunnable took the first ready handoff
  }
  if (!handed.ok()) return false;
  conversation.set_authority(std::move(handed).value());
  return true;
}

Status AssistantAgent::RecordCalls(Conversation& conversation, std::vector<PendingCall>& calls,
                                   TurnResult& result) {
  Status audit_status;
  // The handed user token too: a tool or an upstream that echoes it must not put it in front of
  // the model.
  const std::string& handed = conversation.authority().token.Reveal();
  for (PendingCall& p : calls) {
    p.outcome.content = scrubber_.Scrub(p.outcome.content, handed);
    if (p.outcome.status == ToolStatus::kDenied) ++result.denied_calls;
    if (p.outcome.status == ToolStatus::kError) ++result.failed_calls;
    Status s = Audit(conversation, p);
    if (!s.ok() && audit_status.ok()) audit_status = s;
    Append(conversation, Message::ToolResult(p.call.id, p.call.name, p.outcome.content),
           &p.outcome);
  }
  if (!audit_status.ok()) {
    return Status(StatusCode::kUnavailable,
                  "audit sink refused a tool-call event: " + audit_status.message(),
                  kReasonAuditUnavailable);
  }
  return Status::Ok();
}

Result<TurnResult> AssistantAgent::Run(Conversation& conversation) {
  // W3C Trace Context §3.2.2.3: a conversation without a trace id gets a fresh random one, so
  // its tool-call events, the token requests and the API calls they make share one trace.
  if (conversation.trace_id().empty()) {
    if (Result<std::string> trace = NewTraceId(); trace.ok()) conversation.set_trace_id(*trace);
  }
  TurnResult result;
  for (int round = 0;; ++round) {
    // Prepare: ask the model, apply the stop rules, check each call it asks for.
    const bool allow_tools = round < options_.max_tool_iterations;
    ZTA_ASSIGN_OR_RETURN(ChatResponse response,
                         model_.Complete(BuildRequest(conversation, allow_tools)));
    Message reply = std::move(response.message);
    reply.role = Role::kAssistant;
    reply.name = options_.name;
    if (EndsTurn(response, allow_tools, reply, result)) {
      Append(conversation, std::move(reply), nullptr);
      return result;
    }
    std::vector<PendingCall> calls = TakeToolCalls(round, reply);
    Append(conversation, std::move(reply), nullptr);
    // Checks run in order on this thread (the approval hook may prompt a person).
    for (PendingCall& p : calls) {
      ++result.tool_calls;
      PrepareCall(conversation, p);
    }

    // Run the approved calls, at most max_parallel_tools at a time.
    std::vector<size_t> runnable;
    const Handoff* handoff = SelectRunnable(calls, runnable);
    InvokeCalls(conversation, calls, runnable);
    if (handoff != nullptr && !HandOverAuthority(conversation, calls, *handoff)) {
      handoff = nullptr;  // denied: the model is told and the turn goes on
    }

    // Record: scrub, audit and append every result; a refused audit event ends the turn.
    ZTA_RETURN_IF_ERROR(RecordCalls(conversation, calls, result));
    if (handoff != nullptr) {
      result.stop_reason = kStopHandoff;
      result.handoff_target = handoff->target;
      return result;
    }
  }
}

UserProxyAgent::UserProxyAgent(std::string name, InputCallback input, std::string description)
    : name_(std::move(name)), description_(std::move(description)), input_(std::move(input)) {}

Result<TurnResult> UserProxyAgent::Run(Conversation& conversation) {
  std::string prompt;
  for (auto it = conversation.messages().rbegin(); it != conversation.messages().rend(); ++it) {
    if (it->role == Role::kAssistant && !it->content.empty()) {
      prompt = it->content;
      break;
    }
  }
  TurnResult result;
  Result<std::string> text =
      input_ ? input_(prompt)
             : Result<std::string>(
                   Status(StatusCode::kFailedPrecondition, "no input callback", kStopEndOfInput));
  if (!text.ok()) {
    if (text.status().reason() == kStopEndOfInput) {
      result.stop_reason = kStopEndOfInput;
      return result;
    }
    return text.status();
  }
  conversation.Append(Message::User(*text, name_));
  result.stop_reason = kStopUserInput;
  result.text = std::move(text).value();
  return result;
}

UserProxyAgent::InputCallback TerminalInput(std::istream& in, std::ostream& out, std::string name) {
  return [&in, &out, name = std::move(name)](const std::string&) -> Result<std::string> {
    std::string line;
    while (true) {
      out << name << "> " << std::flush;
      if (!std::getline(in, line)) {
        out << "\n";
        return Status(StatusCode::kNotFound, "end of input", kStopEndOfInput);
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line == "exit" || line == "quit") {
        return Status(StatusCode::kNotFound, "the person left", kStopEndOfInput);
      }
      if (!line.empty()) return line;
    }
  };
}

}  // namespace zta::agent
