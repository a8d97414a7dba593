// The staff notification worker (notifier.h).
#include "hotel/notifier.h"

#include "hotel/hotel_api.h"
#include "hotel/request_util.h"
#include "zta/http/client.h"

namespace zta::hotel {

Result<std::unique_ptr<StaffNotifier>> StaffNotifier::Start(StaffNotifierOptions options,
                                                            const Clock& clock,
                                                            AuditSink& audit) {
  if (options.url.empty() || options.resource.empty()) {
    return InvalidArgument("staff notification needs notify_url and notify_resource");
  }
  ZTA_ASSIGN_OR_RETURN(auto provider, auth::AuthProvider::Create(options.identity, clock));
  return std::unique_ptr<StaffNotifier>(
      new StaffNotifier(std::move(options), std::move(provider), audit));
}

StaffNotifier::StaffNotifier(StaffNotifierOptions options,
                             std::unique_ptr<auth::AuthProvider> provider, AuditSink& audit)
    : options_(std::move(options)), provider_(std::move(provider)), audit_(audit) {
  worker_ = std::thread([this] { Run(); });
}

StaffNotifier::~StaffNotifier() { Stop(); }

void StaffNotifier::Notify(std::string booking_id, std::string hotel_id, std::string trace_id) {
  {
    MutexLock lock(mu_);
    if (stopping_) return;
    queue_.push_back({std::move(booking_id), std::move(hotel_id), std::move(trace_id)});
  }
  cv_.notify_one();
}

void StaffNotifier::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void StaffNotifier::Run() {
  MutexLock lock(mu_);
  while (true) {
    while (queue_.empty() && !stopping_) lock.Wait(cv_);
    if (queue_.empty()) return;  // stopping, and everything queued was sent
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.Unlock();
    Audit(job, Send(job));
    lock.Lock();
  }
}

Status StaffNotifier::Send(const Job& job) {
  auth::TokenRequest token_request;
  token_request.resource = options_.resource;
  auto token = provider_->GetToken(token_request);
  if (!token.ok()) return token.status();
  http::ClientRequest request;
  request.method = "POST";
  request.url = options_.url;
  request.timeout = std::chrono::milliseconds(5'000);
  request.headers.Set("Authorization", token->AuthorizationHeader());
  request.headers.Set("Content-Type", "application/json");
  // W3C Trace Context: the staff side joins the booking's trace.
  request.headers.Set("traceparent", NewTraceparent(job.trace_id));
  request.body = DumpJson(Json{
      {"booking_id", job.booking_id}, {"hotel_id", job.hotel_id}, {"trace_id", job.trace_id}});
  auto response = http::Send(request);
  if (!response.ok()) return Status(response.status().code(), response.status().message(),
                                    "notify_unreachable");
  if (response->status == 401) provider_->Invalidate(token_request);  // RFC 6750 §3.1
  if (response->status < 200 || response->status > 299) {
    return Status(StatusCode::kUnavailable,
                  "staff endpoint answered " + std::to_string(response->status),
                  "notify_http_" + std::to_string(response->status));
  }
  return Status::Ok();
}

void StaffNotifier::Audit(const Job& job, const Status& outcome) {
  AuditEvent e;
  e.trace_id = job.trace_id;
  e.component = "hotel";
  e.action = kActionNotify;
  e.client_id = options_.identity.client_id;
  e.subject = options_.identity.client_id;
  e.resource = options_.resource;
  e.decision = outcome.ok() ? AuditDecision::kAllow : AuditDecision::kError;
  e.reason = outcome.ok() ? "" : (outcome.reason().empty() ? "notify_failed" : outcome.reason());
  e.attributes["zta.resource.id"] = job.booking_id;
  e.attributes["hotel.hotel_id"] = job.hotel_id;
  (void)audit_.Append(std::move(e));  // nothing to acknowledge: the booking is already answered
}

}  // namespace zta::hotel
