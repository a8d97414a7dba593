// Small HTTP protocol rules every client of another party needs alike: HTTP-dates, Retry-After,
// which statuses are worth retrying, and HOST:PORT addresses. No I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zta/core/clock.h"
#include "zta/core/status.h"

namespace zta::http {

// Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 §5.6.7) into Unix seconds.
// The obsolete RFC 850 and asctime forms are not accepted (senders MUST NOT generate them), nor
// is a date that does not exist (31 Apr). The day name is not checked against the date.
std::optional<int64_t> ParseHttpDate(std::string_view text);

// Unix seconds as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the form a sender generates
// (RFC 9110 §5.6.7): English names whatever the locale, no process time zone. The inverse of
// ParseHttpDate.
std::string FormatHttpDate(int64_t unix_seconds);

// How long a Retry-After field value (RFC 9110 §10.2.3) asks the client to wait: delay-seconds
// (1*DIGIT, at most 9 digits) or an HTTP-date minus `clock`'s now. A date in the past is 0 ms.
// nullopt when the value is neither (the caller then uses its own backoff).
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         const Clock& clock);

// Whether an answer with this status may succeed when the same request is sent again later:
// 408 Request Timeout, 429 Too Many Requests (RFC 6585 §4) and every 5xx. The one rule every
// retrying client here uses (AuthProvider, the model client); 4xx otherwise means the request
// itself is wrong.
constexpr bool IsRetryableStatus(int status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

// An address to listen on or connect to.
struct HostPort {
  std::string host;  // without brackets: "127.0.0.1", "::1", "localhost"
  int port = 0;      // 0..65535; 0 asks the system for a free port when listening
};

// Parses "HOST:PORT", or "[V6]:PORT" for an IPv6 literal (RFC 3986 §3.2.2: an IPv6 address in
// an authority is bracketed; unbracketed, "::1:80" would be ambiguous and is refused). The port
// is 1 to 5 decimal digits, at most 65535. Fails with kInvalidArgument.
Result<HostPort> ParseHostPort(std::string_view text);

}  // namespace zta::http
