// Tests for the AuditSink contract's in-memory implementation.
#include "zta/core/audit_sink.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace zta {
namespace {

// Events keep their fields, get ids and times, and serialize with the decision name.
TEST(InMemoryAuditSink, RecordsEvents) {
  InMemoryAuditSink sink;
  AuditEvent e;
  e.component = "guard";
  e.action = "request.authorize";
  e.decision = AuditDecision::kDeny;
  e.reason = "insufficient_scope";
  e.jti = "abc";
  e.actor_chain = {"agent-b", "agent-a"};
  ASSERT_TRUE(sink.Append(e).ok());
  auto events = sink.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].id.empty());
  EXPECT_GT(events[0].time_micros, 0);
  auto j = events[0].ToJson();
  EXPECT_EQ(j["decision"], "deny");
  EXPECT_EQ(j["actor_chain"][0], "agent-b");
  EXPECT_EQ(j["reason"], "insufficient_scope");
}

// Concurrent appends are all kept, each with a distinct id.
TEST(InMemoryAuditSink, ConcurrentAppendsKeepEveryEvent) {
  InMemoryAuditSink sink;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) ASSERT_TRUE(sink.Append(AuditEvent{}).ok());
    });
  }
  for (auto& th : threads) th.join();
  auto events = sink.Events();
  ASSERT_EQ(events.size(), 2000u);
  std::set<std::string> ids;
  for (const auto& e : events) ids.insert(e.id);
  EXPECT_EQ(ids.size(), 2000u);
}

}  // namespace
}  // namespace zta
