// HTTP-dates, Retry-After, and HOST:PORT (see protocol.h).
#include "zta/http/protocol.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "zta/core/civil_time.h"

namespace zta::http {
namespace {

// 1..max_digits decimal digits, nothing else.
std::optional<int64_t> ParseDigits(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

// RFC 9110 §5.6.7: the day and month names of an IMF-fixdate, in English whatever the locale.
constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 characters.
  if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::find(std::begin(kDays), std::end(kDays), text.substr(0, 3)) == std::end(kDays)) {
    return std::nullopt;
  }
  auto month = std::find(std::begin(kMonths), std::end(kMonths), text.substr(8, 3));
  if (month == std::end(kMonths)) return std::nullopt;
  auto day = ParseDigits(text.substr(5, 2), 2), year = ParseDigits(text.substr(12, 4), 4);
  auto hour = ParseDigits(text.substr(17, 2), 2), minute = ParseDigits(text.substr(20, 2), 2);
  auto second = ParseDigits(text.substr(23, 2), 2);
  if (!day || !year || !hour || !minute || !second) return std::nullopt;
  const auto m = static_cast<unsigned>(month - std::begin(kMonths) + 1);
  // RFC 9110 §5.6.7 allows second 60 (a leap second); it counts as the next second's start.
  if (!IsValidCivilDate(*year, m, static_cast<unsigned>(*day)) || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  return DaysFromCivil(*year, m, static_cast<unsigned>(*day)) * 86400 + *hour * 3600 +
         *minute * 60 + *second;
}

std::string FormatHttpDate(int64_t unix_seconds) {
  int64_t days = unix_seconds / 86400;
  int64_t second_of_day = unix_seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  const int64_t weekday = ((days % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday (kDays[3])
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.3s, %02u %.3s %04lld %02d:%02d:%02d GMT",
                kDays[weekday].data(), date.day, kMonths[date.month - 1].data(),
                static_cast<long long>(date.year), static_cast<int>(second_of_day / 3600),
                static_cast<int>(second_of_day / 60 % 60), static_cast<int>(second_of_day % 60));
  return buf;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         const Clock& clock) {
  if (auto seconds = ParseDigits(value, 9)) return std::chrono::milliseconds(*seconds * 1000);
  if (auto at = ParseHttpDate(value)) {
    const int64_t wait_ms = *at * 1000 - clock.NowMicros() / 1000;
    return std::chrono::milliseconds(std::max<int64_t>(wait_ms, 0));
  }
  return std::nullopt;
}

Result<HostPort> ParseHostPort(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("address '" + std::string(text) + "' is not HOST:PORT (" +
                           std::string(why) + ")");
  };
  HostPort out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("no ']' after the IPv6 address");
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad("no ':PORT' after ']'");
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
    if (out.host.empty()) return bad("empty host");
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no ':PORT'");
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    if (out.host.empty()) return bad("empty host");
    if (out.host.find(':') != std::string::npos) return bad("an IPv6 address needs brackets");
  }
  auto n = ParseDigits(port, 5);
  if (!n || *n > 65535) {
    return InvalidArgument("port '" + std::string(port) + "' in '" + std::string(text) +
                           "' is not a port number (0..65535)");
  }
  out.port = static_cast<int>(*n);
  return out;
}

}  // namespace zta::http
