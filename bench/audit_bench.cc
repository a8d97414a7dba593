// Audit log speed: durable appends with group commit against one commit per event, and
// `zta audit verify` speed against raw SHA-256 over the same bytes. Prints
// "SUMMARY audit_append_per_s <N>", "SUMMARY audit_verify_per_s <N>" and friends for bench.sh.
//
// audit_append_per_s: 8 writer threads, each keeping up to kAsyncWindow appends in flight with
// AppendAsync (as `zta idp serve` does: an I/O thread answers a request only from its event's
// commit callback). An append counts once its callback reported it durable. The blocking
// Append figures (8 and 64 threads, one event in flight each) are printed beside it: with one
// event per writer per fsync they are bounded by writers / fsync latency.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "zta/audit/durable_sink.h"
#include "zta/audit/event_format.h"
#include "zta/audit/verify.h"
#include "zta/core/clock.h"
#include "zta/store/sqlite.h"

namespace {

using zta::AuditDecision;
using zta::AuditEvent;
using zta::audit::DurableAuditSink;

// A temporary folder on the disk the data folder would use (TMPDIR), removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zta-audit-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A typical guard decision (about 450 bytes of canonical JSON).
AuditEvent BenchEvent(uint64_t n) {
  AuditEvent e;
  e.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  e.component = "guard";
  e.action = "request.authorize";
  e.subject = "alice@example.com";
  e.actor_chain = {"guest-assistant"};
  e.client_id = "guest-assistant";
  e.resource = "https://hotel.example/api";
  e.scopes_requested = {"bookings:write"};
  e.scopes_granted = {"bookings:write"};
  e.decision = n % 10 == 0 ? AuditDecision::kDeny : AuditDecision::kAllow;
  e.jti = "Yp3nD8r1kq0_" + std::to_string(n);
  e.attributes["gen_ai.operation.name"] = "execute_tool";
  e.attributes["gen_ai.tool.name"] = "book_room";
  e.attributes["gen_ai.tool.call.id"] = "call_" + std::to_string(n);
  e.attributes["zta.args.sha256"] =
      "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b";
  return e;
}

// What the summary prints, from the last (longest) run of each benchmark.
struct Figures {
  double append_per_s = 0, commits_per_s = 0, events_per_commit = 0;
  double append8_blocking_per_s = 0, append64_per_s = 0;
  double naive_per_s = 0;
  double verify_per_s = 0, sha_per_s = 0;
  bool verify_failed = false;
} g;

// --- durable appends with group commit ------------------------------------------------------

struct AppendRun {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<DurableAuditSink> sink;
  std::atomic<uint64_t> next{0};
  std::chrono::steady_clock::time_point start;
} g_run;

// Thread 0, before the timed loop: a fresh log in a temporary folder. False (the benchmark
// skipped with the reason) when it cannot be opened.
bool StartRun(benchmark::State& state) {
  g_run.dir = std::make_unique<TempDir>();
  zta::audit::DurableAuditSinkOptions options;
  options.data_dir = g_run.dir->path();
  // AUDIT_BENCH_DELAY_US overrides the group commit delay, to tune it for a disk.
  if (const char* delay = std::getenv("AUDIT_BENCH_DELAY_US")) {
    options.group_commit_delay_micros = std::atoll(delay);
  }
  auto sink = DurableAuditSink::Open(options, zta::SystemClock::Instance());
  if (!sink.ok()) {
    state.SkipWithError(sink.status().ToString().c_str());
    return false;
  }
  g_run.sink = std::move(*sink);
  g_run.start = std::chrono::steady_clock::now();
  return true;
}

void BM_DurableAppendGroupCommit(benchmark::State& state) {
  if (state.thread_index() == 0 && !StartRun(state)) return;
  for (auto _ : state) {
    if (!g_run.sink->Append(BenchEvent(g_run.next.fetch_add(1))).ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // The loop ends at a barrier, so every thread's appends are done here.
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - g_run.start).count();
    DurableAuditSink::Stats stats = g_run.sink->stats();
    state.counters["commits_per_s"] =
        benchmark::Counter(static_cast<double>(stats.commits), benchmark::Counter::kIsRate);
    state.counters["events_per_commit"] = static_cast<double>(stats.events) /
                                          static_cast<double>(std::max<uint64_t>(stats.commits, 1));
    if (state.threads() == 8) {
      g.append8_blocking_per_s = static_cast<double>(stats.events) / seconds;
    } else {
      g.append64_per_s = static_cast<double>(stats.events) / seconds;
    }
    (void)g_run.sink->Close();
    g_run.sink.reset();
    g_run.dir.reset();
  }
}
BENCHMARK(BM_DurableAppendGroupCommit)->Threads(8)->Threads(64)->UseRealTime();

// Appends in flight per writer thread in the asynchronous benchmark.
constexpr int kAsyncWindow = 256;

// Counts one writer's appends in flight; the callback (on the sink's writer thread) returns
// a slot.
class Window {
 public:
  void Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < kAsyncWindow; });
    ++in_flight_;
  }
  void Release(bool ok) {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    if (!ok) failed_ = true;
    cv_.notify_all();
  }
  bool Drain() {  // waits for every append in flight; false if one failed
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
    return !failed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  bool failed_ = false;
};

