// The ChatModel interface: one request/response exchange with a language model (or with the
// offline planner, which is not one). Implementations: OpenAiChatModel (OpenAI-compatible servers
// and Azure OpenAI) and OfflinePlanner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "zta/agent/message.h"
#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::agent {

// What the model is told about a tool: the OpenAI "function" tool definition.
struct ToolSpec {
  std::string name;                  // ^[a-zA-Z0-9_-]{1,64}$ (the OpenAI limit)
  std::string description;           // what the tool does, for the model
  Json parameters = Json::object();  // JSON Schema of the arguments object
  // OpenAI structured outputs: the model's arguments are guaranteed to match the schema. Only set
  // when IsStrictSchema(parameters). Default: false.
  bool strict = false;

  // {"type":"function","function":{"name","description","parameters","strict"?}}
  Json ToJson() const;
};

// Checks the OpenAI tool-name rule, so a bad name fails at construction, not at the first call.
Status ValidateToolName(const std::string& name);

struct ChatRequest {
  std::vector<Message> messages;
  std::vector<ToolSpec> tools;
  // "auto" (the model decides), "none", "required", or the name of one tool to force.
  // Default: "auto". Not sent when there are no tools.
  std::string tool_choice = "auto";
  // Whether the model may ask for several tools in one reply. Default: true.
  bool parallel_tool_calls = true;
  std::optional<double> temperature;  // Default: the server's.
  std::optional<int> max_tokens;      // Default: the server's.
};

struct TokenUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct ChatResponse {
  Message message;  // Role::kAssistant: text and/or tool calls
  // Why the model stopped: "stop", "tool_calls", "length", "content_filter" (the provider withheld
  // the answer), or whatever the server said.
  std::string finish_reason;
  std::string model;  // as reported by the server
  TokenUsage usage;
};

// A chat model. Implementations are thread-safe: several agents may share one.
class ChatModel {
 public:
  virtual ~ChatModel() = default;
  // One completion. Errors: kUnavailable (unreachable or 5xx after retries), kResourceExhausted
  // with reason "model_rate_limited" (still 429 after retries), kDeadlineExceeded,
  // kUnauthenticated/kPermissionDenied (the server refused the key), kInvalidArgument (the server
  // refused the request; reason "content_filter" when the prompt itself was filtered), kDataLoss
  // with reason "bad_model_response" (not the wire format).
  virtual Result<ChatResponse> Complete(const ChatRequest& request) = 0;
  // A short description for transcripts, e.g. "openai gpt-4o" or "offline planner (not an LLM)".
  virtual std::string Describe() const = 0;
};

}  // namespace zta::agent
