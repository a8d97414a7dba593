// A local fake OpenAI-compatible server for tests: replies from a script and records requests.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/mutex.h"
#include "zta/http/server.h"

namespace zta::agent::testing {

// Thread-safe. An exhausted script answers 500.
class FakeModelServer {
 public:
  FakeModelServer() {
    http::ServerOptions options;
    options.max_body_bytes = 1 << 20;
    auto server = http::HttpServer::Start(options, [this](const http::Request& r) {
      std::function<http::Response(const http::Request&)> step;
      {
        MutexLock lock(mu_);
        requests_.push_back(r);
        if (script_.empty()) return http::Response::Text(500, "script exhausted");
        step = std::move(script_.front());
        script_.pop_front();
      }
      return step(r);
    });
    if (server.ok()) server_ = std::move(server).value();
  }

  bool ok() const { return server_ != nullptr; }
  std::string BaseUrl() const { return server_->BaseUrl(); }

  void Then(std::function<http::Response(const http::Request&)> step) {
    MutexLock lock(mu_);
    script_.push_back(std::move(step));
  }
  void ThenResponse(http::Response response) {
    Then([response](const http::Request&) { return response; });
  }
  void ThenJson(int status, const Json& body) { ThenResponse(http::Response::Json(status, body)); }
  // An assistant reply in the chat.completion shape.
  void ThenCompletion(const Json& message, const std::string& finish_reason) {
    ThenJson(
        200,
        {{"id", "chatcmpl-1"},
         {"object", "chat.completion"},
         {"model", "fake-model"},
         {"choices",
          Json::array({{{"index", 0}, {"message", message}, {"finish_reason", finish_reason}}})},
         {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}});
  }
  void ThenText(const std::string& text) {
    ThenCompletion({{"role", "assistant"}, {"content", text}}, "stop");
  }
  // tool calls given as (id, name, arguments text)
  void ThenToolCalls(const std::vector<std::vector<std::string>>& calls) {
    Json tc = Json::array();
    for (const auto& c : calls) {
      tc.push_back({{"id", c[0]},
                    {"type", "function"},
                    {"function", {{"name", c[1]}, {"arguments", c[2]}}}});
    }
    ThenCompletion({{"role", "assistant"}, {"content", nullptr}, {"tool_calls", tc}}, "tool_calls");
  }
  // A text/event-stream body made of these data payloads.
  void ThenStream(const std::vector<std::string>& events) {
    http::Response r;
    r.headers.Set("Content-Type", "text/event-stream");
    for (const auto& e : events) r.body += "data: " + e + "\n\n";
    ThenResponse(r);
  }

  std::vector<http::Request> requests() const {
    MutexLock lock(mu_);
    return requests_;
  }

 private:
  mutable Mutex mu_;
  std::deque<std::function<http::Response(const http::Request&)>> script_ ZTA_GUARDED_BY(mu_);
  std::vector<http::Request> requests_ ZTA_GUARDED_BY(mu_);
  std::unique_ptr<http::HttpServer> server_;  // last: stopped first, before the script dies
};

}  // namespace zta::agent::testing
