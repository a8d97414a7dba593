// The audit trail on PostgreSQL: one chain per node beside the others, verified chain by chain,
// read merged by time; a shared chain id never forks; tampering is caught as on SQLite.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include "test_util.h"
#include "zta/audit/durable_sink.h"
#include "zta/audit/reader.h"
#include "zta/audit/verify.h"
#include "zta/store/pg_testing.h"

namespace zta::audit {
namespace {

using testing::SampleEvent;
using testing::TempDir;

class PgAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    url_ = store::FreshPostgresDatabase(&why);
    if (url_.empty()) GTEST_SKIP() << why;
  }

  DurableAuditSinkOptions Options(const TempDir& dir, const std::string& chain) const {
    DurableAuditSinkOptions o;
    o.data_dir = dir.path();
    o.store_url = url_;
    o.chain_id = chain;
    return o;
  }

  // Runs `sql` as the database owner (the tests' role), e.g. to play the attacker.
  void Exec(const std::string& sql) {
    auto db = store::ConnectPostgres({.url = url_});
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
  }

  Status TryExec(const std::string& sql) {
    auto db = store::ConnectPostgres({.url = url_});
    if (!db.ok()) return db.status();
    return (*db)->Exec(sql);
  }

  std::string url_;
};

AuditEvent EventOf(const std::string& node, int n, int64_t time_micros) {
  AuditEvent e = SampleEvent(n);
  e.id = node + "-" + std::to_string(n);
  e.time_micros = time_micros;
  return e;
}

// Two nodes append concurrently, each to its own chain; both verify, with every event, and a
// reader sees them all merged by time.
TEST_F(PgAuditTest, TwoNodesAppendToTheirOwnChainsAndBothVerify) {
  TempDir dir_a, dir_b;
  FakeClock clock;
  constexpr int kPerNode = 200;
  {
    auto a = DurableAuditSink::Open(Options(dir_a, "node-a"), clock);
    auto b = DurableAuditSink::Open(Options(dir_b, "node-b"), clock);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    std::atomic<int> failures{0};
    auto run = [&](DurableAuditSink& sink, const std::string& node, int parity) {
      for (int i = 0; i < kPerNode; ++i) {
        // Interleaved times, so the merge by time alternates between the chains.
        if (!sink.Append(EventOf(node, i, 1'000'000 + 2 * i + parity)).ok()) ++failures;
      }
    };
    std::thread ta(run, std::ref(**a), "node-a", 0);
    std::thread tb(run, std::ref(**b), "node-b", 1);
    ta.join();
    tb.join();
    EXPECT_EQ(failures.load(), 0);
  }  // closed: each signs a final checkpoint

  auto reports = VerifyStore({.store_url = url_});
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 2u);
  for (const ChainVerifyReport& chain : *reports) {
    EXPECT_TRUE(chain.report.ok) << chain.chain_id << ": " << chain.report.detail;
    EXPECT_EQ(chain.report.events, static_cast<uint64_t>(kPerNode)) << chain.chain_id;
    EXPECT_EQ(chain.report.last_checkpoint_count, static_cast<uint64_t>(kPerNode));
  }
  EXPECT_EQ((*reports)[0].chain_id, "node-a");
  EXPECT_EQ((*reports)[1].chain_id, "node-b");

  auto reader = AuditLogReader::OpenStore(url_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto all = (*reader)->Query(EventFilter{});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u * kPerNode);
  for (size_t i = 1; i < all->size(); ++i) {
    EXPECT_LT((*all)[i - 1].event.time_micros, (*all)[i].event.time_micros) << i;
  }
  EXPECT_EQ((*all)[0].chain, "node-a");
  EXPECT_EQ((*all)[1].chain, "node-b");
  EXPECT_NE(ExportLine((*all)[1]).find("\"chain_id\":\"node-b\""), std::string::npos);
  // Filters and time ranges apply across chains.
  auto bob = (*reader)->Query({.subject = "bob", .since_micros = 1'000'100});
  ASSERT_TRUE(bob.ok());
  for (const StoredEvent& e : *bob) {
    EXPECT_EQ(e.event.subject, "bob");
    EXPECT_GE(e.event.time_micros, 1'000'100);
  }
  EXPECT_FALSE(bob->empty());
}

