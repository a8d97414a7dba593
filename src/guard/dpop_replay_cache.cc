#include "dpop_replay_cache.h"

namespace zta::guard {

DpopReplayCache::Outcome DpopReplayCache::Record(std::string_view jkt, std::string_view jti,
                                                 int64_t until, int64_t now) {
  // A space never occurs in a thumbprint (base64url), so the key is unambiguous.
  std::string key;
  key.reserve(jkt.size() + 1 + jti.size());
  key.append(jkt).append(1, ' ').append(jti);
  MutexLock lock(mu_);
  Evict(now);
  if (auto it = live_.find(key); it != live_.end()) return Outcome::kReplay;
  if (live_.size() >= capacity_) return Outcome::kFull;
  live_.emplace(key, until);
  expiries_.emplace(until, std::move(key));
  return Outcome::kFresh;
}

void DpopReplayCache::Evict(int64_t now) {
  while (!expiries_.empty() && expiries_.top().first < now) {
    auto it = live_.find(expiries_.top().second);
    if (it != live_.end() && it->second == expiries_.top().first) live_.erase(it);
    expiries_.pop();
  }
}

size_t DpopReplayCache::size() const {
  MutexLock lock(mu_);
  return live_.size();
}

}  // namespace zta::guard
