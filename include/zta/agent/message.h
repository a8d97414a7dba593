// Chat messages and conversations: what a model sees and says. A conversation serializes to JSON
// (the OpenAI Chat Completions message shape plus a small envelope) so it can be stored and
// resumed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "zta/agent/authority.h"
#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::agent {

enum class Role { kSystem, kUser, kAssistant, kTool };
std::string_view RoleName(Role role);  // "system" | "user" | "assistant" | "tool"
Result<Role> ParseRole(std::string_view name);

// A model's request to run one tool. `arguments` is the raw JSON text the model produced: it may
// be invalid, and the agent reports that back to the model as a tool error.
struct ToolCall {
  std::string id;         // the model's id for the call (echoed in the tool result)
  std::string name;       // the tool's name
  std::string arguments;  // JSON text, normally an object

  friend bool operator==(const ToolCall&, const ToolCall&) = default;
};

// One message. Plain value; thread-compatible.
struct Message {
  Role role = Role::kUser;
  // Text. May be empty for an assistant message that only calls tools.
  std::string content;
  // Who spoke, in a team: the agent's name (assistant) or the user's (user). Optional.
  std::string name;
  // Role::kAssistant only: the tools the model asked for, in order.
  std::vector<ToolCall> tool_calls;
  // Role::kTool only: the call this result answers.
  std::string tool_call_id;
  // Role::kTool only: the tool's name (kept for transcripts and Azure/Gemini-style providers).
  std::string tool_name;

  static Message System(std::string text);
  static Message User(std::string text, std::string name = {});
  static Message Assistant(std::string text, std::string name = {});
  static Message ToolResult(std::string call_id, std::string tool_name, std::string content);

  friend bool operator==(const Message&, const Message&) = default;
};

// The OpenAI Chat Completions form: {"role", "content", "name"?, "tool_calls"?, "tool_call_id"?}.
// `for_model` leaves out what the wire format has no place for (the tool message's tool_name) and
// sends an assistant message without text as "content": null, as the API expects.
Json MessageToJson(const Message& message, bool for_model = false);
// Accepts the same form; `content` may be null or an array of {"type":"text","text"} parts.
Result<Message> MessageFromJson(const Json& json);

// An ordered list of messages plus who the conversation is with. Thread-compatible: an agent
// appends to it during its turn; share across threads only with external locking.
class Conversation {
 public:
  Conversation() = default;
  explicit Conversation(std::string user) : user_(std::move(user)) {}

  // The user the conversation is with: SecureFunctionTools acting on behalf of the user ask for
  // tokens for this subject. Empty: anonymous (only agent-identity tools work).
  const std::string& user() const { return user_; }
  void set_user(std::string user) { user_ = std::move(user); }
  // Correlates the audit events of this conversation. Default: empty (events get none).
  const std::string& trace_id() const { return trace_id_; }
  void set_trace_id(std::string id) { trace_id_ = std::move(id); }
  // How many AgentTool calls deep this conversation runs (0: the user's own). AgentTool refuses
  // past kMaxAgentToolDepth, so agents wired as each other's tools cannot recurse without end.
  int agent_depth() const { return agent_depth_; }
  void set_agent_depth(int depth) { agent_depth_ = depth; }

  // The user's authority handed to one agent of this conversation (zta/agent/authority.h), set
  // by a handoff or an AgentTool. Not a message: no model ever sees it, and ToJson/Serialize
  // leave it out (a resumed conversation asks again). Default: empty.
  const HandedAuthority& authority() const { return authority_; }
  void set_authority(HandedAuthority authority) { authority_ = std::move(authority); }

  const std::vector<Message>& messages() const { return messages_; }
  void Append(Message message) { messages_.push_back(std::move(message)); }
  size_t size() const { return messages_.size(); }
  bool empty() const { return messages_.empty(); }
  const Message& back() const { return messages_.back(); }

  // {"version":1,"user":...,"trace_id":...,"messages":[...]}
  Json ToJson() const;
  static Result<Conversation> FromJson(const Json& json);
  // Text forms, through the strict parser (a stored conversation is untrusted input).
  std::string Serialize() const;
  static Result<Conversation> Parse(std::string_view text);

 private:
  std::string user_;
  std::string trace_id_;
  int agent_depth_ = 0;
  std::vector<Message> messages_;
  HandedAuthority authority_;
};

}  // namespace zta::agent
