// Tests for the durable sink: chaining, group commit under concurrency, checkpoints, key files.
#include "zta/audit/durable_sink.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "test_util.h"
#include "zta/audit/reader.h"
#include "zta/audit/verify.h"
#include "zta/store/sqlite.h"

namespace zta::audit {
namespace {

using testing::SampleEvent;
using testing::TempDir;

DurableAuditSinkOptions OptionsFor(const TempDir& dir) {
  DurableAuditSinkOptions o;
  o.data_dir = dir.path();
  return o;
}

int64_t CountRows(const std::string& dir, const char* table) {
  auto db = store::Database::Open(dir + "/audit.db");
  if (!db.ok()) return -1;
  auto q = (*db)->Prepare(std::string("SELECT count(*) FROM ") + table);
  if (!q.ok() || !*q->Step()) return -1;
  return q->ColumnInt64(0);
}

// Appended events are chained, get an id and a time when they lack one, and the chain goes on
// across a reopen; the result verifies.
TEST(AuditDurableSink, AppendsChainAndResumeAfterReopen) {
  TempDir dir;
  FakeClock clock;
  {
    auto sink = DurableAuditSink::Open(OptionsFor(dir), clock);
    ASSERT_TRUE(sink.ok()) << sink.status();
    AuditEvent anonymous = SampleEvent(1);
    anonymous.id.clear();
    ASSERT_TRUE((*sink)->Append(anonymous).ok());
    ASSERT_TRUE((*sink)->Append(SampleEvent(2)).ok());
    EXPECT_EQ((*sink)->stats().events, 2u);
  }
  {
    auto sink = DurableAuditSink::Open(OptionsFor(dir), clock);
    ASSERT_TRUE(sink.ok()) << sink.status();
    ASSERT_TRUE((*sink)->Append(SampleEvent(3)).ok());
    EXPECT_EQ((*sink)->stats().events, 3u);
    ASSERT_TRUE((*sink)->Close().ok());
    EXPECT_EQ((*sink)->Append(SampleEvent(4)).code(), StatusCode::kFailedPrecondition);
  }
  auto report = VerifyLog({.data_dir = dir.path()});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->detail;
  EXPECT_EQ(report->events, 3u);

  auto reader = AuditLogReader::Open(dir.path());
  ASSERT_TRUE(reader.ok());
  auto events = (*reader)->Query({});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_FALSE((*events)[0].event.id.empty());
  EXPECT_EQ((*events)[0].event.time_micros, clock.NowMicros());
  EXPECT_EQ((*events)[1].event.id, "evt-2");
}

// An id already in the log is refused with kAlreadyExists; the chain is not disturbed.
TEST(AuditDurableSink, DuplicateIdIsRefused) {
  TempDir dir;
  FakeClock clock;
  auto sink = DurableAuditSink::Open(OptionsFor(dir), clock);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Append(SampleEvent(1)).ok());
  EXPECT_EQ((*sink)->Append(SampleEvent(1)).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE((*sink)->Append(SampleEvent(2)).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  auto report = VerifyLog({.data_dir = dir.path()});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->detail;
  EXPECT_EQ(report->events, 2u);
}

// 8 threads × 10,000 events: none lost, none duplicated, the chain is valid, and group commit
// shared transactions between writers.
TEST(AuditDurableSink, EightWritersLoseAndDuplicateNothing) {
  TempDir dir(/*fast=*/true);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10'000;
  DurableAuditSinkOptions options = OptionsFor(dir);
  options.checkpoint_every_events = 5'000;
  auto sink = DurableAuditSink::Open(options, SystemClock::Instance());
  ASSERT_TRUE(sink.ok()) << sink.status();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AuditEvent e = SampleEvent(i);
        e.id = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!(*sink)->Append(std::move(e)).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  DurableAuditSink::Stats stats = (*sink)->stats();
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(stats.events, uint64_t{kThreads * kPerThread});
  EXPECT_LT(stats.commits, stats.events) << "no batch ever held two events";

  auto reader = AuditLogReader::Open(dir.path());
  ASSERT_TRUE(reader.ok());
  std::set<std::string> ids;
  uint64_t expected_seq = 1;
  bool in_order = true;
  ASSERT_TRUE((*reader)
                  ->Scan({},
                         [&](const StoredEvent& e) {
                           ids.insert(e.event.id);
                           in_order = in_order && e.seq == expected_seq++;
                           return true;
                         })
                  .ok());
  EXPECT_TRUE(in_order);
  EXPECT_EQ(ids.size(), size_t{kThreads * kPerThread});
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_TRUE(ids.count("t" + std::to_string(t) + "-0"));
    EXPECT_TRUE(ids.count("t" + std::to_string(t) + "-" + std::to_string(kPerThread - 1)));
  }
  auto report = VerifyLog({.data_dir = dir.path()});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->detail;
  EXPECT_EQ(report->events, uint64_t{kThreads * kPerThread});
  EXPECT_GE(report->checkpoints, 16u);
}

// AppendAsync: 4 threads keep thousands of events in flight; every callback reports success
// exactly once, each event is in the log by the time its callback runs, a tiny queue limit
// applies backpressure instead of failing, per-thread order is kept, and after Close the
// callback reports kFailedPrecondition.
TEST(AuditDurableSink, AsyncAppendsAreDurableWhenTheirCallbackRuns) {
  TempDir dir(/*fast=*/true);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5'000;
  DurableAuditSinkOptions options = OptionsFor(dir);
  options.max_queued_events = 64;  // far fewer than in flight: callers must wait, not fail
  auto sink = DurableAuditSink::Open(options, SystemClock::Instance());
  ASSERT_TRUE(sink.ok()) << sink.status();
  std::atomic<int> ok{0}, failed{0}, not_yet_in_log{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AuditEvent e = SampleEvent(i);
        e.id = "a" + std::to_string(t) + "-" + std::to_string(i);
        (*sink)->AppendAsync(std::move(e), [&](Status s) {
          if (!s.ok()) {
            failed.fetch_add(1);
            return;
          }
          // The writer counts an event only once its commit returned.
          if ((*sink)->stats().events == 0) not_yet_in_log.fetch_add(1);
          ok.fetch_add(1);
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE((*sink)->Close().ok());  // drains the queue first
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(not_yet_in_log.load(), 0);
  DurableAuditSink::Stats stats = (*sink)->stats();
  EXPECT_EQ(stats.events, uint64_t{kThreads * kPerThread});
  EXPECT_LT(stats.commits * 4, stats.events) << "async appends should share commits";

  Status after_close;
  bool called = false;
  (*sink)->AppendAsync(SampleEvent(1), [&](Status s) {
    after_close = s;
    called = true;
  });
  EXPECT_TRUE(called);
  EXPECT_EQ(after_close.code(), StatusCode::kFailedPrecondition);

  auto reader = AuditLogReader::Open(dir.path());
  ASSERT_TRUE(reader.ok());
  std::vector<int> last(kThreads, -1);
  bool ordered = true;
  ASSERT_TRUE((*reader)
                  ->Scan({},
                         [&](const StoredEvent& e) {
                           int t = e.event.id[1] - '0';
                           int i = std::stoi(e.event.id.substr(3));
                           ordered = ordered && i == last[t] + 1;
                           last[t] = i;
                           return true;
                         })
                  .ok());
  EXPECT_TRUE(ordered) << "events of one thread must be chained in call order";
  auto report = VerifyLog({.data_dir = dir.path()});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->detail;
  EXPECT_EQ(report->events, uint64_t{kThreads * kPerThread});
}

// The WAL stays bounded under steady appends: checkpoints run on their own thread and, once the
// WAL passes 8 MiB, the writer restarts it, so it is reused instead of growing with the log.
TEST(AuditDurableSink, WalStaysBoundedUnderSteadyAppends) {
  TempDir dir(/*fast=*/true);
  auto sink = DurableAuditSink::Open(OptionsFor(dir), SystemClock::Instance());
  ASSERT_TRUE(sink.ok()) << sink.status();
  std::atomic<int> failed{0};
  int64_t largest_wal = 0;
  constexpr int kEvents = 60'000;  // ~35 MiB of pages written through the WAL
  for (int i = 0; i < kEvents; ++i) {
    AuditEvent e = SampleEvent(i);
    e.id = "w-" + std::to_string(i);
    e.attributes["zta.padding"] = std::string(300, 'p');
    (*sink)->AppendAsync(std::move(e), [&](Status s) {
      if (!s.ok()) failed.fetch_add(1);
    });
    if (i % 1000 == 999) {
      struct stat st {};
      if (::stat(dir.File("audit.db-wal").c_str(), &st) == 0) {
        largest_wal = std::max<int64_t>(largest_wal, st.st_size);
      }
    }
  }
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ((*sink)->stats().events, uint64_t{kEvents});
  EXPECT_GT(largest_wal, 0);
  // 8 MiB plus what can be committed between two size checks (64 commits).
  EXPECT_LT(largest_wal, int64_t{24} << 20) << "the WAL grew with the log";
  auto report = VerifyLog({.data_dir = dir.path()});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->detail;
  EXPECT_EQ(report->events, uint64_t{kEvents});
}

// Checkpoints come every N events, after T seconds (by the injected clock) and at close.
TEST(AuditDurableSink, CheckpointsByCountTimeAndClose) {
  TempDir dir;
  FakeClock clock;
  DurableAuditSinkOptions options = OptionsFor(dir);
  options.checkpoint_every_events = 10;
  options.checkpoint_every_seconds = 60;
  auto sink = DurableAuditSink::Open(options, clock);
  ASSERT_TRUE(sink.ok());
  for (int i = 1; i <= 25; ++i) ASSERT_TRUE((*sink)->Append(SampleEvent(i)).ok());
  EXPECT_EQ((*sink)->stats().checkpoints, 2u);  // at 10 and 20
  clock.AdvanceSeconds(61);
  ASSERT_TRUE((*sink)->Append(SampleEvent(26)).ok());
  EXPECT_EQ((*sink)->stats().checkpoints, 3u);  // time: at 26
  ASSERT_TRUE((*sink)->Append(SampleEvent(27)).ok());
  ASSERT_TRUE((*sink)->Checkpoint().ok());  // explicit: at 27
  ASSERT_TRUE((*sink)->Checkpoint().ok());  // nothing new: no checkpoint
  EXPECT_EQ((*sink)->stats().checkpoints, 4u);
  ASSERT_TRUE((*sink)->Append(SampleEvent(28)).ok());
  ASSERT_TRUE((*sink)->Close().ok());  // at 28
  EXPECT_EQ(CountRows(dir.path(), "checkpoints"), 5);

  auto report = VerifyLog({.data_dir = dir.path()});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->detail;
  EXPECT_EQ(report->checkpoints, 5u);
  EXPECT_EQ(report->last_checkpoint_count, 28u);
  EXPECT_EQ(*report->last_checkpoint_micros, clock.NowMicros());
}

// The signing key is created with mode 0600 and its public half is published beside it; a
// given key (the idp's) is used instead and added to the public set.
TEST(AuditDurableSink, SigningKeyFiles) {
  TempDir dir;
  FakeClock clock;
  {
    auto sink = DurableAuditSink::Open(OptionsFor(dir), clock);
    ASSERT_TRUE(sink.ok());
  }
  struct stat st;
  ASSERT_EQ(::stat(dir.File(kSigningKeyFileName).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.File(kLogFileName).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto published = jose::Jwks::ParseText(testing::ReadAll(dir.File(kPublicKeyFileName)));
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(published->size(), 1u);

  auto idp_key = jose::Jwk::Generate(jose::Algorithm::kEdDSA, "idp-key-1");
  ASSERT_TRUE(idp_key.ok());
  DurableAuditSinkOptions options = OptionsFor(dir);
  options.signing_key = *idp_key;
  {
    auto sink = DurableAuditSink::Open(options, clock);
    ASSERT_TRUE(sink.ok()) << sink.status();
    ASSERT_TRUE((*sink)->Append(SampleEvent(1)).ok());
  }
  auto report = VerifyLog({.data_dir = dir.path()});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->detail;
  EXPECT_EQ(report->checkpoints, 1u);

  // A symmetric key is refused: anyone able to check an HMAC checkpoint could forge one.
  auto hmac = jose::Jwk::FromSecret(Secret(std::string(32, 'k')), jose::Algorithm::kHS256);
  ASSERT_TRUE(hmac.ok());
  options.signing_key = *hmac;
  EXPECT_EQ(DurableAuditSink::Open(options, clock).status().code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace zta::audit
