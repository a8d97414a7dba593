// The hotel API's routes and their handlers, behind HotelService (hotel_service.h). Internal to
// zta::hotel: catalog.cc (hotels, rooms, reviews), bookings.cc, admin.cc, routes.cc (dispatch),
// hotel_events.cc (the hotel's own audit events).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "hotel/hotel_service.h"
#include "hotel/hotel_store.h"
#include "hotel/request_util.h"
#include "zta/guard/delegation.h"
#include "zta/guard/validator.h"
#include "zta/http/message.h"

namespace zta::hotel {

// Scope names (AllScopes lists them).
inline constexpr char kScopeReadHotels[] = "read_hotels";
inline constexpr char kScopeReadRooms[] = "read_rooms";
inline constexpr char kScopeCreateBookings[] = "create_bookings";
inline constexpr char kScopeReadBookings[] = "read_bookings";
inline constexpr char kScopeCancelBookings[] = "cancel_bookings";
inline constexpr char kScopeAdminReadBookings[] = "admin_read_bookings";
inline constexpr char kScopeAdminUpdateBookings[] = "admin_update_bookings";
inline constexpr char kScopeAdminReadStaff[] = "admin_read_staff";

// Reasons of the hotel's own refusals (booking.refused), beside the guard's.
inline constexpr char kReasonSoldOut[] = "sold_out";
inline constexpr char kReasonIdempotencyConflict[] = "idempotency_key_reused";
// A second booking under one consent (zta_grant): one approval, one booking.
inline constexpr char kReasonGrantUsed[] = "grant_already_used";
inline constexpr char kReasonAgentTokenRequired[] = "agent_token_required";
inline constexpr char kReasonNotOwner[] = "not_owner";  // answered 404: existence does not leak

// The hotel's audit actions (docs/audit-events.md; `zta audit who --booking` reads them).
inline constexpr char kActionCreate[] = "booking.create";
inline constexpr char kActionCancel[] = "booking.cancel";
inline constexpr char kActionAssignStaff[] = "booking.assign_staff";
inline constexpr char kActionRefused[] = "booking.refused";
inline constexpr char kActionNotify[] = "booking.notify";

// Where a booking's notification goes (notifier.h); null when none is configured.
class StaffNotifier;

// One request being handled.
struct Call {
  const http::Request& request;
  std::string trace_id;             // W3C trace id (traceparent, else new)
  std::vector<std::string> params;  // the path's {id} segments, in order
};

// Thread-safe: handlers only read shared state; the store and the audit sink are thread-safe.
class HotelApi {
 public:
  HotelApi(const HotelServiceOptions& options, HotelStore& store, AuditSink& audit,
           guard::Validator& validator, StaffNotifier* notifier, const Clock& clock);

  http::Response Handle(const http::Request& request);

  // The route handlers (public so the route table can name them).
  http::Response SearchHotels(const Call& call);
  http::Response GetHotel(const Call& call);
  http::Response ListRooms(const Call& call);
  http::Response ListReviews(const Call& call);
  http::Response CreateBooking(const Call& call);
  http::Response ListBookings(const Call& call);
  http::Response GetBooking(const Call& call);
  http::Response CancelBooking(const Call& call);
  http::Response AdminListBookings(const Call& call);
  http::Response AdminGetBooking(const Call& call);
  http::Response AdminAssignStaff(const Call& call);
  http::Response AdminListStaff(const Call& call);

 private:
  // The token check of guard::Validator for `scopes`, audited by it with the trace id.
  Result<guard::Principal> Authorize(const Call& call, std::span<const std::string> scopes);
  http::Response Deny(const Status& status, std::span<const std::string> scopes) const;
  // Audits a refusal after the token check (booking.refused, with the reason) and answers it:
  // 403 through the validator for kPermissionDenied, else `status`/`code`.
  http::Response Refuse(const Call& call, const guard::Principal& principal,
                        const Status& reason, const BookingRecord& facts,
                        std::span<const std::string> scopes, int http_status = 403,
                        std::string_view code = "insufficient_scope");
  // An event of component "hotel" about `booking` (hotel_events.cc).
  AuditEvent Event(const Call& call, const guard::Principal& principal, std::string action,
                   const BookingRecord& booking) const;
  // Admin routes: an agent acting as itself (no act, sub == client_id) with `scope`.
  Result<guard::Principal> AuthorizeAdmin(const Call& call, std::span<const std::string> scopes,
                                          http::Response* refusal);
  // Parts of CreateBooking (bookings.cc).
  // The booking the request asks for, quoted here (400 on bad input).
  Result<BookingRecord> ReadBookingRequest(const Call& call, const guard::Principal& principal,
                                           RoomRecord* room);
  // Whether the token may make that booking (403 reasons of guard/delegation.h).
  Status CheckBookingAuthority(const guard::Principal& principal,
                               const BookingRecord& booking) const;
  http::Response CommitBooking(const Call& call, const guard::Principal& principal,
                               BookingRecord booking, const RoomRecord& room);
  Json RoomJson(const RoomRecord& room, const Stay* stay, int64_t free_units) const;

  const HotelServiceOptions& options_;
  HotelStore& store_;
  AuditSink& audit_;
  guard::Validator& validator_;
  StaffNotifier* notifier_;
  const Clock& clock_;
  const guard::ActorPolicy booking_policy_;
};

// True for a token in which someone acts for a user: RFC 8693 delegation (guard::ActsForUser),
// or the user's own token (no act, sub not the client).
bool IsUserToken(const guard::Principal& principal);
// True for an agent acting as itself: no act chain and sub == client_id (client credentials).
bool IsAgentToken(const guard::Principal& principal);
// The token's zta_grant claim (the idp's grant id), "" when absent.
std::string GrantIdOf(const guard::Principal& principal);

}  // namespace zta::hotel
