// The catalogue routes: hotel search, one hotel, its rooms with a quote, its reviews. Reviews
// and descriptions are third-party text and are returned as they are: they may hold injected
// instructions, which is exactly what the tokens downstream are there to contain.
#include <algorithm>
#include <cctype>

#include "hotel/hotel_api.h"
#include "hotel/request_util.h"
#include "hotel/seed.h"

namespace zta::hotel {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The search filters: all optional; both dates or neither.
struct Filters {
  std::string city;
  std::optional<Stay> stay;
  int64_t guests = 1;
};

Result<std::optional<Stay>> StayFromQuery(const std::map<std::string, std::string>& q) {
  auto in = q.find("check_in"), out = q.find("check_out");
  if (in == q.end() && out == q.end()) return std::optional<Stay>();
  if (in == q.end() || out == q.end()) {
    return InvalidArgument("give both check_in and check_out, or neither");
  }
  ZTA_ASSIGN_OR_RETURN(Stay stay, ParseStay(in->second, out->second));
  return std::optional<Stay>(stay);
}

Result<Filters> FiltersFromQuery(std::string_view query) {
  ZTA_ASSIGN_OR_RETURN(auto q, ParseQuery(query));
  Filters f;
  if (auto it = q.find("city"); it != q.end()) {
    if (it->second.size() > 64) return InvalidArgument("city is too long");
    f.city = Lower(it->second);
  }
  ZTA_ASSIGN_OR_RETURN(f.stay, StayFromQuery(q));
  if (auto it = q.find("guests"); it != q.end()) {
    const std::string& g = it->second;
    bool digits = !g.empty() && g.size() <= 2 &&
                  std::all_of(g.begin(), g.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(g) < 1) return InvalidArgument("guests must be an integer 1..99");
    f.guests = std::stoi(g);
  }
  return f;
}

Json HotelJson(const HotelRecord& h, std::optional<int64_t> price_from) {
  return Json{{"id", h.id},
              {"name", h.name},
              {"city", h.city},
              {"stars", h.stars},
              {"description", h.description},
              {"price_from", price_from ? Json(*price_from) : Json(nullptr)},
              {"currency", kCurrency}};
}

}  // namespace

Json HotelApi::RoomJson(const RoomRecord& r, const Stay* stay, int64_t free_units) const {
  return Json{{"id", r.id},
              {"hotel_id", r.hotel_id},
              {"name", r.name},
              {"capacity", r.capacity},
              {"price_per_night", r.price_per_night},
              {"currency", r.currency},
              {"available", free_units},
              {"nights", stay ? Json(stay->nights) : Json(nullptr)},
              // The quote: what POST /api/bookings will charge, computed here, never taken
              // from a request.
              {"total", stay ? Json(stay->nights * r.price_per_night) : Json(nullptr)}};
}

http::Response HotelApi::SearchHotels(const Call& call) {
  const std::vector<std::string> need = {kScopeReadHotels};
  auto p = Authorize(call, need);
  if (!p.ok()) return Deny(p.status(), need);
  auto filters = FiltersFromQuery(call.request.query);
  if (!filters.ok()) return BadRequest(filters.status());
  auto hotels = store_.ListHotels();
  if (!hotels.ok()) return ErrorResponse(500, "server_error", "");
  Json out = Json::array();
  for (const auto& h : *hotels) {
    if (!filters->city.empty() && Lower(h.city) != filters->city) continue;
    auto rooms = store_.ListRooms(h.id);
    if (!rooms.ok()) return ErrorResponse(500, "server_error", "");
    std::optional<int64_t> price_from;
    for (const auto& r : *rooms) {
      if (r.capacity < filters->guests) continue;
      if (filters->stay) {
        auto free = store_.FreeUnits(r, filters->stay->check_in, filters->stay->check_out);
        if (!free.ok() || *free <= 0) continue;
      }
      if (!price_from || r.price_per_night < *price_from) price_from = r.price_per_night;
    }
    if (price_from) out.push_back(HotelJson(h, price_from));
  }
  return http::Response::Json(200, Json{{"hotels", out}});
}

http::Response HotelApi::GetHotel(const Call& call) {
  const std::vector<std::string> need = {kScopeReadHotels};
  auto p = Authorize(call, need);
  if (!p.ok()) return Deny(p.status(), need);
  auto hotel = store_.FindHotel(call.params[0]);
  if (!hotel.ok()) return ErrorResponse(500, "server_error", "");
  if (!*hotel) return NotFoundResponse();
  auto rooms = store_.ListRooms(call.params[0]);
  if (!rooms.ok()) return ErrorResponse(500, "server_error", "");
  std::optional<int64_t> price_from;
  for (const auto& r : *rooms) {
    if (!price_from || r.price_per_night < *price_from) price_from = r.price_per_night;
  }
  return http::Response::Json(200, HotelJson(**hotel, price_from));
}

http::Response HotelApi::ListRooms(const Call& call) {
  const std::vector<std::string> need = {kScopeReadRooms};
  auto p = Authorize(call, need);
  if (!p.ok()) return Deny(p.status(), need);
  auto q = ParseQuery(call.request.query);
  if (!q.ok()) return BadRequest(q.status());
  auto stay = StayFromQuery(*q);
  if (!stay.ok()) return BadRequest(stay.status());
  auto hotel = store_.FindHotel(call.params[0]);
  if (!hotel.ok()) return ErrorResponse(500, "server_error", "");
  if (!*hotel) return NotFoundResponse();
  auto rooms = store_.ListRooms(call.params[0]);
  if (!rooms.ok()) return ErrorResponse(500, "server_error", "");
  Json out = Json::array();
  for (const auto& r : *rooms) {
    int64_t free = r.units;
    if (*stay) {
      auto units = store_.FreeUnits(r, (*stay)->check_in, (*stay)->check_out);
      if (!units.ok()) return ErrorResponse(500, "server_error", "");
      free = *units;
    }
    out.push_back(RoomJson(r, *stay ? &**stay : nullptr, free));
  }
  return http::Response::Json(200, Json{{"rooms", out}});
}

http::Response HotelApi::ListReviews(const Call& call) {
  const std::vector<std::string> need = {kScopeReadHotels};
  auto p = Authorize(call, need);
  if (!p.ok()) return Deny(p.status(), need);
  auto hotel = store_.FindHotel(call.params[0]);
  if (!hotel.ok()) return ErrorResponse(500, "server_error", "");
  if (!*hotel) return NotFoundResponse();
  auto reviews = store_.ListReviews(call.params[0]);
  if (!reviews.ok()) return ErrorResponse(500, "server_error", "");
  Json out = Json::array();
  for (const auto& r : *reviews) {
    out.push_back(Json{{"id", r.id}, {"author", r.author}, {"rating", r.rating}, {"text", r.text}});
  }
  return http::Response::Json(200, Json{{"reviews", out}});
}

}  // namespace zta::hotel
