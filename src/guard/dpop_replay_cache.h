// The guard's memory of DPoP proof jtis (RFC 9449 §11.1): single use per key within the proof
// window, in bounded memory, failing closed when full.
#pragma once

#include <cstdint>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "zta/core/mutex.h"

namespace zta::guard {

// Thread-safe.
class DpopReplayCache {
 public:
  enum class Outcome { kFresh, kReplay, kFull };

  explicit DpopReplayCache(size_t capacity) : capacity_(capacity) {}

  // Records (jkt, jti) until `until` (Unix seconds). kReplay when that key used that jti and the
  // entry is still live; kFull when `capacity` live entries leave no room (the proof must then
  // be refused: forgetting a live entry would let its proof be replayed).
  Outcome Record(std::string_view jkt, std::string_view jti, int64_t until, int64_t now);

  size_t size() const;

 private:
  // Drops entries whose time has passed, oldest first.
  void Evict(int64_t now) ZTA_REQUIRES(mu_);

  using Expiry = std::pair<int64_t, std::string>;  // (until, key)
  const size_t capacity_;
  mutable Mutex mu_;
  std::unordered_map<std::string, int64_t> live_ ZTA_GUARDED_BY(mu_);
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<Expiry>> expiries_
      ZTA_GUARDED_BY(mu_);
};

}  // namespace zta::guard
