// Tests of AuthProvider with DPoP on (RFC 9449 §5, §8) against FakeAuthorizationServer, which
// checks every proof with jose::VerifyDpopProof: proofs at the token endpoint for client
// credentials, token exchange and the CIBA poll; one retry on a nonce challenge; Bearer answers
// accepted, DPoP answers without a proof refused; no token in an error message.
#include <gtest/gtest.h>

#include "fake_authorization_server.h"
#include "zta/auth/auth_provider.h"
#include "zta/auth/dpop_key.h"
#include "zta/auth/reasons.h"

namespace zta::auth {
namespace {

using testing::FakeAuthorizationServer;

constexpr char kResource[] = "https://hotel.example/api";

class DpopProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.set_dpop_clock(&clock_); }

  std::unique_ptr<AuthProvider> Agent(bool dpop, const char* id = testing::kAgent,
                                      const char* secret = testing::kAgentSecret,
                                      std::optional<jose::Jwk> key = std::nullopt) {
    AuthProviderOptions o;
    o.issuer = server_.issuer();
    o.client_id = id;
    o.client_secret = Secret(secret);
    o.dpop = dpop;
    o.dpop_key = std::move(key);
    o.sleep = [this](std::chrono::milliseconds wait) { clock_.AdvanceMicros(wait.count() * 1000); };
    auto agent = AuthProvider::Create(o, clock_);
    EXPECT_TRUE(agent.ok()) << agent.status();
    return agent.ok() ? std::move(agent).value() : nullptr;
  }

  static TokenRequest Own(std::string resource = kResource) {
    TokenRequest r;
    r.resource = std::move(resource);
    return r;
  }

  FakeClock clock_;
  FakeAuthorizationServer server_;
};

// Client credentials: the proof verifies at the token endpoint (htm POST, htu the token
// endpoint, iat now) with the provider's key, and the token comes back bound to that key.
TEST_F(DpopProviderTest, ClientCredentialsTokenIsBoundToTheProofKey) {
  server_.set_dpop_required(true);
  auto agent = Agent(true);
  ASSERT_NE(agent->dpop_key(), nullptr);
  auto token = agent->GetToken(Own());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token_type, "DPoP");
  EXPECT_EQ(token->dpop_key, agent->dpop_key());
  EXPECT_EQ(server_.dpop_jkts(), std::vector<std::string>{agent->dpop_key()->thumbprint()});
  EXPECT_EQ(server_.dpop_jkt(token->value.Reveal()), agent->dpop_key()->thumbprint());
  EXPECT_TRUE(server_.dpop_refusals().empty());
  // The cached token is the same bound token; no second proof is made for it.
  auto cached = agent->GetToken(Own());
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->dpop_key, agent->dpop_key());
  EXPECT_EQ(agent->token_requests(), 1);
}

// A key given in the options is the one that signs (its thumbprint is the bound jkt).
TEST_F(DpopProviderTest, UsesTheConfiguredKey) {
  auto jwk = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(jwk.ok());
  auto agent = Agent(true, testing::kAgent, testing::kAgentSecret, *jwk);
  ASSERT_NE(agent->dpop_key(), nullptr);
  EXPECT_EQ(agent->dpop_key()->thumbprint(), jwk->Thumbprint());
  auto token = agent->GetToken(Own());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(server_.dpop_jkt(token->value.Reveal()), jwk->Thumbprint());
  // A public key, or a key with dpop off, is refused when the provider is made.
  AuthProviderOptions o;
  o.issuer = server_.issuer();
  o.client_id = testing::kAgent;
  o.client_secret = Secret(testing::kAgentSecret);
  o.dpop = true;
  o.dpop_key = jwk->PublicKey();
  EXPECT_FALSE(AuthProvider::Create(o, clock_).ok());
  o.dpop = false;
  o.dpop_key = *jwk;
  EXPECT_FALSE(AuthProvider::Create(o, clock_).ok());
}

