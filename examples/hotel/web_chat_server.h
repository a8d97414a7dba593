// The web chat's HTTP side, apart from how its Guest Assistant is built (WebChat, web_chat.h,
// builds it from a HotelSystem; tests give a scripted one): the page and its files, OpenID
// Connect sign-in, sessions, the chat API with its events feed, and the consent callback.
#pragma once

#include <atomic>
#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "web_chat_login.h"
#include "web_chat_sessions.h"
#include "zta/agent/assistant_agent.h"
#include "zta/auth/consent_handler.h"
#include "zta/core/mutex.h"
#include "zta/http/embedded_files.h"
#include "zta/http/server.h"

namespace zta::hotel {

// Builds one Guest Assistant whose messages go to `observer` and whose consent goes through
// `consent` (the server's WebConsentHandler). Called once per signed-in session (the observer of
// an assistant is fixed when it is built), on a turn thread.
using AssistantFactory =
    std::function<Result<TurnRunner>(auth::ConsentHandler& consent, agent::MessageObserver)>;

struct ChatServerOptions {
  // This server's origin, e.g. "http://127.0.0.1:8080" (no trailing slash). REQUIRED. POSTs must
  // carry it as Origin; redirect URIs are built on it.
  std::string base_url;
  // Signs people in. REQUIRED.
  std::unique_ptr<ChatLogin> login;
  // REQUIRED.
  AssistantFactory make_assistant;
  // How long GET /api/events waits for an event before answering empty. Default: 20 s.
  std::chrono::milliseconds poll_timeout{20'000};
  // Live sessions at most; sign-ins beyond get 503. Default: 1,000.
  size_t max_sessions = 1000;
  // A session's lifetime from sign-in. Default: 8 h.
  std::chrono::seconds session_lifetime{8 * 3600};
  // Longest message accepted, bytes. Default: 4,000.
  size_t max_message_bytes = 4000;
  // What the page calls an agent, by client_id (a booking's "booked_by_name", "asked_by_name").
  // Default: none (the page shows ids).
  std::map<std::string, std::string> agent_names;
};

// Thread-safe. Handle may run on many threads; turns run on threads of their own.
class ChatServer {
 public:
  static Result<std::unique_ptr<ChatServer>> Create(ChatServerOptions options);
  ~ChatServer();

  // Answers one request (for http::HttpServer::StartAsync): long polls answer later.
  void Handle(const http::Request& request, http::Respond respond);
  // Answers every waiting poll, cancels open consent requests (as denied), and joins the turns.
  // Idempotent. REQUIRES: not called from a handler or a turn.
  void Stop();

  std::string RedirectUri() const { return options_.base_url + "/callback"; }
  std::string ConsentRedirectUri() const { return options_.base_url + "/consent/callback"; }
  auth::WebConsentHandler& consent() { return *consent_; }
  SessionStore& sessions() { return sessions_; }

 private:
  explicit ChatServer(ChatServerOptions options);
  using TimePoint = std::chrono::steady_clock::time_point;

  // Routes (web_chat_server.cc).
  std::optional<http::Response> Route(const http::Request& request, http::Respond& respond);
  http::Response Page(const http::Request& request) const;
  http::Response Login();
  http::Response Callback(const http::Request& request);
  http::Response Logout(const http::Request& request);
  http::Response SessionInfo(const http::Request& request);
  http::Response ConsentCallback(const http::Request& request);
  void Events(const http::Request& request, http::Respond respond);
  // The session a /api request is for, and the 401/403 answer when there is none or the POST
  // fails the CSRF checks (Origin and X-ZTA-CSRF).
  std::shared_ptr<ChatSession> ApiSession(const http::Request& request,
                                          std::optional<http::Response>& refusal);

  // Turns (web_chat_turns.cc).
  http::Response Chat(const http::Request& request);
  void RunTurn(std::shared_ptr<ChatSession> session, std::string text);
  void Present(const auth::ConsentRequest& request);
  void Cancel(const std::vector<std::string>& consent_states);
  void Tick();
  // False when stopping (the work is not started).
  bool StartThread(std::function<void()> work);
  // The observer a session's assistant reports to: its messages become the session's events.
  agent::MessageObserver ObserverFor(const std::shared_ptr<ChatSession>& session) const;

  ChatServerOptions options_;
  SessionStore sessions_;
  std::unique_ptr<auth::WebConsentHandler> consent_;
  http::StaticFiles files_;
  bool secure_cookies_ = false;

  Mutex mu_;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Worker> workers_ ZTA_GUARDED_BY(mu_);
  bool stopping_ ZTA_GUARDED_BY(mu_) = false;
  // Every consent request presented and not yet answered, so Stop can cancel them all.
  std::set<std::string> open_consents_ ZTA_GUARDED_BY(mu_);
  std::condition_variable tick_cv_;
  std::thread ticker_;
};

}  // namespace zta::hotel
