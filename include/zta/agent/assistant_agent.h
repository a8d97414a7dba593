// AssistantAgent: the tool loop. The model proposes tool calls; the agent checks them (known tool,
// valid JSON, schema, human approval), runs them — several at once when the model asks for
// several — records every call in the audit log, and feeds scrubbed results back to the model.
#pragma once

#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "zta/agent/authority.h"
#include "zta/agent/chat_model.h"
#include "zta/agent/message.h"
#include "zta/agent/tool.h"
#include "zta/core/audit_sink.h"
#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::agent {

// How one agent turn ended.
struct TurnResult {
  // "final" (the model answered in text), "max_tool_iterations" (tool rounds used up and the
  // model still wanted tools), "content_filter" (the provider withheld the answer), "handoff"
  // (see handoff_target), "user_input" (a UserProxyAgent spoke), "end_of_input" (the user proxy
  // has no more input).
  std::string stop_reason;
  std::string text;            // the last assistant text, if any
  std::string handoff_target;  // for "handoff": the agent (or "user") the turn was handed to
  int tool_calls = 0;          // tool calls attempted this turn
  int denied_calls = 0;        // of which denied
  int failed_calls = 0;        // of which failed (bad arguments, unknown tool, tool error)
};

// A participant in a conversation: an AssistantAgent, a UserProxyAgent, or your own.
// Implementations say whether they are thread-safe; a team drives them from one thread.
class ChatAgent {
 public:
  virtual ~ChatAgent() = default;
  virtual const std::string& name() const = 0;
  virtual const std::string& description() const = 0;
  // Takes one turn: reads `conversation`, appends what this participant says.
  virtual Result<TurnResult> Run(Conversation& conversation) = 0;
};

struct AgentOptions {
  // Display name; in teams also the speaker name and the target of transfer_to_<name>.
  // REQUIRED; must be a valid tool-name fragment (a-z, A-Z, 0-9, _, -).
  std::string name;
  // The agent's identity: its OAuth client_id (audit gen_ai.agent.id). Default: name.
  std::string id;
  // What the agent is for; teams show it to other agents. Default: empty.
  std::string description;
  // Sent as the first (system) message of every request. Default: empty (none sent).
  std::string system_prompt;
  // Rounds of tool calls one turn may make. After the last round the model is asked once more,
  // with tool_choice "none", for a text answer. Default: 5. REQUIRES: >= 0.
  int max_tool_iterations = 5;
  // Tool calls of one model reply run concurrently, at most this many at a time. Default: 4.
  int max_parallel_tools = 4;
  // Passed to the model. Defaults: "auto", true.
  std::string tool_choice = "auto";
  bool parallel_tool_calls = true;
  std::optional<double> temperature;
  std::optional<int> max_tokens;

  Status Validate() const;
};

// What the approval hook is asked. The arguments are shown to the human (not to the audit log).
struct ApprovalRequest {
  std::string agent;
  std::string tool;
  std::string tool_call_id;
  Json arguments;
  std::string user;
};
// Returns true to let the call run. Called on the agent's thread, one call at a time.
using ApprovalHook = std::function<bool(const ApprovalRequest&)>;

// Called for each message the agent appends; `outcome` is set for tool results (to show denials).
using MessageObserver = std::function<void(const Message& message, const ToolOutcome* outcome)>;

// An LLM-driven agent with tools. Configure (AddTool, Set*) before the first Run; Run itself is
// not thread-safe per conversation, but one agent may serve different conversations from
// different threads once configured (its state is read-only then; the model and the tools must
// be thread-safe, as their interfaces require).
class AssistantAgent final : public ChatAgent {
 public:
  // `model` and `audit` must outlive the agent.
  static Result<std::unique_ptr<AssistantAgent>> Create(AgentOptions options, ChatModel& model,
                                                        AuditSink& audit);

  const std::string& name() const override { return options_.name; }
  const std::string& description() const override { return options_.description; }
  const AgentOptions& options() const { return options_; }
  ChatModel& model() const { return model_; }

