// Tests for reading the log: filtered queries, the trace of one booking, and export.
#include "zta/audit/reader.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "zta/audit/durable_sink.h"
#include "zta/audit/event_format.h"

namespace zta::audit {
namespace {

using testing::TempDir;

class AuditReaderTest : public ::testing::Test {
 protected:
  // One booking's story (trace t1 at the idp, trace t2 for the call, token jti-1, booking
  // B-7) amid unrelated traffic.
  void SetUp() override {
    DurableAuditSinkOptions options;
    options.data_dir = dir_.path();
    auto sink = DurableAuditSink::Open(options, clock_);
    ASSERT_TRUE(sink.ok()) << sink.status();
    auto add = [&](AuditEvent e) {
      clock_.AdvanceSeconds(1);
      ASSERT_TRUE((*sink)->Append(std::move(e)).ok());
    };
    add(Event("e1", "idp", "consent.grant", "t1", "", AuditDecision::kAllow));
    add(Event("e2", "guard", "request.authorize", "t9", "jti-9", AuditDecision::kAllow));
    add(Event("e3", "idp", "token.issue", "t1", "jti-1", AuditDecision::kAllow));
    AuditEvent call = Event("e4", "tool", "tool.call", "t2", "jti-1", AuditDecision::kAllow);
    call.attributes["gen_ai.tool.name"] = "book_room";
    call.attributes["gen_ai.tool.call.id"] = "call_1";
    call.attributes[kResourceIdAttribute] = "B-7";
    add(call);
    AuditEvent api = Event("e5", "guard", "request.authorize", "t2", "jti-1", AuditDecision::kDeny);
    api.reason = "insufficient_scope";
    add(api);
    AuditEvent other =
        Event("e6", "guard", "request.authorize", "t8", "jti-8", AuditDecision::kDeny);
    other.subject = "bob";
    other.actor_chain = {"staff-assistant"};
    add(other);
    ASSERT_TRUE((*sink)->Close().ok());
    auto reader = AuditLogReader::Open(dir_.path());
    ASSERT_TRUE(reader.ok()) << reader.status();
    reader_ = std::move(*reader);
  }

  static AuditEvent Event(std::string id, std::string component, std::string action,
                          std::string trace, std::string jti, AuditDecision decision) {
    AuditEvent e;
    e.id = std::move(id);
    e.component = std::move(component);
    e.action = std::move(action);
    e.trace_id = std::move(trace);
    e.jti = std::move(jti);
    e.decision = decision;
    e.subject = "alice";
    e.actor_chain = {"guest-assistant"};
    e.client_id = "guest-assistant";
    e.resource = "https://hotel.example/api";
    return e;
  }

  std::vector<std::string> Select(const EventFilter& filter) {
    auto events = reader_->Query(filter);
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<std::string> ids;
    if (events.ok()) {
      for (const StoredEvent& e : *events) ids.push_back(e.event.id);
    }
    return ids;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<AuditLogReader> reader_;
};

using IdList = std::vector<std::string>;

// Each filter selects exactly the events it names; filters combine with AND.
TEST_F(AuditReaderTest, QueryFilters) {
  EXPECT_EQ(Select({}).size(), 6u);
  EXPECT_EQ(Select({.subject = "bob"}), IdList{"e6"});
  EXPECT_EQ(Select({.actor = "staff-assistant"}), IdList{"e6"});
  EXPECT_EQ(Select({.action = "token.issue"}), IdList{"e3"});
  EXPECT_EQ(Select({.action = "request.*"}), (IdList{"e2", "e5", "e6"}));
  EXPECT_EQ(Select({.decision = AuditDecision::kDeny}), (IdList{"e5", "e6"}));
  EXPECT_EQ(Select({.subject = "alice", .decision = AuditDecision::kDeny}), IdList{"e5"});
  int64_t start = 1'700'000'000'000'000;  // FakeClock's default; events at +1 s … +6 s
  EXPECT_EQ(Select({.since_micros = start + 2'000'000, .until_micros = start + 4'000'000}),
            (IdList{"e2", "e3"}));
  EXPECT_EQ(Select({.jti = "jti-1"}), (IdList{"e3", "e4", "e5"}));
}

// Tracing by token id or by booking id tells the same story, in time order: the consent, the
// token, the tool call and the API decision — and nothing unrelated.
TEST_F(AuditReaderTest, TraceOneBooking) {
  for (auto [jti, resource_id] : {std::pair{"jti-1", ""}, std::pair{"", "B-7"}}) {
    auto story = reader_->Trace(jti, resource_id);
    ASSERT_TRUE(story.ok()) << story.status();
    IdList ids;
    for (const StoredEvent& e : *story) ids.push_back(e.event.id);
    EXPECT_EQ(ids, (IdList{"e1", "e3", "e4", "e5"})) << jti << resource_id;
  }
  EXPECT_FALSE(reader_->Trace("", "").ok());
  EXPECT_FALSE(reader_->Trace("a", "b").ok());
}

// An export line holds the canonical event plus its chain hash; dropping the hash gives back
// the exact hashed bytes, so a SIEM can re-check the chain from the export alone.
TEST_F(AuditReaderTest, ExportLinesRecheckTheChain) {
  auto events = reader_->Query({});
  ASSERT_TRUE(events.ok());
  ChainHasher hasher;
  std::string prev = GenesisHash();
  for (const StoredEvent& e : *events) {
    auto line = ParseJsonStrict(ExportLine(e), JsonLimits{.max_depth = 64});
    ASSERT_TRUE(line.ok());
    std::string chain_hash = (*line)["chain_hash"];
    line->erase("chain_hash");
    std::string text = line->dump();
    EXPECT_EQ(text, e.canonical);
    prev = hasher.Hash(prev, text);
    EXPECT_EQ(HexEncode(prev), chain_hash);
  }
  EXPECT_NE(FormatEventLine((*events)[3].event).find("gen_ai.tool.name=book_room"),
            std::string::npos);
}

}  // namespace
}  // namespace zta::audit
