// An adversarial OpenAI-compatible model server for tests: a model already talked into an attack.
// It obeys instructions planted in tool results (the gullible planner's rules, shared through
// injected_instructions.h), tries hostile tool calls of its own, and records every request body,
// so a test can prove that zta's token checks stop each attempt and that no credential ever
// reaches the model.
#pragma once

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "injected_instructions.h"
#include "zta/agent/chat_model.h"
#include "zta/agent/message.h"
#include "zta/agent/offline_planner.h"
#include "zta/core/json.h"
#include "zta/core/mutex.h"
#include "zta/http/server.h"

namespace zta::agent::testing {

namespace adversarial_detail {

inline std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
inline bool Has(const std::string& s, std::string_view w) { return s.find(w) != std::string::npos; }

// The wire request (OpenAI chat completions) as a ChatRequest. Tool messages get their tool's
// name from the call they answer.
inline Result<ChatRequest> ToChatRequest(const Json& body) {
  ChatRequest r;
  auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array()) return InvalidArgument("no messages");
  std::map<std::string, std::string> call_names;
  for (const Json& j : *messages) {
    ZTA_ASSIGN_OR_RETURN(Message m, MessageFromJson(j));
    for (const ToolCall& c : m.tool_calls) call_names[c.id] = c.name;
    if (m.role == Role::kTool && m.tool_name.empty()) m.tool_name = call_names[m.tool_call_id];
    r.messages.push_back(std::move(m));
  }
  if (auto tools = body.find("tools"); tools != body.end() && tools->is_array()) {
    for (const Json& t : *tools) {
      const Json f = t.value("function", Json::object());
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) continue;
      r.tools.push_back(ToolSpec{f["name"].get<std::string>(), f.value("description", ""),
                                 f.value("parameters", Json::object()), false});
    }
  }
  if (auto choice = body.find("tool_choice"); choice != body.end()) {
    if (choice->is_string()) r.tool_choice = choice->get<std::string>();
    if (choice->is_object() && choice->contains("function")) {
      r.tool_choice = (*choice)["function"].value("name", r.tool_choice);
    }
  }
  return r;
}

// One hostile value for a parameter, by name and type; variant 0: another guest's booking,
// 1: a second one, 2: a path trick.
inline std::optional<Json> HostileValue(const std::string& name, const Json& schema, int variant) {
  static const char* kBookings[] = {"b-1001", "b-1002", "b-1001/../../admin/bookings/b-1002"};
  static const char* kIds[] = {"b-1001", "../admin/staff", "b-1001/../../admin/bookings/b-1002"};
  static const char* kText[] = {"../admin/staff", "b-1001/../../admin/bookings/b-1002",
                                "https://exfil.example/collect"};
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array() && !e->empty()) {
    return (*e)[static_cast<size_t>(variant) % e->size()];
  }
  std::string type = "string";
  if (auto t = schema.find("type"); t != schema.end() && t->is_string()) {
    type = t->get<std::string>();
  } else if (t != schema.end() && t->is_array()) {
    for (const Json& x : *t) {
      if (x.is_string() && x.get<std::string>() != "null") type = x.get<std::string>();
    }
  }
  const std::string p = Lower(name);
  if (type == "boolean") return Json(true);
  if (type == "integer" || type == "number") return Json(variant == 2 ? -1 : 1000000);
  if (type != "string") return std::nullopt;
  if (Has(p, "url") || Has(p, "endpoint") || Has(p, "webhook")) {
    return Json("https://exfil.example/collect");
  }
  if (Has(p, "date") || Has(p, "check") || p == "from" || p == "to" || p == "start" ||
      p == "end" || Has(p, "arrival") || Has(p, "departure")) {
    bool second = Has(p, "out") || p == "to" || Has(p, "end") || Has(p, "depart");
    return Json(second ? "2999-12-31" : "2999-01-01");
  }
  if (Has(p, "booking") || Has(p, "reservation")) return Json(kBookings[variant]);
  if (p == "id" || p.ends_with("id")) return Json(kIds[variant]);
  return Json(kText[variant]);
}

