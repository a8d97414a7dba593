// Tests for the audit event's canonical JSON, the chain hash and RFC 3339 time stamps.
#include "zta/audit/event_format.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include "test_util.h"

namespace zta::audit {
namespace {

using testing::SampleEvent;

// The spliced canonical text is byte for byte what nlohmann dump() gives for the whole object:
// members sorted, no whitespace — the rule docs/audit-events.md tells third parties.
TEST(AuditEventFormat, CanonicalTextIsSortedCompactJson) {
  AuditEvent e = SampleEvent(3);
  e.time_micros = 1'700'000'000'123'456;
  e.attributes["zta.nested"] = Json{{"z", 1}, {"a", Json::array({"x", "ü"})}};
  std::string text = CanonicalText(RenderEvent(e), 42);

  Json whole = e.ToJson();
  whole.erase("time_micros");
  whole["time"] = "2023-11-14T22:13:20.123456Z";
  whole["seq"] = 42;
  EXPECT_EQ(text, whole.dump());
  EXPECT_EQ(text.find(' '), std::string::npos);
  EXPECT_EQ(CanonicalJson(e, 42), whole);
}

// Strings with quotes, control characters, non-ASCII and ill-formed UTF-8 render as nlohmann
// renders the whole object (ill-formed bytes replaced by U+FFFD), attributes that are not an
// object as {}, and empty arrays as [].
TEST(AuditEventFormat, CanonicalTextEscapesLikeNlohmann) {
  AuditEvent e = SampleEvent(4);
  e.reason = "quote\" back\\ tab\t nl\n \x01 caf\xc3\xa9 bad\xff";
  e.subject = std::string("nul\0", 4);
  e.actor_chain = {"a\"b", "\xe2\x82"};
  e.scopes_granted.clear();
  e.attributes = Json::array({1});
  std::string text = CanonicalText(RenderEvent(e), 7);

  Json whole = e.ToJson();
  whole.erase("time_micros");
  whole["time"] = FormatTime(e.time_micros);
  whole["seq"] = 7;
  whole["attributes"] = Json::object();
  EXPECT_EQ(text, whole.dump(-1, ' ', false, Json::error_handler_t::replace));
}

// An event survives the trip to canonical text and back, and foreign members are refused.
TEST(AuditEventFormat, ParseRoundTripAndStrictness) {
  AuditEvent e = SampleEvent(10);
  e.time_micros = 1'700'000'000'000'001;
  e.actor_chain = {"concierge", "guest-assistant"};
  auto parsed = ParseLoggedEvent(CanonicalText(RenderEvent(e), 7));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->seq, 7u);
  EXPECT_EQ(parsed->event.ToJson(), e.ToJson());

  Json extra = CanonicalJson(e, 7);
  extra["token"] = "eyJ...";
  EXPECT_EQ(LoggedEventFromJson(extra).status().code(), StatusCode::kDataLoss);
  Json bad_decision = CanonicalJson(e, 7);
  bad_decision["decision"] = "maybe";
  EXPECT_FALSE(LoggedEventFromJson(bad_decision).ok());
  EXPECT_FALSE(ParseLoggedEvent("{not json").ok());
}

// hash(n) = SHA-256(hash(n-1) ‖ text), starting from 32 zero bytes.
TEST(AuditEventFormat, ChainHashIsSha256OfPreviousAndText) {
  std::string input = GenesisHash() + "{\"a\":1}";
  unsigned char expected[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), expected);
  ChainHasher hasher;
  std::string got = hasher.Hash(GenesisHash(), "{\"a\":1}");
  EXPECT_EQ(got, std::string(reinterpret_cast<char*>(expected), sizeof expected));
  EXPECT_EQ(hasher.Hash(got, "x"), hasher.Hash(got, "x"));
  EXPECT_NE(hasher.Hash(got, "x"), hasher.Hash(got, "y"));
  EXPECT_EQ(HexEncode(std::string("\x01\xab", 2)), "01ab");
  EXPECT_EQ(*HexDecode("01AB"), std::string("\x01\xab", 2));
  EXPECT_FALSE(HexDecode("0g").ok());
}

// Times print as UTC with six fractional digits and parse from the RFC 3339 spellings.
TEST(AuditEventFormat, Rfc3339Times) {
  EXPECT_EQ(FormatTime(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTime(1'700'000'000'123'456), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(FormatTime(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(*ParseTime("2023-11-14T22:13:20.123456Z"), 1'700'000'000'123'456);
  EXPECT_EQ(*ParseTime("2023-11-14T22:13:20Z"), 1'700'000'000'000'000);
  EXPECT_EQ(*ParseTime("2023-11-14T23:13:20.5+01:00"), 1'700'000'000'500'000);
  EXPECT_EQ(*ParseTime("2023-11-14"), 1'699'920'000'000'000);
  EXPECT_EQ(*ParseTime("2024-02-29T00:00:00z"), *ParseTime("2024-02-29"));
  for (const char* bad : {"", "2023-13-01", "2023-11-14T25:00:00Z", "2023-11-14T22:13:20",
                          "yesterday", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20Zjunk"}) {
    EXPECT_FALSE(ParseTime(bad).ok()) << bad;
  }
  for (int64_t t : {int64_t{0}, int64_t{1'234'567'890'123'456}, int64_t{4'102'444'800'000'001}}) {
    EXPECT_EQ(*ParseTime(FormatTime(t)), t);
  }
}

}  // namespace
}  // namespace zta::audit
