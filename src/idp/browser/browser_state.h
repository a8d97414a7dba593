// What the browser endpoints keep in memory between requests: authorization requests waiting
// for a login or a consent, pushed requests (RFC 9126) waiting for their /authorize, and the
// count of wrong passwords. Per AuthorizationServer; lost on restart (the browser just starts
// again at the app).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "authorization_request.h"
#include "zta/core/clock.h"
#include "zta/core/mutex.h"

namespace zta::idp {
struct ServerContext;
}

namespace zta::idp::browser {

struct PendingAuthorization {
  AuthorizationRequest request;
  int64_t created_at = 0;
  int64_t expires_at = 0;
  // The password was checked for this request (what prompt=login asks for).
  bool fresh_login = false;
};

// Entries that expire, bounded per source address and in all: a new entry over either bound
// evicts the oldest entry of its address (or, over the total, the oldest of all) rather than
// being refused, so one address flooding requests loses only its own. Not thread-safe.
template <typename V>
class AgedEntries {
 public:
  struct Entry {
    V value;
    std::string address;
    int64_t expires_at = 0;
    uint64_t seq = 0;
  };

  void Put(const std::string& key, V value, const std::string& address, int64_t expires_at,
           size_t per_address, size_t total) {
    Erase(key);
    auto& mine = by_address_[address];
    while (!mine.empty() && mine.size() >= per_address) Erase(mine.begin()->second);
    while (!order_.empty() && entries_.size() >= total) Erase(order_.begin()->second);
    uint64_t seq = next_seq_++;
    entries_[key] = Entry{std::move(value), address, expires_at, seq};
    order_.emplace(seq, key);
    by_address_[address].emplace(seq, key);
  }
  Entry* Find(const std::string& key) {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }
  std::optional<Entry> Take(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    Entry e = std::move(it->second);
    Erase(key);
    return e;
  }
  void Erase(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    order_.erase({it->second.seq, key});
    auto a = by_address_.find(it->second.address);
    if (a != by_address_.end()) {
      a->second.erase({it->second.seq, key});
      if (a->second.empty()) by_address_.erase(a);
    }
    entries_.erase(it);
  }
  void DropExpired(int64_t now) {
    std::vector<std::string> gone;
    for (const auto& [key, e] : entries_) {
      if (e.expires_at <= now) gone.push_back(key);
    }
    for (const std::string& key : gone) Erase(key);
  }
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, Entry> entries_;
  std::set<std::pair<uint64_t, std::string>> order_;  // oldest first
  std::map<std::string, std::set<std::pair<uint64_t, std::string>>> by_address_;
  uint64_t next_seq_ = 0;
};

// Thread-safe.
class BrowserState {
 public:
  // The state of `context`'s server, created on first use.
  static BrowserState& For(const ServerContext& context);
  // Drops `context`'s state (its server is going away).
  static void Forget(const ServerContext& context);

  // At most this many pending (and, apart, pushed) requests per source address, and in all;
  // past either, the oldest of the address (or of all) is dropped to make room. An empty
  // address is bounded by the total only.
  static constexpr size_t kMaxPerAddress = 50;
  static constexpr size_t kMaxTotal = 10000;
  // At most this many login-failure windows; past it, the oldest are dropped.
  static constexpr size_t kMaxFailureWindows = 100000;

  // Keeps `pending`, which came from `address`, under a fresh random id (nullopt when
  // randomness fails).
  std::optional<std::string> AddPending(PendingAuthorization pending,
                                        const std::string& address = "");
  std::optional<PendingAuthorization> FindPending(const std::string& id, int64_t now);
  void RemovePending(const std::string& id);
  // The pending request, removed in the same step, so of two concurrent decisions only one gets
  // it (one code per consent); nullopt when unknown, expired or already taken.
  std::optional<PendingAuthorization> TakePending(const std::string& id, int64_t now);
  void MarkFreshLogin(const std::string& id);

  // Keeps a pushed request under "urn:ietf:params:oauth:request_uri:<random>".
  // `address` is where the push came from.
  std::optional<std::string> AddPushed(AuthorizationRequest request, int64_t expires_at,
                                       const std::string& address = "");
  // The pushed request, removed (single use, RFC 9126 §4); nullopt when unknown, expired or
  // pushed by another client than `client_id` — which leaves it in place, so whoever learns a
  // request_uri cannot burn it for the app that pushed it.
  std::optional<AuthorizationRequest> TakePushed(const std::string& request_uri,
                                                 const std::string& client_id, int64_t now);

  // Wrong passwords: whether `username` or `address` is over `limit` in the current window;
  // when so, `*retry_after` is the rest of the window.
  bool LoginBlocked(const std::string& username, const std::string& address, int limit,
                    int64_t window, int64_t now, int64_t* retry_after);
  void CountLoginFailure(const std::string& username, const std::string& address, int64_t window,
                         int64_t now);

 private:
  void DropExpired(int64_t now) ZTA_REQUIRES(mu_);

  struct Window {
    int64_t start = 0;
    int failures = 0;
  };
  Mutex mu_;
  AgedEntries<PendingAuthorization> pending_ ZTA_GUARDED_BY(mu_);
  AgedEntries<AuthorizationRequest> pushed_ ZTA_GUARDED_BY(mu_);
  // Keys "u:<name>" and "a:<address>".
  std::map<std::string, Window> failures_ ZTA_GUARDED_BY(mu_);
  int64_t swept_at_ ZTA_GUARDED_BY(mu_) = 0;
  // The latest `now` any call brought (AddPushed has none of its own to sweep with).
  int64_t latest_now_ ZTA_GUARDED_BY(mu_) = 0;
};

}  // namespace zta::idp::browser
