// Tests of the delegated-token helpers (zta/guard/delegation.h) and of the gateway's
// `acting = "user"` routes and X-Zta-Authorization-Details header.
#include "zta/guard/delegation.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "zta/core/base64url.h"
#include "zta/http/client.h"

namespace zta::guard {
namespace {

using testing::FakeIssuer;

Principal WithDetails(Json details) {
  Principal p;
  p.subject = "u-alice";
  p.actor_chain = {"agent-guest"};
  p.authorization_details = std::move(details);
  return p;
}

Json Booking() {
  return Json{{"type", "hotel_booking"},  {"hotel_id", "h-harbour"}, {"room_id", "r-12"},
              {"check_in", "2026-12-03"}, {"max_total", 240},        {"currency", "USD"}};
}

// FindAuthorizationDetails returns the first entry of the type and null for an absent type, an
// absent claim or a claim that is not an array.
TEST(DelegationTest, FindsTheFirstEntryOfAType) {
  Json other = {{"type", "payment"}, {"max_amount", 10}};
  Json second = Booking();
  second["hotel_id"] = "h-other";
  Principal p = WithDetails(Json::array({other, Booking(), second}));
  const Json* found = FindAuthorizationDetails(p, "hotel_booking");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ((*found)["hotel_id"], "h-harbour");
  EXPECT_EQ(FindAuthorizationDetails(p, "car_rental"), nullptr);
  EXPECT_EQ(FindAuthorizationDetails(WithDetails(Json()), "hotel_booking"), nullptr);
  EXPECT_EQ(FindAuthorizationDetails(WithDetails(Booking()), "hotel_booking"), nullptr);
}

// By convention a request within the booking passes; another hotel, a total above max_total, or
// a field the detail does not bound is details_mismatch.
TEST(DelegationTest, ConventionCheckBoundsEqualFieldsAndMaxima) {
  Json ok = {{"hotel_id", "h-harbour"}, {"room_id", "r-12"}, {"total", 200}, {"currency", "USD"}};
  EXPECT_TRUE(CheckWithinDetail(Booking(), ok).ok());
  Json at_max = ok;
  at_max["total"] = 240.0;
  EXPECT_TRUE(CheckWithinDetail(Booking(), at_max).ok());

  Json other_hotel = ok;
  other_hotel["hotel_id"] = "h-other";
  Json too_much = ok;
  too_much["total"] = 240.5;
  Json unbounded = ok;
  unbounded["guests"] = 9;
  Json total_as_text = ok;
  total_as_text["total"] = "1";
  for (const Json& bad : {other_hotel, too_much, unbounded, total_as_text}) {
    Status s = CheckWithinDetail(Booking(), bad);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << bad;
    EXPECT_EQ(s.reason(), kReasonDetailsMismatch) << bad;
  }
}

// An entry that carries a field and its max_ bound is held to both: a hidden "total": 5000
// beside the "max_total": 240 the person read on the consent page lets nothing over 240 through.
TEST(DelegationTest, AnExactFieldNeverLiftsItsBound) {
  Json smuggled = Booking();
  smuggled["total"] = 5000;
  Json request = {{"hotel_id", "h-harbour"}, {"room_id", "r-12"}, {"total", 5000},
                  {"currency", "USD"}};
  Status s = CheckWithinDetail(smuggled, request);
  EXPECT_EQ(s.reason(), kReasonDetailsMismatch) << s;
  request["total"] = 200;  // within the bound but not the smuggled exact value
  EXPECT_EQ(CheckWithinDetail(smuggled, request).reason(), kReasonDetailsMismatch);
}

// Explicit constraints: a renamed detail field, array membership (RFC 9396 `locations`), and a
// field missing from the request or the detail is a mismatch.
TEST(DelegationTest, ExplicitConstraints) {
  Json detail = {{"type", "payment"}, {"limit", 50}, {"locations", {"https://a", "https://b"}}};
  std::vector<DetailConstraint> rules = {
      {"amount", DetailConstraint::Kind::kAtMost, "limit"},
      {"location", DetailConstraint::Kind::kEqual, "locations"},
  };
  EXPECT_TRUE(
      CheckWithinDetail(detail, Json{{"amount", 50}, {"location", "https://b"}}, rules).ok());
  EXPECT_EQ(
      CheckWithinDetail(detail, Json{{"amount", 51}, {"location", "https://b"}}, rules).reason(),
      kReasonDetailsMismatch);
  EXPECT_EQ(
      CheckWithinDetail(detail, Json{{"amount", 5}, {"location", "https://c"}}, rules).reason(),
      kReasonDetailsMismatch);
  EXPECT_EQ(CheckWithinDetail(detail, Json{{"location", "https://a"}}, rules).reason(),
            kReasonDetailsMismatch);
  std::vector<DetailConstraint> missing = {{"currency", DetailConstraint::Kind::kEqual, ""}};
  EXPECT_EQ(CheckWithinDetail(detail, Json{{"currency", "USD"}}, missing).reason(),
            kReasonDetailsMismatch);
}

// CheckRequestWithinDetails: any entry of the type may admit the request; none of the type is
// details_missing; entries of the type that all refuse are details_mismatch.
TEST(DelegationTest, RequestWithinAnyEntryOfTheType) {
  Json second = Booking();
  second["hotel_id"] = "h-two";
  Principal p = WithDetails(Json::array({Booking(), second}));
  EXPECT_TRUE(CheckRequestWithinDetails(p, "hotel_booking", Json{{"hotel_id", "h-two"}}).ok());
  EXPECT_EQ(CheckRequestWithinDetails(p, "hotel_booking", Json{{"hotel_id", "h-3"}}).reason(),
            kReasonDetailsMismatch);
  Status missing = CheckRequestWithinDetails(p, "car_rental", Json{{"hotel_id", "h-two"}});
  EXPECT_EQ(missing.reason(), kReasonDetailsMissing);
  EXPECT_EQ(missing.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(
      CheckRequestWithinDetails(WithDetails(Json()), "hotel_booking", Json::object()).reason(),
      kReasonDetailsMissing);
}

// ActsForUser: true for sub=user with act; false for the agent as itself (no act) and for an
// act chain naming the subject itself.
TEST(DelegationTest, ActsForUser) {
  EXPECT_TRUE(ActsForUser(WithDetails(Json())));
  Principal self;
  self.subject = "agent-guest";
  EXPECT_FALSE(ActsForUser(self));
  self.actor_chain = {"agent-guest"};
  EXPECT_FALSE(ActsForUser(self));
}

class ActingUserGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto upstream = http::HttpServer::Start({}, [](const http::Request& r) {
      Json headers = Json::object();
      for (const auto& [name, value] : r.headers.fields()) headers[name] = value;
      return http::Response::Json(200, Json{{"headers", headers}});
    });
    ASSERT_TRUE(upstream.ok());
    upstream_ = std::move(upstream).value();
    auto options = testing::GatewayOptionsFor(
        issuer_, upstream_->BaseUrl(), {"POST /api/bookings create_bookings", "GET /api/hotels*"});
    options.routes[0].acting = "user";
    auto served = testing::ServeGateway(std::move(options), clock_, audit_);
    ASSERT_NE(served.server, nullptr);
    gateway_ = std::move(served.gateway);
    server_ = std::move(served.server);
  }