void BM_DurableAppendAsync(benchmark::State& state) {
  if (state.thread_index() == 0 && !StartRun(state)) return;
  Window window;
  for (auto _ : state) {
    window.Acquire();
    g_run.sink->AppendAsync(BenchEvent(g_run.next.fetch_add(1)),
                            [&window](zta::Status s) { window.Release(s.ok()); });
  }
  // An append counts only once durable: wait for this thread's tail before the barrier.
  if (!window.Drain()) state.SkipWithError("append failed");
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // Other threads may still wait for their tails: Close commits everything queued (and
    // runs every callback) before it returns, so the clock stops after the last durable event.
    // Its final checkpoint adds one commit.
    (void)g_run.sink->Close();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - g_run.start).count();
    DurableAuditSink::Stats stats = g_run.sink->stats();
    state.counters["commits_per_s"] =
        benchmark::Counter(static_cast<double>(stats.commits), benchmark::Counter::kIsRate);
    state.counters["events_per_commit"] = static_cast<double>(stats.events) /
                                          static_cast<double>(std::max<uint64_t>(stats.commits, 1));
    g.append_per_s = static_cast<double>(stats.events) / seconds;
    g.commits_per_s = static_cast<double>(stats.commits) / seconds;
    g.events_per_commit = static_cast<double>(stats.events) / std::max<uint64_t>(stats.commits, 1);
    g_run.sink.reset();
    g_run.dir.reset();
  }
}
BENCHMARK(BM_DurableAppendAsync)->Threads(8)->UseRealTime();

// Baseline: the naive durable log, one SQLite transaction (one fsync) per event.
void BM_BaselineCommitPerEvent(benchmark::State& state) {
  TempDir dir;
  auto db = zta::store::Database::Open(dir.path() + "/naive.db");
  if (!db.ok() || !(*db)->Exec("CREATE TABLE events(seq INTEGER PRIMARY KEY, event TEXT)").ok()) {
    state.SkipWithError("cannot create the baseline database");
    return;
  }
  auto insert = (*db)->Prepare("INSERT INTO events(event) VALUES (?1)");
  uint64_t n = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    std::string text = zta::audit::CanonicalText(zta::audit::RenderEvent(BenchEvent(n)), n + 1);
    ++n;
    (void)insert->BindText(1, text);
    if (!insert->Run().ok()) {
      state.SkipWithError("insert failed");
      break;
    }
    insert->Reset();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.SetItemsProcessed(state.iterations());
  g.naive_per_s = static_cast<double>(n) / seconds;
}
BENCHMARK(BM_BaselineCommitPerEvent)->UseRealTime();

// --- verification ---------------------------------------------------------------------------

constexpr uint64_t kVerifyEvents = 200'000;

// A log of kVerifyEvents events in the sink's exact format, with a signed checkpoint at the
// head. Rows are bulk-inserted in one transaction (building it with durable appends would take
// minutes on this disk); the sink then signs the head, so verify sees a real log.
struct VerifyFixture {
  TempDir dir;
  std::vector<std::string> texts;
  bool ok = false;

