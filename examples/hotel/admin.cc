// The staff routes: the hotel's own agents (the staff manager, with its client-credentials
// token and admin scopes) read any booking and the roster, and assign staff to bookings.
#include "hotel/hotel_api.h"
#include "hotel/request_util.h"

namespace zta::hotel {

http::Response HotelApi::AdminListBookings(const Call& call) {
  const std::vector<std::string> need = {kScopeAdminReadBookings};
  http::Response refusal;
  auto p = AuthorizeAdmin(call, need, &refusal);
  if (!p.ok()) return refusal;
  auto rows = store_.ListBookings();
  if (!rows.ok()) return ErrorResponse(500, "server_error", "");
  Json out = Json::array();
  for (const auto& b : *rows) out.push_back(b.ToJson());
  return http::Response::Json(200, Json{{"bookings", out}});
}

http::Response HotelApi::AdminGetBooking(const Call& call) {
  const std::vector<std::string> need = {kScopeAdminReadBookings};
  http::Response refusal;
  auto p = AuthorizeAdmin(call, need, &refusal);
  if (!p.ok()) return refusal;
  auto row = store_.FindBooking(call.params[0]);
  if (!row.ok()) return ErrorResponse(500, "server_error", "");
  if (!*row) return NotFoundResponse();
  return http::Response::Json(200, (*row)->ToJson());
}

http::Response HotelApi::AdminAssignStaff(const Call& call) {
  const std::vector<std::string> need = {kScopeAdminUpdateBookings};
  http::Response refusal;
  auto p = AuthorizeAdmin(call, need, &refusal);
  if (!p.ok()) return refusal;
  auto body = ParseJsonObjectBody(call.request);
  if (!body.ok()) return BadRequest(body.status());
  if (body->size() != 1 || !body->contains("staff_id") || !(*body)["staff_id"].is_string()) {
    return BadRequest(InvalidArgument("the body is {\"staff_id\": \"s-...\"} and nothing else"));
  }
  const std::string staff_id = (*body)["staff_id"].get<std::string>();
  auto staff = IsId(staff_id) ? store_.FindStaff(staff_id)
                              : Result<std::optional<StaffRecord>>(std::nullopt);
  if (!staff.ok()) return ErrorResponse(500, "server_error", "");
  if (!*staff) return BadRequest(InvalidArgument("no staff member " + staff_id.substr(0, 64)));
  BookingRecord stored;
  Status s = store_.AssignStaff(
      call.params[0], staff_id,
      [&](const BookingRecord& b) {
        return audit_.Append(Event(call, *p, kActionAssignStaff, b));
      },
      &stored);
  if (s.code() == StatusCode::kNotFound) return NotFoundResponse();
  if (!s.ok()) return ErrorResponse(503, "temporarily_unavailable", "the change was not recorded");
  return http::Response::Json(200, stored.ToJson());
}

http::Response HotelApi::AdminListStaff(const Call& call) {
  const std::vector<std::string> need = {kScopeAdminReadStaff};
  http::Response refusal;
  auto p = AuthorizeAdmin(call, need, &refusal);
  if (!p.ok()) return refusal;
  auto staff = store_.ListStaff();
  if (!staff.ok()) return ErrorResponse(500, "server_error", "");
  Json out = Json::array();
  for (const auto& m : *staff) out.push_back(Json{{"id", m.id}, {"name", m.name}, {"role", m.role}});
  return http::Response::Json(200, Json{{"staff", out}});
}

}  // namespace zta::hotel
