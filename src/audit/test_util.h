// Helpers shared by the audit tests: temporary data folders and sample events.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "zta/core/audit_sink.h"

namespace zta::audit::testing {

// A temporary folder removed at the end of the test. `fast` puts it on /dev/shm when there is
// one: fsync there is free, for tests about concurrency rather than the disk (this machine's
// disk takes ~5 ms per fsync).
class TempDir {
 public:
  explicit TempDir(bool fast = false) {
    std::string base = std::filesystem::temp_directory_path().string();
    struct stat st;
    if (fast && ::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) base = "/dev/shm";
    std::string pattern = base + "/zta-audit-test-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// What a run of the built `zta` printed and how it exited (ZTA_BINARY_DIR, set by CMake).
struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

inline CliRun Zta(const std::string& args) {
  std::string command = std::string(ZTA_BINARY_DIR) + "/zta " + args + " 2>&1";
  CliRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) run.out.append(buf.data(), n);
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A guard decision as the hotel API would record it.
inline AuditEvent SampleEvent(int n) {
  AuditEvent e;
  e.id = "evt-" + std::to_string(n);
  e.trace_id = "trace-" + std::to_string(n / 4);
  e.component = "guard";
  e.action = "request.authorize";
  e.subject = n % 2 == 0 ? "alice" : "bob";
  e.actor_chain = {"guest-assistant"};
  e.client_id = "guest-assistant";
  e.resource = "https://hotel.example/api";
  e.scopes_requested = {"bookings:write"};
  e.scopes_granted = {"bookings:write"};
  e.decision = n % 5 == 0 ? AuditDecision::kDeny : AuditDecision::kAllow;
  if (e.decision == AuditDecision::kDeny) e.reason = "insufficient_scope";
  e.jti = "jti-" + std::to_string(n / 4);
  e.attributes["gen_ai.operation.name"] = "execute_tool";
  e.attributes["gen_ai.tool.name"] = "book_room";
  return e;
}

}  // namespace zta::audit::testing
