// The guest's booking routes. The guest is the token's `sub`, never a request field; a booking
// needs the configured agent chain acting for the guest (RFC 8693 §4.1) within an RFC 9396
// hotel_booking entry the guest approved, checked against the price quoted here.
#include <set>

#include "hotel/hotel_api.h"
#include "hotel/notifier.h"
#include "hotel/request_util.h"
#include "zta/core/random.h"
#include "zta/core/sha256.h"

namespace zta::hotel {
namespace {

// The only members POST /api/bookings takes: a closed object, so "guest", "price" or "total"
// cannot smuggle in what the token and the server decide.
const std::set<std::string> kBookingMembers = {"hotel_id", "room_id", "check_in", "check_out",
                                               "guests"};

Status CheckClosedObject(const Json& body, const std::set<std::string>& members) {
  for (const auto& [name, value] : body.items()) {
    if (!members.count(name)) {
      return InvalidArgument("unknown member \"" + name.substr(0, 32) + "\"");
    }
  }
  for (const auto& name : members) {
    if (!body.contains(name)) return InvalidArgument("missing member \"" + name + "\"");
  }
  return Status::Ok();
}

Result<std::string> IdMember(const Json& body, const char* name) {
  const Json& v = body.at(name);
  if (!v.is_string() || !IsId(v.get<std::string>())) {
    return InvalidArgument(std::string(name) + " must be an id");
  }
  return v.get<std::string>();
}

Result<std::string> StringMember(const Json& body, const char* name) {
  const Json& v = body.at(name);
  if (!v.is_string()) return InvalidArgument(std::string(name) + " must be a string");
  return v.get<std::string>();
}

Result<std::string> NewBookingId() {
  ZTA_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(6));
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id = "b-";
  for (unsigned char c : bytes) {
    id.push_back(kDigits[c >> 4]);
    id.push_back(kDigits[c & 15]);
  }
  return id;
}

// The Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header): at most one, 1..255
// visible ASCII characters. "" when absent.
Result<std::string> IdempotencyKeyOf(const http::Request& request) {
  auto values = request.headers.GetAll("Idempotency-Key");
  if (values.empty()) return std::string();
  if (values.size() > 1) return InvalidArgument("one Idempotency-Key only");
  std::string key(http::TrimOws(values[0]));
  bool visible = !key.empty() && key.size() <= 255;
  for (char c : key) visible = visible && c > 0x20 && c < 0x7f;
  if (!visible) return InvalidArgument("Idempotency-Key must be 1..255 visible characters");
  return key;
}

}  // namespace

Result<BookingRecord> HotelApi::ReadBookingRequest(const Call& call, const guard::Principal& p,
                                                   RoomRecord* room) {
  ZTA_ASSIGN_OR_RETURN(Json body, ParseJsonObjectBody(call.request));
  ZTA_RETURN_IF_ERROR(CheckClosedObject(body, kBookingMembers));
  BookingRecord b;
  ZTA_ASSIGN_OR_RETURN(b.hotel_id, IdMember(body, "hotel_id"));
  ZTA_ASSIGN_OR_RETURN(b.room_id, IdMember(body, "room_id"));
  ZTA_ASSIGN_OR_RETURN(std::string check_in, StringMember(body, "check_in"));
  ZTA_ASSIGN_OR_RETURN(std::string check_out, StringMember(body, "check_out"));
  ZTA_ASSIGN_OR_RETURN(Stay stay, ParseStay(check_in, check_out));
  const Json& guests = body.at("guests");
  if (!guests.is_number_integer() || guests.get<int64_t>() < 1 || guests.get<int64_t>() > 99) {
    return InvalidArgument("guests must be an integer 1..99");
  }
  ZTA_ASSIGN_OR_RETURN(auto found, store_.FindRoom(b.room_id));
  if (!found || found->hotel_id != b.hotel_id) {
    return InvalidArgument("no room " + b.room_id + " at hotel " + b.hotel_id);
  }
  *room = *found;
  b.guests = guests.get<int64_t>();
  if (b.guests > room->capacity) {
    return InvalidArgument("room " + room->id + " takes at most " +
                           std::to_string(room->capacity) + " guests");
  }
  b.check_in = stay.check_in;
  b.check_out = stay.check_out;
  b.total = stay.nights * room->price_per_night;  // the quote, as GET .../rooms showed it
  b.currency = room->currency;
  b.guest = p.subject;
  b.status = "confirmed";
  b.actor_chain = p.actor_chain;
  b.grant_id = GrantIdOf(p);
  b.jti = p.jti;
  b.trace_id = call.trace_id;
  b.created_at = IsoTimestamp(clock_.NowSeconds());
  b.body_digest = Sha256Hex(DumpJson(body));  // canonical: members in name order
  ZTA_ASSIGN_OR_RETURN(b.idempotency_key, IdempotencyKeyOf(call.request));
  return b;
}

Status HotelApi::CheckBookingAuthority(const guard::Principal& p, const BookingRecord& b) const {
  if (!guard::ActsForUser(p)) {
    return Status(StatusCode::kPermissionDenied, "a booking needs an agent acting for the guest",
                  guard::kReasonUserTokenRequired);
  }
  ZTA_RETURN_IF_ERROR(guard::CheckActorPolicy(p, booking_policy_));
  // RFC 9396 §2: the entry the guest approved bounds this booking; every member is compared,
  // the server's total against max_total.
  Json request = {{"hotel_id", b.hotel_id}, {"room_id", b.room_id},
                  {"check_in", b.check_in}, {"check_out", b.check_out},
                  {"total", b.total},       {"currency", b.currency}};
  return guard::CheckRequestWithinDetails(p, kBookingDetailsType, request);
}

