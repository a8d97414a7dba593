// A bounded cache of verified tokens, keyed by the whole token string.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "zta/jose/jwt.h"

namespace zta::jose {

// Entries never outlive the token's exp; Clear() drops everything (a key set change).
// Bounded: at most `capacity` entries; when full, expired entries go first, then the oldest
// inserted in the shard. Thread-safe (sharded mutexes).
class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(size_t capacity);
  ~VerifiedTokenCache();

  // The cached verification of exactly `token`, if present and `now` < its exp (minus nothing:
  // an entry is dropped the second its token expires, leeway is not extended by the cache).
  std::shared_ptr<const VerifiedJwt> Lookup(std::string_view token, int64_t now) const;
  // Stores a verification. Dropped when `epoch` is not the current epoch: a verification made
  // with a key set that Clear() has since retired must never be served.
  void Insert(std::string_view token, std::shared_ptr<const VerifiedJwt> verified, int64_t now,
              uint64_t epoch);
  // Drops every entry and starts a new epoch.
  void Clear();
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  size_t size() const;
  size_t capacity() const { return capacity_; }

 private:
  struct Shard;
  static constexpr size_t kShards = 16;
  Shard& ShardFor(std::string_view token, size_t* hash) const;

  size_t capacity_;
  size_t shard_capacity_;
  std::atomic<uint64_t> epoch_{0};
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace zta::jose
