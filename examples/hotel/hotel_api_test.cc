// Tests of the hotel API over loopback HTTP: a test issuer mints user tokens (act chains,
// authorization_details) and agent tokens; every endpoint, scope, ownership and details rule,
// idempotency, concurrent overbooking, trace propagation, hostile input, notification, config.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "hotel/hotel_service.h"
#include "hotel/hotel_store.h"
#include "hotel/request_util.h"
#include "hotel/seed.h"
#include "hotel_test_util.h"
#include "zta/audit/reader.h"
#include "zta/http/client.h"

namespace zta::hotel {
namespace {

using testing::StaffEndpoint;
using testing::TestIssuer;

const std::vector<std::string> kChain = {"booking-agent", "guest-assistant"};
constexpr char kGuest[] = "guest-42";
constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kTraceparent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string MakeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "zta-hotel-XXXXXX").string();
  char* dir = mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

// A hotel_booking entry (RFC 9396) for kDemoRoomId, 3 nights = 540 USD.
Json BookingDetail(Json overrides = Json::object()) {
  Json d = {{"type", kBookingDetailsType}, {"hotel_id", kDemoHotelId},
            {"room_id", kDemoRoomId},      {"check_in", "2027-03-01"},
            {"check_out", "2027-03-04"},   {"max_total", 600},
            {"currency", "USD"}};
  d.update(overrides);
  return d;
}

Json BookingBody(Json overrides = Json::object()) {
  Json b = {{"hotel_id", kDemoHotelId}, {"room_id", kDemoRoomId}, {"check_in", "2027-03-01"},
            {"check_out", "2027-03-04"}, {"guests", 2}};
  b.update(overrides);
  return b;
}

class HotelApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override {
    if (service_) service_->Stop();
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Start(std::function<void(HotelServiceOptions&)> tweak = nullptr) {
    HotelServiceOptions o;
    o.data_dir = dir_;
    guard::TrustedIssuer trusted;
    trusted.issuer = issuer_.issuer();
    trusted.jwks_uri = issuer_.jwks_uri();
    o.issuers.push_back(trusted);
    if (tweak) tweak(o);
    auto service = HotelService::Start(o, SystemClock::Instance());
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = std::move(service).value();
  }

  http::Response Call(const std::string& method, const std::string& target,
                      const std::string& token, const std::string& body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::ClientRequest r;
    r.method = method;
    r.url = service_->BaseUrl() + target;
    if (!token.empty()) r.headers.Set("Authorization", "Bearer " + token);
    if (!body.empty()) r.headers.Set("Content-Type", "application/json");
    for (auto& [name, value] : headers) r.headers.Set(name, value);
    r.body = body;
    auto response = http::Send(r);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{599, {}, ""};
  }
  static Json Body(const http::Response& r) {
    auto j = ParseJsonStrict(r.body);
    return j.ok() ? *j : Json();
  }

  // A user token for kGuest through kChain (or `chain`) with `details`.
  std::string UserToken(Json details, std::vector<std::string> chain = kChain,
                        const std::string& scopes = "create_bookings read_bookings") {
    return issuer_.Mint(kGuest, chain, scopes,
                        details.is_null() ? Json() : Json::array({std::move(details)}));
  }
  std::string AgentToken(const std::string& client, const std::string& scopes) {
    return issuer_.Mint(client, {}, scopes);
  }
  http::Response Book(const std::string& token, Json body = BookingBody(),
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Call("POST", "/api/bookings", token, body.dump(), std::move(headers));
  }

  std::vector<AuditEvent> HotelEvents(const std::string& action) {
    auto reader = audit::AuditLogReader::Open(dir_);
    EXPECT_TRUE(reader.ok()) << reader.status();
    audit::EventFilter filter;
    filter.action = action;
    auto rows = (*reader)->Query(filter);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<AuditEvent> events;
    for (auto& row : *rows) events.push_back(row.event);
    return events;
  }