// Two processes with one chain id (a CLI command beside its node's server) take turns: one
// chain, no fork, nothing lost, every event once.
TEST_F(PgAuditTest, TwoWritersOfOneChainNeverForkIt) {
  TempDir dir_a, dir_b;
  FakeClock clock;
  constexpr int kPerWriter = 150;
  {
    auto a = DurableAuditSink::Open(Options(dir_a, "host-1"), clock);
    auto b = DurableAuditSink::Open(Options(dir_b, "host-1"), clock);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    std::atomic<int> failures{0};
    auto run = [&](DurableAuditSink& sink, const std::string& who) {
      for (int i = 0; i < kPerWriter; ++i) {
        Status s = sink.Append(EventOf(who, i, 2'000'000 + i));
        if (!s.ok()) {
          ADD_FAILURE() << s;
          ++failures;
        }
      }
    };
    std::thread ta(run, std::ref(**a), "writer-a");
    std::thread tb(run, std::ref(**b), "writer-b");
    ta.join();
    tb.join();
    EXPECT_EQ(failures.load(), 0);
  }
  auto reports = VerifyStore({.store_url = url_});
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_TRUE((*reports)[0].report.ok) << (*reports)[0].report.detail;
  EXPECT_EQ((*reports)[0].report.events, 2u * kPerWriter);
  auto reader = AuditLogReader::OpenStore(url_);
  ASSERT_TRUE(reader.ok());
  auto all = (*reader)->Query(EventFilter{});
  ASSERT_TRUE(all.ok());
  std::set<std::string> ids;
  for (const StoredEvent& e : *all) ids.insert(e.event.id);
  EXPECT_EQ(ids.size(), 2u * kPerWriter);
}

// An id already in the log (from any node) is refused alone; the chain goes on.
TEST_F(PgAuditTest, ADuplicateIdIsRefusedAcrossNodesAndTheRestIsKept) {
  TempDir dir_a, dir_b;
  FakeClock clock;
  auto a = DurableAuditSink::Open(Options(dir_a, "node-a"), clock);
  auto b = DurableAuditSink::Open(Options(dir_b, "node-b"), clock);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Append(EventOf("x", 1, 10)).ok());
  EXPECT_EQ((*b)->Append(EventOf("x", 1, 11)).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE((*b)->Append(EventOf("x", 2, 12)).ok());
  ASSERT_TRUE((*a)->Close().ok());
  ASSERT_TRUE((*b)->Close().ok());
  auto reports = VerifyStore({.store_url = url_});
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_TRUE((*reports)[0].report.ok && (*reports)[1].report.ok);
  EXPECT_EQ((*reports)[0].report.events + (*reports)[1].report.events, 2u);
}

// A duplicate inside one group commit (asynchronous appends batch together) is refused alone;
// the rest of the batch is chained without a gap.
TEST_F(PgAuditTest, ADuplicateInsideABatchIsRefusedAloneAndTheChainHasNoGap) {
  TempDir dir;
  FakeClock clock;
  constexpr int kEvents = 40;
  std::atomic<int> done{0}, duplicates{0}, other{0};
  {
    auto a = DurableAuditSink::Open(Options(dir, "node-a"), clock);
    ASSERT_TRUE(a.ok());
    for (int i = 0; i < kEvents; ++i) {
      AuditEvent e = EventOf("node-a", i == 25 ? 3 : i, 100 + i);  // #25 reuses #3's id
      (*a)->AppendAsync(e, [&](Status s) {
        if (s.code() == StatusCode::kAlreadyExists)
          ++duplicates;
        else if (!s.ok())
          ++other;
        ++done;
      });
    }
    ASSERT_TRUE((*a)->Close().ok());
  }
  EXPECT_EQ(done.load(), kEvents);
  EXPECT_EQ(duplicates.load(), 1);
  EXPECT_EQ(other.load(), 0);
  auto reports = VerifyStore({.store_url = url_});
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_TRUE((*reports)[0].report.ok) << (*reports)[0].report.detail;
  EXPECT_EQ((*reports)[0].report.events, static_cast<uint64_t>(kEvents - 1));
}

// The tables refuse edits; an attacker who gets past that (disabling the trigger) is caught by
// verification, which names the chain and the event.
TEST_F(PgAuditTest, TamperingWithAChainIsCaught) {
  TempDir dir_a, dir_b;
  FakeClock clock;
  {
    auto a = DurableAuditSink::Open(Options(dir_a, "node-a"), clock);
    auto b = DurableAuditSink::Open(Options(dir_b, "node-b"), clock);
    ASSERT_TRUE(a.ok() && b.ok());
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE((*a)->Append(EventOf("node-a", i, 100 + i)).ok());
      ASSERT_TRUE((*b)->Append(EventOf("node-b", i, 100 + i)).ok());
    }
  }
  Status refused = TryExec("UPDATE audit_events SET event = replace(event, 'alice', 'mallory')");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("append-only"), std::string::npos) << refused;
  EXPECT_FALSE(TryExec("DELETE FROM audit_checkpoints").ok());

  Exec("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
  Exec(
      "UPDATE audit_events SET event = replace(event, 'alice', 'mallory')"
      " WHERE chain_id = 'node-b' AND seq = 3");
  auto reports = VerifyStore({.store_url = url_});
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_TRUE((*reports)[0].report.ok);
  EXPECT_FALSE((*reports)[1].report.ok);
  EXPECT_EQ((*reports)[1].report.error, ChainError::kEdited);
  EXPECT_EQ((*reports)[1].report.bad_event, "node-b-2");

  Exec("DELETE FROM audit_events WHERE chain_id = 'node-a' AND seq = 5");
  reports = VerifyStore({.store_url = url_});
  ASSERT_TRUE(reports.ok());
  EXPECT_FALSE((*reports)[0].report.ok);
  EXPECT_EQ((*reports)[0].report.error, ChainError::kDeleted);

  // Truncating a chain's tail below its signed checkpoint is caught too.
  Exec("DELETE FROM audit_events WHERE chain_id = 'node-a' AND seq > 5");
  reports = VerifyStore({.store_url = url_});
  ASSERT_TRUE(reports.ok());
  EXPECT_FALSE((*reports)[0].report.ok);
}

