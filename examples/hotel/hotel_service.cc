// HotelService: the store, the hotel's durable audit log, guard::Validator and the staff
// notifier wired behind one http::HttpServer.
#include "hotel/hotel_service.h"

#include <atomic>

#include "hotel/hotel_api.h"
#include "hotel/hotel_store.h"
#include "hotel/notifier.h"
#include "zta/audit/durable_sink.h"

namespace zta::hotel {
namespace {

// DurableAuditSink takes a mutable Clock; the service is handed a const one, whose methods are
// all const anyway. Forwarding keeps the const promise without a cast.
class ClockRef final : public Clock {
 public:
  explicit ClockRef(const Clock& clock) : clock_(clock) {}
  int64_t NowSeconds() const override { return clock_.NowSeconds(); }
  int64_t NowMicros() const override { return clock_.NowMicros(); }

 private:
  const Clock& clock_;
};

}  // namespace

Status HotelServiceOptions::Validate() const {
  if (data_dir.empty()) return InvalidArgument("the hotel needs a data folder (data_dir)");
  if (issuers.empty()) return InvalidArgument("the hotel needs at least one trusted issuer");
  for (const auto& issuer : issuers) {
    if (issuer.issuer.empty()) return InvalidArgument("a trusted issuer has no issuer URL");
  }
  if (resource.empty()) return InvalidArgument("the hotel needs its resource (token audience)");
  if (booking_chain.empty()) {
    return InvalidArgument("booking_chain must name at least one actor");
  }
  ZTA_RETURN_IF_ERROR(guard::ActorPolicy::Chains({booking_chain}).Validate());
  if (!notify_url.empty()) {
    if (notify_resource.empty()) return InvalidArgument("notify_url needs notify_resource");
    if (!identity) return InvalidArgument("notify_url needs the hotel's own [identity]");
    ZTA_RETURN_IF_ERROR(identity->Validate());
  }
  return Status::Ok();
}

class HotelService::Impl {
 public:
  Impl(HotelServiceOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(clock), clock_ref_(clock) {}

  Status Start() {
    ZTA_RETURN_IF_ERROR(options_.Validate());
    ZTA_ASSIGN_OR_RETURN(store_, HotelStore::Open(options_.data_dir));
    ZTA_RETURN_IF_ERROR(store_->Seed());
    audit::DurableAuditSinkOptions audit_options;
    audit_options.data_dir = options_.data_dir;
    ZTA_ASSIGN_OR_RETURN(audit_, audit::DurableAuditSink::Open(audit_options, clock_ref_));
    ZTA_ASSIGN_OR_RETURN(validator_, guard::Validator::Create(ValidatorOptions(), clock_, *audit_));
    if (!options_.notify_url.empty()) {
      StaffNotifierOptions n{options_.notify_url, options_.notify_resource, options_.resource,
                             *options_.identity};
      ZTA_ASSIGN_OR_RETURN(notifier_, StaffNotifier::Start(std::move(n), clock_, *audit_));
    }
    api_ = std::make_unique<HotelApi>(options_, *store_, *audit_, *validator_, notifier_.get(),
                                      clock_);
    HotelApi* api = api_.get();
    http::ServerOptions server_options = options_.server;
    // Room for a maximum-size token (16 KiB, jose::kMaxTokenBytes) beside the other fields.
    server_options.max_header_bytes = std::max<size_t>(server_options.max_header_bytes, 32 * 1024);
    server_options.server_name = "zta-hotel";
    ZTA_ASSIGN_OR_RETURN(server_, http::HttpServer::Start(server_options, [api](
                                                               const http::Request& r) {
                           return api->Handle(r);
                         }));
    return Status::Ok();
  }

  guard::ValidatorOptions ValidatorOptions() const {
    guard::ValidatorOptions v;
    v.issuers = options_.issuers;
    v.audience = options_.resource;
    v.realm = "hotel";
    v.scopes_supported = AllScopes();
    v.audit_component = "hotel";
    return v;
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    if (server_) server_->Stop();
    if (notifier_) notifier_->Stop();
    if (audit_) (void)audit_->Close();
  }

  HotelServiceOptions options_;
  const Clock& clock_;
  ClockRef clock_ref_;
  std::unique_ptr<HotelStore> store_;
  std::unique_ptr<audit::DurableAuditSink> audit_;
  std::unique_ptr<guard::Validator> validator_;
  std::unique_ptr<StaffNotifier> notifier_;
  std::unique_ptr<HotelApi> api_;
  std::unique_ptr<http::HttpServer> server_;
  std::atomic<bool> stopped_{false};
};

Result<std::unique_ptr<HotelService>> HotelService::Start(HotelServiceOptions options,
                                                          const Clock& clock) {
  auto impl = std::make_unique<Impl>(std::move(options), clock);
  ZTA_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<HotelService>(new HotelService(std::move(impl)));
}

HotelService::HotelService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HotelService::~HotelService() { Stop(); }

std::string HotelService::BaseUrl() const { return impl_->server_->BaseUrl(); }
const std::string& HotelService::resource() const { return impl_->options_.resource; }
AuditSink& HotelService::audit() { return *impl_->audit_; }
void HotelService::Stop() { impl_->Stop(); }

}  // namespace zta::hotel
