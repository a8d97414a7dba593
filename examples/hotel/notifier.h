// Tells the staff (the staff manager agent's endpoint) about each new booking, from a
// background thread, with the hotel's own client-credentials token: a slow or failing staff
// endpoint never delays or fails a booking. Each outcome is audited (booking.notify).
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "zta/auth/auth_provider.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/mutex.h"
#include "zta/core/status.h"

namespace zta::hotel {

struct StaffNotifierOptions {
  std::string url;       // REQUIRED: where to POST
  std::string resource;  // REQUIRED: the audience of the hotel's token for it (RFC 8707)
  std::string hotel_resource;  // the hotel API's own resource, for the audit event
  auth::AuthProviderOptions identity;  // REQUIRED: the hotel's client
};

// Thread-safe. One worker thread; Stop() (or destruction) finishes the queued notifications.
class StaffNotifier {
 public:
  static Result<std::unique_ptr<StaffNotifier>> Start(StaffNotifierOptions options,
                                                      const Clock& clock, AuditSink& audit);
  ~StaffNotifier();

  // Queues one notification; returns at once.
  void Notify(std::string booking_id, std::string hotel_id, std::string trace_id);
  void Stop();

 private:
  struct Job {
    std::string booking_id, hotel_id, trace_id;
  };
  StaffNotifier(StaffNotifierOptions options, std::unique_ptr<auth::AuthProvider> provider,
                AuditSink& audit);
  void Run();
  // Sends one notification; the audit reason on failure.
  Status Send(const Job& job);
  void Audit(const Job& job, const Status& outcome);

  const StaffNotifierOptions options_;
  std::unique_ptr<auth::AuthProvider> provider_;
  AuditSink& audit_;
  Mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_ ZTA_GUARDED_BY(mu_);
  bool stopping_ ZTA_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace zta::hotel
