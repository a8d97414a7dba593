// Tests of AuthProvider's token exchange (RFC 8693) and backchannel approval (CIBA poll mode)
// against FakeAuthorizationServer, with a FakeClock and a sleep that advances it (no real
// waiting): the exchange's form and nested act, the cache keyed by the subject token, the
// refusals, and every CIBA poll state.
#include <gtest/gtest.h>

#include <sstream>

#include "fake_authorization_server.h"
#include "zta/auth/auth_provider.h"
#include "zta/auth/delegation.h"
#include "zta/auth/reasons.h"

namespace zta::auth {
namespace {

using testing::FakeAuthorizationServer;

constexpr char kResource[] = "https://hotel.example/api";

class GrantsTest : public ::testing::Test {
 protected:
  std::unique_ptr<AuthProvider> Agent(const char* id, const char* secret) {
    AuthProviderOptions o;
    o.issuer = server_.issuer();
    o.client_id = id;
    o.client_secret = Secret(secret);
    o.sleep = [this](std::chrono::milliseconds wait) {
      sleeps_.push_back(wait.count() / 1000);
      clock_.AdvanceMicros(wait.count() * 1000);
    };
    auto agent = AuthProvider::Create(o, clock_);
    EXPECT_TRUE(agent.ok()) << agent.status();
    return agent.ok() ? std::move(agent).value() : nullptr;
  }

  // The booking agent exchanging `subject` (a token the guest assistant held for alice).
  static TokenRequest Exchange(const std::string& subject,
                               std::vector<std::string> scopes = {"create_bookings"}) {
    TokenRequest r;
    r.resource = kResource;
    r.scopes = std::move(scopes);
    r.on_behalf_of = "alice";
    r.subject_token = Secret(subject);
    return r;
  }

  static TokenRequest Backchannel(std::string user = "alice") {
    TokenRequest r;
    r.resource = kResource;
    r.scopes = {"create_bookings"};
    r.on_behalf_of = std::move(user);
    r.approval = Approval::kBackchannel;
    r.binding_message = "Book room r-12, 3-5 Dec";
    return r;
  }

  std::string GuestToken(std::vector<std::string> scopes = {"create_bookings", "read_hotels"}) {
    return server_.IssueUserToken("alice", testing::kAgent, std::move(scopes), kResource);
  }

  FakeClock clock_;
  FakeAuthorizationServer server_;
  std::vector<int64_t> sleeps_;  // seconds, one per poll wait
};

// The exchange sends the contract's form (subject token, the booking agent's own actor token,
// types, resource, scope) and the issued token names alice with act [booking agent, guest].
TEST_F(GrantsTest, ExchangeSendsBothTokensAndNestsAct) {
  server_.AllowDelegation(testing::kAgent, testing::kBookingAgent);
  auto booking = Agent(testing::kBookingAgent, testing::kBookingAgentSecret);
  const std::string subject = GuestToken();
  auto token = booking->GetToken(Exchange(subject));
  ASSERT_TRUE(token.ok()) << token.status();

  auto form = server_.last_exchange_form();
  EXPECT_EQ(form["grant_type"], "urn:ietf:params:oauth:grant-type:token-exchange");
  EXPECT_EQ(form["subject_token"], subject);
  EXPECT_EQ(form["subject_token_type"], kAccessTokenType);
  EXPECT_TRUE(server_.IsAgentToken(form["actor_token"], testing::kBookingAgent));
  EXPECT_EQ(form["actor_token_type"], kAccessTokenType);
  EXPECT_EQ(form["requested_token_type"], kAccessTokenType);
  EXPECT_EQ(form["resource"], kResource);
  EXPECT_EQ(form["scope"], "create_bookings");

  auto issued = server_.issued(token->value.Reveal());
  EXPECT_EQ(issued.sub, "alice");
  EXPECT_EQ(issued.actors, (std::vector<std::string>{testing::kBookingAgent, testing::kAgent}));
  EXPECT_EQ(token->scopes, std::vector<std::string>{"create_bookings"});
  EXPECT_GT(token->expires_at, clock_.NowSeconds());
  // Printing the token shows its jti, never the value; same for the request's subject token.
  std::ostringstream printed;
  printed << *token << Exchange(subject).subject_token;
  EXPECT_EQ(printed.str().find(subject), std::string::npos);
  EXPECT_EQ(printed.str().find(token->value.Reveal()), std::string::npos);
}

// An exchanged token is cached per subject token: the same chain is served from the cache, a
// different subject token (another chain) gets its own exchange; Invalidate forces a new one.
TEST_F(GrantsTest, ExchangeCacheIsKeyedBySubjectToken) {
  server_.AllowDelegation(testing::kAgent, testing::kBookingAgent);
  auto booking = Agent(testing::kBookingAgent, testing::kBookingAgentSecret);
  const std::string first = GuestToken();
  const std::string second = GuestToken();
  auto a = booking->GetToken(Exchange(first));
  auto b = booking->GetToken(Exchange(first));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->value.Reveal(), b->value.Reveal());
  EXPECT_EQ(server_.exchanges(), 1);
  auto c = booking->GetToken(Exchange(second));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_NE(c->value.Reveal(), a->value.Reveal());
  EXPECT_EQ(server_.exchanges(), 2);
  booking->Invalidate(Exchange(first));
  ASSERT_TRUE(booking->GetToken(Exchange(first)).ok());
  EXPECT_EQ(server_.exchanges(), 3);
}

// The exchanged token is never served past the subject token's exp (read from a JWT subject),
// even when the server's expires_in says longer.
TEST_F(GrantsTest, ExchangedTokenNeverOutlivesSubjectToken) {
  server_.AllowDelegation(testing::kAgent, testing::kBookingAgent);
  auto booking = Agent(testing::kBookingAgent, testing::kBookingAgentSecret);
  // A JWT-shaped subject token (unsigned: the SDK only peeks at exp) the fake knows as alice's.
  const int64_t exp = clock_.NowSeconds() + 100;
  const std::string jwt = "eyJhbGciOiJub25lIn0." +
                          Base64UrlEncode(DumpJson(Json{{"sub", "alice"}, {"exp", exp}})) + ".x";
  server_.IssueUserToken("alice", testing::kAgent, {"create_bookings"}, kResource, Json(), 300,
                         jwt);
  auto token = booking->GetToken(Exchange(jwt));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->expires_at, exp);  // expires_in said now + 300
}