  VerifyFixture() {
    zta::audit::DurableAuditSinkOptions options;
    options.data_dir = dir.path();
    options.checkpoint_on_close = false;
    { auto sink = DurableAuditSink::Open(options, zta::SystemClock::Instance()); }
    auto db = zta::store::Database::Open(dir.path() + "/" + zta::audit::kLogFileName);
    if (!db.ok()) return;
    zta::store::Transaction tx(**db);
    auto insert = (*db)->Prepare(
        "INSERT INTO events(seq, id, time_micros, event, hash) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!tx.status().ok() || !insert.ok()) return;
    zta::audit::ChainHasher hasher;
    std::string prev = zta::audit::GenesisHash();
    int64_t t = zta::SystemClock::Instance().NowMicros();
    for (uint64_t seq = 1; seq <= kVerifyEvents; ++seq) {
      AuditEvent e = BenchEvent(seq);
      e.id = "bench-" + std::to_string(seq);
      e.time_micros = t + static_cast<int64_t>(seq);
      std::string text = zta::audit::CanonicalText(zta::audit::RenderEvent(e), seq);
      prev = hasher.Hash(prev, text);
      (void)insert->BindInt64(1, static_cast<int64_t>(seq));
      (void)insert->BindText(2, e.id);
      (void)insert->BindInt64(3, e.time_micros);
      (void)insert->BindText(4, text);
      (void)insert->BindBlob(5, prev);
      if (!insert->Run().ok()) return;
      insert->Reset();
      texts.push_back(std::move(text));
    }
    if (!tx.Commit().ok()) return;
    db->reset();
    options.checkpoint_on_close = true;
    auto sink = DurableAuditSink::Open(options, zta::SystemClock::Instance());
    ok = sink.ok() && (*sink)->Checkpoint().ok();
  }
};

VerifyFixture& Fixture() {
  static VerifyFixture fixture;
  return fixture;
}

void BM_VerifyLog(benchmark::State& state) {
  if (!Fixture().ok) {
    state.SkipWithError("cannot build the log to verify");
    g.verify_failed = true;
    return;
  }
  uint64_t events = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto report = zta::audit::VerifyLog({.data_dir = Fixture().dir.path()});
    if (!report.ok() || !report->ok || report->events != kVerifyEvents ||
        report->checkpoints != 1) {
      g.verify_failed = true;
      state.SkipWithError("the benchmark log did not verify");
      return;
    }
    events += report->events;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.SetItemsProcessed(static_cast<int64_t>(events));
  g.verify_per_s = static_cast<double>(events) / seconds;
}
BENCHMARK(BM_VerifyLog)->Unit(benchmark::kMillisecond)->UseRealTime();

// Baseline: the SHA-256 chain alone over the same bytes in memory (raw OpenSSL, no SQLite).
void BM_BaselineSha256Chain(benchmark::State& state) {
  const std::vector<std::string>& texts = Fixture().texts;
  zta::audit::ChainHasher hasher;
  unsigned char hash[zta::audit::kHashBytes] = {0};
  uint64_t events = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    for (const std::string& text : texts) {
      hasher.Hash(std::string_view(reinterpret_cast<char*>(hash), sizeof hash), text, hash);
    }
    events += texts.size();
    benchmark::DoNotOptimize(hash);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.SetItemsProcessed(static_cast<int64_t>(events));
  g.sha_per_s = static_cast<double>(events) / seconds;
}
BENCHMARK(BM_BaselineSha256Chain)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g.verify_failed) {
    std::fprintf(stderr, "audit_bench: verification failed; figures are not valid\n");
    return 1;
  }
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  // Only figures measured in this run (a --benchmark_filter may skip some), as "<name> <value>"
  // with nothing after the value, so scripts can read them.
  if (g.append_per_s > 0) {
    std::printf("SUMMARY audit_append_per_s %.0f\n", g.append_per_s);   // 8 async writers, durable
    std::printf("SUMMARY audit_fsyncs_per_s %.0f\n", g.commits_per_s);  // commits/s, same run
    std::printf("SUMMARY audit_events_per_fsync %.1f\n", g.events_per_commit);
  }
  if (g.append8_blocking_per_s > 0) {
    std::printf("SUMMARY audit_append_8_blocking_writers_per_s %.0f\n", g.append8_blocking_per_s);
  }
  if (g.append64_per_s > 0) {
    std::printf("SUMMARY audit_append_64_writers_per_s %.0f\n", g.append64_per_s);
  }
  if (g.naive_per_s > 0) {
    std::printf("SUMMARY audit_append_commit_per_event_per_s %.0f\n", g.naive_per_s);
    if (g.append_per_s > 0) {
      std::printf("SUMMARY audit_append_ratio %.1f\n", ratio(g.append_per_s, g.naive_per_s));
    }
  }
  if (g.verify_per_s > 0) std::printf("SUMMARY audit_verify_per_s %.0f\n", g.verify_per_s);
  if (g.sha_per_s > 0) {
    std::printf("SUMMARY audit_sha256_chain_per_s %.0f\n", g.sha_per_s);
    if (g.verify_per_s > 0) {
      std::printf("SUMMARY audit_verify_ratio %.2f\n", ratio(g.verify_per_s, g.sha_per_s));
    }
  }
  return 0;
}
