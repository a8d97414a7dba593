// Request reading helpers of the hotel API (request_util.h).
#include "hotel/request_util.h"

#include <cstdio>

#include "zta/core/civil_time.h"
#include "zta/core/trace_context.h"

namespace zta::hotel {
namespace {

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

}  // namespace

// W3C Trace Context §3.2, parsed by core (zta/core/trace_context.h). Only version 00 is
// trusted here: a later version's trace id would be read by its first four fields, and the
// hotel starts a new trace instead.
std::optional<std::string> TraceIdFromTraceparent(std::string_view v) {
  auto parsed = ParseTraceParent(v);
  if (!parsed || parsed->version != 0) return std::nullopt;
  return std::move(parsed->trace_id);
}

std::string TraceIdOf(const http::Request& request) {
  auto values = request.headers.GetAll(kTraceParentHeader);
  // §3.2: more than one traceparent is malformed; start a new trace.
  if (values.size() == 1) {
    if (auto id = TraceIdFromTraceparent(values[0])) return *id;
  }
  auto fresh = NewTraceId();
  return fresh.ok() ? *fresh : std::string(32, '1');  // not reached: the DRBG fails closed
}

std::string NewTraceparent(const std::string& trace_id) {
  auto span = NewSpanId();
  return FormatTraceParent(trace_id, span.ok() ? *span : std::string(16, '1'));
}

std::optional<int64_t> ParseIsoDate(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  if (!IsDigits(t.substr(0, 4)) || !IsDigits(t.substr(5, 2)) || !IsDigits(t.substr(8, 2))) {
    return std::nullopt;
  }
  int64_t year = std::stoi(std::string(t.substr(0, 4)));
  unsigned month = static_cast<unsigned>(std::stoi(std::string(t.substr(5, 2))));
  unsigned day = static_cast<unsigned>(std::stoi(std::string(t.substr(8, 2))));
  if (year < 1970 || !IsValidCivilDate(year, month, day)) return std::nullopt;
  return DaysFromCivil(year, month, day);
}

std::string IsoTimestamp(int64_t unix_seconds) {
  int64_t days = unix_seconds / 86400, rest = unix_seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  CivilDate d = CivilFromDays(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(d.year), d.month, d.day,
                static_cast<long long>(rest / 3600), static_cast<long long>(rest / 60 % 60),
                static_cast<long long>(rest % 60));
  return buf;
}

bool IsId(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<Stay> ParseStay(const std::string& check_in, const std::string& check_out) {
  auto in = ParseIsoDate(check_in);
  if (!in) return InvalidArgument("check_in must be a date YYYY-MM-DD");
  auto out = ParseIsoDate(check_out);
  if (!out) return InvalidArgument("check_out must be a date YYYY-MM-DD");
  if (*out <= *in) return InvalidArgument("check_out must be after check_in");
  if (*out - *in > kMaxNights) {
    return InvalidArgument("a stay is at most " + std::to_string(kMaxNights) + " nights");
  }
  return Stay{check_in, check_out, *out - *in};
}

Result<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  auto fields = http::ParseForm(query);
  if (!fields.ok()) return InvalidArgument("the query does not decode");
  std::map<std::string, std::string> out;
  for (auto& [name, value] : *fields) {
    if (!out.emplace(name, value).second) {
      return InvalidArgument("query parameter " + name + " given twice");
    }
  }
  return out;
}

Result<Json> ParseJsonObjectBody(const http::Request& request) {
  std::string media = http::MediaType(request.headers);
  if (!media.empty() && media != "application/json") {
    return InvalidArgument("the body must be application/json");
  }
  JsonLimits limits;
  limits.max_depth = 4;
  limits.max_bytes = 16 * 1024;
  auto body = ParseJsonStrict(request.body, limits);
  if (!body.ok()) return InvalidArgument("the body is not valid JSON");
  if (!body->is_object()) return InvalidArgument("the body must be a JSON object");
  return body;
}

http::Response ErrorResponse(int status, std::string_view code, std::string_view description) {
  Json body = {{"error", code}};
  if (!description.empty()) body["error_description"] = description;
  return http::Response::Json(status, body);
}

http::Response BadRequest(const Status& status) {
  return ErrorResponse(400, "invalid_request", status.message());
}

http::Response NotFoundResponse() { return ErrorResponse(404, "not_found", ""); }

}  // namespace zta::hotel