// Checkpoints verify against the keys the nodes published, and fail against another key.
TEST_F(PgAuditTest, CheckpointsVerifyOnlyWithTheNodesKeys) {
  TempDir dir;
  FakeClock clock;
  {
    auto a = DurableAuditSink::Open(Options(dir, "node-a"), clock);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE((*a)->Append(EventOf("node-a", 1, 5)).ok());
  }
  auto good = VerifyStore({.store_url = url_});
  ASSERT_TRUE(good.ok());
  ASSERT_EQ(good->size(), 1u);
  EXPECT_TRUE((*good)[0].report.ok);
  EXPECT_EQ((*good)[0].report.checkpoints, 1u);

  auto other = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(other.ok());
  auto other_set = jose::Jwks::ParseKeyOrSet(DumpJson(other->ToPublicJson()));
  ASSERT_TRUE(other_set.ok());
  auto bad = VerifyStore({.store_url = url_, .public_keys = *other_set});
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE((*bad)[0].report.ok);
  EXPECT_EQ((*bad)[0].report.error, ChainError::kBadCheckpointSignature);
}

// `zta audit verify|query --store`: a line per chain and a total, exit 1 naming the chain of a
// broken one, exit 2 for a usage error; the query shows each event's chain.
TEST_F(PgAuditTest, TheCliVerifiesAndQueriesEveryChain) {
  if (!std::filesystem::exists(std::string(ZTA_BINARY_DIR) + "/zta")) {
    GTEST_SKIP() << "zta binary not built";
  }
  TempDir dir_a, dir_b;
  FakeClock clock;
  {
    auto a = DurableAuditSink::Open(Options(dir_a, "node-a"), clock);
    auto b = DurableAuditSink::Open(Options(dir_b, "node-b"), clock);
    ASSERT_TRUE(a.ok() && b.ok());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*a)->Append(EventOf("node-a", i, 100 + 2 * i)).ok());
      ASSERT_TRUE((*b)->Append(EventOf("node-b", i, 101 + 2 * i)).ok());
    }
  }
  const std::string store = "'" + url_ + "'";
  testing::CliRun ok = testing::Zta("audit verify --store " + store);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("ok: chain node-a: 3 events, chain intact"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("ok: chain node-b: 3 events, chain intact"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("ok: 2 chains, 6 events\n"), std::string::npos) << ok.out;
  EXPECT_EQ(ok.out.find(url_), std::string::npos) << "the URL is never printed";

  testing::CliRun query = testing::Zta("audit query --json --store " + store);
  EXPECT_EQ(query.exit_code, 0) << query.out;
  EXPECT_EQ(std::count(query.out.begin(), query.out.end(), '\n'), 6) << query.out;
  EXPECT_LT(query.out.find("\"chain_id\":\"node-a\""), query.out.find("\"chain_id\":\"node-b\""));

  EXPECT_EQ(testing::Zta("audit verify").exit_code, 2);
  EXPECT_EQ(testing::Zta("audit verify --data " + dir_a.path() + " --store " + store).exit_code, 2);
  EXPECT_EQ(testing::Zta("audit verify --store mysql://db/x").exit_code, 2);
  EXPECT_EQ(testing::Zta("audit trace --store mysql://db/x abc").exit_code, 2);

  Exec("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
  Exec(
      "UPDATE audit_events SET event = replace(event, 'bob', 'eve') WHERE chain_id = 'node-b'"
      " AND seq = 2");
  testing::CliRun broken = testing::Zta("audit verify --store " + store);
  EXPECT_EQ(broken.exit_code, 1) << broken.out;
  EXPECT_NE(broken.out.find("broken: chain node-b: event node-b-1 edited"), std::string::npos)
      << broken.out;
}

TEST_F(PgAuditTest, ANodeIdIsRequiredAndAnEmptyDatabaseHasNoLog) {
  TempDir dir;
  FakeClock clock;
  EXPECT_EQ(DurableAuditSink::Open(Options(dir, ""), clock).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyStore({.store_url = url_}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AuditLogReader::OpenStore(url_).status().code(), StatusCode::kNotFound);
}

// An unreachable database fails the append (the action is then not acknowledged), never
// silently drops the event.
TEST_F(PgAuditTest, AnUnreachableDatabaseIsRefusedClearly) {
  TempDir dir;
  FakeClock clock;
  DurableAuditSinkOptions o = Options(dir, "node-a");
  o.store_url = "postgresql:///nosuchdb?host=/nonexistent-socket-dir&connect_timeout=1";
  auto sink = DurableAuditSink::Open(o, clock);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().code(), StatusCode::kUnavailable) << sink.status();
  EXPECT_EQ(sink.status().message().find("postgresql://"), std::string::npos) << sink.status();
}

}  // namespace
}  // namespace zta::audit
