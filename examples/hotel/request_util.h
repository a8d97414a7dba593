// Small pieces of reading an untrusted HTTP request for the hotel API: W3C trace context,
// dates, ids, query parameters, JSON bodies, and the API's JSON error answers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/http/message.h"

namespace zta::hotel {

// The trace id of W3C Trace Context `traceparent` (version 00: "00-<32 hex>-<16 hex>-<2 hex>",
// lowercase, trace and parent ids not all zero); nullopt when absent or malformed.
std::optional<std::string> TraceIdFromTraceparent(std::string_view traceparent);
// The request's trace id, or a new random one (32 lowercase hex digits).
std::string TraceIdOf(const http::Request& request);
// A traceparent header value continuing `trace_id` with a new parent (span) id.
std::string NewTraceparent(const std::string& trace_id);

// A date "YYYY-MM-DD" (ISO 8601 calendar date) as days since 1970-01-01.
std::optional<int64_t> ParseIsoDate(std::string_view text);
// Seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ".
std::string IsoTimestamp(int64_t unix_seconds);

// Ids in paths and bodies: 1..64 of [A-Za-z0-9_-]. Anything else (dots, slashes, escapes) is not
// an id, so no traversal or injection reaches a query.
bool IsId(std::string_view text);

// A stay as the API takes it: check_out after check_in, at most kMaxNights nights.
inline constexpr int64_t kMaxNights = 30;
struct Stay {
  std::string check_in, check_out;
  int64_t nights = 0;
};
// Both dates valid and in order; InvalidArgument naming what is wrong.
Result<Stay> ParseStay(const std::string& check_in, const std::string& check_out);

// The query's parameters (decoded); InvalidArgument for a bad escape or a repeated name.
Result<std::map<std::string, std::string>> ParseQuery(std::string_view query);

// A JSON object body, at most a few levels deep; InvalidArgument otherwise.
Result<Json> ParseJsonObjectBody(const http::Request& request);

// {"error": code, "error_description": description} with `status`.
http::Response ErrorResponse(int status, std::string_view code, std::string_view description);
// 400 invalid_request with the status's message.
http::Response BadRequest(const Status& status);
http::Response NotFoundResponse();

}  // namespace zta::hotel