http::Response HotelApi::CreateBooking(const Call& call) {
  const std::vector<std::string> need = {kScopeCreateBookings};
  auto p = Authorize(call, need);
  if (!p.ok()) return Deny(p.status(), need);
  RoomRecord room;
  auto booking = ReadBookingRequest(call, *p, &room);
  if (!booking.ok()) return BadRequest(booking.status());
  if (Status s = CheckBookingAuthority(*p, *booking); !s.ok()) {
    return Refuse(call, *p, s, *booking, need);
  }
  auto id = NewBookingId();
  if (!id.ok()) return ErrorResponse(500, "server_error", "");
  booking->id = *id;
  return CommitBooking(call, *p, std::move(booking).value(), room);
}

http::Response HotelApi::CommitBooking(const Call& call, const guard::Principal& p,
                                       BookingRecord booking, const RoomRecord& room) {
  const std::vector<std::string> need = {kScopeCreateBookings};
  BookingRecord stored;
  auto outcome = store_.CreateBooking(
      booking, room,
      [&](const BookingRecord& row) { return audit_.Append(Event(call, p, kActionCreate, row)); },
      &stored);
  if (!outcome.ok()) {
    return ErrorResponse(503, "temporarily_unavailable", "the booking was not recorded");
  }
  switch (*outcome) {
    case CreateOutcome::kSoldOut:
      booking.id.clear();
      return Refuse(call, p, Status(StatusCode::kFailedPrecondition, "sold out", kReasonSoldOut),
                    booking, need, 409, kReasonSoldOut);
    case CreateOutcome::kGrantUsed:
      booking.id.clear();
      return Refuse(call, p,
                    Status(StatusCode::kPermissionDenied, "this approval was already used",
                           kReasonGrantUsed),
                    booking, need, 409, kReasonGrantUsed);
    case CreateOutcome::kIdempotencyClash:
      booking.id.clear();
      return Refuse(call, p,
                    Status(StatusCode::kFailedPrecondition,
                           "this Idempotency-Key was used with another body",
                           kReasonIdempotencyConflict),
                    booking, need, 422, kReasonIdempotencyConflict);
    case CreateOutcome::kReplayed: {
      http::Response replay = http::Response::Json(201, stored.ToJson());
      replay.headers.Set("Idempotent-Replayed", "true");
      return replay;
    }
    case CreateOutcome::kCreated:
      break;
  }
  // After the commit, never before: staff hear only of bookings that exist.
  if (notifier_) notifier_->Notify(stored.id, stored.hotel_id, stored.trace_id);
  http::Response created = http::Response::Json(201, stored.ToJson());
  created.headers.Set("Location", "/api/bookings/" + stored.id);
  return created;
}

http::Response HotelApi::ListBookings(const Call& call) {
  const std::vector<std::string> need = {kScopeReadBookings};
  auto p = Authorize(call, need);
  if (!p.ok()) return Deny(p.status(), need);
  auto rows = store_.ListBookingsOf(p->subject);  // the caller's own, whoever asks
  if (!rows.ok()) return ErrorResponse(500, "server_error", "");
  Json out = Json::array();
  for (const auto& b : *rows) out.push_back(b.ToJson());
  return http::Response::Json(200, Json{{"bookings", out}});
}

http::Response HotelApi::GetBooking(const Call& call) {
  const std::vector<std::string> need = {kScopeReadBookings};
  auto p = Authorize(call, need);
  if (!p.ok()) return Deny(p.status(), need);
  auto row = store_.FindBooking(call.params[0]);
  if (!row.ok()) return ErrorResponse(500, "server_error", "");
  // Another guest's booking is answered as absent, so ids do not reveal that it exists.
  if (!*row || (*row)->guest != p->subject) return NotFoundResponse();
  return http::Response::Json(200, (*row)->ToJson());
}

http::Response HotelApi::CancelBooking(const Call& call) {
  const std::vector<std::string> need = {kScopeCancelBookings};
  const std::string& id = call.params[0];
  auto p = Authorize(call, {});  // cancel_bookings OR a hotel_cancellation entry, checked below
  if (!p.ok()) return Deny(p.status(), need);
  BookingRecord facts;
  facts.id = id;
  if (!IsUserToken(*p)) {
    return Refuse(call, *p,
                  Status(StatusCode::kPermissionDenied, "cancelling needs the guest's token",
                         guard::kReasonUserTokenRequired),
                  facts, need);
  }
  if (!p->HasScope(kScopeCancelBookings)) {
    Status s = guard::CheckRequestWithinDetails(*p, kCancellationDetailsType,
                                                Json{{"booking_id", id}});
    if (!s.ok()) return Refuse(call, *p, s, facts, need);
  }
  auto row = store_.FindBooking(id);
  if (!row.ok()) return ErrorResponse(500, "server_error", "");
  if (!*row || (*row)->guest != p->subject) {
    return Refuse(call, *p, Status(StatusCode::kNotFound, "not the guest's booking",
                                   kReasonNotOwner),
                  facts, need, 404, "not_found");
  }
  if ((*row)->status == "cancelled") return http::Response::Json(200, (*row)->ToJson());
  BookingRecord stored;
  Status s = store_.CancelBooking(
      id,
      [&](const BookingRecord& b) { return audit_.Append(Event(call, *p, kActionCancel, b)); },
      &stored);
  if (!s.ok()) return ErrorResponse(503, "temporarily_unavailable", "the cancellation was not recorded");
  return http::Response::Json(200, stored.ToJson());
}

}  // namespace zta::hotel
