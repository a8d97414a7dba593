// The story of one user request across several audit logs (the idp's, the hotel API's, each
// agent's: every component has its own data folder), joined by the W3C trace id (W3C Trace
// Context §3.2), a token id or a business object id. Pure functions over events already read
// (and verified): no I/O, so `zta audit trace`, `zta audit who` and `zta demo` share them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "zta/core/audit_sink.h"
#include "zta/core/status.h"

namespace zta::audit {

// Attribute naming the grant (consent) a resource server's event was authorized under, as the
// hotel API records it from the token's zta_grant claim. The idp's own events say "zta.grant".
inline constexpr char kGrantIdAttribute[] = "zta.grant_id";
inline constexpr char kIdpGrantAttribute[] = "zta.grant";

// One event among several logs: logs[log][index].
struct EventRef {
  size_t log = 0;
  size_t index = 0;
  friend bool operator==(const EventRef&, const EventRef&) = default;
};

// Every event of every log in time order; equal times keep the order of the logs as given,
// then each log's own (chain) order.
std::vector<EventRef> MergeInTimeOrder(const std::vector<std::vector<AuditEvent>>& logs);

// What to trace. Exactly one member is set.
struct TraceQuery {
  // The events of this trace id.
  std::string trace_id;
  // The events whose zta.resource.id is this booking id, plus every event sharing a trace id
  // with them.
  std::string booking_id;
  // As AuditLogReader::Trace: the events carrying this token id / this zta.resource.id, plus
  // every event sharing a trace id or a token id with them, until nothing more joins.
  std::string jti;
  std::string resource_id;
};

// The selected events in time order (as MergeInTimeOrder). kInvalidArgument unless exactly one
// member of `query` is set. An empty result is not an error.
Result<std::vector<EventRef>> SelectStory(const std::vector<std::vector<AuditEvent>>& logs,
                                          const TraceQuery& query);

// The string value of attribute `name`, "" when absent or not a string.
std::string StringAttribute(const AuditEvent& event, const char* name);

}  // namespace zta::audit
