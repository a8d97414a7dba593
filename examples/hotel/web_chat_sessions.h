// The web chat's signed-in sessions and sign-ins under way, held in memory by the Guest
// Assistant process: the browser holds only a random 256-bit cookie, the server a map keyed by
// its SHA-256 (so a dump of the map holds no usable cookie).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "web_chat_events.h"
#include "web_chat_login.h"
#include "zta/agent/assistant_agent.h"
#include "zta/agent/message.h"
#include "zta/core/mutex.h"
#include "zta/http/message.h"

namespace zta::hotel {

inline constexpr char kChatSessionCookie[] = "zta_chat_session";
inline constexpr char kChatLoginCookie[] = "zta_chat_login";

// One turn of the assistant over a conversation (GuestAssistant::Run).
using TurnRunner = std::function<Result<agent::TurnResult>(agent::Conversation&)>;

// One signed-in person's chat. The fields above `mu` are fixed at sign-in; `conversation` and
// `runner` belong to the turn thread while `busy` is set (one turn at a time per session).
struct ChatSession {
  using TimePoint = std::chrono::steady_clock::time_point;

  std::string digest;  // SHA-256 hex of the cookie: the map key
  SignedIn who;
  std::string csrf;             // sent by the page in X-ZTA-CSRF with every POST
  std::string conversation_id;  // one conversation per session
  TimePoint expires_at;
  EventFeed feed;

  Mutex mu;
  bool busy ZTA_GUARDED_BY(mu) = false;
  bool ended ZTA_GUARDED_BY(mu) = false;
  // The states of the consent requests shown to this session, still open.
  std::set<std::string> consent_states ZTA_GUARDED_BY(mu);
  // The running turn's W3C trace id (32 hex), shown with its booking.
  std::string trace_id ZTA_GUARDED_BY(mu);
  // When the person last approved a consent request here (ISO 8601, UTC): the chat saw the
  // idp's redirect then. Empty before.
  std::string approved_at ZTA_GUARDED_BY(mu);

  agent::Conversation conversation;
  TurnRunner runner;
};

// Thread-safe.
class SessionStore {
 public:
  using TimePoint = ChatSession::TimePoint;

  SessionStore(size_t max_sessions, std::chrono::seconds lifetime)
      : max_sessions_(max_sessions), lifetime_(lifetime) {}

  // A new session for `who`; returns the cookie value (32 random bytes, base64url) and it.
  // kResourceExhausted when max_sessions live.
  Result<std::pair<std::string, std::shared_ptr<ChatSession>>> Create(SignedIn who, TimePoint now);
  // The live session the request's cookie names, or null.
  std::shared_ptr<ChatSession> Find(const http::Request& request, TimePoint now) const;
  // Ends it: its feed closes, its open consent requests are returned (to be cancelled).
  std::vector<std::string> End(const std::shared_ptr<ChatSession>& session);
  std::vector<std::shared_ptr<ChatSession>> OfUser(const std::string& user) const;
  std::vector<std::shared_ptr<ChatSession>> All() const;
  // Ends the sessions past their lifetime and drops the sign-ins older than 10 minutes; returns
  // the consent states of the ended sessions.
  std::vector<std::string> Expire(TimePoint now);

  // Sign-ins under way, by state. At most max_sessions; the oldest is dropped for a new one.
  void AddLogin(LoginStart start, TimePoint now);
  std::optional<LoginStart> TakeLogin(const std::string& state, TimePoint now);

  size_t size() const;

 private:
  struct PendingLogin {
    LoginStart start;
    TimePoint created;
  };
  const size_t max_sessions_;
  const std::chrono::seconds lifetime_;
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<ChatSession>> sessions_ ZTA_GUARDED_BY(mu_);
  std::map<std::string, PendingLogin> logins_ ZTA_GUARDED_BY(mu_);
};

}  // namespace zta::hotel
