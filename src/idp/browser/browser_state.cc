// In-memory browser state, one per authorization server.
#include "browser_state.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "zta/core/random.h"

namespace zta::idp::browser {
namespace {

constexpr char kRequestUriPrefix[] = "urn:ietf:params:oauth:request_uri:";

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
  latest_now_ = std::max(latest_now_, now);
  if (now <= swept_at_) return;
  swept_at_ = now;
  pending_.DropExpired(now);
  pushed_.DropExpired(now);
}

std::optional<std::string> BrowserState::AddPending(PendingAuthorization pending,
                                                    const std::string& address) {
  auto id = RandomToken(32);
  if (!id.ok()) return std::nullopt;
  MutexLock lock(mu_);
  DropExpired(pending.created_at);
  int64_t expires_at = pending.expires_at;
  pending_.Put(*id, std::move(pending), address, expires_at,
               address.empty() ? kMaxTotal : kMaxPerAddress, kMaxTotal);
  return *id;
}

std::optional<PendingAuthorization> BrowserState::FindPending(const std::string& id, int64_t now) {
  MutexLock lock(mu_);
  latest_now_ = std::max(latest_now_, now);
  auto* e = pending_.Find(id);
  if (e == nullptr || e->expires_at <= now) return std::nullopt;
  return e->value;
}

void BrowserState::MarkFreshLogin(const std::string& id) {
  MutexLock lock(mu_);
  if (auto* e = pending_.Find(id)) e->value.fresh_login = true;
}

std::optional<PendingAuthorization> BrowserState::TakePending(const std::string& id, int64_t now) {
  MutexLock lock(mu_);
  latest_now_ = std::max(latest_now_, now);
  auto taken = pending_.Take(id);
  if (!taken || taken->expires_at <= now) return std::nullopt;
  return std::move(taken->value);
}

void BrowserState::RemovePending(const std::string& id) {
  MutexLock lock(mu_);
  pending_.Erase(id);
}

std::optional<std::string> BrowserState::AddPushed(AuthorizationRequest request, int64_t expires_at,
                                                   const std::string& address) {
  auto id = RandomToken(32);
  if (!id.ok()) return std::nullopt;
  std::string uri = kRequestUriPrefix + *id;
  MutexLock lock(mu_);
  // No clock comes in here; whatever expired by the latest time the state has seen is stale.
  DropExpired(latest_now_);
  // Without an address (par.cc does not pass one yet) only the total bounds pushes: one shared
  // "" bucket of 50 would let any client evict every other client's pushes.
  pushed_.Put(uri, std::move(request), address, expires_at,
              address.empty() ? kMaxTotal : kMaxPerAddress, kMaxTotal);
  return uri;
}

std::optional<AuthorizationRequest> BrowserState::TakePushed(const std::string& request_uri,
                                                             const std::string& client_id,
                                                             int64_t now) {
  MutexLock lock(mu_);
  latest_now_ = std::max(latest_now_, now);
  auto* e = pushed_.Find(request_uri);
  if (e == nullptr || e->value.app_id != client_id) return std::nullopt;
  auto taken = pushed_.Take(request_uri);
  if (taken->expires_at <= now) return std::nullopt;
  return std::move(taken->value);
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
  if (failures_.size() > kMaxFailureWindows) {
    std::erase_if(failures_, [&](const auto& f) { return now - f.second.start >= window; });
  }
  if (failures_.size() > kMaxFailureWindows) {
    // Still full of live windows: drop the oldest tenth, so the map stays bounded and the
    // next flood of names does not rescan it for every failure.
    std::vector<std::pair<int64_t, std::string>> by_age;
    by_age.reserve(failures_.size());
    for (const auto& [key, w] : failures_) by_age.emplace_back(w.start, key);
    size_t drop = failures_.size() - kMaxFailureWindows + kMaxFailureWindows / 10;
    std::nth_element(by_age.begin(), by_age.begin() + drop, by_age.end());
    for (size_t i = 0; i < drop; ++i) failures_.erase(by_age[i].second);
  }
  for (const std::string& key : {"u:" + username, "a:" + address}) {
    Window& w = failures_[key];
    if (now - w.start >= window) w = Window{now, 0};
    ++w.failures;
  }
}

}  // namespace zta::idp::browser
