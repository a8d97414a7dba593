// Tests of who may act (RFC 8693 §4.1 act chains): the validator's reading of nested `act`,
// guard::ActorPolicy matching and parsing, and the gateway's per-route `actors` key end to end
// with tokens minted by FakeIssuer.
#include <gtest/gtest.h>

#include "test_util.h"
#include "zta/guard/delegation.h"
#include "zta/guard/gateway.h"
#include "zta/http/client.h"

namespace zta::guard {
namespace {

using testing::FakeIssuer;
using testing::kAudience;
using Chain = std::vector<std::string>;

// {"sub": chain[0], "act": {"sub": chain[1], ...}}: the current actor outermost.
Json NestedAct(const Chain& chain) {
  Json act;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    Json level = {{"sub", *it}};
    if (!act.is_null()) level["act"] = std::move(act);
    act = std::move(level);
  }
  return act;
}

Principal WithChain(Chain chain) {
  Principal p;
  p.subject = "u-alice";
  p.actor_chain = std::move(chain);
  return p;
}

std::string Reason(const Status& s) { return s.ok() ? "ok" : s.reason(); }

class ActorChainValidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ValidatorOptions o;
    TrustedIssuer t;
    t.issuer = issuer_.issuer();
    o.issuers.push_back(t);
    o.audience = kAudience;
    auto v = Validator::Create(std::move(o), clock_, audit_);
    ASSERT_TRUE(v.ok()) << v.status();
    validator_ = std::move(v).value();
  }
  Result<Principal> WithAct(const Json& act) {
    return validator_->AuthorizeToken(
        issuer_.Sign(issuer_.Token(clock_, "u-alice").Claim("act", act)));
  }

  FakeClock clock_;
  InMemoryAuditSink audit_;
  FakeIssuer issuer_;
  std::unique_ptr<Validator> validator_;
};

// Nested act of depth 1 to the cap reads as the chain, current actor first, in the Principal
// and the audit event.
TEST_F(ActorChainValidatorTest, NestedActOfAnyDepthUpToTheCap) {
  for (size_t depth = 1; depth <= kMaxActorChainDepth; ++depth) {
    Chain chain;
    for (size_t i = 0; i < depth; ++i) chain.push_back("agent-" + std::to_string(i));
    auto p = WithAct(NestedAct(chain));
    ASSERT_TRUE(p.ok()) << depth << ": " << p.status();
    EXPECT_EQ(p->actor_chain, chain);
    EXPECT_EQ(audit_.Events().back().actor_chain, chain);
  }
  auto two = WithAct(NestedAct({"booking-agent", "guest-assistant"}));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->actor_chain, (Chain{"booking-agent", "guest-assistant"}));
  EXPECT_EQ(two->subject, "u-alice");
}

// One level past the cap, or any level that is not an object with a non-empty string sub, is
// bad_actor_claim — never a shorter chain.
TEST_F(ActorChainValidatorTest, MalformedOrTooDeepActIsRefused) {
  Chain deep;
  for (size_t i = 0; i <= kMaxActorChainDepth; ++i) deep.push_back("a" + std::to_string(i));
  EXPECT_EQ(Reason(WithAct(NestedAct(deep)).status()), kReasonBadActor);
  const Json bad[] = {
      Json(),                                                     // act: null
      Json::array({Json{{"sub", "a"}}}),                          // an array of actors
      Json{{"sub", "a"}, {"act", "b"}},                           // nested act a string
      Json{{"sub", "a"}, {"act", Json()}},                        // nested act null
      Json{{"sub", "a"}, {"act", Json::array()}},                 // nested act an array
      Json{{"sub", "a"}, {"act", Json{{"client_id", "b"}}}},      // nested act without sub
      Json{{"sub", 7}},                                           // sub a number
      Json{{"sub", ""}},                                          // sub empty
      Json{{"sub", "a"}, {"act", Json{{"sub", Json::array()}}}},  // nested sub an array
  };
  for (const Json& act : bad) {
    EXPECT_EQ(Reason(WithAct(act).status()), kReasonBadActor) << act.dump();
  }
}