// The contract's refusals come back as the server's OAuth codes: no delegation rule and chain
// too deep (invalid_grant), scope escalation (invalid_scope), details escalation.
TEST_F(GrantsTest, ExchangeRefusalsCarryTheOAuthCode) {
  auto booking = Agent(testing::kBookingAgent, testing::kBookingAgentSecret);
  const std::string subject = GuestToken({"read_hotels"});
  auto no_rule = booking->GetToken(Exchange(subject, {"read_hotels"}));
  EXPECT_EQ(no_rule.status().reason(), "invalid_grant");
  EXPECT_EQ(no_rule.status().code(), StatusCode::kPermissionDenied);

  server_.AllowDelegation(testing::kAgent, testing::kBookingAgent);
  auto escalation = booking->GetToken(Exchange(subject, {"create_bookings"}));
  EXPECT_EQ(escalation.status().reason(), "invalid_scope");

  TokenRequest details = Exchange(subject, {"read_hotels"});
  details.authorization_details = Json::array({Json{{"type", "hotel_booking"}}});
  EXPECT_EQ(booking->GetToken(details).status().reason(), "invalid_authorization_details");

  server_.set_max_depth(1);
  EXPECT_EQ(booking->GetToken(Exchange(subject, {"read_hotels"})).status().reason(),
            "invalid_grant");
  // A refusal is not cached: the same request succeeds once the server allows it.
  server_.set_max_depth(4);
  EXPECT_TRUE(booking->GetToken(Exchange(subject, {"read_hotels"})).ok());
}

// A DelegatedTokenSource hands an exchange to its agent's AuthProvider (the agent, not the app,
// authenticates) instead of asking the person for consent.
TEST_F(GrantsTest, DelegatedTokenSourceExchangesWithoutConsent) {
  server_.AllowDelegation(testing::kAgent, testing::kBookingAgent);
  auto booking = Agent(testing::kBookingAgent, testing::kBookingAgentSecret);
  DelegationOptions o;
  o.app_client_id = testing::kApp;
  o.app_client_secret = Secret(testing::kAppSecret);
  auto source = DelegatedTokenSource::Create(o, *booking, nullptr, clock_);
  ASSERT_TRUE(source.ok()) << source.status();
  auto token = (*source)->GetToken(Exchange(GuestToken()));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(server_.issued(token->value.Reveal()).actors.size(), 2u);
  EXPECT_EQ((*source)->consents_started(), 0);
}

// A DelegatedTokenSource hands a backchannel request to its AuthProvider too: the user is
// asked on their device, not through a consent handler (there is none here).
TEST_F(GrantsTest, DelegatedTokenSourceSendsBackchannelToTheAgent) {
  auto guest = Agent(testing::kAgent, testing::kAgentSecret);
  DelegationOptions o;
  o.app_client_id = testing::kApp;
  o.app_client_secret = Secret(testing::kAppSecret);
  auto source = DelegatedTokenSource::Create(o, *guest, nullptr, clock_);
  ASSERT_TRUE(source.ok()) << source.status();
  auto token = (*source)->GetToken(Backchannel());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(server_.issued(token->value.Reveal()).sub, "alice");
  EXPECT_EQ(server_.ciba_polls(), 1);
  EXPECT_EQ((*source)->consents_started(), 0);
}

