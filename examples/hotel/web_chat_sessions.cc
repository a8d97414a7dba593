// SessionStore (web_chat_sessions.h).
#include "web_chat_sessions.h"

#include "zta/core/random.h"
#include "zta/core/sha256.h"
#include "zta/http/web.h"

namespace zta::hotel {
namespace {

constexpr auto kLoginLifetime = std::chrono::minutes(10);

std::vector<std::string> EndLocked(ChatSession& session) {
  std::vector<std::string> states;
  {
    MutexLock lock(session.mu);
    session.ended = true;
    states.assign(session.consent_states.begin(), session.consent_states.end());
    session.consent_states.clear();
  }
  session.feed.Close();
  return states;
}

}  // namespace

Result<std::pair<std::string, std::shared_ptr<ChatSession>>> SessionStore::Create(SignedIn who,
                                                                                  TimePoint now) {
  ZTA_ASSIGN_OR_RETURN(std::string cookie, RandomToken(32));
  auto session = std::make_shared<ChatSession>();
  session->digest = Sha256Hex(cookie);
  ZTA_ASSIGN_OR_RETURN(session->csrf, RandomToken(32));
  ZTA_ASSIGN_OR_RETURN(std::string conversation, RandomToken(12));
  session->conversation_id = "conv-" + conversation;
  session->expires_at = now + lifetime_;
  session->conversation.set_user(who.user);
  session->who = std::move(who);
  MutexLock lock(mu_);
  if (sessions_.size() >= max_sessions_) {
    return Status(StatusCode::kResourceExhausted, "too many chat sessions", "too_many_sessions");
  }
  sessions_[session->digest] = session;
  return std::make_pair(std::move(cookie), std::move(session));
}

std::shared_ptr<ChatSession> SessionStore::Find(const http::Request& request, TimePoint now) const {
  auto cookie = http::GetCookie(request.headers, kChatSessionCookie);
  if (!cookie || cookie->empty()) return nullptr;
  MutexLock lock(mu_);
  auto it = sessions_.find(Sha256Hex(*cookie));
  if (it == sessions_.end() || it->second->expires_at <= now) return nullptr;
  return it->second;
}

std::vector<std::string> SessionStore::End(const std::shared_ptr<ChatSession>& session) {
  {
    MutexLock lock(mu_);
    sessions_.erase(session->digest);
  }
  return EndLocked(*session);
}

std::vector<std::shared_ptr<ChatSession>> SessionStore::OfUser(const std::string& user) const {
  std::vector<std::shared_ptr<ChatSession>> out;
  MutexLock lock(mu_);
  for (const auto& [digest, s] : sessions_) {
    if (s->who.user == user) out.push_back(s);
  }
  return out;
}

std::vector<std::shared_ptr<ChatSession>> SessionStore::All() const {
  std::vector<std::shared_ptr<ChatSession>> out;
  MutexLock lock(mu_);
  for (const auto& [digest, s] : sessions_) out.push_back(s);
  return out;
}

std::vector<std::string> SessionStore::Expire(TimePoint now) {
  std::vector<std::shared_ptr<ChatSession>> ended;
  {
    MutexLock lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second->expires_at <= now) {
        ended.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = logins_.begin(); it != logins_.end();) {
      it = it->second.created + kLoginLifetime <= now ? logins_.erase(it) : std::next(it);
    }
  }
  std::vector<std::string> states;
  for (const auto& s : ended) {
    for (std::string& state : EndLocked(*s)) states.push_back(std::move(state));
  }
  return states;
}

void SessionStore::AddLogin(LoginStart start, TimePoint now) {
  MutexLock lock(mu_);
  if (logins_.size() >= max_sessions_) {
    auto oldest = logins_.begin();
    for (auto it = logins_.begin(); it != logins_.end(); ++it) {
      if (it->second.created < oldest->second.created) oldest = it;
    }
    logins_.erase(oldest);
  }
  std::string state = start.state;
  logins_[state] = PendingLogin{std::move(start), now};
}

std::optional<LoginStart> SessionStore::TakeLogin(const std::string& state, TimePoint now) {
  MutexLock lock(mu_);
  auto it = logins_.find(state);
  if (it == logins_.end()) return std::nullopt;
  PendingLogin pending = std::move(it->second);
  logins_.erase(it);
  if (pending.created + kLoginLifetime <= now) return std::nullopt;
  return std::move(pending.start);
}

size_t SessionStore::size() const {
  MutexLock lock(mu_);
  return sessions_.size();
}

}  // namespace zta::hotel