  // Adds a tool. Fails on a duplicate or reserved (transfer_to_*) name.
  Status AddTool(std::shared_ptr<const Tool> tool);
  // Adds the tool transfer_to_<target>: when the model calls it the turn ends with a handoff.
  // The conversation's authority (Conversation::authority) goes to the target with it: the one
  // this agent holds, as is, or with SetHandover a token obtained for the target.
  Status AddHandoff(const std::string& target, const std::string& description = {});
  // The handoff to `target` hands over the user's authority obtained through `handover` (see
  // zta/agent/authority.h HandOver): when that fails the handoff does not happen, and the model
  // is told it was denied (the reason code only). REQUIRES: AddHandoff(target) first.
  Status SetHandover(const std::string& target, Handover handover);
  // Redacted from every tool result (e.g. the model API key, the agent's client secret).
  void AddSecret(std::string value) { scrubber_.AddSecret(std::move(value)); }
  // Tools whose requires_approval() is true run only when this returns true. Without a hook
  // such tools are denied ("not_approved"): no human, no yes.
  void SetApprovalHook(ApprovalHook hook) { approval_ = std::move(hook); }
  void SetObserver(MessageObserver observer) { observer_ = std::move(observer); }
  // Transport handed to tools through ToolContext. Default: http::Send.
  void SetTransport(HttpTransport transport) { transport_ = std::move(transport); }

  std::vector<ToolSpec> ToolSpecs() const;

  // One turn: asks the model, runs the tools it calls, repeats until the model answers in text,
  // hands off, or the tool rounds are used up. Appends every message to `conversation`.
  // Denied and failed tool calls do not fail the turn (the model is told and carries on).
  // Errors: the model's errors, and kUnavailable with reason "audit_unavailable" when the audit
  // sink refused an event (the turn stops: nothing runs unrecorded).
  Result<TurnResult> Run(Conversation& conversation) override;

 private:
  struct Handoff {
    std::string target;
    ToolSpec spec;
    std::optional<Handover> handover;
  };
  struct PendingCall;

  AssistantAgent(AgentOptions options, ChatModel& model, AuditSink& audit);
  ChatRequest BuildRequest(const Conversation& conversation, bool allow_tools) const;
  void Append(Conversation& conversation, Message message, const ToolOutcome* outcome);
  Status Audit(const Conversation& conversation, const PendingCall& call);
  // The steps of one Run round.
  // Stop rules: true when `reply` ends the turn (content filter, a text answer, or tool calls
  // after the last round); then `reply` is trimmed and `result` says why.
  static bool EndsTurn(const ChatResponse& response, bool allow_tools, Message& reply,
                       TurnResult& result);
  // Gives every tool call of `reply` a distinct id; one PendingCall per call.
  static std::vector<PendingCall> TakeToolCalls(int round, Message& reply);
  // Finds the tool or handoff, parses the arguments, asks for approval; `ready` when all pass.
  void PrepareCall(const Conversation& conversation, PendingCall& call) const;
  // The ready tool calls in `runnable`; returns the first ready handoff (later ones fail).
  static const Handoff* SelectRunnable(std::vector<PendingCall>& calls,
                                       std::vector<size_t>& runnable);
  // Invokes calls[runnable...], at most max_parallel_tools at a time.
  void InvokeCalls(const Conversation& conversation, std::vector<PendingCall>& calls,
                   const std::vector<size_t>& runnable) const;
  // Hands the conversation's authority to the handoff's target; false (and the call denied)
  // when it could not be obtained.
  bool HandOverAuthority(Conversation& conversation, std::vector<PendingCall>& calls,
                         const Handoff& handoff) const;
  // Scrubs, counts, audits and appends each result. kUnavailable "audit_unavailable" when the
  // sink refused an event (after every result was appended).
  Status RecordCalls(Conversation& conversation, std::vector<PendingCall>& calls,
                     TurnResult& result);

  AgentOptions options_;
  ChatModel& model_;
  AuditSink& audit_;
  std::vector<std::shared_ptr<const Tool>> tools_;
  std::vector<Handoff> handoffs_;
  Scrubber scrubber_;
  ApprovalHook approval_;
  MessageObserver observer_;
  HttpTransport transport_;
};

// Stands for a human in a team: its turn asks the input callback (a terminal prompt, a web form)
// and appends what the person typed as a user message. Thread-safety: as the callback's.
class UserProxyAgent final : public ChatAgent {
 public:
  // Returns the person's text. An error with reason "end_of_input" ends the run quietly (EOF,
  // "exit"); other errors fail the run.
  using InputCallback = std::function<Result<std::string>(const std::string& prompt)>;

  UserProxyAgent(std::string name, InputCallback input, std::string description = "the user");
  const std::string& name() const override { return name_; }
  const std::string& description() const override { return description_; }
  Result<TurnResult> Run(Conversation& conversation) override;

 private:
  std::string name_;
  std::string description_;
  InputCallback input_;
};

// An input callback for a terminal: writes "<name>> " to `out`, reads one line from `in`. EOF,
// "exit" and "quit" end the input (reason "end_of_input"); empty lines are asked again. The
// streams must outlive the callback; not thread-safe (one terminal, one reader).
UserProxyAgent::InputCallback TerminalInput(std::istream& in, std::ostream& out,
                                            std::string name = "you");

}  // namespace zta::agent