  std::string dir_ = MakeTempDir();
  TestIssuer issuer_{kDefaultResource};
  std::unique_ptr<HotelService> service_;
};

// The seed holds ≥ 20 hotels in ≥ 4 cities, ≥ 6 staff, other guests' bookings, the single-unit
// room, and every injected sentence at the demo hotel; a restart does not seed twice.
TEST_F(HotelApiTest, SeedIsCompleteAndIdempotent) {
  service_->Stop();
  service_.reset();
  Start();  // second start on the same folder
  auto store = HotelStore::Open(dir_, false);
  ASSERT_TRUE(store.ok()) << store.status();
  auto hotels = (*store)->ListHotels();
  ASSERT_TRUE(hotels.ok());
  EXPECT_GE(hotels->size(), 20u);
  std::set<std::string> cities;
  for (const auto& h : *hotels) cities.insert(h.city);
  EXPECT_GE(cities.size(), 4u);
  EXPECT_TRUE(cities.count("Paris") && cities.count("Lisbon") && cities.count("Tokyo") &&
              cities.count("New York"));
  EXPECT_GE((*store)->ListStaff()->size(), 6u);
  auto bookings = (*store)->ListBookings();
  ASSERT_TRUE(bookings.ok());
  EXPECT_EQ(bookings->size(), 5u);  // not 10: seeded once
  EXPECT_EQ(bookings->front().id, kOtherGuestBookingId);
  EXPECT_EQ(bookings->front().guest, kOtherGuest);
  EXPECT_EQ(bookings->front().hotel_id, kDemoHotelId);
  auto room = (*store)->FindRoom(kSingleUnitRoomId);
  ASSERT_TRUE(room.ok() && *room);
  EXPECT_EQ((*room)->units, 1);
  EXPECT_EQ((*(*store)->FindRoom(kRoyalSuiteId))->price_per_night, 2500);
  EXPECT_EQ((*(*store)->FindRoom(kDemoRoomId))->price_per_night, 180);
  std::string text;
  auto reviews = (*store)->ListReviews(kDemoHotelId);
  ASSERT_TRUE(reviews.ok());
  for (const auto& r : *reviews) text += r.text + "\n";
  for (const char* s : {kInjectionCancel, kInjectionRoyalSuite, kInjectionListBookings,
                        kInjectionExfiltrate, kInjectionPrice}) {
    EXPECT_NE(text.find(s), std::string::npos) << s;
  }
}

// Catalogue routes answer with read_hotels / read_rooms, and refuse other tokens (401/403).
TEST_F(HotelApiTest, CatalogueRoutesAndTheirScopes) {
  std::string reader = AgentToken("guest-assistant", "read_hotels read_rooms");
  auto hotels = Call("GET", "/api/hotels?city=paris&check_in=2027-03-01&check_out=2027-03-04&guests=2", reader);
  ASSERT_EQ(hotels.status, 200) << hotels.body;
  Json list = Body(hotels)["hotels"];
  ASSERT_GE(list.size(), 4u);
  for (const auto& h : list) EXPECT_EQ(h["city"], "Paris");
  EXPECT_EQ(list[0]["id"], kDemoHotelId);
  EXPECT_EQ(list[0]["currency"], "USD");
  EXPECT_EQ(Body(Call("GET", "/api/hotels", reader))["hotels"].size(), 25u);

  auto hotel = Call("GET", std::string("/api/hotels/") + kDemoHotelId, reader);
  EXPECT_EQ(hotel.status, 200);
  EXPECT_EQ(Body(hotel)["name"], "Hotel Lumiere");
  EXPECT_EQ(Call("GET", "/api/hotels/h-nowhere", reader).status, 404);

  auto rooms = Call("GET", std::string("/api/hotels/") + kDemoHotelId +
                               "/rooms?check_in=2027-03-01&check_out=2027-03-04", reader);
  ASSERT_EQ(rooms.status, 200) << rooms.body;
  bool quoted = false;
  const Json room_list = Body(rooms)["rooms"];
  for (const auto& r : room_list) {
    if (r["id"] != kDemoRoomId) continue;
    quoted = true;
    EXPECT_EQ(r["nights"], 3);
    EXPECT_EQ(r["total"], 540);  // nights × price: the quote
    EXPECT_EQ(r["available"], 5);
  }
  EXPECT_TRUE(quoted);

  auto reviews = Call("GET", std::string("/api/hotels/") + kDemoHotelId + "/reviews", reader);
  ASSERT_EQ(reviews.status, 200);
  EXPECT_GE(Body(reviews)["reviews"].size(), 5u);

  std::string rooms_only = AgentToken("guest-assistant", "read_rooms");
  EXPECT_EQ(Call("GET", "/api/hotels", rooms_only).status, 403);
  EXPECT_EQ(Call("GET", "/api/hotels/h-paris-1/reviews", rooms_only).status, 403);
  std::string hotels_only = AgentToken("guest-assistant", "read_hotels");
  auto refused = Call("GET", "/api/hotels/h-paris-1/rooms", hotels_only);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.headers.Get("WWW-Authenticate").value_or("").find("insufficient_scope"),
            std::string::npos);
  EXPECT_EQ(Call("GET", "/api/hotels", "").status, 401);
  EXPECT_EQ(Call("GET", "/api/hotels", "not-a-token").status, 401);
}

