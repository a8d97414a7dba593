// RFC 7662 token introspection for one trusted issuer, with a short answer cache: the guard's
// check for routes where a revoked token must stop working at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "zta/core/clock.h"
#include "zta/core/mutex.h"
#include "zta/core/status.h"
#include "zta/guard/validator.h"

namespace zta::guard {

// Thread-safe. Fails closed: any failure to get an answer is an error (reason
// introspection_unavailable), never "active".
class Introspector {
 public:
  // `fetcher` and `clock` must outlive the introspector.
  Introspector(std::string issuer, IntrospectionOptions options, const http::Transport& fetcher,
               const Clock& clock);

  // OK when the issuer says the token is active; kUnauthenticated with reason token_inactive
  // when it says not, introspection_unavailable when it cannot be asked. An answer is reused
  // for cache_seconds, never past `expires_at` (the token's exp).
  Status CheckActive(std::string_view token, int64_t expires_at);

 private:
  Result<std::string> Endpoint() ZTA_EXCLUDES(mu_);

  const std::string issuer_;
  const IntrospectionOptions options_;
  const http::Transport& fetcher_;
  const Clock& clock_;

  struct Answer {
    bool active = false;
    int64_t until = 0;
  };
  Mutex mu_;
  std::string endpoint_ ZTA_GUARDED_BY(mu_);                           // discovered once
  std::unordered_map<std::string, Answer> cache_ ZTA_GUARDED_BY(mu_);  // by SHA-256 of the token
};

}  // namespace zta::guard