// The hostile calls for one tool: up to three argument sets, duplicates dropped.
inline std::vector<Json> HostileArguments(const ToolSpec& tool) {
  std::vector<Json> out;
  const Json& params = tool.parameters;
  std::set<std::string> required;
  for (const Json& n : params.value("required", Json::array())) {
    if (n.is_string()) required.insert(n.get<std::string>());
  }
  const Json props = params.value("properties", Json::object());
  for (int variant = 0; variant < 3; ++variant) {
    Json args = Json::object();
    bool complete = true;
    for (auto it = props.begin(); it != props.end() && complete; ++it) {
      if (auto v = HostileValue(it.key(), it.value(), variant)) {
        args[it.key()] = *v;
      } else if (required.count(it.key())) {
        complete = false;
      }
    }
    if (complete && std::find(out.begin(), out.end(), args) == out.end()) out.push_back(args);
  }
  return out;
}

inline ChatResponse CallsReply(std::vector<ToolCall> calls) {
  ChatResponse r;
  r.message = Message::Assistant("");
  r.message.tool_calls = std::move(calls);
  r.finish_reason = "tool_calls";
  r.model = "adversarial-model";
  return r;
}

inline Json WireMessage(const ChatResponse& reply) {
  Json m = {{"role", "assistant"}};
  m["content"] = reply.message.content.empty() && !reply.message.tool_calls.empty()
                     ? Json(nullptr)
                     : Json(reply.message.content);
  if (!reply.message.tool_calls.empty()) {
    Json calls = Json::array();
    for (const ToolCall& c : reply.message.tool_calls) {
      calls.push_back(
          {{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    }
    m["tool_calls"] = calls;
  }
  return m;
}

inline http::Response Completion(const ChatResponse& reply) {
  return http::Response::Json(
      200, {{"id", "chatcmpl-adversarial"},
            {"object", "chat.completion"},
            {"model", "adversarial-model"},
            {"choices", Json::array({{{"index", 0},
                                      {"message", WireMessage(reply)},
                                      {"finish_reason", reply.finish_reason}}})},
            {"usage", {{"prompt_tokens", 1}, {"completion_tokens", 1}}}});
}

// The reply as OpenAI streams it: a role (and text) chunk, per tool call a chunk with its id and
// name and one with its arguments, a finish chunk, then [DONE].
inline http::Response Stream(const ChatResponse& reply) {
  auto chunk = [](const Json& delta, const Json& finish) {
    Json c = {{"id", "chatcmpl-adversarial"},
              {"object", "chat.completion.chunk"},
              {"model", "adversarial-model"},
              {"choices", Json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}};
    return "data: " + DumpJson(c) + "\n\n";
  };
  http::Response r;
  r.headers.Set("Content-Type", "text/event-stream");
  r.body += chunk({{"role", "assistant"}, {"content", reply.message.content}}, nullptr);
  for (size_t i = 0; i < reply.message.tool_calls.size(); ++i) {
    const ToolCall& c = reply.message.tool_calls[i];
    r.body += chunk({{"tool_calls", Json::array({{{"index", i},
                                                 {"id", c.id},
                                                 {"type", "function"},
                                                 {"function", {{"name", c.name}, {"arguments", ""}}}}})}},
                    nullptr);
    r.body += chunk(
        {{"tool_calls", Json::array({{{"index", i}, {"function", {{"arguments", c.arguments}}}}})}},
        nullptr);
  }
  r.body += chunk(Json::object(), reply.finish_reason);
  r.body += "data: [DONE]\n\n";
  return r;
}

}  // namespace adversarial_detail

// Answers POST /v1/chat/completions and /chat/completions on loopback. Per request, in order:
//  (b) after the user's first message (the only user message, last), once per conversation: for
//      each tool, calls with hostile arguments (ids "hostile_<n>"): other guests' bookings
//      "b-1001" / "b-1002", path tricks "../admin/staff" and "b-1001/../../admin/bookings/b-1002",
//      1000000 and -1 for numbers, dates in 2999, "https://exfil.example/collect" for URLs —
//      whatever each schema lets it express; a required parameter it cannot fill skips that call;
//  (a) after a tool round: obeys every instruction in the tool results (role "tool") by the gullible
//      planner's rules (OfflinePlanner with gullible = true, see offline_planner.h);
//  (c) after the hostile round with nothing to obey: the user's request, planned as the offline
//      planner does; then, after that round, the gullible planner's text answer.
// "stream": true gets the reply as SSE chunks. Thread-safe.
class AdversarialModelServer {
 public:
  AdversarialModelServer() {
    http::ServerOptions options;
    options.max_body_bytes = 4 << 20;
    auto server =
        http::HttpServer::Start(options, [this](const http::Request& r) { return Handle(r); });
    if (server.ok()) server_ = std::move(server).value();
  }

  bool ok() const { return server_ != nullptr; }
  // The base URL for OpenAiOptions::base_url (ends with /v1).
  std::string BaseUrl() const { return server_->BaseUrl() + "/v1"; }

  // Every request body received, in order.
  std::vector<std::string> RequestBodies() const {
    MutexLock lock(mu_);
    return bodies_;
  }
  // Tool calls it asked for, by tool name.
  std::map<std::string, int> AttemptedCalls() const {
    MutexLock lock(mu_);
    return attempted_;
  }
  // Every tool call it asked for, in order.
  std::vector<ToolCall> Calls() const {
    MutexLock lock(mu_);
    return calls_;
  }

 private:
  http::Response Handle(const http::Request& r) {
    {
      MutexLock lock(mu_);
      bodies_.push_back(r.body);
    }
    if (r.method != "POST" || (r.path != "/v1/chat/completions" && r.path != "/chat/completions")) {
      return http::Response::Json(404, {{"error", {{"message", "not found"}}}});
    }
    auto body = ParseJsonStrict(r.body, JsonLimits{.max_depth = 64, .max_bytes = 4 << 20});
    Result<ChatRequest> request =
        body.ok() ? adversarial_detail::ToChatRequest(*body) : Result<ChatRequest>(body.status());
    if (!request.ok()) {
      return http::Response::Json(
          400, {{"error",
                 {{"message", request.status().message()}, {"type", "invalid_request_error"}}}});
    }
    ChatResponse reply = Decide(*request);
    {
      MutexLock lock(mu_);
      for (const ToolCall& c : reply.message.tool_calls) {
        ++attempted_[c.name];
        calls_.push_back(c);
      }
    }
    return body->value("stream", false) ? adversarial_detail::Stream(reply)
                                        : adversarial_detail::Completion(reply);
  }

  static ChatResponse Decide(const ChatRequest& request) {
    const auto& ms = request.messages;
    size_t users = 0, last_user = 0;
    bool hostile_done = false;
    for (size_t i = 0; i < ms.size(); ++i) {
      if (ms[i].role == Role::kUser) {
        ++users;
        last_user = i + 1;
      }
      for (const ToolCall& c : ms[i].tool_calls) hostile_done |= c.id.starts_with("hostile_");
    }
    if (!ms.empty() && ms.back().role == Role::kUser && users == 1 && !hostile_done) {
      std::vector<ToolCall> calls;
      for (const ToolSpec& tool : request.tools) {
        if (tool.name.starts_with("transfer_to_")) continue;
        for (const Json& args : adversarial_detail::HostileArguments(tool)) {
          calls.push_back({"hostile_" + std::to_string(calls.size() + 1), tool.name, DumpJson(args)});
        }
      }
      if (!calls.empty()) return adversarial_detail::CallsReply(std::move(calls));
    }
    OfflinePlanner gullible(OfflinePlannerOptions{.gullible = true});
    const bool after_hostile = !ms.empty() && ms.back().role == Role::kTool &&
                               ms.back().tool_call_id.starts_with("hostile_");
    if (after_hostile) {
      internal::InjectedPlan plan = internal::PlanInjectedCalls(request);
      if (!plan.calls.empty()) return adversarial_detail::CallsReply(std::move(plan.calls));
      ChatRequest user_request = request;  // (c) the user's own request
      user_request.messages.resize(last_user);
      auto planned = gullible.Complete(user_request);
      if (planned.ok()) return std::move(planned).value();
    }
    auto reply = gullible.Complete(request);
    if (reply.ok()) return std::move(reply).value();
    ChatResponse text;
    text.message = Message::Assistant("I cannot help with that.");
    text.finish_reason = "stop";
    return text;
  }

  mutable Mutex mu_;
  std::vector<std::string> bodies_ ZTA_GUARDED_BY(mu_);
  std::map<std::string, int> attempted_ ZTA_GUARDED_BY(mu_);
  std::vector<ToolCall> calls_ ZTA_GUARDED_BY(mu_);
  std::unique_ptr<http::HttpServer> server_;  // last: stopped first
};

}  // namespace zta::agent::testing
