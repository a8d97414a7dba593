// Reading the audit log: filtered queries, the trace of one action, and export. Reading does
// not verify the chain (that is VerifyLog); results are as trustworthy as the last verify.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zta/core/audit_sink.h"
#include "zta/core/status.h"
#include "zta/store/sql.h"
#include "zta/store/sqlite.h"

namespace zta::audit {

// Attribute that names the business object an event concerns (a booking id, say), so
// `zta audit trace --resource-id` can find the story of one action.
inline constexpr char kResourceIdAttribute[] = "zta.resource.id";

// Every set field must match; unset fields match everything.
struct EventFilter {
  std::string subject;  // exact
  std::string actor;    // any agent in the actor chain
  std::string action;   // exact, or a prefix ending in '*' ("token.*")
  std::optional<AuditDecision> decision;
  std::optional<int64_t> since_micros;  // inclusive
  std::optional<int64_t> until_micros;  // exclusive
  std::string jti;
  std::string trace_id;

  bool Matches(const AuditEvent& event) const;
};

struct StoredEvent {
  std::string chain;  // the node's chain in a PostgreSQL log; "" in a data folder's log
  uint64_t seq = 0;
  AuditEvent event;
  std::string canonical;  // the exact bytes that were hashed
  std::string hash;       // raw 32-byte chain hash
};

// Read-only access to a data folder's audit log, or to the nodes' chains in PostgreSQL. Not
// thread-safe (one connection).
class AuditLogReader {
 public:
  // kNotFound when there is no log, kDataLoss when the file is not an audit log.
  static Result<std::unique_ptr<AuditLogReader>> Open(const std::string& data_dir);
  // Every chain in the PostgreSQL database at `url`, merged by time. kNotFound when it has no
  // audit tables.
  static Result<std::unique_ptr<AuditLogReader>> OpenStore(const std::string& url);
  ~AuditLogReader();

  // Calls `visit` with each matching event in chain order (PostgreSQL: in time order, chains
  // merged) until it returns false. A row that is not a valid event fails the scan with
  // kDataLoss.
  Status Scan(const EventFilter& filter, const std::function<bool(const StoredEvent&)>& visit);

  // The matching events in chain order; at most `limit` (0: all).
  Result<std::vector<StoredEvent>> Query(const EventFilter& filter, size_t limit = 0);

  // The story of one action: the events carrying this token id (`jti`) or this business object
  // id (attribute zta.resource.id), plus every event that shares a trace id or token id with
  // them, in time order. Exactly one of jti / resource_id must be set.
  Result<std::vector<StoredEvent>> Trace(const std::string& jti, const std::string& resource_id);

 private:
  AuditLogReader(std::unique_ptr<store::Database> db, std::unique_ptr<store::SqlConnection> pg);
  Status ScanStore(const EventFilter& filter,
                   const std::function<bool(const StoredEvent&)>& visit);
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::SqlConnection> pg_;
};

// A one-line human rendering: time, component, action, decision[/reason] and the who/what.
std::string FormatEventLine(const AuditEvent& event);

// The export form (one JSON Lines record): the canonical event members plus "chain_hash" (hex)
// and, from a PostgreSQL log, "chain_id". Removing those two and dumping with sorted keys gives
// back the hashed bytes.
std::string ExportLine(const StoredEvent& stored);

}  // namespace zta::audit
