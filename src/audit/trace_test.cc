// SelectStory and MergeInTimeOrder over several logs (one per component).
#include "zta/audit/trace.h"

#include <gtest/gtest.h>

#include "zta/audit/reader.h"

namespace zta::audit {
namespace {

AuditEvent Event(std::string id, int64_t time, std::string trace, std::string jti = "",
                 std::string resource_id = "") {
  AuditEvent e;
  e.id = std::move(id);
  e.time_micros = time;
  e.trace_id = std::move(trace);
  e.jti = std::move(jti);
  if (!resource_id.empty()) e.attributes[kResourceIdAttribute] = resource_id;
  return e;
}

std::vector<std::string> Ids(const std::vector<std::vector<AuditEvent>>& logs,
                             const std::vector<EventRef>& refs) {
  std::vector<std::string> out;
  for (const EventRef& r : refs) out.push_back(logs[r.log][r.index].id);
  return out;
}

// idp, hotel and agent logs: one booking's request under trace T1, another request under T2.
std::vector<std::vector<AuditEvent>> ThreeLogs() {
  return {
      {Event("idp-1", 10, "t1", "j-user"), Event("idp-2", 20, "t1", "j-exch"),
       Event("idp-3", 25, "t2", "j-other")},
      {Event("hotel-1", 30, "t1", "j-exch", "bk-1"), Event("hotel-2", 50, "t3", "", "bk-1"),
       Event("hotel-3", 60, "t2", "j-other", "bk-2")},
      {Event("agent-1", 20, "t1"), Event("agent-2", 40, "")},
  };
}

// Events of all logs come out by time; equal times keep the order the logs were given in.
TEST(AuditTrace, MergesInTimeOrderTiesByLogOrder) {
  auto logs = ThreeLogs();
  EXPECT_EQ(Ids(logs, MergeInTimeOrder(logs)),
            (std::vector<std::string>{"idp-1", "idp-2", "agent-1", "idp-3", "hotel-1", "agent-2",
                                      "hotel-2", "hotel-3"}));
}

// A trace id selects exactly its events, across logs.
TEST(AuditTrace, SelectsOneTraceId) {
  auto logs = ThreeLogs();
  auto story = SelectStory(logs, {.trace_id = "t1"});
  ASSERT_TRUE(story.ok()) << story.status();
  EXPECT_EQ(Ids(logs, *story), (std::vector<std::string>{"idp-1", "idp-2", "agent-1", "hotel-1"}));
  auto none = SelectStory(logs, {.trace_id = "nothing"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// --booking: the booking's events plus every event sharing their trace ids (t1 and t3).
TEST(AuditTrace, SelectsABookingAndItsTraces) {
  auto logs = ThreeLogs();
  auto story = SelectStory(logs, {.booking_id = "bk-1"});
  ASSERT_TRUE(story.ok()) << story.status();
  EXPECT_EQ(Ids(logs, *story),
            (std::vector<std::string>{"idp-1", "idp-2", "agent-1", "hotel-1", "hotel-2"}));
}

// --jti grows through shared trace ids and token ids, as the one-log trace always did.
TEST(AuditTrace, SelectsByTokenIdTransitively) {
  auto logs = ThreeLogs();
  auto story = SelectStory(logs, {.jti = "j-exch"});
  ASSERT_TRUE(story.ok()) << story.status();
  EXPECT_EQ(Ids(logs, *story), (std::vector<std::string>{"idp-1", "idp-2", "agent-1", "hotel-1"}));
  auto by_resource = SelectStory(logs, {.resource_id = "bk-2"});
  ASSERT_TRUE(by_resource.ok());
  EXPECT_EQ(Ids(logs, *by_resource), (std::vector<std::string>{"idp-3", "hotel-3"}));
}

// Exactly one selector must be given.
TEST(AuditTrace, NeedsExactlyOneSelector) {
  auto logs = ThreeLogs();
  EXPECT_EQ(SelectStory(logs, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SelectStory(logs, {.trace_id = "t1", .jti = "j"}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zta::audit
