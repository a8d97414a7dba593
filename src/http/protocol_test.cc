// Tests of the protocol helpers in protocol.h: HTTP-dates, Retry-After, the retry rule and
// HOST:PORT.
#include "zta/http/protocol.h"

#include <gtest/gtest.h>

namespace zta::http {
namespace {

using std::chrono::milliseconds;

// IMF-fixdate vectors: RFC 9110's own example, the epoch, a leap day, the last second of 1999.
TEST(ParseHttpDateTest, ImfFixdateVectors) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_EQ(ParseHttpDate("Tue, 29 Feb 2028 12:00:00 GMT"), 1835438400);
  EXPECT_EQ(ParseHttpDate("Fri, 31 Dec 1999 23:59:59 GMT"), 946684799);
  EXPECT_EQ(ParseHttpDate("Tue, 14 Nov 2023 22:13:20 GMT"), 1700000000);
}

// The obsolete forms, other zones, impossible fields and dates that do not exist are refused.
// The formatter writes the IMF-fixdate the parser reads back, weekday included, on both sides
// of the epoch and across a leap day.
TEST(FormatHttpDateTest, RoundTripsThroughParseHttpDate) {
  EXPECT_EQ(FormatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(1835438400), "Tue, 29 Feb 2028 12:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  for (int64_t t : {int64_t{0}, int64_t{946684799}, int64_t{1700000000}, int64_t{4102444800}}) {
    EXPECT_EQ(ParseHttpDate(FormatHttpDate(t)), t) << t;
  }
}

TEST(ParseHttpDateTest, RefusesEverythingElse) {
  EXPECT_FALSE(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"));  // RFC 850
  EXPECT_FALSE(ParseHttpDate("Sun Nov  6 08:49:37 1994"));        // asctime
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 UTC"));
  EXPECT_FALSE(ParseHttpDate("Sun, 06 nov 1994 08:49:37 GMT"));  // case-sensitive
  EXPECT_FALSE(ParseHttpDate("Xyz, 06 Nov 1994 08:49:37 GMT"));
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 24:00:00 GMT"));
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 08:60:00 GMT"));
  EXPECT_FALSE(ParseHttpDate("Sun, 00 Nov 1994 08:49:37 GMT"));
  EXPECT_FALSE(ParseHttpDate("Sat, 31 Apr 2023 08:49:37 GMT"));
  EXPECT_FALSE(ParseHttpDate("Mon, 29 Feb 2100 00:00:00 GMT"));  // 2100 is no leap year
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 08:49:3x GMT"));
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT "));
  EXPECT_FALSE(ParseHttpDate(""));
}

// delay-seconds is a number of seconds; digits only, at most nine of them.
TEST(ParseRetryAfterTest, DelaySeconds) {
  FakeClock clock(1'700'000'000);
  EXPECT_EQ(ParseRetryAfter("0", clock), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("2", clock), milliseconds(2000));
  EXPECT_EQ(ParseRetryAfter("120", clock), milliseconds(120'000));
  EXPECT_FALSE(ParseRetryAfter("-1", clock));
  EXPECT_FALSE(ParseRetryAfter("1.5", clock));
  EXPECT_FALSE(ParseRetryAfter("1234567890", clock));
}

// An HTTP-date is the wait until then by the injected clock; a date in the past is no wait.
TEST(ParseRetryAfterTest, HttpDate) {
  FakeClock clock(1'700'000'000);  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:27 GMT", clock), milliseconds(7000));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", clock), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:20 GMT", clock), milliseconds(0));
  clock.AdvanceMicros(250'000);
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:21 GMT", clock), milliseconds(750));
}

// Anything else is no answer: the caller keeps its own backoff.
TEST(ParseRetryAfterTest, GarbageIsNone) {
  FakeClock clock;
  EXPECT_FALSE(ParseRetryAfter("", clock));
  EXPECT_FALSE(ParseRetryAfter("soon", clock));
  EXPECT_FALSE(ParseRetryAfter(" 5", clock));
  EXPECT_FALSE(ParseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", clock));
}

// 408, 429 and every 5xx are worth retrying; other statuses are not.
TEST(IsRetryableStatusTest, Statuses) {
  for (int status : {408, 429, 500, 502, 503, 504, 599}) EXPECT_TRUE(IsRetryableStatus(status));
  for (int status : {200, 204, 301, 400, 401, 403, 404, 409, 422, 600}) {
    EXPECT_FALSE(IsRetryableStatus(status)) << status;
  }
}

// HOST:PORT, a bracketed IPv6 literal, port 0 and port 65535.
TEST(ParseHostPortTest, Accepts) {
  auto a = ParseHostPort("127.0.0.1:8080");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto b = ParseHostPort("[::1]:0");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  auto c = ParseHostPort("localhost:65535");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host, "localhost");
  EXPECT_EQ(c->port, 65535);
  auto d = ParseHostPort("[2001:db8::7]:443");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->host, "2001:db8::7");
}

// Missing or bad ports, empty hosts, unbracketed or unclosed IPv6 are kInvalidArgument.
TEST(ParseHostPortTest, Refuses) {
  for (const char* text : {"", "127.0.0.1", "127.0.0.1:", ":8080", "host:65536", "host:-1",
                           "host:+80", "host:80x", "host:0x50", "host:123456", "host: 80",
                           "::1:8080", "[::1]", "[::1]8080", "[::1:8080", "[]:80"}) {
    auto r = ParseHostPort(text);
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace zta::http