// A booking within the approved entry, by the booking chain, is created for the token's sub
// and records chain, grant, jti, trace id and the server's quote.
TEST_F(HotelApiTest, BookingWithinDetailsIsCreatedForTheTokenSubject) {
  std::string token = UserToken(BookingDetail());
  std::string jti = issuer_.last_jti();
  auto r = Book(token, BookingBody(), {{"traceparent", kTraceparent}});
  ASSERT_EQ(r.status, 201) << r.body;
  Json b = Body(r);
  EXPECT_EQ(b["id"].get<std::string>().rfind("b-", 0), 0u);
  EXPECT_EQ(b["guest"], kGuest);
  EXPECT_EQ(b["total"], 540);
  EXPECT_EQ(b["currency"], "USD");
  EXPECT_EQ(b["status"], "confirmed");
  EXPECT_EQ(b["actor_chain"], Json(kChain));
  EXPECT_EQ(b["grant_id"].get<std::string>().rfind(std::string("g-") + kGuest + "-", 0), 0u);
  EXPECT_EQ(b["jti"], jti);
  EXPECT_EQ(b["trace_id"], kTraceId);
  EXPECT_TRUE(b["staff"].is_null());
  EXPECT_EQ(b["created_at"].get<std::string>().size(), 20u);

  auto mine = Call("GET", "/api/bookings", token);
  ASSERT_EQ(mine.status, 200);
  ASSERT_EQ(Body(mine)["bookings"].size(), 1u);
  EXPECT_EQ(Body(mine)["bookings"][0]["id"], b["id"]);
  EXPECT_EQ(Call("GET", "/api/bookings/" + b["id"].get<std::string>(), token).status, 200);
}

// One approval, one booking: a second token exchanged from the same consent (the same zta_grant)
// books nothing more, even for another night the details would admit; a fresh consent does.
TEST_F(HotelApiTest, OneBookingPerGrant) {
  issuer_.SetGrant("g-one-consent");
  std::string first = UserToken(BookingDetail());
  ASSERT_EQ(Book(first, BookingBody()).status, 201);
  std::string again = UserToken(BookingDetail());
  auto refused = Book(again, BookingBody());
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(Body(refused)["error"], std::string("grant_already_used"));
  issuer_.SetGrant("");
  auto fresh = Book(UserToken(BookingDetail()), BookingBody());
  EXPECT_NE(Body(fresh).value("error", ""), std::string("grant_already_used")) << fresh.body;
}

