// AuditEvent serialization and the in-memory sink.
#include "zta/core/audit_sink.h"

#include "zta/core/clock.h"

namespace zta {

std::string_view AuditDecisionName(AuditDecision decision) {
  switch (decision) {
    case AuditDecision::kAllow: return "allow";
    case AuditDecision::kDeny: return "deny";
    case AuditDecision::kError: return "error";
  }
  return "error";
}

Json AuditEvent::ToJson() const {
  Json j = Json::object();
  j["id"] = id;
  j["time_micros"] = time_micros;
  j["trace_id"] = trace_id;
  j["component"] = component;
  j["action"] = action;
  j["subject"] = subject;
  j["actor_chain"] = actor_chain;
  j["client_id"] = client_id;
  j["resource"] = resource;
  j["scopes_requested"] = scopes_requested;
  j["scopes_granted"] = scopes_granted;
  j["decision"] = std::string(AuditDecisionName(decision));
  j["reason"] = reason;
  j["jti"] = jti;
  j["attributes"] = attributes;
  return j;
}

Status InMemoryAuditSink::Append(AuditEvent event) {
  MutexLock lock(mu_);
  if (event.id.empty()) event.id = "mem-" + std::to_string(next_id_);
  ++next_id_;
  if (event.time_micros == 0) event.time_micros = SystemClock::Instance().NowMicros();
  events_.push_back(std::move(event));
  return Status::Ok();
}

std::vector<AuditEvent> InMemoryAuditSink::Events() const {
  MutexLock lock(mu_);
  return events_;
}

size_t InMemoryAuditSink::size() const {
  MutexLock lock(mu_);
  return events_.size();
}

}  // namespace zta
