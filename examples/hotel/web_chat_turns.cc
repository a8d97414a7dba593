// ChatServer's turns (web_chat_server.h): POST /api/chat starts one on a thread of its own and
// answers at once; the turn's messages reach the page through the session's events feed as the
// agents append them; consent requests are shown to the requesting user's page.

#include "web_chat_messages.h"
#include "web_chat_server.h"
#include "zta/core/trace_context.h"

namespace zta::hotel {
namespace {

http::Response ApiError(int status, std::string_view error) {
  http::Response r = http::Response::Json(status, {{"error", error}});
  r.headers.Set("Cache-Control", "no-store");
  return r;
}


// The reason code a failed turn shows: never the message, which might quote a peer's answer.
std::string ShownReason(const Status& status) {
  return status.reason().empty() ? "assistant_error" : status.reason();
}

// What the chat itself knows of a booking: the turn's trace id, when the person approved here,
// and the agents' names.
void CompleteBooking(ChatSession& session, const std::map<std::string, std::string>& names,
                     Json& event) {
  {
    MutexLock lock(session.mu);
    if (event["trace_id"].is_null()) event["trace_id"] = session.trace_id;
    if (event["approved_at"].is_null() && !session.approved_at.empty()) {
      event["approved_at"] = session.approved_at;
    }
  }
  if (event["approved_at"].is_null()) event["approved_at"] = event["booked_at"];
  for (const char* role : {"booked_by", "asked_by"}) {
    const Json& id = event[role];
    auto name = id.is_string() ? names.find(id.get<std::string>()) : names.end();
    event[std::string(role) + "_name"] = name != names.end() ? Json(name->second) : Json();
  }
}

}  // namespace

http::Response ChatServer::Chat(const http::Request& request) {
  std::optional<http::Response> refusal;
  auto session = ApiSession(request, refusal);
  if (!session) return std::move(*refusal);
  if (http::MediaType(request.headers) != "application/json") {
    return ApiError(415, "json_required");
  }
  auto body = ParseJsonStrict(request.body);
  if (!body.ok() || !body->is_object() || !body->contains("message") ||
      !(*body)["message"].is_string()) {
    return ApiError(400, "bad_message");
  }
  std::string text = (*body)["message"].get<std::string>();
  if (text.empty() || text.size() > options_.max_message_bytes) return ApiError(400, "bad_message");
  if (auto id = body->find("conversation_id");
      id != body->end() && (!id->is_string() || *id != session->conversation_id)) {
    return ApiError(404, "unknown_conversation");
  }
  {
    MutexLock lock(session->mu);
    if (session->ended) return ApiError(401, "not_signed_in");
    if (session->busy) return ApiError(409, "busy");
    session->busy = true;
  }
  session->feed.Append({{"type", "user"}, {"user", session->who.user}, {"text", text}});
  if (!StartThread([this, session, text] { RunTurn(session, text); })) {
    MutexLock lock(session->mu);
    session->busy = false;
    return ApiError(503, "stopping");
  }
  return http::Response::Json(202,
                              {{"accepted", true}, {"conversation_id", session->conversation_id}});
}

agent::MessageObserver ChatServer::ObserverFor(const std::shared_ptr<ChatSession>& session) const {
  std::weak_ptr<ChatSession> weak = session;
  auto names = std::make_shared<const std::map<std::string, std::string>>(options_.agent_names);
  return [weak, names](const agent::Message& message, const agent::ToolOutcome* outcome) {
    auto s = weak.lock();
    if (!s) return;
    for (Json& event : MessageEvents(message, outcome)) {
      if (event["type"] == "booking") CompleteBooking(*s, *names, event);
      s->feed.Append(std::move(event));
    }
  };
}

void ChatServer::RunTurn(std::shared_ptr<ChatSession> session, std::string text) {
  auto fresh = NewTraceId();  // W3C Trace Context: 16 random bytes, lowercase hex
  const std::string trace_id = fresh.ok() ? *fresh : std::string();
  {
    MutexLock lock(session->mu);
    session->trace_id = trace_id;
  }
  Json end = {{"type", "turn_end"}, {"trace_id", trace_id}};
  if (!session->runner) {
    auto runner = options_.make_assistant(*consent_, ObserverFor(session));
    if (runner.ok()) {
      session->runner = std::move(*runner);
    } else {
      session->feed.Append({{"type", "error"}, {"reason", ShownReason(runner.status())}});
    }
  }
  if (session->runner) {
    session->conversation.Append(agent::Message::User(text, session->who.user));
    session->conversation.set_trace_id(trace_id);
    auto result = session->runner(session->conversation);
    if (result.ok()) {
      end["stop_reason"] = result->stop_reason;
      end["tool_calls"] = result->tool_calls;
      end["denied_calls"] = result->denied_calls;
    } else {
      session->feed.Append({{"type", "error"}, {"reason", ShownReason(result.status())}});
    }
  }
  {
    MutexLock lock(session->mu);
    session->busy = false;
  }
  session->feed.Append(std::move(end));
}

void ChatServer::Present(const auth::ConsentRequest& request) {
  {
    MutexLock lock(mu_);
    if (!stopping_) open_consents_.insert(request.state);
  }
  auto sessions = sessions_.OfUser(request.user);
  // The user's sessions with a turn running asked for it; if none does (a turn of another
  // front end), every page of that user is shown it.
  std::vector<std::shared_ptr<ChatSession>> busy;
  for (const auto& s : sessions) {
    MutexLock lock(s->mu);
    if (s->busy && !s->ended) busy.push_back(s);
  }
  if (!busy.empty()) sessions = std::move(busy);
  for (const auto& s : sessions) {
    {
      MutexLock lock(s->mu);
      if (s->ended) continue;
      s->consent_states.insert(request.state);
    }
    s->feed.Append(ConsentEvent(request));
  }
  bool stopping = false;
  {
    MutexLock lock(mu_);
    stopping = stopping_;
  }
  if (stopping) Cancel({request.state});  // already registered: AwaitRedirect gets the denial
}

void ChatServer::Cancel(const std::vector<std::string>& consent_states) {
  for (const std::string& state : consent_states) {
    {
      MutexLock lock(mu_);
      open_consents_.erase(state);
    }
    // As if the person had declined: the SDK reports consent_denied and the turn carries on.
    (void)consent_->Complete(state,
                             "error=access_denied&error_description=the+chat+stopped&state=" +
                                 http::PercentEncode(state));
  }
}

bool ChatServer::StartThread(std::function<void()> work) {
  MutexLock lock(mu_);
  if (stopping_) return false;
  auto done = std::make_shared<std::atomic<bool>>(false);
  workers_.push_back(Worker{std::thread([work = std::move(work), done] {
                              work();
                              done->store(true);
                            }),
                            done});
  return true;
}

void ChatServer::Tick() {
  MutexLock lock(mu_);
  while (!stopping_) {
    lock.WaitUntil(tick_cv_, std::chrono::steady_clock::now() + std::chrono::milliseconds(250));
    std::list<Worker> finished;
    for (auto it = workers_.begin(); it != workers_.end();) {
      auto next = std::next(it);
      if (it->done->load()) finished.splice(finished.end(), workers_, it);
      it = next;
    }
    lock.Unlock();
    for (Worker& w : finished) w.thread.join();
    const auto now = std::chrono::steady_clock::now();
    for (const auto& s : sessions_.All()) s->feed.Expire(now);
    Cancel(sessions_.Expire(now));
    lock.Lock();
  }
}

void ChatServer::Stop() {
  {
    MutexLock lock(mu_);
    if (stopping_ && !ticker_.joinable()) return;
    stopping_ = true;
  }
  tick_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  for (const auto& s : sessions_.All()) Cancel(sessions_.End(s));
  std::vector<std::string> open;
  {
    MutexLock lock(mu_);
    open.assign(open_consents_.begin(), open_consents_.end());
  }
  Cancel(open);
  std::list<Worker> workers;
  {
    MutexLock lock(mu_);
    workers.swap(workers_);
  }
  for (Worker& w : workers) w.thread.join();
}

}  // namespace zta::hotel
