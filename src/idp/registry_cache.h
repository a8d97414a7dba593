// The registry snapshot the endpoints read, re-read from the store when it has changed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "zta/core/mutex.h"
#include "zta/core/clock.h"
#include "zta/idp/key_manager.h"
#include "zta/idp/stores.h"

namespace zta::idp {

// Thread-safe: many request threads call Get() at once; one of them re-reads when due.
class RegistryCache {
 public:
  // `refresh_millis`: how often Get(false) asks the store whether the registry changed.
  RegistryCache(RegistryStore& store, KeyManager& keys, const Clock& clock, int64_t refresh_millis);

  // The current snapshot (never null; empty when the store cannot be read). `force_check` asks
  // the store now, so a just-disabled agent is seen at once.
  std::shared_ptr<const RegistrySnapshot> Get(bool force_check);

  // Whether the store answered the last check. A snapshot goes on being served while it does
  // not, but callers that decide anything refuse (fail closed): a revocation or a disabled
  // agent on another node would not be seen.
  bool StoreReachable() const { return reachable_.load(std::memory_order_relaxed); }

 private:
  RegistryStore& store_;
  KeyManager& keys_;
  const Clock& clock_;
  const int64_t refresh_micros_;

  Mutex mu_;
  std::shared_ptr<const RegistrySnapshot> registry_ ZTA_GUARDED_BY(mu_);
  int64_t checked_micros_ ZTA_GUARDED_BY(mu_) = 0;
  std::atomic<bool> reachable_{true};
};

}  // namespace zta::idp