// Exact matching: the listed chain passes; a prefix, a longer chain, the reverse, a reordered
// or case-changed id, a duplicate and no act at all do not.
TEST(ActorPolicyTest, ChainsMatchExactly) {
  const ActorPolicy policy = ActorPolicy::Chains({{"booking-agent", "guest-assistant"}});
  EXPECT_TRUE(CheckActorPolicy(WithChain({"booking-agent", "guest-assistant"}), policy).ok());
  const Chain refused[] = {
      {"booking-agent"},
      {"guest-assistant"},
      {"booking-agent", "guest-assistant", "x"},
      {"x", "booking-agent", "guest-assistant"},
      {"guest-assistant", "booking-agent"},
      {"Booking-Agent", "guest-assistant"},
      {"booking-agent", "guest-assistant", "guest-assistant"},
      {"booking-agent", "booking-agent"},
      {},
  };
  for (const auto& chain : refused) {
    Status s = CheckActorPolicy(WithChain(chain), policy);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << Json(chain).dump();
    EXPECT_EQ(Reason(s), kReasonActorChainNotAllowed) << Json(chain).dump();
  }
  // Several chains: any one of them, each exactly; a chain that repeats an id matches only
  // itself.
  const ActorPolicy two =
      ActorPolicy::Chains({{"booking-agent", "guest-assistant"}, {"a", "a"}, {"booking-agent"}});
  EXPECT_TRUE(CheckActorPolicy(WithChain({"booking-agent"}), two).ok());
  EXPECT_TRUE(CheckActorPolicy(WithChain({"a", "a"}), two).ok());
  EXPECT_FALSE(CheckActorPolicy(WithChain({"a"}), two).ok());
  EXPECT_FALSE(CheckActorPolicy(WithChain({"a", "a", "a"}), two).ok());
}

// any admits every chain and none; none admits only a token without act; an empty chain in a
// list means the same as none for that entry, beside the chains listed.
TEST(ActorPolicyTest, AnyNoneAndTheEmptyChain) {
  const Principal direct = WithChain({});
  const Principal delegated = WithChain({"booking-agent"});
  EXPECT_TRUE(CheckActorPolicy(direct, ActorPolicy::Any()).ok());
  EXPECT_TRUE(CheckActorPolicy(delegated, ActorPolicy::Any()).ok());
  EXPECT_TRUE(CheckActorPolicy(direct, ActorPolicy::None()).ok());
  EXPECT_EQ(Reason(CheckActorPolicy(delegated, ActorPolicy::None())), kReasonActorChainNotAllowed);
  const ActorPolicy direct_or_booking = ActorPolicy::Chains({{}, {"booking-agent"}});
  EXPECT_TRUE(CheckActorPolicy(direct, direct_or_booking).ok());
  EXPECT_TRUE(CheckActorPolicy(delegated, direct_or_booking).ok());
  EXPECT_FALSE(CheckActorPolicy(WithChain({"guest-assistant"}), direct_or_booking).ok());
  EXPECT_FALSE(CheckActorPolicy(direct, ActorPolicy::Chains({{"booking-agent"}})).ok());
}