// A request outside the approved entry is refused 403 and audited as details_mismatch: another
// hotel, room, dates, a quote above max_total, another currency; no entry → details_missing.
TEST_F(HotelApiTest, BookingOutsideDetailsIsRefused) {
  struct Case {
    Json detail_overrides;
    Json body_overrides;
  };
  const std::vector<Case> cases = {
      {{{"hotel_id", "h-paris-2"}}, Json::object()},
      {{{"room_id", kRoyalSuiteId}}, Json::object()},
      {{{"check_out", "2027-03-05"}}, Json::object()},
      {Json::object(), {{"check_out", "2027-03-05"}}},  // 4 nights = 720 > 600
      {{{"max_total", 539}}, Json::object()},
      {{{"currency", "EUR"}}, Json::object()},
      {Json::object(), {{"room_id", kRoyalSuiteId}}},  // the injection's suite
  };
  for (const auto& c : cases) {
    auto r = Book(UserToken(BookingDetail(c.detail_overrides)), BookingBody(c.body_overrides));
    EXPECT_EQ(r.status, 403) << c.detail_overrides << c.body_overrides << r.body;
    EXPECT_EQ(Body(r)["error"], "insufficient_scope");
  }
  EXPECT_EQ(Book(UserToken(nullptr)).status, 403);
  auto refused = HotelEvents("booking.refused");
  ASSERT_EQ(refused.size(), cases.size() + 1);
  for (size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(refused[i].reason, "details_mismatch");
  EXPECT_EQ(refused.back().reason, "details_missing");
  EXPECT_EQ(refused.back().decision, AuditDecision::kDeny);
  EXPECT_EQ(refused.back().attributes["hotel.total"], 540);
  EXPECT_EQ(Call("GET", "/api/bookings", UserToken(nullptr)).status, 200);
  EXPECT_TRUE(Body(Call("GET", "/api/bookings", UserToken(nullptr)))["bookings"].empty());
}

// Only the exact booking chain books: booking-agent alone, the reverse order, an extra actor and
// an agent's own token are refused with the guard's reasons.
TEST_F(HotelApiTest, OnlyTheBookingChainBooks) {
  const std::vector<std::vector<std::string>> chains = {
      {"booking-agent"},
      {"guest-assistant", "booking-agent"},
      {"booking-agent", "guest-assistant", "rogue-agent"}};
  for (const auto& chain : chains) {
    EXPECT_EQ(Book(UserToken(BookingDetail(), chain)).status, 403);
  }
  std::string agent = issuer_.Mint("booking-agent", {}, "create_bookings",
                                   Json::array({BookingDetail()}));
  EXPECT_EQ(Book(agent).status, 403);
  auto refused = HotelEvents("booking.refused");
  ASSERT_EQ(refused.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(refused[i].reason, "actor_chain_not_allowed");
  EXPECT_EQ(refused[3].reason, "user_token_required");
  // Without create_bookings the guard refuses before the hotel looks.
  EXPECT_EQ(Book(UserToken(BookingDetail(), kChain, "read_bookings")).status, 403);
}

// The booking body is a closed object: "guest", "price", "total" and any other member are 400.
TEST_F(HotelApiTest, BookingBodyIsClosed) {
  std::string token = UserToken(BookingDetail());
  for (const char* member : {"guest", "price", "total", "currency", "status"}) {
    auto r = Book(token, BookingBody({{member, member == std::string("guest") ? Json("alice")
                                                                            : Json(1)}}));
    EXPECT_EQ(r.status, 400) << member;
    EXPECT_EQ(Body(r)["error"], "invalid_request");
    EXPECT_NE(Body(r)["error_description"].get<std::string>().find(member), std::string::npos);
  }
  Json missing = BookingBody();
  missing.erase("guests");
  EXPECT_EQ(Book(token, missing).status, 400);
  auto store = HotelStore::Open(dir_, false);
  EXPECT_EQ((*store)->ListBookings()->size(), 5u);
}

// Idempotency-Key: the same key and body give the same booking and no second row; the same key
// with another body is 422; another guest's same key is independent.
TEST_F(HotelApiTest, IdempotencyKeyReplaysOrConflicts) {
  std::string token = UserToken(BookingDetail());
  auto first = Book(token, BookingBody(), {{"Idempotency-Key", "k-123"}});
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = Book(token, BookingBody(), {{"Idempotency-Key", "k-123"}});
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(Body(again)["id"], Body(first)["id"]);
  EXPECT_EQ(again.headers.Get("Idempotent-Replayed").value_or(""), "true");
  auto other = Book(token, BookingBody({{"guests", 1}}),
                    {{"Idempotency-Key", "k-123"}});
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_EQ(Body(other)["error"], "idempotency_key_reused");
  auto store = HotelStore::Open(dir_, false);
  EXPECT_EQ((*store)->ListBookings()->size(), 6u);
  EXPECT_EQ(HotelEvents("booking.create").size(), 1u);
  EXPECT_EQ(HotelEvents("booking.refused").back().reason, "idempotency_key_reused");
  std::string bob = issuer_.Mint("bob", kChain, "create_bookings",
                                 Json::array({BookingDetail()}));
  auto bobs = Book(bob, BookingBody(), {{"Idempotency-Key", "k-123"}});
  EXPECT_EQ(bobs.status, 201) << bobs.body;
  EXPECT_NE(Body(bobs)["id"], Body(first)["id"]);
}

// 50 threads book the last free unit at once: exactly one 201, the other 49 are 409 sold out.
TEST_F(HotelApiTest, ConcurrentBookingsNeverOverbook) {
  Json detail = BookingDetail({{"room_id", kSingleUnitRoomId}});
  Json body = BookingBody({{"room_id", kSingleUnitRoomId}});
  std::vector<std::string> tokens;
  for (int i = 0; i < 50; ++i) {
    tokens.push_back(issuer_.Mint("guest-" + std::to_string(i), kChain, "create_bookings",
                                  Json::array({detail})));
  }
  std::atomic<int> created{0}, sold_out{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      int status = Book(tokens[i], body).status;
      (status == 201 ? created : status == 409 ? sold_out : other)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created, 1);
  EXPECT_EQ(sold_out, 49);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(HotelEvents("booking.refused").size(), 49u);
  // Another stay of the same room is still free.
  std::string later = issuer_.Mint("guest-x", kChain, "create_bookings",
                                   Json::array({BookingDetail({{"room_id", kSingleUnitRoomId},
                                                               {"check_in", "2027-03-04"},
                                                               {"check_out", "2027-03-06"}})}));
  EXPECT_EQ(Book(later, BookingBody({{"room_id", kSingleUnitRoomId},
                                     {"check_in", "2027-03-04"},
                                     {"check_out", "2027-03-06"}}))
                .status,
            201);
}

// A guest cancels their own booking (scope or a hotel_cancellation entry naming it); another
// guest's booking is 404 to them, read or cancel, and stays confirmed.
TEST_F(HotelApiTest, CancelOwnButNotAnothers) {
  std::string token = UserToken(BookingDetail(), kChain,
                                "create_bookings read_bookings cancel_bookings");
  auto booked = Book(token);
  ASSERT_EQ(booked.status, 201);
  std::string id = Body(booked)["id"];
  auto other = Call("POST", std::string("/api/bookings/") + kOtherGuestBookingId + "/cancel",
                    token);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(Call("GET", std::string("/api/bookings/") + kOtherGuestBookingId, token).status, 404);
  EXPECT_EQ(Call("GET", "/api/bookings/b-nosuch", token).status, 404);
  auto cancelled = Call("POST", "/api/bookings/" + id + "/cancel", token);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(Body(cancelled)["status"], "cancelled");
  auto store = HotelStore::Open(dir_, false);
  EXPECT_EQ((*(*store)->FindBooking(kOtherGuestBookingId))->status, "confirmed");
  auto refused = HotelEvents("booking.refused");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].reason, "not_owner");
  EXPECT_EQ(refused[0].attributes["zta.resource.id"], kOtherGuestBookingId);
  ASSERT_EQ(HotelEvents("booking.cancel").size(), 1u);
  EXPECT_EQ(HotelEvents("booking.cancel")[0].attributes["zta.resource.id"], id);
}