  http::Response Call(const std::string& method, const std::string& path, const std::string& token,
                      http::Headers headers = {}) {
    http::ClientRequest r;
    r.method = method;
    r.url = server_->BaseUrl() + path;
    r.headers = std::move(headers);
    r.headers.Set("Authorization", "Bearer " + token);
    auto response = http::Send(r);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }

  SystemClock& clock_ = SystemClock::Instance();
  InMemoryAuditSink audit_;
  FakeIssuer issuer_;
  std::unique_ptr<http::HttpServer> upstream_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<http::HttpServer> server_;
};

// An `acting = "user"` route refuses the agent's own token (403, audited user_token_required)
// and forwards a delegated one with subject, actor chain and the details (base64url JSON);
// a client's own X-Zta-Authorization-Details never reaches the upstream.
TEST_F(ActingUserGatewayTest, RequiresADelegatedTokenAndForwardsTheChain) {
  const std::string own = issuer_.Sign(issuer_.Token(clock_, "agent-guest"));
  auto refused = Call("POST", "/api/bookings", own);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.headers.Get("WWW-Authenticate").value_or("").find("insufficient_scope"),
            std::string::npos);
  auto events = audit_.Events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().reason, kReasonUserTokenRequired);
  EXPECT_EQ(events.back().decision, AuditDecision::kDeny);

  // Other routes keep taking the agent's own token.
  EXPECT_EQ(Call("GET", "/api/hotels/1", own).status, 200);

  const Json details = Json::array({Booking()});
  const std::string delegated = issuer_.Sign(issuer_.Token(clock_, "u-alice")
                                                 .Claim("client_id", "app-chat")
                                                 .Claim("act", Json{{"sub", "agent-guest"}})
                                                 .Claim("authorization_details", details));
  http::Headers spoof;
  spoof.Set("X-Zta-Authorization-Details", Base64UrlEncode("[]"));
  auto ok = Call("POST", "/api/bookings", delegated, spoof);
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto echo = ParseJsonStrict(ok.body);
  ASSERT_TRUE(echo.ok());
  const Json& h = (*echo)["headers"];
  EXPECT_EQ(h["X-Zta-Subject"], "u-alice");
  EXPECT_EQ(h["X-Zta-Actor"], "agent-guest");
  EXPECT_EQ(h["X-Zta-Client-Id"], "app-chat");
  auto forwarded = Base64UrlDecode(h["X-Zta-Authorization-Details"].get<std::string>());
  ASSERT_TRUE(forwarded.ok());
  auto parsed = ParseJsonStrict(*forwarded);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, details);
}

// `acting` is read from TOML; a value other than "any" or "user" fails validation.
TEST(ActingUserConfigTest, ParsesAndValidatesActing) {
  const std::string base = R"(
upstream = "http://127.0.0.1:9000"
audience = "https://hotel.example/api"
[[issuer]]
issuer = "http://127.0.0.1:3000"
[[route]]
method = "POST"
path = "/api/bookings"
)";
  auto o = ParseGatewayConfig(base + "acting = \"user\"\n");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->routes[0].acting, "user");
  EXPECT_TRUE(o->Validate().ok()) << o->Validate();
  auto plain = ParseGatewayConfig(base);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->routes[0].acting, "any");
  auto typo = ParseGatewayConfig(base + "acting = \"users\"\n");
  ASSERT_TRUE(typo.ok());
  EXPECT_FALSE(typo->Validate().ok());
}

}  // namespace
}  // namespace zta::guard