// §8: the server's use_dpop_nonce challenge is answered with exactly one retry carrying the
// nonce; later requests carry it from the start.
TEST_F(DpopProviderTest, AnswersANonceChallengeWithOneRetry) {
  server_.set_dpop_nonce("server-nonce-1");
  auto agent = Agent(true);
  auto token = agent->GetToken(Own());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token_type, "DPoP");
  EXPECT_EQ(server_.dpop_challenges(), 1);
  EXPECT_EQ(agent->token_requests(), 2);
  EXPECT_EQ(agent->dpop_key()->NonceFor(server_.issuer() + "/token"), "server-nonce-1");
  auto other = agent->GetToken(Own("https://other.example/api"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(server_.dpop_challenges(), 1);
  EXPECT_EQ(agent->token_requests(), 3);
}

// A server that names a new nonce at every challenge gets one retry, not a loop: the second
// challenge is the error.
TEST_F(DpopProviderTest, GivesUpAfterOneNonceRetry) {
  server_.set_dpop_nonce("n", /*rotating=*/true);
  auto agent = Agent(true);
  auto token = agent->GetToken(Own());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().reason(), "use_dpop_nonce");
  EXPECT_EQ(agent->token_requests(), 2);
  EXPECT_EQ(server_.dpop_challenges(), 2);
}

// §5: an authorization server that does not bind answers Bearer to a request with a proof; the
// token is accepted as an unbound bearer token.
TEST_F(DpopProviderTest, AcceptsABearerAnswer) {
  server_.set_dpop_bind(false);
  auto agent = Agent(true);
  auto token = agent->GetToken(Own());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token_type, "Bearer");
  EXPECT_EQ(token->dpop_key, nullptr);
  EXPECT_EQ(server_.dpop_jkts().size(), 1u);  // the proof was sent all the same
}

// token_type DPoP to a client that sent no proof is refused (bad_token_response), and the
// error message does not hold the token; a server requiring proofs refuses that client.
TEST_F(DpopProviderTest, RefusesADpopAnswerWithoutAProof) {
  server_.set_dpop_type_without_proof(true);
  auto agent = Agent(false);
  EXPECT_EQ(agent->dpop_key(), nullptr);
  auto token = agent->GetToken(Own());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().reason(), kReasonBadTokenResponse);
  EXPECT_EQ(token.status().ToString().find("at-agent-"), std::string::npos);
  EXPECT_TRUE(server_.dpop_jkts().empty());

  server_.set_dpop_type_without_proof(false);
  server_.set_dpop_required(true);
  auto required = agent->GetToken(Own());
  ASSERT_FALSE(required.ok());
  EXPECT_EQ(required.status().reason(), jose::kErrorInvalidDpopProof);
  EXPECT_EQ(server_.dpop_refusals(), std::vector<std::string>{jose::kReasonDpopMissing});
}

// Token exchange: the actor token's request and the exchange each carry a proof with the same
// key, and the exchanged token is bound to it.
TEST_F(DpopProviderTest, TokenExchangeCarriesProofs) {
  server_.set_dpop_required(true);
  server_.AllowDelegation(testing::kAgent, testing::kBookingAgent);
  auto booking = Agent(true, testing::kBookingAgent, testing::kBookingAgentSecret);
  const std::string subject =
      server_.IssueUserToken("alice", testing::kAgent, {"create_bookings"}, kResource);
  TokenRequest r;
  r.resource = kResource;
  r.scopes = {"create_bookings"};
  r.on_behalf_of = "alice";
  r.subject_token = Secret(subject);
  auto token = booking->GetToken(r);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token_type, "DPoP");
  EXPECT_EQ(token->dpop_key, booking->dpop_key());
  const std::string jkt = booking->dpop_key()->thumbprint();
  EXPECT_EQ(server_.dpop_jkts(), (std::vector<std::string>{jkt, jkt}));
  EXPECT_EQ(server_.exchanges(), 1);
}

// CIBA: the poll at the token endpoint carries a proof (the backchannel authentication request
// does not: it is no token request), and the approved token is bound.
TEST_F(DpopProviderTest, BackchannelPollCarriesAProof) {
  server_.set_ciba_script({"authorization_pending"});
  server_.set_ciba_timing(120, 1);
  auto agent = Agent(true);
  TokenRequest r;
  r.resource = kResource;
  r.scopes = {"create_bookings"};
  r.on_behalf_of = "alice";
  r.approval = Approval::kBackchannel;
  auto token = agent->GetToken(r);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token_type, "DPoP");
  EXPECT_EQ(server_.ciba_polls(), 2);
  EXPECT_EQ(server_.dpop_jkts().size(), 2u);  // two polls, no proof at /bc-authorize
  EXPECT_EQ(server_.dpop_jkt(token->value.Reveal()), agent->dpop_key()->thumbprint());
}

}  // namespace
}  // namespace zta::auth