// CIBA: pending, slow_down (+5 s), pending, then the token; the agent waits the interval before
// every poll and sends login_hint, binding_message, scope and resource to /bc-authorize.
TEST_F(GrantsTest, BackchannelPollsRespectingIntervalAndSlowDown) {
  server_.set_ciba_script({"authorization_pending", "slow_down", "authorization_pending"});
  auto guest = Agent(testing::kAgent, testing::kAgentSecret);
  auto token = guest->GetToken(Backchannel());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{5, 5, 10, 10}));
  EXPECT_EQ(server_.ciba_polls(), 4);
  auto bc = server_.last_bc_form();
  EXPECT_EQ(bc["login_hint"], "alice");
  EXPECT_EQ(bc["binding_message"], "Book room r-12, 3-5 Dec");
  EXPECT_EQ(bc["scope"], "create_bookings");
  EXPECT_EQ(bc["resource"], kResource);
  auto issued = server_.issued(token->value.Reveal());
  EXPECT_EQ(issued.sub, "alice");
  EXPECT_EQ(issued.actors, std::vector<std::string>{testing::kAgent});
  // Approved once, cached like other delegated tokens: no second request to the user.
  ASSERT_TRUE(guest->GetToken(Backchannel()).ok());
  EXPECT_EQ(server_.ciba_polls(), 4);
}

// The server's interval is used when it sends one.
TEST_F(GrantsTest, BackchannelUsesTheServersInterval) {
  server_.set_ciba_timing(120, 2);
  server_.set_ciba_script({"authorization_pending"});
  auto guest = Agent(testing::kAgent, testing::kAgentSecret);
  ASSERT_TRUE(guest->GetToken(Backchannel()).ok());
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{2, 2}));
}

// No answer before expires_in: approval_timeout, after polling until then and not beyond.
TEST_F(GrantsTest, BackchannelGivesUpAtExpiry) {
  server_.set_ciba_timing(30, 5);
  server_.set_ciba_script(std::vector<std::string>(100, "authorization_pending"));
  auto guest = Agent(testing::kAgent, testing::kAgentSecret);
  const int64_t start = clock_.NowSeconds();
  auto token = guest->GetToken(Backchannel());
  EXPECT_EQ(token.status().reason(), kReasonApprovalTimeout);
  EXPECT_EQ(token.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_LE(clock_.NowSeconds(), start + 30);
  EXPECT_EQ(server_.ciba_polls(), 6);
}

// expired_token while polling is a timeout too; access_denied is approval_denied.
TEST_F(GrantsTest, BackchannelExpiredAndDenied) {
  auto guest = Agent(testing::kAgent, testing::kAgentSecret);
  server_.set_ciba_script({"authorization_pending", "expired_token"});
  EXPECT_EQ(guest->GetToken(Backchannel()).status().reason(), kReasonApprovalTimeout);
  server_.set_ciba_script({"access_denied"});
  auto denied = guest->GetToken(Backchannel());
  EXPECT_EQ(denied.status().reason(), kReasonApprovalDenied);
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
}

// /bc-authorize refusals pass through as the OAuth code; a binding message over 64 characters
// or with a control character is refused before anything is sent.
TEST_F(GrantsTest, BackchannelRequestRefusals) {
  auto guest = Agent(testing::kAgent, testing::kAgentSecret);
  EXPECT_EQ(guest->GetToken(Backchannel("mallory")).status().reason(), "unknown_user_id");
  TokenRequest long_message = Backchannel();
  long_message.binding_message = std::string(65, 'x');
  EXPECT_EQ(guest->GetToken(long_message).status().reason(), "invalid_binding_message");
  TokenRequest control = Backchannel();
  control.binding_message = "book\nroom";
  EXPECT_EQ(guest->GetToken(control).status().reason(), "invalid_binding_message");
  EXPECT_EQ(server_.last_bc_form()["login_hint"], "mallory");  // the last one sent
}

// With consent (the default approval) AuthProvider alone still refuses on_behalf_of, as before.
TEST_F(GrantsTest, ConsentApprovalStillNeedsDelegatedTokenSource) {
  auto guest = Agent(testing::kAgent, testing::kAgentSecret);
  TokenRequest r = Backchannel();
  r.approval = Approval::kConsent;
  EXPECT_EQ(guest->GetToken(r).status().reason(), kReasonConsentRequired);
}

}  // namespace
}  // namespace zta::auth
