// The hotel's own audit events (docs/audit-events.md, "The hotel API"): one per state change,
// appended before the change commits, and one per refusal after the token check. The attribute
// names are what `zta audit who --booking ID` reads; keep them.
#include "hotel/hotel_api.h"

namespace zta::hotel {

bool IsUserToken(const guard::Principal& p) {
  if (!p.actor_chain.empty()) return guard::ActsForUser(p);
  return !p.subject.empty() && p.subject != p.client_id;
}

bool IsAgentToken(const guard::Principal& p) {
  return p.actor_chain.empty() && !p.subject.empty() && p.subject == p.client_id;
}

std::string GrantIdOf(const guard::Principal& p) {
  if (!p.token) return "";
  auto it = p.claims().find("zta_grant");
  return it != p.claims().end() && it->is_string() ? it->get<std::string>() : "";
}

AuditEvent HotelApi::Event(const Call& call, const guard::Principal& p, std::string action,
                           const BookingRecord& b) const {
  AuditEvent e;
  e.trace_id = call.trace_id;
  e.component = "hotel";
  e.action = std::move(action);
  e.subject = p.subject;
  e.actor_chain = p.actor_chain;
  e.client_id = p.client_id;
  e.resource = options_.resource;
  e.scopes_granted = p.scopes;
  e.jti = p.jti;
  Json& a = e.attributes;
  if (!b.id.empty()) a["zta.resource.id"] = b.id;
  a["zta.grant_id"] = GrantIdOf(p);
  a["zta.http.method"] = call.request.method;
  a["zta.http.route"] = call.request.path;
  if (!b.hotel_id.empty()) a["hotel.hotel_id"] = b.hotel_id;
  if (!b.room_id.empty()) a["hotel.room_id"] = b.room_id;
  if (!b.check_in.empty()) a["hotel.check_in"] = b.check_in;
  if (!b.check_out.empty()) a["hotel.check_out"] = b.check_out;
  if (!b.currency.empty()) {
    a["hotel.total"] = b.total;
    a["hotel.currency"] = b.currency;
  }
  if (b.staff) a["hotel.staff_id"] = *b.staff;
  return e;
}

http::Response HotelApi::Refuse(const Call& call, const guard::Principal& p, const Status& reason,
                                const BookingRecord& facts, std::span<const std::string> scopes,
                                int http_status, std::string_view code) {
  AuditEvent e = Event(call, p, kActionRefused, facts);
  e.decision = AuditDecision::kDeny;
  e.reason = reason.reason().empty() ? std::string(code) : reason.reason();
  // A refusal stays a refusal when it cannot be recorded (fail closed): answer it anyway.
  (void)audit_.Append(std::move(e));
  if (http_status == 403) return validator_.DenialResponse(reason, scopes);
  if (http_status == 404) return NotFoundResponse();
  return ErrorResponse(http_status, code, reason.message());
}

}  // namespace zta::hotel