// The denial names the chain seen, JSON-escaped, current actor first.
TEST(ActorPolicyTest, DenialNamesTheChainSeen) {
  Status s = CheckActorPolicy(WithChain({"guest-assistant", "evil\nagent"}),
                              ActorPolicy::Chains({{"booking-agent"}}));
  EXPECT_NE(s.message().find(R"(["guest-assistant","evil\nagent"])"), std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
  EXPECT_NE(CheckActorPolicy(WithChain({}), ActorPolicy::Chains({{"booking-agent"}}))
                .message()
                .find("without act"),
            std::string::npos);
}

// Config text: "any", "none" (bare or quoted) and arrays of arrays; everything else is refused
// with a message, never read as "any".
TEST(ActorPolicyTest, ParsesConfigText) {
  EXPECT_EQ(ParseActorPolicy("any")->kind, ActorPolicy::Kind::kAny);
  EXPECT_EQ(ParseActorPolicy("\"none\"")->kind, ActorPolicy::Kind::kNone);
  auto chains = ParseActorPolicy(R"([["booking-agent","guest-assistant"],["booking-agent"]])");
  ASSERT_TRUE(chains.ok()) << chains.status();
  EXPECT_EQ(chains->kind, ActorPolicy::Kind::kChains);
  EXPECT_EQ(chains->chains,
            (std::vector<Chain>{{"booking-agent", "guest-assistant"}, {"booking-agent"}}));
  EXPECT_EQ(ParseActorPolicy(chains->ToString())->chains, chains->chains);
  EXPECT_EQ(ParseActorPolicy("[[]]")->chains, (std::vector<Chain>{{}}));
  const char* bad[] = {"",
                       "ANY",
                       "some",
                       "[]",
                       R"(["a"])",
                       "[[1]]",
                       R"([["a",""]])",
                       R"({"a":["b"]})",
                       "3",
                       R"([["a"]],)",
                       R"([["a","b","c","d","e","f","g","h","i"]])"};
  for (const char* text : bad) {
    auto p = ParseActorPolicy(text);
    EXPECT_FALSE(p.ok()) << text;
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << text;
    }
  }
}

class ActorPolicyGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto upstream = http::HttpServer::Start({}, [this](const http::Request&) {
      ++upstream_calls_;
      return http::Response::Json(200, Json{{"ok", true}});
    });
    ASSERT_TRUE(upstream.ok());
    upstream_ = std::move(upstream).value();
    auto options = testing::GatewayOptionsFor(
        issuer_, upstream_->BaseUrl(),
        {"POST /api/bookings create_bookings", "GET /api/hotels*", "GET /api/rooms*"});
    options.routes[0].acting = "user";
    options.routes[0].actors = ActorPolicy::Chains({{"booking-agent", "guest-assistant"}});
    options.routes[1].actors = ActorPolicy::None();
    options.routes[2].actors =
        ActorPolicy::Chains({{"booking-agent", "guest-assistant"}, {"booking-agent"}});
    auto served = testing::ServeGateway(std::move(options), clock_, audit_);
    ASSERT_NE(served.server, nullptr);
    gateway_ = std::move(served.gateway);
    server_ = std::move(served.server);
  }

  // A token for u-alice carried by `chain` (no act when empty).
  std::string Token(const Chain& chain) {
    auto b = issuer_.Token(clock_, chain.empty() ? "guest-assistant" : "u-alice");
    if (!chain.empty()) b.Claim("act", NestedAct(chain)).Claim("client_id", chain.front());
    return issuer_.Sign(b);
  }
  http::Response Call(const std::string& method, const std::string& path,
                      const std::string& token) {
    http::ClientRequest r;
    r.method = method;
    r.url = server_->BaseUrl() + path;
    r.headers.Set("Authorization", "Bearer " + token);
    auto response = http::Send(r);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }
  // The request was refused as the acting check refuses: 403 insufficient_scope, the RFC 6750
  // challenge, audited deny with actor_chain_not_allowed and the chain; the upstream untouched.
  void ExpectChainRefused(const http::Response& r, const Chain& chain) {
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.body, R"({"error":"insufficient_scope"})");
    EXPECT_NE(r.headers.Get("WWW-Authenticate").value_or("").find("error=\"insufficient_scope\""),
              std::string::npos);
    auto events = audit_.Events();
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().decision, AuditDecision::kDeny);
    EXPECT_EQ(events.back().reason, kReasonActorChainNotAllowed);
    EXPECT_EQ(events.back().actor_chain, chain);
    EXPECT_FALSE(events.back().jti.empty());
  }

  SystemClock& clock_ = SystemClock::Instance();
  InMemoryAuditSink audit_;
  FakeIssuer issuer_;
  std::unique_ptr<http::HttpServer> upstream_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<http::HttpServer> server_;
  std::atomic<int> upstream_calls_{0};
};

