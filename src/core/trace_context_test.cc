// W3C Trace Context §3.2 traceparent parsing, including hostile values.
#include "zta/core/trace_context.h"

#include <gtest/gtest.h>

namespace zta {
namespace {

constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kSpan[] = "00f067aa0ba902b7";
constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// The specification's own example parses into its four fields.
TEST(TraceContext, ParsesTheSpecExample) {
  auto parsed = ParseTraceParent(kValid);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->version, 0);
  EXPECT_EQ(parsed->trace_id, kTrace);
  EXPECT_EQ(parsed->parent_id, kSpan);
  EXPECT_EQ(parsed->flags, 1);
  EXPECT_TRUE(parsed->sampled());
  EXPECT_EQ(FormatTraceParent(*parsed), kValid);
  EXPECT_EQ(TraceIdOf(std::string(kValid)), kTrace);
}

// HTTP optional whitespace around the value is not part of it.
TEST(TraceContext, IgnoresSurroundingWhitespace) {
  EXPECT_TRUE(ParseTraceParent(std::string(" \t") + kValid + " ").has_value());
}

// §3.2.4: a later version is read by its first four fields, followed by the end or a dash.
TEST(TraceContext, LaterVersionReadsTheFirstFourFields) {
  std::string later = std::string("01") + (kValid + 2);
  auto parsed = ParseTraceParent(later + "-what-the-future-holds");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->version, 1);
  EXPECT_EQ(parsed->trace_id, kTrace);
  EXPECT_TRUE(ParseTraceParent(later).has_value());
  EXPECT_FALSE(ParseTraceParent(later + "x")) << "flags not followed by a dash";
}

// Every malformed value is invalid, so the caller treats it as absent.
TEST(TraceContext, RefusesHostileValues) {
  const std::string v = kValid;
  const std::string cases[] = {
      "",
      "00",
      v.substr(0, 54),  // one short
      v + "-",          // version 00 takes no more
      v + "0",
      "ff" + v.substr(2),  // §3.2.2.2: ff forbidden
      "0g" + v.substr(2),
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper-case hex
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // all-zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // all-zero parent id
      "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",  // separator moved
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01,00-4bf92f3577b34da6a3ce929d0e0e4736-"
      "00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7\n01",
      std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\0", 55),
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f0\xc3\xa9"
      "7aa0ba902b-01",  // non-ASCII
      std::string(10000, 'a'),
  };
  for (const std::string& value : cases) {
    EXPECT_FALSE(ParseTraceParent(value).has_value()) << value;
  }
  EXPECT_EQ(TraceIdOf(std::nullopt), "");
  EXPECT_EQ(TraceIdOf(std::string("garbage")), "");
}

// New ids are well-formed, different each time, and round-trip through the header.
TEST(TraceContext, NewIdsAreValidAndFresh) {
  auto trace = NewTraceId();
  auto other = NewTraceId();
  auto span = NewSpanId();
  ASSERT_TRUE(trace.ok() && other.ok() && span.ok());
  EXPECT_TRUE(IsTraceId(*trace));
  EXPECT_TRUE(IsSpanId(*span));
  EXPECT_NE(*trace, *other);
  auto parsed = ParseTraceParent(FormatTraceParent(*trace, *span));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id, *trace);
  EXPECT_EQ(parsed->parent_id, *span);
  EXPECT_FALSE(IsTraceId(*span));
  EXPECT_FALSE(IsSpanId("00f067aa0ba902b"));
}

}  // namespace
}  // namespace zta
