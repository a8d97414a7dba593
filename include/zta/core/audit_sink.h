// The audit interface every component writes decisions to. The durable, hash-chained store
// lives in zta::audit; this header is only the contract and an in-memory sink for tests.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/mutex.h"
#include "zta/core/status.h"

namespace zta {

enum class AuditDecision { kAllow, kDeny, kError };
std::string_view AuditDecisionName(AuditDecision decision);  // "allow" | "deny" | "error"

// One decision. Never holds a token or a secret: tokens are identified by `jti`, tool arguments
// by a digest. Field names follow docs/audit-events.md.
struct AuditEvent {
  std::string id;                  // unique event id; the sink assigns one when empty
  int64_t time_micros = 0;         // Unix microseconds; the sink fills it from its clock when 0
  std::string trace_id;            // correlates the events of one user request
  std::string component;           // "idp", "guard", "agent", "tool", "gateway"
  std::string action;              // e.g. "token.issue", "request.authorize", "tool.call"
  std::string subject;             // the user on whose behalf (RFC 8693 sub), if any
  std::vector<std::string> actor_chain;  // agent ids, current actor first (RFC 8693 §4.1 act)
  std::string client_id;           // OAuth client that asked
  std::string resource;            // RFC 8707 resource / audience
  std::vector<std::string> scopes_requested;
  std::vector<std::string> scopes_granted;
  AuditDecision decision = AuditDecision::kAllow;
  std::string reason;              // stable snake_case reason code for deny/error
  std::string jti;                 // token id (RFC 7519 §4.1.7), never the token
  Json attributes = Json::object();  // gen_ai.* (OpenTelemetry GenAI) and zta.* attributes

  // Canonical JSON form (keys sorted, as nlohmann orders objects).
  Json ToJson() const;
};

// Where decisions go. Implementations are thread-safe. Append returns once the event is
// recorded as durably as the sink promises (the durable sink: on disk).
class AuditSink {
 public:
  // Called once with the outcome of an AppendAsync: Ok once the event is recorded as durably as
  // Append would have recorded it.
  using AppendCallback = std::function<void(Status)>;

  virtual ~AuditSink() = default;
  virtual Status Append(AuditEvent event) = 0;

  // Records `event` and calls `done` with the outcome, possibly on another thread (the durable
  // sink calls it on its writer thread, right after the commit that made the event durable).
  // Lets a server keep many requests in flight per thread and answer each one only once its
  // record is durable, instead of blocking a thread per record. `done` must be quick and must
  // not call back into this sink. May block the caller when the sink is saturated
  // (backpressure). The default runs Append inline.
  virtual void AppendAsync(AuditEvent event, AppendCallback done) {
    done(Append(std::move(event)));
  }
};

// Keeps events in memory; for tests and for components run without a data folder.
class InMemoryAuditSink final : public AuditSink {
 public:
  Status Append(AuditEvent event) override;
  std::vector<AuditEvent> Events() const;
  size_t size() const;

 private:
  mutable Mutex mu_;
  std::vector<AuditEvent> events_ ZTA_GUARDED_BY(mu_);
  uint64_t next_id_ ZTA_GUARDED_BY(mu_) = 1;
};

// Discards events (for benchmarks).
class NullAuditSink final : public AuditSink {
 public:
  Status Append(AuditEvent) override { return Status::Ok(); }
};

}  // namespace zta