// user → guest-assistant → booking-agent books; the guest assistant alone, the booking agent
// alone, the reverse order and a longer chain are refused on that route.
TEST_F(ActorPolicyGatewayTest, BookingRouteAdmitsExactlyTheListedChain) {
  EXPECT_EQ(Call("POST", "/api/bookings", Token({"booking-agent", "guest-assistant"})).status, 200);
  EXPECT_EQ(upstream_calls_, 1);
  const Chain refused[] = {{"guest-assistant"},
                           {"booking-agent"},
                           {"guest-assistant", "booking-agent"},
                           {"booking-agent", "guest-assistant", "planner"}};
  for (const auto& chain : refused) {
    ExpectChainRefused(Call("POST", "/api/bookings", Token(chain)), chain);
  }
  EXPECT_EQ(upstream_calls_, 1);
}

// actors = none takes the agent's own token and refuses any delegated one; a list may admit
// several chains.
TEST_F(ActorPolicyGatewayTest, NoneAndSeveralChains) {
  EXPECT_EQ(Call("GET", "/api/hotels/1", Token({})).status, 200);
  ExpectChainRefused(Call("GET", "/api/hotels/1", Token({"booking-agent"})), {"booking-agent"});
  EXPECT_EQ(Call("GET", "/api/rooms", Token({"booking-agent"})).status, 200);
  EXPECT_EQ(Call("GET", "/api/rooms", Token({"booking-agent", "guest-assistant"})).status, 200);
  ExpectChainRefused(Call("GET", "/api/rooms", Token({})), {});
  ExpectChainRefused(Call("GET", "/api/rooms", Token({"guest-assistant"})), {"guest-assistant"});
}

// The acting check still runs first: the agent's own token on the booking route is
// user_token_required, not actor_chain_not_allowed.
TEST_F(ActorPolicyGatewayTest, ActingUserIsCheckedFirst) {
  EXPECT_EQ(Call("POST", "/api/bookings", Token({})).status, 403);
  EXPECT_EQ(audit_.Events().back().reason, kReasonUserTokenRequired);
}

const char kBase[] = R"(
upstream = "http://127.0.0.1:9000"
audience = "https://hotel.example/api"
[[issuer]]
issuer = "http://127.0.0.1:3000"
[[route]]
method = "POST"
path = "/api/bookings"
)";

// `actors` in TOML: the three forms; default any; wrong shapes refused at parse; a policy that
// contradicts acting = "user" refused by Validate.
TEST(ActorPolicyConfigTest, ParsesTheActorsKey) {
  auto chains = ParseGatewayConfig(
      std::string(kBase) + R"(actors = [["booking-agent", "guest-assistant"], ["booking-agent"]])");
  ASSERT_TRUE(chains.ok()) << chains.status();
  EXPECT_EQ(chains->routes[0].actors.kind, ActorPolicy::Kind::kChains);
  EXPECT_EQ(chains->routes[0].actors.chains,
            (std::vector<Chain>{{"booking-agent", "guest-assistant"}, {"booking-agent"}}));
  EXPECT_TRUE(chains->Validate().ok()) << chains->Validate();
  EXPECT_EQ(ParseGatewayConfig(std::string(kBase) + "actors = \"none\"")->routes[0].actors.kind,
            ActorPolicy::Kind::kNone);
  EXPECT_EQ(ParseGatewayConfig(kBase)->routes[0].actors.kind, ActorPolicy::Kind::kAny);
  const char* bad[] = {
      "actors = \"some\"",     "actors = 3",        "actors = []",       "actors = [\"a\"]",
      "actors = [[\"a\", 1]]", "actors = [[\"\"]]", "actors = { a = 1 }"};
  for (const char* line : bad) {
    auto o = ParseGatewayConfig(std::string(kBase) + line);
    EXPECT_FALSE(o.ok()) << line;
  }
  for (const char* line : {"actors = \"none\"", "actors = [[]]"}) {
    auto o = ParseGatewayConfig(std::string(kBase) + "acting = \"user\"\n" + line);
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_FALSE(o->Validate().ok()) << line;
  }
}

}  // namespace
}  // namespace zta::guard
