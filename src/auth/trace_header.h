// The traceparent the SDK sends to the identity provider, so the idp's audit events join the
// caller's trace (W3C Trace Context §3.2). Private to auth.
#pragma once

#include <string>

#include "zta/core/trace_context.h"
#include "zta/http/message.h"

namespace zta::auth::internal {

// Sets "traceparent: 00-<trace_id>-<new span id>-01" when `trace_id` is a valid W3C trace id
// (§3.2.2.3); otherwise (empty, or not 32 lowercase hex digits) sends nothing. Each request is
// its own span (§3.2.2.4: parent-id names the caller's span), so the span id is fresh.
inline void SetTraceParent(const std::string& trace_id, http::Headers* headers) {
  if (!IsTraceId(trace_id)) return;
  Result<std::string> span = NewSpanId();
  if (!span.ok()) return;  // tracing is best effort; the request goes out regardless
  headers->Set(kTraceParentHeader, FormatTraceParent(trace_id, *span));
}

}  // namespace zta::auth::internal
