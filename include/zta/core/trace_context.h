// W3C Trace Context (Recommendation, §3.2): the `traceparent` header that joins the audit events
// of one user request across the idp, the agents and the APIs they call. One parser for every
// component, so the gateway, the validator and the idp agree on what a trace id is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zta/core/status.h"

namespace zta {

// The header's name (W3C Trace Context §3.2; HTTP field names are case-insensitive).
inline constexpr char kTraceParentHeader[] = "traceparent";

// A parsed traceparent: version "-" trace-id "-" parent-id "-" trace-flags (§3.2.2).
struct TraceParent {
  uint8_t version = 0;    // §3.2.2.2: 00 today; ff is invalid
  std::string trace_id;   // §3.2.2.3: 32 lowercase hex digits, not all zeros
  std::string parent_id;  // §3.2.2.4: 16 lowercase hex digits, not all zeros (the caller's span)
  uint8_t flags = 0;      // §3.2.2.5: bit 0 = sampled

  bool sampled() const { return (flags & 0x01) != 0; }
};

// Parses a traceparent value. Version 00 must be exactly the four fields (55 characters);
// a later version is read as §3.2.4 says: its first four fields, followed by the end or a "-".
// Anything else (upper-case hex, all-zero ids, version ff, wrong lengths or separators) is
// invalid: nullopt, and the caller treats the header as absent (§3.2: "restart the trace").
// Surrounding spaces and tabs (HTTP optional whitespace) are ignored.
std::optional<TraceParent> ParseTraceParent(std::string_view value);

// "00-<trace_id>-<parent_id>-<flags>", always version 00 (§3.2.4: a vendor sends the version it
// implements). The ids must be valid (IsTraceId / IsSpanId); else the result will not parse.
std::string FormatTraceParent(const TraceParent& parent);
std::string FormatTraceParent(std::string_view trace_id, std::string_view parent_id,
                              bool sampled = true);

// §3.2.2.3 / §3.2.2.4: exactly 32 / 16 lowercase hex digits, not all zeros.
bool IsTraceId(std::string_view id);
bool IsSpanId(std::string_view id);

// A fresh random trace id (16 bytes) / span id (8 bytes) as lowercase hex (§3.2.2.3 asks for
// random ids; the all-zero value is never returned). Fails only if the system's entropy fails.
Result<std::string> NewTraceId();
Result<std::string> NewSpanId();

// The trace id of a traceparent header value, "" when there is none or it is invalid.
std::string TraceIdOf(const std::optional<std::string>& traceparent);

}  // namespace zta
