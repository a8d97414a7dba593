// A ChatModel speaking the OpenAI Chat Completions wire format over libcurl: OpenAI itself, any
// OpenAI-compatible server (llama.cpp llama-server, Ollama, vLLM) and Azure OpenAI.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "zta/agent/chat_model.h"
#include "zta/agent/tool.h"
#include "zta/auth/token_source.h"
#include "zta/core/clock.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/http/client.h"

namespace zta::agent {

enum class ModelProvider {
  kOpenAi,  // OpenAI or any server with an OpenAI-compatible /v1/chat/completions
  kAzure,   // Azure OpenAI (deployments URL with api-version, or the v1 path)
};

struct OpenAiOptions {
  // Default: kOpenAi.
  ModelProvider provider = ModelProvider::kOpenAi;
  // kOpenAi: the API base including /v1; requests go to <base_url>/chat/completions.
  //   e.g. https://api.openai.com/v1, http://127.0.0.1:8080/v1 (llama-server),
  //   http://127.0.0.1:11434/v1 (Ollama).
  // kAzure: the resource endpoint, e.g. https://NAME.openai.azure.com. With api_version set,
  //   requests go to <base_url>/openai/deployments/<model>/chat/completions?api-version=<v>;
  //   without it, to the v1 path <base_url>/openai/v1/chat/completions (a base_url already
  //   ending in /openai/v1 is used as is). REQUIRED.
  std::string base_url;
  // The model name (kOpenAi, and kAzure's v1 path) or the deployment name (kAzure deployments
  // path). REQUIRED.
  std::string model;
  // kAzure only: e.g. "2024-10-21". Default: empty (the v1 path).
  std::string api_version;
  // kOpenAi: sent as "Authorization: Bearer <key>"; kAzure: as the "api-key" header. Optional
  // (local servers need none). Never logged, never put in a message.
  Secret api_key;
  // kAzure with Microsoft Entra ID instead of a key: a bearer token for token_resource is
  // obtained per request (the source caches). Not owned; must outlive the model. Default: null.
  auth::TokenSource* token_source = nullptr;
  // Resource of the Entra token; the scope asked for is "<token_resource>/.default".
  // Default: https://cognitiveservices.azure.com.
  std::string token_resource = "https://cognitiveservices.azure.com";
  // Deadline of one HTTP attempt. Default: 120 s (local models are slow).
  std::chrono::milliseconds timeout{120'000};
  // Attempts on retryable statuses (http::IsRetryableStatus: 408, 429, 5xx) and transport
  // failures. Default: 3.
  int max_attempts = 3;
  // Backoff before a retry, doubled each time, unless the server's Retry-After / retry-after-ms
  // says longer; capped at max_retry_after. Defaults: 500 ms, 8 s, 30 s.
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{8'000};
  std::chrono::milliseconds max_retry_after{30'000};
  // Ask for an SSE stream ("stream": true) and join its chunks. Default: false.
  bool stream = false;
  // With stream: called with each text delta, in order, as the chunks arrive (so a terminal can
  // show the answer while the model writes it). A transport failure after the first delta is
  // returned, not retried, so no text is shown twice. Called on the thread running Complete.
  std::function<void(std::string_view)> on_text_delta;
  // Largest response accepted. Default: 8 MiB.
  size_t max_response_bytes = 8 << 20;
  // Injected for tests. Defaults: http::Send and std::this_thread::sleep_for.
  http::Transport transport;
  std::function<void(std::chrono::milliseconds)> sleep;
  // Reads "now" for a Retry-After given as an HTTP-date. Not owned. Default (null): the system
  // clock.
  const Clock* clock = nullptr;

  Status Validate() const;
};

// Thread-safe (immutable after Create; the transport and token source are thread-safe).
class OpenAiChatModel final : public ChatModel {
 public:
  static Result<std::unique_ptr<OpenAiChatModel>> Create(OpenAiOptions options);

  Result<ChatResponse> Complete(const ChatRequest& request) override;
  std::string Describe() const override;

  // The chat completions URL requests go to.
  const std::string& endpoint() const { return endpoint_; }
  // The JSON body sent for `request`.
  Json BuildBody(const ChatRequest& request) const;

 private:
  explicit OpenAiChatModel(OpenAiOptions options);
  Result<http::ClientRequest> BuildHttpRequest(const std::string& body) const;

  const OpenAiOptions options_;
  std::string endpoint_;
};

// Parses a complete (non-streamed) chat.completion body.
Result<ChatResponse> ParseChatCompletion(const Json& body);
// Joins an SSE stream (HTML Living Standard §9.2) of chat.completion.chunk events as its bytes
// arrive, split anywhere: text deltas appended (and reported), tool-call deltas joined by their
// index (id and name from the first delta, arguments concatenated), chunks with empty "choices"
// (Azure's prompt_filter_results, usage-only chunks) skipped. Thread-compatible.
class ChatStreamJoiner {
 public:
  explicit ChatStreamJoiner(std::function<void(std::string_view)> on_text_delta = {});

  // The next bytes of the stream. After an error, the stream is broken: further calls return it.
  Status Feed(std::string_view bytes);
  // Once the stream has ended: the joined response.
  Result<ChatResponse> Finish();
  // Ok, or the error that broke the stream.
  const Status& status() const { return error_; }
  // Whether any text delta has been reported yet.
  bool reported_text() const { return reported_text_; }

 private:
  Status HandleLine(std::string_view line);
  Status HandleEvent();

  std::function<void(std::string_view)> on_text_delta_;
  ChatResponse response_;
  std::map<int64_t, ToolCall> calls_;  // joined by the delta's index
  std::string partial_line_;           // bytes after the last line break
  std::string data_;                   // "data:" lines of the event being read
  Status error_;
  bool done_ = false, any_chunk_ = false, reported_text_ = false;
};

// Joins a complete SSE stream (a ChatStreamJoiner fed once).
Result<ChatResponse> ParseChatCompletionStream(
    std::string_view sse, const std::function<void(std::string_view)>& on_text_delta = {});

}  // namespace zta::agent
