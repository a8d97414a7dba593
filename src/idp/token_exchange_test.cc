// RFC 8693 token exchange: user → guest assistant → booking agent chains along delegation rules,
// and every way an exchange must be refused (docs/delegation.md, "Token exchange").
#include <gtest/gtest.h>

#include "delegation_test_fixture.h"
#include "token_standing.h"
#include "grants/details_subset.h"
#include "zta/idp/reasons.h"
#include "zta/jose/jwt.h"

namespace zta::idp {
namespace {

using testing::DelegationFixture;
using testing::kActorTokenType;
using testing::kHotel;

constexpr char kExchange[] = "urn:ietf:params:oauth:grant-type:token-exchange";

class TokenExchangeTest : public DelegationFixture {
 protected:
  void SetUp() override {
    DelegationFixture::SetUp();
    DeclareBookingDetails();
    // agent_ is the guest assistant; two more agents after it.
    std::tie(booking_, booking_secret_) = AddSecretAgent({"hotels:read", "bookings:create"});
    std::tie(third_, third_secret_) = AddSecretAgent({"hotels:read", "bookings:create"});
    Delegate(agent_, booking_);
  }

  void Delegate(const std::string& from, const std::string& to, DelegationRuleSpec spec = {}) {
    spec.from = from;
    spec.to = to;
    ASSERT_TRUE(idp_->AddDelegationRule(spec).ok());
  }
  // The user's delegated token with agent_ (the guest assistant) as actor.
  std::string UserToken() {
    Json b = Body(Redeem(PutCode(CodeRecord())));
    return b.value("access_token", "");
  }
  http::Response Exchange(const std::string& subject, const std::string& as,
                          const std::string& secret, const Form& extra = {}) {
    Form form = {{"grant_type", kExchange},
                 {"subject_token", subject},
                 {"subject_token_type", kActorTokenType},
                 {"actor_token", AgentToken(as, secret)},
                 {"actor_token_type", kActorTokenType}};
    return Post("/token", Merge(form, extra), as, secret);
  }
  // The exchange's error code and the audit reason of its token.issue event.
  std::pair<std::string, std::string> Refusal(const http::Response& r) {
    EXPECT_EQ(r.status, 400) << r.body;
    return {Body(r).value("error", ""), LastIssueReason()};
  }

