// The hotel API: the resource server of the reference scenario (DESIGN.md). Every route is
// protected by zta::guard; a booking is accepted only from a token in which the configured
// agent chain acts for the guest, within the RFC 9396 authorization_details the guest approved.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zta/auth/auth_provider.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/guard/validator.h"
#include "zta/http/server.h"

namespace zta::hotel {

// The hotel API's resource identifier (RFC 8707), the audience its tokens carry.
inline constexpr char kDefaultResource[] = "https://hotel.zta.example/api";

// The scopes the API defines: read_hotels read_rooms create_bookings read_bookings
// cancel_bookings admin_read_bookings admin_update_bookings admin_read_staff.
std::vector<std::string> AllScopes();

// The RFC 9396 types the API reads, as the idp registers them (schema + consent text):
inline constexpr char kBookingDetailsType[] = "hotel_booking";  // hotel_id, room_id, check_in,
                                                                // check_out, max_total, currency
inline constexpr char kCancellationDetailsType[] = "hotel_cancellation";  // booking_id

// One details type as a resource declares it at the idp (RFC 9396 §5; `zta idp resource add
// --details-type TYPE --details-schema FILE --details-text TEXT`, idp::DetailsTypeSpec).
struct DetailsTypeDeclaration {
  std::string type;
  Json schema;               // JSON Schema of one entry
  std::string consent_text;  // the consent page's template, "{field}" replaced
};
std::vector<DetailsTypeDeclaration> DetailsTypes();

struct HotelServiceOptions {
  // Folder of hotel.db (SQLite) and the hotel's own audit log (audit.db). REQUIRED.
  std::string data_dir;
  // Where to listen. Default: 127.0.0.1, a free port.
  http::ServerOptions server;
  // The audience tokens must carry (RFC 8707). Default: kDefaultResource.
  std::string resource = kDefaultResource;
  // The issuers whose tokens are accepted (the idp). REQUIRED, at least one.
  std::vector<guard::TrustedIssuer> issuers;
  // The only actor chain (RFC 8693 §4.1, current actor first) that may create bookings.
  // Default: booking-agent acting after guest-assistant.
  std::vector<std::string> booking_chain = {"booking-agent", "guest-assistant"};
  // Staff notification after each booking: POST {"booking_id","hotel_id","trace_id"} here.
  // Default: empty, no notification. Needs notify_resource and identity.
  std::string notify_url;
  // The audience of the hotel's own token for notify_url (RFC 8707).
  std::string notify_resource;
  // The hotel API's own client at the idp (client credentials, RFC 6749 §4.4), for the
  // notification. Default: none.
  std::optional<auth::AuthProviderOptions> identity;

  Status Validate() const;
};

// Reads a `zta hotel serve --config FILE` TOML file into `options`; keys absent keep their
// values. Tables: [hotel] listen, resource, booking_chain; [[issuers]] issuer, jwks_uri,
// audience; [staff] notify_url, notify_resource; [identity] the hotel's client (docs/auth.md).
Status LoadHotelConfig(const std::string& path, HotelServiceOptions* options);

// Thread-safe; requests are served on the server's threads. Destroying it stops it.
class HotelService {
 public:
  // Opens (and seeds, the first time) data_dir/hotel.db and the audit log, then listens.
  static Result<std::unique_ptr<HotelService>> Start(HotelServiceOptions options,
                                                     const Clock& clock);
  ~HotelService();

  std::string BaseUrl() const;  // http://127.0.0.1:PORT
  const std::string& resource() const;
  // The hotel's own durable audit log (data_dir/audit.db, as `zta audit --data` reads it).
  AuditSink& audit();
  // Stops serving and the notifier; idempotent.
  void Stop();

  class Impl;

 private:
  explicit HotelService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zta::hotel
