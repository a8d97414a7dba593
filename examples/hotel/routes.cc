// The hotel API's route table and dispatch: RFC 9728 metadata, then path → handler, 404 for an
// unknown path, 405 (with Allow, RFC 9110 §15.5.6) for a known path and another method.
#include <string_view>

#include "hotel/hotel_api.h"
#include "hotel/request_util.h"

namespace zta::hotel {
namespace {

using HandlerFn = http::Response (HotelApi::*)(const Call&);

struct Route {
  const char* method;
  std::vector<std::string_view> pattern;  // "{id}" matches one id segment
  HandlerFn handler;
};

const std::vector<Route>& Routes() {
  static const std::vector<Route> routes = {
      {"GET", {"api", "hotels"}, &HotelApi::SearchHotels},
      {"GET", {"api", "hotels", "{id}"}, &HotelApi::GetHotel},
      {"GET", {"api", "hotels", "{id}", "rooms"}, &HotelApi::ListRooms},
      {"GET", {"api", "hotels", "{id}", "reviews"}, &HotelApi::ListReviews},
      {"POST", {"api", "bookings"}, &HotelApi::CreateBooking},
      {"GET", {"api", "bookings"}, &HotelApi::ListBookings},
      {"GET", {"api", "bookings", "{id}"}, &HotelApi::GetBooking},
      {"POST", {"api", "bookings", "{id}", "cancel"}, &HotelApi::CancelBooking},
      {"GET", {"api", "admin", "bookings"}, &HotelApi::AdminListBookings},
      {"GET", {"api", "admin", "bookings", "{id}"}, &HotelApi::AdminGetBooking},
      {"PATCH", {"api", "admin", "bookings", "{id}"}, &HotelApi::AdminAssignStaff},
      {"GET", {"api", "admin", "staff"}, &HotelApi::AdminListStaff},
  };
  return routes;
}

// The path's segments; an empty one (a doubled or trailing slash) is kept, so it matches no
// route. The path is matched as sent, not percent-decoded: an escaped id is not an id.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// True when `segments` fit `pattern`; the {id} segments go to `params`.
bool Match(const std::vector<std::string_view>& pattern,
           const std::vector<std::string_view>& segments, std::vector<std::string>* params) {
  if (pattern.size() != segments.size()) return false;
  params->clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == "{id}") {
      if (!IsId(segments[i])) return false;
      params->emplace_back(segments[i]);
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

HotelApi::HotelApi(const HotelServiceOptions& options, HotelStore& store, AuditSink& audit,
                   guard::Validator& validator, StaffNotifier* notifier, const Clock& clock)
    : options_(options),
      store_(store),
      audit_(audit),
      validator_(validator),
      notifier_(notifier),
      clock_(clock),
      booking_policy_(guard::ActorPolicy::Chains({options.booking_chain})) {}

http::Response HotelApi::Handle(const http::Request& request) {
  if (auto metadata = validator_.HandleMetadataRequest(request)) return *metadata;
  Call call{request, TraceIdOf(request), {}};
  const auto segments = Segments(request.path);
  std::string allow;
  for (const Route& route : Routes()) {
    std::vector<std::string> params;
    if (!Match(route.pattern, segments, &params)) continue;
    if (request.method == route.method) {
      call.params = std::move(params);
      return (this->*route.handler)(call);
    }
    allow += (allow.empty() ? "" : ", ") + std::string(route.method);
  }
  if (allow.empty()) return NotFoundResponse();
  http::Response response = ErrorResponse(405, "method_not_allowed", "");
  response.headers.Set("Allow", allow);
  return response;
}

Result<guard::Principal> HotelApi::Authorize(const Call& call,
                                             std::span<const std::string> scopes) {
  guard::AuthorizeOptions o;
  o.required_scopes = scopes;
  o.trace_id = call.trace_id;
  return validator_.Authorize(call.request, o);
}

http::Response HotelApi::Deny(const Status& status, std::span<const std::string> scopes) const {
  return validator_.DenialResponse(status, scopes);
}

Result<guard::Principal> HotelApi::AuthorizeAdmin(const Call& call,
                                                  std::span<const std::string> scopes,
                                                  http::Response* refusal) {
  auto p = Authorize(call, scopes);
  if (!p.ok()) {
    *refusal = Deny(p.status(), scopes);
    return p.status();
  }
  if (!IsAgentToken(*p)) {
    // Staff routes belong to the hotel's own agents (the staff manager), never to a token in
    // which an agent acts for a guest: a guest's consent does not reach other guests' data.
    Status s(StatusCode::kPermissionDenied, "admin routes take an agent's own token",
             kReasonAgentTokenRequired);
    BookingRecord facts;
    if (!call.params.empty()) facts.id = call.params[0];
    *refusal = Refuse(call, *p, s, facts, scopes);
    return s;
  }
  return p;
}

}  // namespace zta::hotel
