// Every token the demo's agents used, for its printout (docs/hotel.md, "Walking through zta
// demo"): who obtained it and its decoded header and claims. The signature is cut and the token
// itself never kept, so the log can be printed.
#pragma once

#include <string>
#include <vector>

#include "zta/auth/token_source.h"
#include "zta/core/json.h"
#include "zta/core/mutex.h"

namespace zta::hotel {

struct UsedToken {
  std::string agent;  // who obtained it (the agent's name)
  std::string jti;
  Json header;  // the JOSE header
  Json claims;  // the payload
};

// Thread-safe.
class TokenLog {
 public:
  // Decodes `token` (a compact JWS; an opaque one is recorded by jti alone) and keeps it once per
  // jti.
  void Add(const std::string& agent, const auth::AccessToken& token);
  std::vector<UsedToken> tokens() const;

 private:
  mutable Mutex mu_;
  std::vector<UsedToken> tokens_ ZTA_GUARDED_BY(mu_);
};

// A TokenSource that passes every request to `inner` and records what it returns in `log`.
// Both must outlive it. Thread-safe if `inner` is.
class RecordingTokenSource final : public auth::TokenSource {
 public:
  RecordingTokenSource(std::string agent, auth::TokenSource& inner, TokenLog* log)
      : agent_(std::move(agent)), inner_(inner), log_(log) {}
  Result<auth::AccessToken> GetToken(const auth::TokenRequest& request) override;
  void Invalidate(const auth::TokenRequest& request) override { inner_.Invalidate(request); }

 private:
  const std::string agent_;
  auth::TokenSource& inner_;
  TokenLog* const log_;
};

}  // namespace zta::hotel
