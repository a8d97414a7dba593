// The Staff Manager (docs/hotel.md): an agent with its own identity and admin scopes that
// assigns a staff member to each new booking, acting for nobody. The hotel API tells it about a
// booking with POST /notify carrying the hotel API's own client-credentials token, which this
// service's guard verifies (audience kStaffResource, scope notify_bookings, no actor chain, and
// the hotel API's client id); the work then runs on a thread of its own, so the hotel API's
// answer to the guest never waits for it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "hotel/agent_builder.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/mutex.h"
#include "zta/guard/validator.h"
#include "zta/http/server.h"

namespace zta::hotel {

struct StaffManagerOptions {
  http::ServerOptions server;   // loopback, port 0 by default
  std::string issuer;           // REQUIRED: the identity provider
  std::string resource;         // REQUIRED: this endpoint's resource (kStaffResource)
  std::string notify_scope;     // REQUIRED: kNotifyScope
  std::string hotel_client_id;  // REQUIRED: only the hotel API may notify
};

// Thread-safe. Destroying it stops the server, then the worker.
class StaffManager {
 public:
  // Binds and starts verifying notifications; they are queued until Attach gives the agent.
  static Result<std::unique_ptr<StaffManager>> Start(StaffManagerOptions options, Clock& clock,
                                                     AuditSink& audit);
  ~StaffManager();

  std::string BaseUrl() const;
  std::string NotifyUrl() const { return BaseUrl() + "/notify"; }
  // The agent that does the work (built from staff-manager.toml); starts the worker.
  void Attach(std::unique_ptr<BuiltAgent> agent);
  // Blocks until `count` bookings were handled (assigned or failed) or `timeout` passed; returns
  // how many were.
  int64_t WaitForHandled(int64_t count, std::chrono::milliseconds timeout);
  int64_t assigned() const;
  void Stop();

 private:
  struct Job {
    std::string booking_id;
    std::string trace_id;
  };
  StaffManager(StaffManagerOptions options, Clock& clock, AuditSink& audit);
  http::Response Handle(const http::Request& request);
  void Work();
  bool Assign(const Job& job);

  const StaffManagerOptions options_;
  Clock& clock_;
  AuditSink& audit_;
  std::unique_ptr<guard::Validator> validator_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<BuiltAgent> agent_;  // set once by Attach, before the worker starts
  std::thread worker_;

  mutable Mutex mu_;
  std::condition_variable changed_;
  std::deque<Job> jobs_ ZTA_GUARDED_BY(mu_);
  bool stopping_ ZTA_GUARDED_BY(mu_) = false;
  int64_t handled_ ZTA_GUARDED_BY(mu_) = 0;
  int64_t assigned_ ZTA_GUARDED_BY(mu_) = 0;
  size_t next_staff_ ZTA_GUARDED_BY(mu_) = 0;
};

}  // namespace zta::hotel
