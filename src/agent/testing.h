// Test fakes for zta::agent: a scripted chat model and a token source with a fixed allowance.
#pragma once

#include <deque>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "zta/agent/chat_model.h"
#include "zta/auth/token_source.h"
#include "zta/core/mutex.h"

namespace zta::agent::testing {

// Replies from a script, in order, and records every request. Thread-safe.
class ScriptedChatModel final : public ChatModel {
 public:
  using Step = std::function<Result<ChatResponse>(const ChatRequest&)>;

  void Then(Step step) {
    MutexLock lock(mu_);
    steps_.push_back(std::move(step));
  }
  // The model answers in text.
  void ThenText(std::string text, std::string finish_reason = "stop") {
    Then([text, finish_reason](const ChatRequest&) -> Result<ChatResponse> {
      ChatResponse r;
      r.message = Message::Assistant(text);
      r.finish_reason = finish_reason;
      return r;
    });
  }
  // The model asks for these tool calls (in one reply).
  void ThenCalls(std::vector<ToolCall> calls) {
    Then([calls](const ChatRequest&) -> Result<ChatResponse> {
      ChatResponse r;
      r.message = Message::Assistant("");
      r.message.tool_calls = calls;
      r.finish_reason = "tool_calls";
      return r;
    });
  }

  Result<ChatResponse> Complete(const ChatRequest& request) override {
    Step step;
    {
      MutexLock lock(mu_);
      requests_.push_back(request);
      if (steps_.empty()) return Internal("scripted model: script exhausted");
      step = std::move(steps_.front());
      steps_.pop_front();
    }
    return step(request);
  }
  std::string Describe() const override { return "scripted model"; }

  std::vector<ChatRequest> requests() const {
    MutexLock lock(mu_);
    return requests_;
  }

 private:
  mutable Mutex mu_;
  std::deque<Step> steps_ ZTA_GUARDED_BY(mu_);
  std::vector<ChatRequest> requests_ ZTA_GUARDED_BY(mu_);
};

// Issues a token (a JWT-shaped canary) for the allowed scopes of one resource; refuses others
// with "invalid_scope", as an IdP would. Thread-safe.
class FakeTokenSource final : public auth::TokenSource {
 public:
  // A JWT-shaped value the scrubber must catch, and that tests search for in model requests.
  static constexpr const char* kTokenValue =
      "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ";

  FakeTokenSource(std::string resource, std::set<std::string> allowed)
      : resource_(std::move(resource)), allowed_(std::move(allowed)) {}

  Result<auth::AccessToken> GetToken(const auth::TokenRequest& request) override {
    MutexLock lock(mu_);
    requests_.push_back(request);
    if (request.resource != resource_) {
      return Status(StatusCode::kPermissionDenied, "unknown resource " + request.resource,
                    "invalid_target");
    }
    for (const auto& s : request.scopes) {
      if (allowed_.count(s) == 0) {
        return Status(StatusCode::kPermissionDenied,
                      "secret-detail: client_secret=hunter2hunter2 lacks " + s, "invalid_scope");
      }
    }
    auth::AccessToken token;
    token.value = Secret(kTokenValue);
    token.jti = "jti-" + std::to_string(requests_.size());
    token.scopes = request.scopes;
    token.resource = request.resource;
    token.expires_at = 1'700'000'300;
    return token;
  }

  void Invalidate(const auth::TokenRequest& request) override {
    MutexLock lock(mu_);
    invalidated_.push_back(request);
  }

  std::vector<auth::TokenRequest> requests() const {
    MutexLock lock(mu_);
    return requests_;
  }
  std::vector<auth::TokenRequest> invalidated() const {
    MutexLock lock(mu_);
    return invalidated_;
  }

 private:
  mutable Mutex mu_;
  std::vector<auth::TokenRequest> invalidated_ ZTA_GUARDED_BY(mu_);
  const std::string resource_;
  const std::set<std::string> allowed_;
  std::vector<auth::TokenRequest> requests_ ZTA_GUARDED_BY(mu_);
};

inline ToolCall Call(std::string id, std::string name, std::string arguments) {
  return ToolCall{std::move(id), std::move(name), std::move(arguments)};
}

}  // namespace zta::agent::testing