// Without cancel_bookings, only a hotel_cancellation entry naming the booking cancels it; an
// agent's own token never does.
TEST_F(HotelApiTest, CancelByDetailsEntry) {
  auto booked = Book(UserToken(BookingDetail()));
  ASSERT_EQ(booked.status, 201);
  std::string id = Body(booked)["id"];
  auto entry = [](const std::string& booking) {
    return Json{{"type", kCancellationDetailsType}, {"booking_id", booking}};
  };
  std::string wrong = UserToken(entry("b-other"), kChain, "read_bookings");
  EXPECT_EQ(Call("POST", "/api/bookings/" + id + "/cancel", wrong).status, 403);
  std::string none = UserToken(nullptr, kChain, "read_bookings");
  EXPECT_EQ(Call("POST", "/api/bookings/" + id + "/cancel", none).status, 403);
  std::string agent = AgentToken("booking-agent", "cancel_bookings");
  EXPECT_EQ(Call("POST", "/api/bookings/" + id + "/cancel", agent).status, 403);
  std::string right = UserToken(entry(id), {"guest-assistant"}, "read_bookings");
  auto r = Call("POST", "/api/bookings/" + id + "/cancel", right);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["status"], "cancelled");
}

// Admin routes take an agent's own token with the admin scope; a user token (even with the
// scope) is refused; PATCH assigns existing staff only.
TEST_F(HotelApiTest, AdminRoutesForAgentTokensOnly) {
  std::string staff_manager =
      AgentToken("staff-manager", "admin_read_bookings admin_update_bookings admin_read_staff");
  std::string target = std::string("/api/admin/bookings/") + kOtherGuestBookingId;
  auto read = Call("GET", target, staff_manager);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(Body(read)["guest"], kOtherGuest);
  EXPECT_EQ(Body(Call("GET", "/api/admin/bookings", staff_manager))["bookings"].size(), 5u);
  auto staff = Call("GET", "/api/admin/staff", staff_manager);
  ASSERT_EQ(staff.status, 200);
  EXPECT_GE(Body(staff)["staff"].size(), 6u);
  EXPECT_EQ(Call("PATCH", target, staff_manager, R"({"staff_id":"s-999"})").status, 400);
  EXPECT_EQ(Call("PATCH", target, staff_manager, R"({"staff_id":"s-101","x":1})").status, 400);
  EXPECT_EQ(Call("PATCH", "/api/admin/bookings/b-none", staff_manager, R"({"staff_id":"s-101"})")
                .status,
            404);
  auto assigned = Call("PATCH", target, staff_manager, R"({"staff_id":"s-101"})");
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  EXPECT_EQ(Body(assigned)["staff"], "s-101");
  auto events = HotelEvents("booking.assign_staff");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].attributes["hotel.staff_id"], "s-101");

  std::string user = UserToken(nullptr, kChain, "admin_read_bookings admin_read_staff");
  EXPECT_EQ(Call("GET", target, user).status, 403);
  EXPECT_EQ(Call("GET", "/api/admin/staff", user).status, 403);
  EXPECT_EQ(HotelEvents("booking.refused").back().reason, "agent_token_required");
  EXPECT_EQ(Call("GET", "/api/admin/staff", AgentToken("x", "admin_read_bookings")).status, 403);
}

