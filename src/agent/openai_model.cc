// The OpenAI Chat Completions client (and Azure OpenAI's variant of it): request body, retries
// honouring Retry-After, error mapping, and parsing of whole and streamed (SSE) responses.
#include "zta/agent/openai_model.h"

#include <algorithm>
#include <map>
#include <thread>
#include <utility>

#include "zta/agent/reasons.h"
#include "zta/http/protocol.h"

namespace zta::agent {
namespace {

Status BadResponse(const std::string& what) {
  return Status(StatusCode::kDataLoss, "model response: " + what, kReasonBadModelResponse);
}

JsonLimits ResponseLimits(size_t max_bytes) {
  JsonLimits limits;
  limits.max_depth = 64;
  limits.max_bytes = max_bytes;
  return limits;
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

void ReadUsage(const Json& body, TokenUsage& usage) {
  auto u = body.find("usage");
  if (u == body.end() || !u->is_object()) return;
  if (u->contains("prompt_tokens") && (*u)["prompt_tokens"].is_number_integer()) {
    usage.prompt_tokens = (*u)["prompt_tokens"].get<int64_t>();
  }
  if (u->contains("completion_tokens") && (*u)["completion_tokens"].is_number_integer()) {
    usage.completion_tokens = (*u)["completion_tokens"].get<int64_t>();
  }
}

std::string StringOr(const Json& j, const char* key, std::string fallback = {}) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::optional<int64_t> ParseDigits(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

// How long the server asks us to wait: retry-after-ms (Azure, OpenAI), or Retry-After as
// delay-seconds or an HTTP-date (RFC 9110 §10.2.3). A date in the past means "now".
std::optional<std::chrono::milliseconds> RetryAfter(const http::Response& r, const Clock& clock) {
  if (auto ms = r.headers.Get("retry-after-ms")) {
    if (auto n = ParseDigits(*ms)) return std::chrono::milliseconds(*n);
  }
  if (auto s = r.headers.Get("Retry-After")) return http::ParseRetryAfter(*s, clock);
  return std::nullopt;
}

// A short, safe description of an error response: the server's own message, truncated.
Status HttpError(const http::Response& r, const Secret& api_key) {
  std::string message, code;
  auto body = ParseJsonStrict(r.body, ResponseLimits(1 << 20));
  if (body.ok() && body->is_object()) {
    const Json& e = body->contains("error") ? (*body)["error"] : *body;
    if (e.is_object()) {
      message = StringOr(e, "message");
      code = StringOr(e, "code");
      // Azure nests the filter verdict: error.innererror.code = "ResponsibleAIPolicyViolation".
      if (code.empty() && e.contains("innererror") && e["innererror"].is_object()) {
        code = StringOr(e["innererror"], "code");
      }
    } else if (e.is_string()) {
      message = e.get<std::string>();
    }
  }
  if (message.size() > 300) message = message.substr(0, 300) + "...";
  Scrubber scrubber;
  if (!api_key.empty()) scrubber.AddSecret(api_key.Reveal());
  message = scrubber.Scrub(message);
  std::string text = "model server answered HTTP " + std::to_string(r.status) +
                     (message.empty() ? "" : ": " + message);
  if (code == "content_filter" || code == "ResponsibleAIPolicyViolation") {
    return Status(StatusCode::kInvalidArgument, text, kReasonContentFilter);
  }
  switch (r.status) {
    case 401:
      return Status(StatusCode::kUnauthenticated, text, kReasonModelUnauthenticated);
    case 403:
      return Status(StatusCode::kPermissionDenied, text, kReasonModelForbidden);
    case 404:
      return Status(StatusCode::kNotFound, text, kReasonModelNotFound);
    case 429:
      return Status(StatusCode::kResourceExhausted, text, kReasonModelRateLimited);
    default:
      break;
  }
  if (r.status >= 500) return Status(StatusCode::kUnavailable, text, kReasonModelUnavailable);
  return Status(StatusCode::kInvalidArgument, text, kReasonModelRejectedRequest);
}

}  // namespace

Status OpenAiOptions::Validate() const {
  if (base_url.empty()) return InvalidArgument("model base_url is required");
  if (!http::ParseUrl(base_url).ok()) {
    return InvalidArgument("model base_url is not an http(s) URL: " + base_url);
  }
  if (model.empty()) {
    return InvalidArgument(provider == ModelProvider::kAzure ? "azure deployment is required"
                                                             : "model name is required");
  }
  if (max_attempts < 1) return InvalidArgument("max_attempts must be >= 1");
  if (timeout.count() <= 0) return InvalidArgument("timeout must be positive");
  if (!api_key.empty() && token_source != nullptr) {
    return InvalidArgument("give either an api key or a token source, not both");
  }
  return Status::Ok();
}

OpenAiChatModel::OpenAiChatModel(OpenAiOptions options) : options_(std::move(options)) {
  std::string base = TrimSlash(options_.base_url);
  if (options_.provider == ModelProvider::kOpenAi) {
    endpoint_ = base + "/chat/completions";
  } else if (!options_.api_version.empty()) {
    endpoint_ = base + "/openai/deployments/" + http::PercentEncode(options_.model) +
                "/chat/completions?api-version=" + http::PercentEncode(options_.api_version);
  } else if (base.ends_with("/openai/v1")) {
    endpoint_ = base + "/chat/completions";
  } else {
    endpoint_ = base + "/openai/v1/chat/completions";
  }
}

Result<std::unique_ptr<OpenAiChatModel>> OpenAiChatModel::Create(OpenAiOptions options) {
  ZTA_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<OpenAiChatModel>(new OpenAiChatModel(std::move(options)));
}

std::string OpenAiChatModel::Describe() const {
  return std::string(options_.provider == ModelProvider::kAzure ? "azure " : "openai ") +
         options_.model + " at " + endpoint_.substr(0, endpoint_.find('?'));
}

Json OpenAiChatModel::BuildBody(const ChatRequest& request) const {
  Json body = Json::object();
  // The deployments path names the model in the URL; everywhere else the body does.
  if (options_.provider == ModelProvider::kOpenAi || options_.api_version.empty()) {
    body["model"] = options_.model;
  }
  Json messages = Json::array();
  for (const Message& m : request.messages) messages.push_back(MessageToJson(m, true));
  body["messages"] = std::move(messages);
  if (!request.tools.empty()) {
    Json tools = Json::array();
    for (const ToolSpec& t : request.tools) tools.push_back(t.ToJson());
    body["tools"] = std::move(tools);
    const std::string& choice = request.tool_choice;
    if (choice.empty() || choice == "auto" || choice == "none" || choice == "required") {
      body["tool_choice"] = choice.empty() ? "auto" : choice;
    } else {
      body["tool_choice"] = {{"type", "function"}, {"function", {{"name", choice}}}};
    }
    body["parallel_tool_calls"] = request.parallel_tool_calls;
  }
  if (request.temperature) body["temperature"] = *request.temperature;
  if (request.max_tokens) body["max_tokens"] = *request.max_tokens;
  if (options_.stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

Result<http::ClientRequest> OpenAiChatModel::BuildHttpRequest(const std::string& body) const {
  http::ClientRequest req;
  req.method = "POST";
  req.url = endpoint_;
  req.body = body;
  req.timeout = options_.timeout;
  req.max_response_bytes = options_.max_response_bytes;
  req.headers.Set("Content-Type", "application/json");
  req.headers.Set("Accept", options_.stream ? "text/event-stream" : "application/json");
  if (!options_.api_key.empty()) {
    if (options_.provider == ModelProvider::kAzure) {
      req.headers.Set("api-key", options_.api_key.Reveal());
    } else {
      req.headers.Set("Authorization", "Bearer " + options_.api_key.Reveal());
    }
  } else if (options_.token_source != nullptr) {
    auth::TokenRequest token_request;
    token_request.resource = options_.token_resource;
    token_request.scopes = {TrimSlash(options_.token_resource) + "/.default"};
    auto token = options_.token_source->GetToken(token_request);
    if (!token.ok()) return token.status().WithContext("token for the model endpoint");
    // Bearer, or DPoP with a proof for this POST (RFC 9449 §7.1) when the provider binds.
    ZTA_RETURN_IF_ERROR(token->Attach(req));
  }
  return req;
}

Result<ChatResponse> OpenAiChatModel::Complete(const ChatRequest& request) {
  const std::string body = DumpJson(BuildBody(request));
  auto sleep = options_.sleep ? options_.sleep
                              : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  const Clock& clock = options_.clock ? *options_.clock : SystemClock::Instance();
  std::chrono::milliseconds backoff = options_.initial_backoff;
  Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    // Built per attempt: an Entra token may need refreshing between attempts.
    ZTA_ASSIGN_OR_RETURN(http::ClientRequest req, BuildHttpRequest(body));
    // Streamed: chunks are joined as they arrive, so text deltas reach the caller at once.
    std::optional<ChatStreamJoiner> joiner;
    bool fed = false;
    if (options_.stream) {
      joiner.emplace(options_.on_text_delta);
      req.on_body_piece = [&joiner, &fed](int status, std::string_view piece) {
        if (status < 200 || status > 299) return true;  // an error body, read whole below
        fed = true;
        return joiner->Feed(piece).ok();
      };
    }
    Result<http::Response> response =
        options_.transport ? options_.transport(req) : http::Send(req);
    std::chrono::milliseconds wait = backoff;
    if (joiner && fed) {
      // A broken stream is the model's fault, not the network's: no retry. Nor after text was
      // shown, so the user never sees it twice.
      if (!joiner->status().ok()) return joiner->status();
      if (!response.ok() && joiner->reported_text()) {
        return response.status().WithContext("model stream cut after text was shown");
      }
    }
    if (!response.ok()) {
      last = response.status();
      // Only unreachable/timeout is worth retrying; a malformed URL stays malformed.
      if (last.code() != StatusCode::kUnavailable && last.code() != StatusCode::kDeadlineExceeded) {
        return last;
      }
    } else if (response->status >= 200 && response->status <= 299) {
      if (joiner) {
        // A transport that returns whole bodies (tests) never called on_body_piece.
        if (!fed) ZTA_RETURN_IF_ERROR(joiner->Feed(response->body));
        return joiner->Finish();
      }
      auto json = ParseJsonStrict(response->body, ResponseLimits(options_.max_response_bytes));
      if (!json.ok()) return BadResponse("not JSON: " + json.status().message());
      return ParseChatCompletion(*json);
    } else {
      last = HttpError(*response, options_.api_key);
      if (!http::IsRetryableStatus(response->status)) return last;
      if (auto after = RetryAfter(*response, clock)) wait = std::max(wait, *after);
    }
    if (attempt == options_.max_attempts) break;
    sleep(std::min(wait, options_.max_retry_after));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return last.WithContext("after " + std::to_string(options_.max_attempts) + " attempts");
}

Result<ChatResponse> ParseChatCompletion(const Json& body) {
  if (!body.is_object()) return BadResponse("not a JSON object");
  if (body.contains("error")) {
    return Status(StatusCode::kUnavailable, "model server returned an error object",
                  kReasonModelUnavailable);
  }
  auto choices = body.find("choices");
  if (choices == body.end() || !choices->is_array() || choices->empty()) {
    return BadResponse("no choices");
  }
  const Json& choice = (*choices)[0];
  if (!choice.is_object() || !choice.contains("message")) {
    return BadResponse("choice without a message");
  }
  ChatResponse response;
  Json message = choice["message"];
  if (message.is_object() && !message.contains("role")) message["role"] = "assistant";
  auto parsed = MessageFromJson(message);
  if (!parsed.ok()) return BadResponse(parsed.status().message());
  response.message = std::move(parsed).value();
  response.message.role = Role::kAssistant;
  response.finish_reason = StringOr(choice, "finish_reason");
  response.model = StringOr(body, "model");
  ReadUsage(body, response.usage);
  return response;
}

ChatStreamJoiner::ChatStreamJoiner(std::function<void(std::string_view)> on_text_delta)
    : on_text_delta_(std::move(on_text_delta)) {
  response_.message.role = Role::kAssistant;
}

Status ChatStreamJoiner::Feed(std::string_view bytes) {
  if (!error_.ok() || done_) return error_;
  // A line may be split across pieces: keep the tail until its line break arrives.
  size_t pos = 0;
  while (pos < bytes.size() && !done_) {
    size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos) {
      if (partial_line_.size() + (bytes.size() - pos) > (1 << 20)) {
        error_ = BadResponse("stream line longer than 1 MiB");
        return error_;
      }
      partial_line_.append(bytes.substr(pos));
      break;
    }
    Status status;
    if (partial_line_.empty()) {
      status = HandleLine(bytes.substr(pos, end - pos));
    } else {
      partial_line_.append(bytes.substr(pos, end - pos));
      status = HandleLine(partial_line_);
      partial_line_.clear();
    }
    if (!status.ok()) {
      error_ = status;
      return error_;
    }
    pos = end + 1;
  }
  return Status::Ok();
}

Status ChatStreamJoiner::HandleLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {  // a blank line ends the event
    Status status = HandleEvent();
    data_.clear();
    return status;
  }
  if (line.starts_with("data:")) {
    std::string_view value = line.substr(5);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (data_.size() + value.size() > (1 << 20)) {
      return BadResponse("stream event larger than 1 MiB");
    }
    if (!data_.empty()) data_ += "\n";
    data_ += value;
  }  // comments (":"), "event:", "id:", "retry:" carry nothing we need
  return Status::Ok();
}

Status ChatStreamJoiner::HandleEvent() {
  if (data_.empty()) return Status::Ok();
  if (data_ == "[DONE]") {
    done_ = true;
    return Status::Ok();
  }
  auto chunk = ParseJsonStrict(data_, ResponseLimits(1 << 20));
  if (!chunk.ok() || !chunk->is_object()) return BadResponse("stream chunk is not JSON");
  if (chunk->contains("error")) {
    return Status(StatusCode::kUnavailable, "model server sent an error in the stream",
                  kReasonModelUnavailable);
  }
  any_chunk_ = true;
  if (response_.model.empty()) response_.model = StringOr(*chunk, "model");
  ReadUsage(*chunk, response_.usage);
  auto choices = chunk->find("choices");
  // Azure's first chunk carries prompt_filter_results with "choices": []; usage chunks too.
  if (choices == chunk->end() || !choices->is_array() || choices->empty()) {
    return Status::Ok();
  }
  const Json& choice = (*choices)[0];
  if (!choice.is_object()) return BadResponse("stream choice is not an object");
  std::string finish = StringOr(choice, "finish_reason");
  if (!finish.empty()) response_.finish_reason = finish;
  auto delta = choice.find("delta");
  if (delta == choice.end() || !delta->is_object()) return Status::Ok();
  std::string text = StringOr(*delta, "content");
  if (!text.empty()) {
    response_.message.content += text;
    if (on_text_delta_) {
      reported_text_ = true;
      on_text_delta_(text);
    }
  }
  auto tool_calls = delta->find("tool_calls");
  if (tool_calls != delta->end() && tool_calls->is_array()) {
    for (const Json& d : *tool_calls) {
      if (!d.is_object()) return BadResponse("tool call delta is not an object");
      int64_t index = d.contains("index") && d["index"].is_number_integer()
                          ? d["index"].get<int64_t>()
                          : static_cast<int64_t>(calls_.size());
      ToolCall& call = calls_[index];
      std::string id = StringOr(d, "id");
      if (!id.empty()) call.id = id;
      if (d.contains("function") && d["function"].is_object()) {
        const Json& f = d["function"];
        std::string name = StringOr(f, "name");
        if (!name.empty()) call.name = name;
        call.arguments += StringOr(f, "arguments");
      }
    }
  }
  return Status::Ok();
}

Result<ChatResponse> ChatStreamJoiner::Finish() {
  ZTA_RETURN_IF_ERROR(error_);
  if (!done_) {
    // The stream ended without "[DONE]": the last line and event may lack their terminators.
    if (!partial_line_.empty()) ZTA_RETURN_IF_ERROR(HandleLine(partial_line_));
    partial_line_.clear();
    ZTA_RETURN_IF_ERROR(HandleEvent());
    data_.clear();
  }
  if (!any_chunk_) return BadResponse("empty stream");
  ChatResponse response = response_;
  for (const auto& [index, call] : calls_) {
    if (call.name.empty()) return BadResponse("streamed tool call without a name");
    ToolCall joined = call;
    if (joined.arguments.empty()) joined.arguments = "{}";
    response.message.tool_calls.push_back(std::move(joined));
  }
  return response;
}

Result<ChatResponse> ParseChatCompletionStream(
    std::string_view sse, const std::function<void(std::string_view)>& on_text_delta) {
  ChatStreamJoiner joiner(on_text_delta);
  ZTA_RETURN_IF_ERROR(joiner.Feed(sse));
  return joiner.Finish();
}

}  // namespace zta::agent
