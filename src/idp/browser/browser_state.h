// What the browser endpoints keep in memory between requests: authorization requests waiting
// for a login or a consent, pushed requests (RFC 9126) waiting for their /authorize, and the
// count of wrong passwords. Per AuthorizationServer; lost on restart (the browser just starts
// again at the app).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

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

// Thread-safe.
class BrowserState {
 public:
  // The state of `context`'s server, created on first use.
  static BrowserState& For(const ServerContext& context);
  // Drops `context`'s state (its server is going away).
  static void Forget(const ServerContext& context);

  // Keeps `pending` under a fresh random id (nullopt when randomness fails).
  std::optional<std::string> AddPending(PendingAuthorization pending);
  std::optional<PendingAuthorization> FindPending(const std::string& id, int64_t now);
  void RemovePending(const std::string& id);
  // The pending request, removed in the same step, so of two concurrent decisions only one gets
  // it (one code per consent); nullopt when unknown, expired or already taken.
  std::optional<PendingAuthorization> TakePending(const std::string& id, int64_t now);
  void MarkFreshLogin(const std::string& id);

  // Keeps a pushed request under "urn:ietf:params:oauth:request_uri:<random>".
  std::optional<std::string> AddPushed(AuthorizationRequest request, int64_t expires_at);
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
  std::map<std::string, PendingAuthorization> pending_ ZTA_GUARDED_BY(mu_);
  struct Pushed {
    AuthorizationRequest request;
    int64_t expires_at = 0;
  };
  std::map<std::string, Pushed> pushed_ ZTA_GUARDED_BY(mu_);
  // Keys "u:<name>" and "a:<address>".
  std::map<std::string, Window> failures_ ZTA_GUARDED_BY(mu_);
  int64_t swept_at_ ZTA_GUARDED_BY(mu_) = 0;
};

}  // namespace zta::idp::browser