// The W3C trace id of traceparent reaches the booking row and the guard's and the hotel's
// audit events; a malformed one starts a new trace.
TEST_F(HotelApiTest, TraceparentIsCarriedIntoRowAndAudit) {
  auto r = Book(UserToken(BookingDetail()), BookingBody(), {{"traceparent", kTraceparent}});
  ASSERT_EQ(r.status, 201);
  std::string id = Body(r)["id"];
  auto store = HotelStore::Open(dir_, false);
  EXPECT_EQ((*(*store)->FindBooking(id))->trace_id, kTraceId);
  auto created = HotelEvents("booking.create");
  ASSERT_EQ(created.size(), 1u);
  const AuditEvent& e = created[0];
  EXPECT_EQ(e.trace_id, kTraceId);
  EXPECT_EQ(e.component, "hotel");
  EXPECT_EQ(e.subject, kGuest);
  EXPECT_EQ(e.actor_chain, kChain);
  EXPECT_EQ(e.client_id, "booking-agent");
  EXPECT_EQ(e.resource, kDefaultResource);
  EXPECT_EQ(e.attributes["zta.resource.id"], id);
  EXPECT_EQ(e.attributes["zta.grant_id"].get<std::string>().rfind(std::string("g-") + kGuest + "-", 0), 0u);
  EXPECT_EQ(e.attributes["hotel.hotel_id"], kDemoHotelId);
  EXPECT_EQ(e.attributes["hotel.room_id"], kDemoRoomId);
  EXPECT_EQ(e.attributes["hotel.check_in"], "2027-03-01");
  EXPECT_EQ(e.attributes["hotel.check_out"], "2027-03-04");
  EXPECT_EQ(e.attributes["hotel.total"], 540);
  EXPECT_EQ(e.attributes["hotel.currency"], "USD");
  auto guard = HotelEvents("request.authorize");
  ASSERT_FALSE(guard.empty());
  EXPECT_EQ(guard.back().trace_id, kTraceId);
  EXPECT_EQ(guard.back().component, "hotel");

  for (const char* bad : {"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "garbage"}) {
    EXPECT_FALSE(TraceIdFromTraceparent(bad)) << bad;
  }
  auto fresh = Book(UserToken(BookingDetail({{"check_in", "2027-03-02"}})),
                    BookingBody({{"check_in", "2027-03-02"}}), {{"traceparent", "garbage"}});
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  std::string trace = Body(fresh)["trace_id"];
  EXPECT_EQ(trace.size(), 32u);
  EXPECT_NE(trace, kTraceId);
}

// Hostile input never crashes the API and is answered 4xx: bad JSON, huge numbers, traversal and
// escaped ids, bad dates, long stays, unknown paths (404) and wrong methods (405).
TEST_F(HotelApiTest, HostileInputIsRefused) {
  std::string token = UserToken(BookingDetail());
  std::string reader = AgentToken("guest-assistant", "read_hotels read_rooms read_bookings");
  for (const std::string& body : std::vector<std::string>{"{", "[]", "null", R"({"hotel_id":"h-paris-1","hotel_id":"h-paris-2"})",
        std::string(20000, '['), R"({"a":)" + std::string(100, '9') + "}"}) {
    EXPECT_EQ(Call("POST", "/api/bookings", token, body).status, 400) << body.substr(0, 40);
  }
  for (const Json& overrides : std::vector<Json>{
           {{"guests", 1e300}}, {{"guests", 99999999999999999999.0}}, {{"guests", 0}},
           {{"guests", 3}}, {{"guests", "2"}}, {{"guests", -1}}, {{"hotel_id", "../etc"}},
           {{"room_id", std::string(100, 'a')}}, {{"check_in", "2027-02-30"}},
           {{"check_in", "27-03-01"}}, {{"check_out", "2027-03-01"}},
           {{"check_out", "2027-05-01"}}, {{"check_in", 20270301}}, {{"room_id", "h-lisbon-1-dbl"}}}) {
    auto r = Book(token, BookingBody(overrides));
    EXPECT_EQ(r.status, 400) << overrides << r.body;
  }
  EXPECT_EQ(Call("GET", "/api/hotels/..%2f..%2fetc/rooms", reader).status, 404);
  EXPECT_EQ(Call("GET", "/api/hotels/h-paris-1/../../bookings", reader).status, 404);
  EXPECT_EQ(Call("GET", "/api/hotels/h-paris-1/", reader).status, 404);
  EXPECT_EQ(Call("GET", "/api/bookings/b-1001%00", reader).status, 404);
  EXPECT_EQ(Call("GET", "/api/nothing", reader).status, 404);
  EXPECT_EQ(Call("GET", "/etc/passwd", reader).status, 404);
  auto method = Call("DELETE", "/api/bookings", token);
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.headers.Get("Allow").value_or(""), "POST, GET");
  EXPECT_EQ(Call("PUT", "/api/hotels/h-paris-1", reader).status, 405);
  for (const char* query : {"?check_in=2027-03-04&check_out=2027-03-01", "?check_in=x&check_out=y",
                            "?check_in=2027-03-01", "?check_in=%zz&check_out=2027-03-02",
                            "?check_in=2027-03-01&check_in=2027-03-01&check_out=2027-03-02"}) {
    EXPECT_EQ(Call("GET", std::string("/api/hotels/h-paris-1/rooms") + query, reader).status, 400)
        << query;
  }
  EXPECT_EQ(Call("GET", "/api/hotels?guests=0", reader).status, 400);
  EXPECT_EQ(Call("GET", "/api/hotels?guests=1e9", reader).status, 400);
  auto store = HotelStore::Open(dir_, false);
  EXPECT_EQ((*store)->ListBookings()->size(), 5u);
}

