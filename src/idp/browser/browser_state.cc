// In-memory browser state, one per authorization server.
#include "browser_state.h"

#include <memory>

#include "zta/core/random.h"

namespace zta::idp::browser {
namespace {

constexpr char kRequestUriPrefix[] = "urn:ietf:params:oauth:request_uri:";
constexpr size_t kMaxPending = 100000;  // a flood of /authorize cannot exhaust memory

// ServerContext has no slot for this, so the states live here, one per live server
// (~AuthorizationServer calls Forget).
Mutex& StatesMutex() {
  static Mutex mu;
  return mu;
}
std::map<const ServerContext*, std::unique_ptr<BrowserState>>& States() {
  static auto* states = new std::map<const ServerContext*, std::unique_ptr<BrowserState>>();
  return *states;
}

}  // namespace

BrowserState& BrowserState::For(const ServerContext& context) {
  MutexLock lock(StatesMutex());
  auto& state = States()[&context];
  if (!state) state = std::make_unique<BrowserState>();
  return *state;
}

void BrowserState::Forget(const ServerContext& context) {
  MutexLock lock(StatesMutex());
  States().erase(&context);
}

void BrowserState::DropExpired(int64_t now) {
  if (now == swept_at_) return;
  swept_at_ = now;
  std::erase_if(pending_, [&](const auto& p) { return p.second.expires_at <= now; });
  std::erase_if(pushed_, [&](const auto& p) { return p.second.expires_at <= now; });
}

std::optional<std::string> BrowserState::AddPending(PendingAuthorization pending) {
  auto id = RandomToken(32);
  if (!id.ok()) return std::nullopt;
  MutexLock lock(mu_);
  DropExpired(pending.created_at);
  if (pending_.size() >= kMaxPending) return std::nullopt;
  pending_[*id] = std::move(pending);
  return *id;
}

std::optional<PendingAuthorization> BrowserState::FindPending(const std::string& id, int64_t now) {
  MutexLock lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.expires_at <= now) return std::nullopt;
  return it->second;
}

void BrowserState::MarkFreshLogin(const std::string& id) {
  MutexLock lock(mu_);
  if (auto it = pending_.find(id); it != pending_.end()) it->second.fresh_login = true;
}

std::optional<PendingAuthorization> BrowserState::TakePending(const std::string& id, int64_t now) {
  MutexLock lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  PendingAuthorization pending = std::move(it->second);
  pending_.erase(it);
  if (pending.expires_at <= now) return std::nullopt;
  return pending;
}

void BrowserState::RemovePending(const std::string& id) {
  MutexLock lock(mu_);
  pending_.erase(id);
}

std::optional<std::string> BrowserState::AddPushed(AuthorizationRequest request,
                                                   int64_t expires_at) {
  auto id = RandomToken(32);
  if (!id.ok()) return std::nullopt;
  std::string uri = kRequestUriPrefix + *id;
  MutexLock lock(mu_);
  if (pushed_.size() >= kMaxPending) return std::nullopt;
  pushed_[uri] = Pushed{std::move(request), expires_at};
  return uri;
}

std::optional<AuthorizationRequest> BrowserState::TakePushed(const std::string& request_uri,
                                                             const std::string& client_id,
                                                             int64_t now) {
  MutexLock lock(mu_);
  auto it = pushed_.find(request_uri);
  if (it == pushed_.end() || it->second.request.app_id != client_id) return std::nullopt;
  Pushed pushed = std::move(it->second);
  pushed_.erase(it);
  if (pushed.expires_at <= now) return std::nullopt;
  return std::move(pushed.request);
}

bool BrowserState::LoginBlocked(const std::string& username, const std::string& address, int limit,
                                int64_t window, int64_t now, int64_t* retry_after) {
  MutexLock lock(mu_);
  for (const std::string& key : {"u:" + username, "a:" + address}) {
    auto it = failures_.find(key);
    if (it == failures_.end() || now - it->second.start >= window) continue;
    if (it->second.failures >= limit) {
      *retry_after = it->second.start + window - now;
      return true;
    }
  }
  return false;
}

void BrowserState::CountLoginFailure(const std::string& username, const std::string& address,
                                     int64_t window, int64_t now) {
  MutexLock lock(mu_);
  if (failures_.size() > kMaxPending) {
    std::erase_if(failures_, [&](const auto& f) { return now - f.second.start >= window; });
  }
  for (const std::string& key : {"u:" + username, "a:" + address}) {
    Window& w = failures_[key];
    if (now - w.start >= window) w = Window{now, 0};
    ++w.failures;
  }
}

}  // namespace zta::idp::browser
