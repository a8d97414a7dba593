// One issuer's JSON Web Key Set, fetched over HTTP (RFC 7517 §5) and kept fresh: Cache-Control
// within bounds, a rate-limited refetch for an unknown kid, last-good keys through outages up to
// a maximum staleness, then fail closed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "zta/core/clock.h"
#include "zta/core/mutex.h"
#include "zta/core/status.h"
#include "zta/http/client.h"
#include "zta/jose/jwk.h"

namespace zta::guard {

// The guard's name for http::Transport, kept because validator.h and gateway.h spell it; new
// code says http::Transport. The default is http::Send; tests inject one that counts or fails.
using HttpFetcher = http::Transport;
inline HttpFetcher DefaultFetcher() { return http::DefaultTransport(); }

// Seconds from "Cache-Control: max-age=N" (RFC 9111 §5.2.2.1); 0 for no-store/no-cache;
// nullopt when the header gives no freshness lifetime.
std::optional<int64_t> CacheControlMaxAge(std::string_view cache_control);

struct JwksCacheOptions {
  // The issuer, for discovery (http::DiscoverMetadata) when jwks_uri is empty. One of the two
  // is REQUIRED.
  std::string issuer;
  // Where the key set lives. Default: "jwks_uri" from the issuer's metadata.
  std::string jwks_uri;
  // Bounds on the freshness lifetime taken from Cache-Control max-age, seconds: a tiny max-age
  // must not turn every request into a fetch, a huge one must not pin a retired key.
  // Defaults: 30 and 3600.
  int64_t min_refresh_seconds = 30;
  int64_t max_refresh_seconds = 3600;
  // Freshness lifetime when the response has no Cache-Control max-age. Default: 300.
  int64_t default_refresh_seconds = 300;
  // A token with a kid not in the set triggers at most one refetch per this many seconds
  // (an attacker can mint kids for free; the issuer must not be hammered). Default: 30.
  int64_t unknown_kid_refetch_interval_seconds = 30;
  // How long past its refresh time the last good set is still used while refreshes fail;
  // after that every validation fails closed until a fetch succeeds. Default: 3600.
  int64_t max_staleness_seconds = 3600;
  // After a failed fetch, no new attempt for this many seconds (unknown kids excepted, which
  // have their own interval). Default: 5.
  int64_t failure_retry_seconds = 5;
  // Per-fetch timeout. Default: 5 s.
  std::chrono::milliseconds fetch_timeout{5'000};

  Status Validate() const;
};

// Thread-safe. Readers take the published set lock-free (an atomic shared_ptr); one caller at a
// time fetches, and while it does others keep using the current set.
class JwksCache {
 public:
  JwksCache(JwksCacheOptions options, const Clock& clock, http::Transport fetcher);

  // The key set to verify with now. Fetches on first use and when the refresh time has passed
  // (the caller that notices fetches; concurrent callers go on with the current set). Fails
  // (kUnavailable, reason "jwks_unavailable") when there is no set younger than the maximum
  // staleness.
  Result<std::shared_ptr<const jose::Jwks>> Get();

  // Called when a token's kid is not in `seen` (the set the caller verified with). Refetches
  // unless another caller already replaced `seen` or the last unknown-kid refetch was less than
  // the interval ago; returns the set to retry with (possibly `seen` itself: then give up).
  Result<std::shared_ptr<const jose::Jwks>> RefreshForUnknownKid(
      const std::shared_ptr<const jose::Jwks>& seen);

  // The newest set published so far (null before the first good fetch), usable or not. Sets
  // are only ever replaced by newer ones, so this never goes backwards.
  std::shared_ptr<const jose::Jwks> Published() const;

  // HTTP fetches of the key set attempted so far (for tests and metrics).
  int64_t fetch_count() const { return fetch_count_.load(); }
  const JwksCacheOptions& options() const { return options_; }

 private:
  struct State {
    std::shared_ptr<const jose::Jwks> keys;  // null until the first good fetch
    int64_t refresh_at = 0;                  // Unix seconds: fetch again from then on
    int64_t usable_until = 0;                // Unix seconds: fail closed from then on
  };
  // Fetches and publishes a new state.
  Status FetchLocked(int64_t now) ZTA_REQUIRES(fetch_mu_);
  Result<std::shared_ptr<const jose::Jwks>> Usable(const std::shared_ptr<const State>& state,
                                                   int64_t now) const;

  const JwksCacheOptions options_;
  const Clock& clock_;
  const http::Transport fetcher_;

  std::shared_ptr<const State> state_;          // atomic load/store
  Mutex fetch_mu_;                              // one fetcher at a time
  std::string jwks_uri_ ZTA_GUARDED_BY(fetch_mu_);  // resolved by discovery
  int64_t last_failure_ ZTA_GUARDED_BY(fetch_mu_) = INT64_MIN;
  int64_t last_unknown_kid_fetch_ ZTA_GUARDED_BY(fetch_mu_) = INT64_MIN;
  std::atomic<int64_t> fetch_count_{0};
};

}  // namespace zta::guard
