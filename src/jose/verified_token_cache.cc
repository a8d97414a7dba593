// Sharded, bounded cache of verified tokens. The shard and bucket hash covers the token's tail
// (its signature, which is effectively random) so hashing stays cheap for long tokens; equality
// always compares the whole token.
#include "zta/jose/verified_token_cache.h"

#include <string>
#include <unordered_map>

#include "zta/core/mutex.h"

namespace zta::jose {
namespace {

size_t TailHash(std::string_view token) {
  constexpr size_t kTail = 48;
  std::string_view tail = token.size() > kTail ? token.substr(token.size() - kTail) : token;
  return std::hash<std::string_view>{}(tail) ^ (token.size() * 0x9E3779B97F4A7C15ull);
}

struct TailHasher {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return TailHash(s); }
  size_t operator()(const std::string& s) const { return TailHash(s); }
};

struct Entry {
  std::shared_ptr<const VerifiedJwt> verified;
  int64_t expires_at;
  uint64_t seq;
};

}  // namespace

struct VerifiedTokenCache::Shard {
  mutable Mutex mu;
  std::unordered_map<std::string, Entry, TailHasher, std::equal_to<>> map ZTA_GUARDED_BY(mu);
  uint64_t next_seq ZTA_GUARDED_BY(mu) = 0;
};

VerifiedTokenCache::VerifiedTokenCache(size_t capacity)
    : capacity_(capacity),
      shard_capacity_(std::max<size_t>(1, capacity / kShards)),
      shards_(new Shard[kShards]) {}

VerifiedTokenCache::~VerifiedTokenCache() = default;

VerifiedTokenCache::Shard& VerifiedTokenCache::ShardFor(std::string_view token,
                                                        size_t* hash) const {
  *hash = TailHash(token);
  return shards_[(*hash >> 7) % kShards];
}

std::shared_ptr<const VerifiedJwt> VerifiedTokenCache::Lookup(std::string_view token,
                                                              int64_t now) const {
  size_t hash;
  Shard& shard = ShardFor(token, &hash);
  MutexLock lock(shard.mu);
  auto it = shard.map.find(token);
  if (it == shard.map.end()) return nullptr;
  if (now >= it->second.expires_at) {
    shard.map.erase(it);  // never serve a token past its exp
    return nullptr;
  }
  return it->second.verified;
}

void VerifiedTokenCache::Insert(std::string_view token, std::shared_ptr<const VerifiedJwt> verified,
                                int64_t now, uint64_t epoch) {
  if (!verified || now >= verified->expires_at) return;
  size_t hash;
  Shard& shard = ShardFor(token, &hash);
  MutexLock lock(shard.mu);
  if (epoch != epoch_.load(std::memory_order_acquire)) return;  // keys changed meanwhile
  if (shard.map.size() >= shard_capacity_ && !shard.map.contains(token)) {
    // Make room: expired entries first, else the oldest insertion.
    for (auto it = shard.map.begin(); it != shard.map.end();) {
      it = now >= it->second.expires_at ? shard.map.erase(it) : std::next(it);
    }
    if (shard.map.size() >= shard_capacity_) {
      auto oldest = shard.map.begin();
      for (auto it = shard.map.begin(); it != shard.map.end(); ++it) {
        if (it->second.seq < oldest->second.seq) oldest = it;
      }
      shard.map.erase(oldest);
    }
  }
  int64_t exp = verified->expires_at;
  shard.map.insert_or_assign(std::string(token), Entry{std::move(verified), exp, shard.next_seq++});
}

void VerifiedTokenCache::Clear() {
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  for (size_t i = 0; i < kShards; ++i) {
    MutexLock lock(shards_[i].mu);
    shards_[i].map.clear();
  }
}

size_t VerifiedTokenCache::size() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    MutexLock lock(shards_[i].mu);
    n += shards_[i].map.size();
  }
  return n;
}

}  // namespace zta::jose
