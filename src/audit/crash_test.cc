// Crash test: a child process appends from several threads and reports each event whose Append
// returned; we SIGKILL it mid-stream, then check every acknowledged event is in the log and the
// chain verifies (durable before acknowledged, and no torn chain after a crash).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "test_util.h"
#include "zta/audit/durable_sink.h"
#include "zta/audit/reader.h"
#include "zta/audit/verify.h"

namespace zta::audit {
namespace {

using testing::SampleEvent;
using testing::TempDir;

constexpr int kChildThreads = 4;

// Runs in the forked child: append forever, writing each acknowledged id number to `fd`.
[[noreturn]] void AppendUntilKilled(const std::string& dir, int fd) {
  DurableAuditSinkOptions options;
  options.data_dir = dir;
  options.checkpoint_every_events = 50;
  auto sink = DurableAuditSink::Open(options, SystemClock::Instance());
  if (!sink.ok()) _exit(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t i = static_cast<uint32_t>(t);; i += kChildThreads) {
        AuditEvent e = SampleEvent(static_cast<int>(i));
        e.id = "crash-" + std::to_string(i);
        if (!(*sink)->Append(std::move(e)).ok()) _exit(4);
        // Only now is the event acknowledged. A 4-byte pipe write is atomic (PIPE_BUF).
        if (::write(fd, &i, sizeof i) != sizeof i) _exit(5);
      }
    });
  }
  for (auto& th : threads) th.join();
  _exit(0);
}

// Every event acknowledged before SIGKILL is in the log, and the log verifies and can be
// appended to again.
TEST(AuditCrash, AcknowledgedEventsSurviveSigkill) {
  TempDir dir;  // the real disk: this is the durability path
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    AppendUntilKilled(dir.path(), fds[1]);
  }
  ::close(fds[1]);

  // Let it run for at least 0.3 s and 500 acknowledged events (at most 10 s), then kill it
  // without warning, mid-batch.
  std::set<uint32_t> acknowledged;
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::seconds(10);
  uint32_t id;
  while ((acknowledged.size() < 500 ||
          std::chrono::steady_clock::now() < start + std::chrono::milliseconds(300)) &&
         std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::read(fds[0], &id, sizeof id);
    if (n != sizeof id) break;
    acknowledged.insert(id);
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with " << WEXITSTATUS(wstatus);
  // Acknowledgements written before the kill are still in the pipe.
  while (::read(fds[0], &id, sizeof id) == sizeof id) acknowledged.insert(id);
  ::close(fds[0]);
  ASSERT_GE(acknowledged.size(), 50u);

  auto report = VerifyLog({.data_dir = dir.path()});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->bad_event << ": " << report->detail;
  EXPECT_GE(report->events, acknowledged.size());

  auto reader = AuditLogReader::Open(dir.path());
  ASSERT_TRUE(reader.ok());
  std::set<std::string> logged;
  ASSERT_TRUE((*reader)
                  ->Scan({},
                         [&](const StoredEvent& e) {
                           logged.insert(e.event.id);
                           return true;
                         })
                  .ok());
  size_t lost = 0;
  for (uint32_t a : acknowledged) lost += logged.count("crash-" + std::to_string(a)) == 0;
  EXPECT_EQ(lost, 0u) << "acknowledged events missing after the crash";

  // The log goes on after the crash.
  DurableAuditSinkOptions options;
  options.data_dir = dir.path();
  auto sink = DurableAuditSink::Open(options, SystemClock::Instance());
  ASSERT_TRUE(sink.ok()) << sink.status();
  AuditEvent after = SampleEvent(1);
  after.id = "after-crash";
  ASSERT_TRUE((*sink)->Append(after).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  auto again = VerifyLog({.data_dir = dir.path()});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->ok) << again->detail;
  EXPECT_EQ(again->events, report->events + 1);
}

}  // namespace
}  // namespace zta::audit
