// Drives `zta audit ...` (the built CLI) against a real log: the output line and the exit codes
// 0 / 1 / 2 that scripts rely on. Skipped when the zta binary has not been built.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"
#include "zta/audit/durable_sink.h"
#include "zta/store/sqlite.h"

namespace zta::audit {
namespace {

using testing::SampleEvent;
using testing::TempDir;

using testing::CliRun;
using testing::Zta;

class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(std::string(ZTA_BINARY_DIR) + "/zta")) {
      GTEST_SKIP() << "zta binary not built";
    }
    DurableAuditSinkOptions options;
    options.data_dir = dir_.path();
    auto sink = DurableAuditSink::Open(options, clock_);
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 6; ++i) {
      AuditEvent e = SampleEvent(i);
      if (i == 3) e.attributes["zta.resource.id"] = "B-7";
      ASSERT_TRUE((*sink)->Append(e).ok());
    }
    ASSERT_TRUE((*sink)->Close().ok());  // signs the head
  }

  TempDir dir_;
  FakeClock clock_;
};

// verify prints the documented ok line and exits 0; after an edit it names the event, exit 1.
TEST_F(AuditCliTest, VerifyOkThenBroken) {
  CliRun ok = Zta("audit verify --data " + dir_.path());
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(ok.out, "ok: 6 events, chain intact, last checkpoint 2023-11-14T22:13:20.000000Z\n");

  {
    auto db = store::Database::Open(dir_.File("audit.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("DROP TRIGGER events_no_update;"
                           "UPDATE events SET event = replace(event, 'bob', 'eve') WHERE seq = 3")
                    .ok());
  }
  CliRun broken = Zta("audit verify --data " + dir_.path());
  EXPECT_EQ(broken.exit_code, 1) << broken.out;
  EXPECT_EQ(broken.out.rfind("broken: event evt-3 edited:", 0), 0u) << broken.out;
}