// RFC 9728 metadata names the resource, the issuer and every scope.
TEST_F(HotelApiTest, ProtectedResourceMetadata) {
  auto r = Call("GET", "/.well-known/oauth-protected-resource", "");
  ASSERT_EQ(r.status, 200) << r.body;
  Json m = Body(r);
  EXPECT_EQ(m["resource"], kDefaultResource);
  EXPECT_EQ(m["authorization_servers"][0], issuer_.issuer());
  EXPECT_EQ(m["scopes_supported"], Json(AllScopes()));
}

// After a booking commits, the staff endpoint gets {"booking_id","hotel_id","trace_id"} with
// the hotel's own bearer token and the booking's traceparent; the outcome is audited.
TEST(HotelNotifyTest, StaffAreNotifiedAfterTheBooking) {
  std::string dir = MakeTempDir();
  TestIssuer issuer(kDefaultResource);
  StaffEndpoint staff;
  HotelServiceOptions o;
  o.data_dir = dir;
  guard::TrustedIssuer trusted;
  trusted.issuer = issuer.issuer();
  trusted.jwks_uri = issuer.jwks_uri();
  o.issuers.push_back(trusted);
  o.notify_url = staff.url();
  o.notify_resource = "https://staff.zta.example/api";
  auth::AuthProviderOptions identity;
  identity.issuer = issuer.issuer();
  identity.client_id = "hotel-api";
  identity.client_secret = Secret("s3cret");
  o.identity = identity;
  auto service = HotelService::Start(o, SystemClock::Instance());
  ASSERT_TRUE(service.ok()) << service.status();
  http::ClientRequest r;
  r.method = "POST";
  r.url = (*service)->BaseUrl() + "/api/bookings";
  r.headers.Set("Authorization", "Bearer " + issuer.Mint(kGuest, kChain, "create_bookings",
                                                         Json::array({BookingDetail()})));
  r.headers.Set("traceparent", kTraceparent);
  r.body = BookingBody().dump();
  auto booked = http::Send(r);
  ASSERT_TRUE(booked.ok());
  ASSERT_EQ(booked->status, 201) << booked->body;
  (*service)->Stop();  // drains the notifier
  auto requests = staff.requests();
  ASSERT_EQ(requests.size(), 1u);
  Json body = *ParseJsonStrict(requests[0].body);
  EXPECT_EQ(body["booking_id"], (*ParseJsonStrict(booked->body))["id"]);
  EXPECT_EQ(body["hotel_id"], kDemoHotelId);
  EXPECT_EQ(body["trace_id"], kTraceId);
  EXPECT_EQ(requests[0].headers.Get("Authorization").value_or("").rfind("Bearer ey", 0), 0u);
  EXPECT_EQ(TraceIdFromTraceparent(requests[0].headers.Get("traceparent").value_or("")),
            std::string(kTraceId));
  auto reader = audit::AuditLogReader::Open(dir);
  ASSERT_TRUE(reader.ok());
  audit::EventFilter f;
  f.action = "booking.notify";
  auto events = (*reader)->Query(f);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].event.decision, AuditDecision::kAllow);
  EXPECT_EQ((*events)[0].event.trace_id, kTraceId);
  service->reset();
  std::filesystem::remove_all(dir);
}

