// The hotel API's scopes and its RFC 9396 authorization_details types, as the idp registers
// them (`zta idp resource add --scopes ... --details-type ...`).
#include "hotel/hotel_api.h"
#include "hotel/hotel_service.h"

namespace zta::hotel {

std::vector<std::string> AllScopes() {
  return {kScopeReadHotels,        kScopeReadRooms,           kScopeCreateBookings,
          kScopeReadBookings,      kScopeCancelBookings,      kScopeAdminReadBookings,
          kScopeAdminUpdateBookings, kScopeAdminReadStaff};
}

// Schemas in the subset the idp checks (docs/delegation.md: type, properties, required, enum,
// const, minimum/maximum, minLength/maxLength, additionalProperties). Closed objects: every
// member the consent page shows is one the API compares (guard::CheckWithinDetail refuses a
// request member the entry does not bound, and an entry member it does not know is refused here).
std::vector<DetailsTypeDeclaration> DetailsTypes() {
  Json id = {{"type", "string"}, {"minLength", 1}, {"maxLength", 64}};
  Json date = {{"type", "string"}, {"minLength", 10}, {"maxLength", 10}};
  Json booking = {
      {"type", "object"},
      {"properties",
       {{"type", {{"type", "string"}, {"const", kBookingDetailsType}}},
        {"hotel_id", id},
        {"room_id", id},
        {"check_in", date},
        {"check_out", date},
        {"max_total", {{"type", "number"}, {"minimum", 0}}},
        {"currency", {{"type", "string"}, {"enum", {"USD"}}}}}},
      {"required", {"hotel_id", "room_id", "check_in", "check_out", "max_total", "currency"}},
      {"additionalProperties", false}};
  Json cancellation = {
      {"type", "object"},
      {"properties",
       {{"type", {{"type", "string"}, {"const", kCancellationDetailsType}}}, {"booking_id", id}}},
      {"required", {"booking_id"}},
      {"additionalProperties", false}};
  return {
      {kBookingDetailsType, booking,
       "book room {room_id} at hotel {hotel_id} from {check_in} to {check_out} for at most "
       "{max_total} {currency}"},
      {kCancellationDetailsType, cancellation, "cancel booking {booking_id}"},
  };
}

}  // namespace zta::hotel