// Missing flags, a missing log, a corrupt file and a bad time are usage errors: exit 2, one line.
TEST_F(AuditCliTest, UsageAndCorruptionExitTwo) {
  EXPECT_EQ(Zta("audit verify").exit_code, 2);
  CliRun missing = Zta("audit verify --data " + dir_.File("nope"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("no data folder"), std::string::npos) << missing.out;
  EXPECT_EQ(Zta("audit query --data " + dir_.path() + " --since yesterday").exit_code, 2);
  EXPECT_EQ(Zta("audit trace --data " + dir_.path()).exit_code, 2);

  TempDir junk;
  { std::ofstream(junk.File("audit.db")) << std::string(5000, 'j'); }
  CliRun corrupt = Zta("audit verify --data " + junk.path());
  EXPECT_EQ(corrupt.exit_code, 2);
  EXPECT_NE(corrupt.out.find("not a zta audit log"), std::string::npos) << corrupt.out;
  EXPECT_EQ(std::count(corrupt.out.begin(), corrupt.out.end(), '\n'), 1);
}

// query, trace and export print what they select; an unknown jti exits 1.
TEST_F(AuditCliTest, QueryTraceExport) {
  CliRun deny = Zta("audit query --data " + dir_.path() + " --decision deny");
  EXPECT_EQ(deny.exit_code, 0);
  EXPECT_NE(deny.out.find("id=evt-5"), std::string::npos) << deny.out;
  EXPECT_EQ(std::count(deny.out.begin(), deny.out.end(), '\n'), 1);

  CliRun trace = Zta("audit trace --data " + dir_.path() + " --resource-id B-7");
  EXPECT_EQ(trace.exit_code, 0) << trace.out;
  EXPECT_NE(trace.out.find("id=evt-3"), std::string::npos) << trace.out;
  EXPECT_EQ(Zta("audit trace --data " + dir_.path() + " --jti nope").exit_code, 1);

  CliRun exported = Zta("audit export --data " + dir_.path());
  EXPECT_EQ(exported.exit_code, 0);
  EXPECT_EQ(std::count(exported.out.begin(), exported.out.end(), '\n'), 6);
  EXPECT_NE(exported.out.find("\"chain_hash\":\""), std::string::npos);
}

// Writes `events` to a new log in `dir` (signed head on close).
void WriteLog(const std::string& dir, Clock& clock, const std::vector<AuditEvent>& events) {
  DurableAuditSinkOptions options;
  options.data_dir = dir;
  auto sink = DurableAuditSink::Open(options, clock);
  ASSERT_TRUE(sink.ok()) << sink.status();
  for (const AuditEvent& e : events) ASSERT_TRUE((*sink)->Append(e).ok());
  ASSERT_TRUE((*sink)->Close().ok());
}

AuditEvent At(int64_t second, std::string component, std::string action, std::string trace) {
  AuditEvent e;
  e.time_micros = (1'700'000'000 + second) * 1'000'000;
  e.component = std::move(component);
  e.action = std::move(action);
  e.trace_id = std::move(trace);
  e.subject = "alice";
  return e;
}

// trace and who over two components' logs (the idp's and the hotel API's): the trace merges
// both in time order, --booking adds the booking's trace, who tells the story in one line; an
// unknown booking and a broken log exit 1.
TEST_F(AuditCliTest, TraceAndWhoAcrossLogs) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  TempDir idp, hotel;
  AuditEvent added = At(0, "idp", "registry.agent.add", "");
  added.subject.clear();
  added.client_id = "booking-agent";
  added.attributes = {{"gen_ai.agent.name", "Booking Agent"}, {"zta.agent.owner", "bob@hotel"}};
  AuditEvent exchange = At(10, "idp", "token.issue", trace);
  exchange.client_id = "booking-agent";
  exchange.actor_chain = {"booking-agent", "guest-assistant"};
  exchange.jti = "jti-exch";
  exchange.attributes = {{"zta.exchange", true}, {"zta.grant", "grant-7"}};
  WriteLog(idp.path(), clock_, {added, exchange, At(12, "idp", "token.issue", "other")});
  AuditEvent create = At(11, "hotel", "booking.create", trace);
  create.actor_chain = {"booking-agent", "guest-assistant"};
  create.client_id = "booking-agent";
  create.jti = "jti-exch";
  create.attributes = {{"zta.resource.id", "bk-42"}, {"zta.grant_id", "grant-7"}};
  WriteLog(hotel.path(), clock_, {create});
  const std::string both = " --data " + hotel.path() + " --data " + idp.path();

  CliRun by_trace = Zta("audit trace" + both + " " + trace);
  EXPECT_EQ(by_trace.exit_code, 0) << by_trace.out;
  EXPECT_EQ(std::count(by_trace.out.begin(), by_trace.out.end(), '\n'), 2) << by_trace.out;
  EXPECT_LT(by_trace.out.find("token.issue"), by_trace.out.find("booking.create")) << "by time";
  CliRun by_booking = Zta("audit trace" + both + " --booking bk-42 --json");
  EXPECT_EQ(by_booking.exit_code, 0) << by_booking.out;
  EXPECT_EQ(std::count(by_booking.out.begin(), by_booking.out.end(), '\n'), 2) << by_booking.out;
  EXPECT_NE(by_booking.out.find("\"chain_hash\""), std::string::npos);
  EXPECT_EQ(Zta("audit trace" + both + " --booking bk-0").exit_code, 1);
  EXPECT_EQ(Zta("audit trace" + both + " " + trace + " --jti jti-exch").exit_code, 2);

  CliRun who = Zta("audit who" + both + " --booking bk-42");
  EXPECT_EQ(who.exit_code, 0) << who.out;
  EXPECT_NE(who.out.find("\"Booking Agent\" (client booking-agent, owner bob@hotel)"),
            std::string::npos)
      << who.out;
  EXPECT_NE(who.out.find("No staff assigned yet."), std::string::npos) << who.out;
  EXPECT_EQ(std::count(who.out.begin(), who.out.end(), '\n'), 1) << "one paragraph";
  CliRun who_json = Zta("audit who" + both + " --booking bk-42 --json");
  EXPECT_EQ(who_json.exit_code, 0) << who_json.out;
  EXPECT_NE(who_json.out.find("\"jti\":\"jti-exch\""), std::string::npos) << who_json.out;
  CliRun unknown = Zta("audit who" + both + " --booking bk-0");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out;

  {
    auto db = store::Database::Open(idp.File("audit.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("DROP TRIGGER events_no_update;"
                           "UPDATE events SET event = replace(event, 'bob@hotel', 'eve') "
                           "WHERE seq = 1")
                    .ok());
  }
  CliRun broken = Zta("audit who" + both + " --booking bk-42");
  EXPECT_EQ(broken.exit_code, 1) << broken.out;
  EXPECT_NE(broken.out.find("broken: " + idp.path()), std::string::npos) << broken.out;
  EXPECT_EQ(Zta("audit trace" + both + " " + trace).exit_code, 1);
}

}  // namespace
}  // namespace zta::audit