// The TOML config fills the options; an unknown key or a bad listen address is an error; a
// notification without the hotel's identity does not validate.
TEST(HotelConfigTest, LoadsTheDocumentedKeys) {
  std::string dir = MakeTempDir();
  std::string path = dir + "/hotel.toml";
  std::ofstream(path) << R"([hotel]
listen = "127.0.0.1:0"
resource = "https://hotel.test/api"
booking_chain = ["booker", "assistant"]
[[issuers]]
issuer = "http://127.0.0.1:9000"
jwks_uri = "http://127.0.0.1:9000/jwks"
audience = "https://hotel.test/api"
[staff]
notify_url = "http://127.0.0.1:9100/notify"
notify_resource = "https://staff.test/api"
)";
  HotelServiceOptions o;
  o.data_dir = dir;
  ASSERT_TRUE(LoadHotelConfig(path, &o).ok());
  EXPECT_EQ(o.resource, "https://hotel.test/api");
  EXPECT_EQ(o.booking_chain, (std::vector<std::string>{"booker", "assistant"}));
  ASSERT_EQ(o.issuers.size(), 1u);
  EXPECT_EQ(o.issuers[0].jwks_uri, "http://127.0.0.1:9000/jwks");
  EXPECT_EQ(o.notify_resource, "https://staff.test/api");
  EXPECT_FALSE(o.Validate().ok());  // notify_url without [identity]
  o.notify_url.clear();
  EXPECT_TRUE(o.Validate().ok());
  std::ofstream(path) << "[hotel]\nlisten = \"nowhere\"\n";
  EXPECT_FALSE(LoadHotelConfig(path, &o).ok());
  std::ofstream(path) << "[hotel]\nbooking_chian = [\"x\"]\n";
  Status typo = LoadHotelConfig(path, &o);
  EXPECT_NE(typo.message().find("booking_chian"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// The declared details types are closed JSON Schemas naming what the API compares.
TEST(HotelDeclarationsTest, DetailsTypesAndScopes) {
  EXPECT_EQ(AllScopes().size(), 8u);
  auto types = DetailsTypes();
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types[0].type, kBookingDetailsType);
  EXPECT_EQ(types[0].schema["additionalProperties"], false);
  EXPECT_EQ(types[0].schema["required"].size(), 6u);
  EXPECT_NE(types[0].consent_text.find("{max_total}"), std::string::npos);
  EXPECT_EQ(types[1].type, kCancellationDetailsType);
  EXPECT_EQ(types[1].schema["required"][0], "booking_id");
}

}  // namespace
}  // namespace zta::hotel