  std::string booking_, booking_secret_;
  std::string third_, third_secret_;
};

TEST_F(TokenExchangeTest, UserGuestBookingChainNestsActWithTheNewActorOutermost) {
  std::string subject = UserToken();
  ASSERT_FALSE(subject.empty());
  http::Response r = Exchange(subject, booking_, booking_secret_);
  ASSERT_EQ(r.status, 200) << r.body;
  Json body = Body(r);
  EXPECT_EQ(body["issued_token_type"], kActorTokenType);
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_FALSE(body.contains("refresh_token"));
  auto v = VerifyAt(body["access_token"].get<std::string>());
  ASSERT_TRUE(v.ok()) << v.status();
  auto s = VerifyAt(subject);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*v)->subject, user_);
  EXPECT_EQ((*v)->client_id, booking_);
  EXPECT_EQ((*v)->claims["act"], (Json{{"sub", booking_}, {"act", {{"sub", agent_}}}}));
  EXPECT_LE((*v)->expires_at, (*s)->expires_at);
  EXPECT_EQ((*v)->claims["zta_grant"], (*s)->claims["zta_grant"]);
  EXPECT_EQ((*v)->claims["zta_parents"], Json::array({(*s)->jti}));
  EXPECT_EQ((*v)->claims["authorization_details"], (*s)->claims["authorization_details"]);
  EXPECT_EQ((*v)->scopes, std::vector<std::string>{"bookings:create"});  // openid dropped
  Json active = Introspect(body["access_token"].get<std::string>());
  EXPECT_EQ(active["active"], true);
  bool found = false;
  for (const AuditEvent& e : audit_.Events()) {
    if (e.action == "token.issue" && e.attributes.contains("zta.exchange")) {
      found = true;
      EXPECT_EQ(e.subject, user_);
      EXPECT_EQ(e.actor_chain, (std::vector<std::string>{booking_, agent_}));
      EXPECT_FALSE(e.attributes.value("zta.details_digest", "").empty());
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(TokenExchangeTest, ExpiryNeverPassesTheSubjectToken) {
  std::string subject = UserToken();
  clock_.AdvanceSeconds(250);  // 50 s left of the subject's 300
  http::Response r = Exchange(subject, booking_, booking_secret_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_LE(Body(r)["expires_in"].get<int64_t>(), 50);
}

TEST_F(TokenExchangeTest, AThirdHopNeedsItsOwnRuleAndTheDepthCap) {
  std::string second = Body(Exchange(UserToken(), booking_, booking_secret_))["access_token"];
  EXPECT_EQ(Refusal(Exchange(second, third_, third_secret_)),
            (std::pair<std::string, std::string>{"invalid_grant", kReasonNoDelegationRule}));
  DelegationRuleSpec capped;
  capped.max_depth = 2;
  Delegate(booking_, third_, capped);
  EXPECT_EQ(Refusal(Exchange(second, third_, third_secret_)),
            (std::pair<std::string, std::string>{"invalid_grant", kReasonChainTooDeep}));
  Delegate(booking_, third_);  // replaces the capped rule: the server cap (4) applies
  http::Response r = Exchange(second, third_, third_secret_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = VerifyAt(Body(r)["access_token"].get<std::string>());
  ASSERT_TRUE(v.ok());
  auto chain = ReadActorChain((*v)->claims);
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(*chain, (std::vector<std::string>{third_, booking_, agent_}));
  EXPECT_EQ((*v)->claims["zta_parents"].size(), 2u);
}

TEST_F(TokenExchangeTest, ScopeAndDetailsCanOnlyNarrow) {
  std::string subject = UserToken();
  EXPECT_EQ(Refusal(Exchange(subject, booking_, booking_secret_, {{"scope", "hotels:read"}})),
            (std::pair<std::string, std::string>{"invalid_scope", kReasonScopeEscalation}));
  Json wider = Json::array({{{"type", "hotel_booking"},
                             {"hotel_id", "h-1"},
                             {"room_id", "r-12"},
                             {"max_total", 999}}});
  EXPECT_EQ(Refusal(Exchange(subject, booking_, booking_secret_,
                             {{"authorization_details", wider.dump()}})),
            (std::pair<std::string, std::string>{"invalid_authorization_details",
                                                 kReasonDetailsEscalation}));
  Json other_hotel = wider;
  other_hotel[0]["hotel_id"] = "h-2";
  other_hotel[0]["max_total"] = 100;
  EXPECT_EQ(Refusal(Exchange(subject, booking_, booking_secret_,
                             {{"authorization_details", other_hotel.dump()}})),
            (std::pair<std::string, std::string>{"invalid_authorization_details",
                                                 kReasonDetailsEscalation}));
  Json added = wider;
  added[0]["max_total"] = 200;
  added[0]["max_refund"] = 1'000'000;
  EXPECT_EQ(Refusal(Exchange(subject, booking_, booking_secret_,
                             {{"authorization_details", added.dump()}})),
            (std::pair<std::string, std::string>{"invalid_authorization_details",
                                                 kReasonDetailsEscalation}));
  Json narrower = wider;
  narrower[0]["max_total"] = 200;
  http::Response r = Exchange(subject, booking_, booking_secret_,
                              {{"authorization_details", narrower.dump()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["authorization_details"], narrower);
}

TEST_F(TokenExchangeTest, TheRuleLimitsScopesAndResource) {
  DelegationRuleSpec narrow;
  narrow.scopes = {"hotels:read"};
  Delegate(agent_, booking_, narrow);
  // The subject carries only bookings:create, which the rule does not pass on.
  EXPECT_EQ(Refusal(Exchange(UserToken(), booking_, booking_secret_)),
            (std::pair<std::string, std::string>{"invalid_scope", kReasonScopeNotDelegated}));
  DelegationRuleSpec elsewhere;
  ASSERT_TRUE(idp_->AddResource("https://other.example/api", {"x"}, 0, false).ok());
  elsewhere.resource = "https://other.example/api";
  Delegate(agent_, booking_, elsewhere);
  http::Response r = Exchange(UserToken(), booking_, booking_secret_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"], "invalid_target");
  EXPECT_EQ(LastIssueReason(), kReasonResourceNotDelegated);
  // Asking for another resource than the subject's is refused even with a rule for it.
  Delegate(agent_, booking_);
  r = Exchange(UserToken(), booking_, booking_secret_,
               {{"resource", "https://other.example/api"}});
  EXPECT_EQ(Body(r)["error"], "invalid_target");
}

TEST_F(TokenExchangeTest, TheActorTokenMustBeTheCallersOwn) {
  std::string subject = UserToken();
  Form form = {{"grant_type", kExchange},
               {"subject_token", subject},
               {"subject_token_type", kActorTokenType},
               {"actor_token", AgentToken(third_, third_secret_)},
               {"actor_token_type", kActorTokenType}};
  EXPECT_EQ(Refusal(Post("/token", form, booking_, booking_secret_)),
            (std::pair<std::string, std::string>{"invalid_grant", kReasonActorTokenInvalid}));
  form[3].second = "";
  EXPECT_EQ(Refusal(Post("/token", Merge(form, {}), booking_, booking_secret_)),
            (std::pair<std::string, std::string>{"invalid_grant", kReasonActorTokenInvalid}));
  // The subject token as its own actor token: not the caller's own.
  form[3].second = subject;
  EXPECT_EQ(Refusal(Post("/token", form, booking_, booking_secret_)).first, "invalid_grant");
}

TEST_F(TokenExchangeTest, AnInactiveSubjectIsRefusedAndRevocationReachesExchangedTokens) {
  std::string subject = UserToken();
  std::string exchanged = Body(Exchange(subject, booking_, booking_secret_))["access_token"];
  ASSERT_EQ(Introspect(exchanged)["active"], true);
  // Revoking the subject token (the guest's) ends the exchanged one too.
  ASSERT_EQ(Post("/revoke", {{"token", subject}}, app_, app_secret_).status, 200);
  EXPECT_EQ(Introspect(exchanged)["active"], false);
  EXPECT_EQ(Refusal(Exchange(subject, booking_, booking_secret_)),
            (std::pair<std::string, std::string>{"invalid_grant", kReasonSubjectInactive}));
  // Disabling the first agent ends a fresh chain.
  std::string again = Body(Exchange(UserToken(), booking_, booking_secret_))["access_token"];
  ASSERT_EQ(Introspect(again)["active"], true);
  ASSERT_TRUE(idp_->SetAgentEnabled(agent_, false).ok());
  EXPECT_EQ(Introspect(again)["active"], false);
  ASSERT_TRUE(idp_->SetAgentEnabled(agent_, true).ok());
  EXPECT_EQ(Introspect(again)["active"], true);
  // Revoking the user's grant ends it for good.
  auto v = VerifyAt(again);
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(idp_->store()
                  .RevokeGrant((*v)->claims["zta_grant"].get<std::string>(), clock_.NowSeconds(),
                               "test")
                  .ok());
  EXPECT_EQ(Introspect(again)["active"], false);
  // An expired subject.
  std::string late = UserToken();
  clock_.AdvanceSeconds(301);
  EXPECT_EQ(Refusal(Exchange(late, booking_, booking_secret_)).second, kReasonSubjectInactive);
}

TEST_F(TokenExchangeTest, SubjectTokensFromElsewhereAndMalformedRequestsAreRefused) {
  // A token signed by a key this idp never published, claiming another issuer.
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(key.ok());
  auto foreign = jose::JwtBuilder()
                     .Type("at+jwt")
                     .Issuer("https://evil.example")
                     .Subject(user_)
                     .Audience(kHotel)
                     .Claim("client_id", agent_)
                     .Claim("act", Json{{"sub", agent_}})
                     .Id("j-1")
                     .IssuedAt(clock_.NowSeconds())
                     .ExpiresAt(clock_.NowSeconds() + 60)
                     .Sign(jose::Algorithm::kES256, *key);
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(Refusal(Exchange(*foreign, booking_, booking_secret_)),
            (std::pair<std::string, std::string>{"invalid_grant", kReasonUntrustedIssuer}));
  EXPECT_EQ(Refusal(Exchange(UserToken(), booking_, booking_secret_,
                             {{"requested_token_type",
                               "urn:ietf:params:oauth:token-type:refresh_token"}}))
                .first,
            "invalid_request");
  EXPECT_EQ(Refusal(Exchange(UserToken(), booking_, booking_secret_,
                             {{"subject_token_type", "urn:example:nope"}}))
                .first,
            "invalid_request");
  EXPECT_EQ(Refusal(Exchange("not.a.jwt", booking_, booking_secret_)).first, "invalid_grant");
  EXPECT_EQ(Refusal(Exchange(UserToken(), booking_, booking_secret_,
                             {{"authorization_details", "{\"type\":1}"}}))
                .first,
            "invalid_authorization_details");
  // Apps do not exchange tokens: only agents act.
  Form form = {{"grant_type", kExchange},
               {"subject_token", UserToken()},
               {"subject_token_type", kActorTokenType}};
  http::Response r = Post("/token", form, app_, app_secret_);
  EXPECT_EQ(Body(r)["error"], "unauthorized_client");
}

TEST_F(TokenExchangeTest, OnlyTokensWithAnActingAgentAreHandedOn) {
  // The guest assistant's own token: handing it on would make the booking agent act for an
  // agent as if it were a user.
  EXPECT_EQ(Refusal(Exchange(AgentToken(), booking_, booking_secret_, {{"scope", "hotels:read"}})),
            (std::pair<std::string, std::string>{"invalid_grant", kReasonNoDelegationRule}));
  // A plain user token (no actor): users give agents authority by consent, not by token.
  AuthorizationCode plain = CodeRecord();
  plain.agent_id = "";
  std::string user_only = Body(Redeem(PutCode(plain), {{"actor_token", ""},
                                                       {"actor_token_type", ""}}))
                              .value("access_token", "");
  ASSERT_FALSE(user_only.empty());
  EXPECT_EQ(Refusal(Exchange(user_only, booking_, booking_secret_)),
            (std::pair<std::string, std::string>{"invalid_grant", kReasonNoDelegationRule}));
}

TEST(DetailsSubsetTest, NarrowerEntriesOnly) {
  Json held = {{"type", "hotel_booking"}, {"hotel_id", "h-1"}, {"max_total", 240},
               {"locations", Json::array({"a", "b"})}};
  Json same = held;
  EXPECT_TRUE(DetailEntryWithin(same, held));
  Json lower = held;
  lower["max_total"] = 239.5;
  EXPECT_TRUE(DetailEntryWithin(lower, held));
  Json extra = held;
  extra["max_refund"] = 1;  // a field the user never bounded: resource servers would admit it
  EXPECT_FALSE(DetailEntryWithin(extra, held));
  Json one_location = held;
  one_location["locations"] = Json::array({"b"});
  EXPECT_TRUE(DetailEntryWithin(one_location, held));
  Json scalar_location = held;
  scalar_location["locations"] = "a";
  EXPECT_TRUE(DetailEntryWithin(scalar_location, held));
  Json more_locations = held;
  more_locations["locations"] = Json::array({"a", "c"});
  EXPECT_FALSE(DetailEntryWithin(more_locations, held));
  Json higher = held;
  higher["max_total"] = 241;
  EXPECT_FALSE(DetailEntryWithin(higher, held));
  Json string_max = held;
  string_max["max_total"] = "1";
  EXPECT_FALSE(DetailEntryWithin(string_max, held));
  Json missing = held;
  missing.erase("hotel_id");
  EXPECT_FALSE(DetailEntryWithin(missing, held));
  Json other_type = held;
  other_type["type"] = "payment";
  EXPECT_FALSE(DetailEntryWithin(other_type, held));
  EXPECT_FALSE(DetailEntryWithin(Json::array(), held));
  EXPECT_EQ(WhyDetailsExceed(Json::array({same}), Json()),
            "an entry of type hotel_booking asks for more than the subject token carries");
  EXPECT_EQ(WhyDetailsExceed(Json::array({lower, one_location}), Json::array({held})), "");
}

TEST(ActorChainTest, ReadsNestingAndRefusesMalformedChains) {
  Json claims = {{"act", {{"sub", "b"}, {"act", {{"sub", "a"}}}}}};
  auto chain = ReadActorChain(claims);
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(*chain, (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(ReadActorChain(Json::object())->empty());
  for (Json bad : {Json{{"act", "b"}}, Json{{"act", {{"sub", 1}}}},
                   Json{{"act", {{"sub", "b"}, {"act", Json::array()}}}},
                   Json{{"act", {{"sub", ""}}}}}) {
    EXPECT_EQ(ReadActorChain(bad).status().reason(), kReasonBadActorChain) << bad.dump();
  }
  Json deep = {{"sub", "x"}};
  for (int i = 0; i < kMaxActNesting; ++i) deep = {{"sub", "x"}, {"act", deep}};
  EXPECT_EQ(ReadActorChain(Json{{"act", deep}}).status().reason(), kReasonBadActorChain);
}

}  // namespace
}  // namespace zta::idp
