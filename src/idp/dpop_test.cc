// RFC 9449 at the token endpoint: proofs bind tokens (cnf.jkt, token_type DPoP) for every
// grant, clients registered with dpop_bound_access_tokens must prove, jtis are single-use,
// server nonces are demanded and honoured, public apps' refresh tokens stay bound, and
// introspection and userinfo respect the binding.
#include <gtest/gtest.h>

#include "delegation_test_fixture.h"
#include "zta/idp/reasons.h"
#include "zta/jose/dpop.h"

namespace zta::idp {
namespace {

class DpopTokenTest : public testing::DelegationFixture {
 protected:
  void SetUp() override {
    DelegationFixture::SetUp();
  }
  static jose::Jwk NewKey() {
    auto key = jose::Jwk::Generate(jose::Algorithm::kES256);
    EXPECT_TRUE(key.ok());
    return *key;
  }

  std::string Proof(const jose::Jwk& key, std::string method = "POST",
                    std::string url = std::string(testing::kIssuer) + "/token",
                    std::string nonce = "", int64_t iat = 0, std::string access_token = "") {
    jose::DpopProofInput in;
    in.method = std::move(method);
    in.url = std::move(url);
    in.issued_at = iat != 0 ? iat : clock_.NowSeconds();
    in.nonce = std::move(nonce);
    in.access_token = std::move(access_token);
    auto proof = jose::CreateDpopProof(jose::Algorithm::kES256, key, in);
    EXPECT_TRUE(proof.ok()) << proof.status();
    return proof.ok() ? *proof : "";
  }
  // POST /token client_credentials as agent_ with these DPoP headers.
  http::Response ClientCredentials(std::vector<std::string> proofs) {
    extra_headers_.clear();
    for (auto& p : proofs) extra_headers_.push_back({"DPoP", std::move(p)});
    http::Response r = Post("/token", {{"grant_type", "client_credentials"}}, agent_, agent_secret_);
    extra_headers_.clear();
    return r;
  }
  std::string LastIssueJkt() {
    const std::vector<AuditEvent> events = audit_.Events();
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->action == "token.issue") return it->attributes.value("zta.dpop_jkt", "");
    }
    return "";
  }
  std::string AddDpopAgent() {
    AgentSpec spec;
    spec.name = "dpop-agent";
    spec.owner = "alice@example.com";
    spec.resource = testing::kHotel;
    spec.scopes = {"hotels:read"};
    spec.require_dpop = true;
    auto out = idp_->AddAgent(spec);
    EXPECT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)["dpop_bound_access_tokens"], true);
    dpop_agent_secret_ = (*out)["client_secret"].get<std::string>();
    return (*out)["client_id"].get<std::string>();
  }

  const jose::Jwk key_ = NewKey();
  const jose::Jwk other_key_ = NewKey();
  std::string dpop_agent_secret_;
};

TEST_F(DpopTokenTest, AProofBindsTheTokenToItsKey) {
  http::Response r = ClientCredentials({Proof(key_)});
  ASSERT_EQ(r.status, 200) << r.body;
  Json body = Body(r);
  EXPECT_EQ(body["token_type"], "DPoP");
  auto verified = VerifyAt(body["access_token"].get<std::string>());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ((*verified)->claims["cnf"]["jkt"], key_.Thumbprint());
  EXPECT_EQ(LastIssueJkt(), key_.Thumbprint());
  // Introspection says so too (RFC 9449 §6.2).
  Json introspected = Introspect(body["access_token"].get<std::string>());
  EXPECT_EQ(introspected["active"], true);
  EXPECT_EQ(introspected["token_type"], "DPoP");
  EXPECT_EQ(introspected["cnf"]["jkt"], key_.Thumbprint());
}

TEST_F(DpopTokenTest, WithoutAProofTheTokenStaysBearer) {
  http::Response r = ClientCredentials({});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["token_type"], "Bearer");
  auto verified = VerifyAt(Body(r)["access_token"].get<std::string>());
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE((*verified)->claims.contains("cnf"));
  EXPECT_EQ(Introspect(Body(r)["access_token"].get<std::string>())["token_type"], "Bearer");
}

TEST_F(DpopTokenTest, AClientRegisteredWithRequireDpopMustProve) {
  std::string id = AddDpopAgent();
  http::Response bare = Post("/token", {{"grant_type", "client_credentials"}}, id,
                             dpop_agent_secret_);
  EXPECT_EQ(bare.status, 400);
  EXPECT_EQ(Body(bare)["error"], "invalid_dpop_proof");
  EXPECT_FALSE(Body(bare).contains("access_token"));
  EXPECT_EQ(LastIssueReason(), jose::kReasonDpopMissing);
  extra_headers_ = {{"DPoP", Proof(key_)}};
  http::Response proven = Post("/token", {{"grant_type", "client_credentials"}}, id,
                               dpop_agent_secret_);
  EXPECT_EQ(proven.status, 200) << proven.body;
  EXPECT_EQ(Body(proven)["token_type"], "DPoP");
}

TEST_F(DpopTokenTest, AProofIsSingleUse) {
  std::string proof = Proof(key_);
  EXPECT_EQ(ClientCredentials({proof}).status, 200);
  http::Response replay = ClientCredentials({proof});
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(Body(replay)["error"], "invalid_dpop_proof");
  EXPECT_EQ(LastIssueReason(), jose::kReasonDpopReplay);
  // The same jti under another key is another proof (single use is per key).
  EXPECT_EQ(ClientCredentials({Proof(other_key_)}).status, 200);
}

TEST_F(DpopTokenTest, AProofSentWithAWrongCredentialIsNotSpent) {
  std::string proof = Proof(key_);
  extra_headers_ = {{"DPoP", proof}};
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, agent_, "wrong").status, 401);
  EXPECT_EQ(ClientCredentials({proof}).status, 200);
}

TEST_F(DpopTokenTest, EveryBadProofIsRefusedWithItsReason) {
  const std::string token_url = std::string(testing::kIssuer) + "/token";
  const int64_t now = clock_.NowSeconds();
  struct Case {
    std::vector<std::string> proofs;
    std::string reason;
  } cases[] = {
      {{Proof(key_, "GET")}, jose::kReasonDpopHtmMismatch},
      {{Proof(key_, "POST", std::string(testing::kIssuer) + "/introspect")},
       jose::kReasonDpopHtuMismatch},
      {{Proof(key_, "POST", "http://evil.example/token")}, jose::kReasonDpopHtuMismatch},
      {{Proof(key_, "POST", token_url, "", now - 61)}, jose::kReasonDpopStale},
      {{Proof(key_, "POST", token_url, "", now + 30)}, jose::kReasonDpopStale},
      {{Proof(key_), Proof(key_)}, jose::kReasonDpopMalformed},
      {{"not-a-jwt"}, jose::kReasonDpopMalformed},
  };
  for (const Case& c : cases) {
    http::Response r = ClientCredentials(c.proofs);
    EXPECT_EQ(r.status, 400) << c.reason << ": " << r.body;
    EXPECT_EQ(Body(r)["error"], "invalid_dpop_proof") << c.reason;
    EXPECT_FALSE(Body(r).contains("access_token"));
    EXPECT_EQ(LastIssueReason(), c.reason);
  }
}

TEST_F(DpopTokenTest, AServerNonceIsDemandedThenHonoured) {
  server_options_.dpop_require_nonce = true;
  server_options_.dpop_nonce_key = Secret(std::string(32, 'k'));
  Reopen();
  http::Response challenge = ClientCredentials({Proof(key_)});
  ASSERT_EQ(challenge.status, 400) << challenge.body;
  EXPECT_EQ(Body(challenge)["error"], "use_dpop_nonce");
  std::string nonce = challenge.headers.Get("DPoP-Nonce").value_or("");
  ASSERT_FALSE(nonce.empty());
  EXPECT_EQ(LastIssueReason(), jose::kReasonUseDpopNonce);

  const std::string token_url = std::string(testing::kIssuer) + "/token";
  http::Response r = ClientCredentials({Proof(key_, "POST", token_url, nonce)});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["token_type"], "DPoP");
  EXPECT_FALSE(r.headers.Get("DPoP-Nonce").value_or("").empty());  // §8: a fresh one with every answer
  // A made-up nonce, or one two windows old, is challenged again.
  EXPECT_EQ(Body(ClientCredentials({Proof(key_, "POST", token_url, "1.abc")}))["error"],
            "use_dpop_nonce");
  clock_.AdvanceSeconds(601);
  EXPECT_EQ(Body(ClientCredentials({Proof(key_, "POST", token_url, nonce)}))["error"],
            "use_dpop_nonce");
}

TEST_F(DpopTokenTest, MetadataListsTheProofAlgorithms) {
  Json m = Body(Get("/.well-known/oauth-authorization-server"));
  ASSERT_TRUE(m["dpop_signing_alg_values_supported"].is_array());
  std::vector<std::string> algs = m["dpop_signing_alg_values_supported"];
  EXPECT_NE(std::find(algs.begin(), algs.end(), "ES256"), algs.end());
  EXPECT_EQ(std::find(algs.begin(), algs.end(), "HS256"), algs.end());
}

// RFC 9449 §5: a public app's refresh tokens are bound to the key of the redemption's proof.
TEST_F(DpopTokenTest, APublicAppsRefreshTokenNeedsItsKey) {
  AuthorizationCode code = CodeRecord();
  code.app_id = public_app_;
  code.agent_id.clear();
  code.scopes = {"openid", "hotels:read"};
  code.authorization_details = Json();
  Form redeem = {{"grant_type", "authorization_code"},
                 {"code", PutCode(code)},
                 {"redirect_uri", testing::kRedirect},
                 {"code_verifier", testing::kVerifier}};
  extra_headers_ = {{"DPoP", Proof(key_)}};
  http::Response r = PostAs(public_app_, "", redeem);
  ASSERT_EQ(r.status, 200) << r.body;
  Json tokens = Body(r);
  EXPECT_EQ(tokens["token_type"], "DPoP");
  const std::string refresh = tokens["refresh_token"].get<std::string>();
  Form form = {{"grant_type", "refresh_token"}, {"refresh_token", refresh}};

  extra_headers_.clear();
  http::Response bare = PostAs(public_app_, "", form);
  EXPECT_EQ(bare.status, 400);
  EXPECT_EQ(Body(bare)["error"], "invalid_dpop_proof");
  EXPECT_EQ(LastIssueReason(), jose::kReasonDpopMissing);
  extra_headers_ = {{"DPoP", Proof(other_key_)}};
  http::Response stolen = PostAs(public_app_, "", form);
  EXPECT_EQ(stolen.status, 400);
  EXPECT_EQ(LastIssueReason(), jose::kReasonDpopKeyMismatch);
  // Neither spent it: the app's own refresh still works, and stays bound.
  extra_headers_ = {{"DPoP", Proof(key_)}};
  http::Response own = PostAs(public_app_, "", form);
  ASSERT_EQ(own.status, 200) << own.body;
  auto refreshed = VerifyAt(Body(own)["access_token"].get<std::string>());
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ((*refreshed)->claims["cnf"]["jkt"], key_.Thumbprint());
}

// An actor token bound to the agent's key works for the agent's code redemption only with a
// proof of that key (a copy that leaked is useless to the app or anyone else).
TEST_F(DpopTokenTest, ABoundActorTokenNeedsItsKeysProof) {
  http::Response agent_token = ClientCredentials({Proof(key_)});
  ASSERT_EQ(agent_token.status, 200);
  std::string actor = Body(agent_token)["access_token"].get<std::string>();
  extra_headers_.clear();
  http::Response without = Redeem(PutCode(CodeRecord()), {}, actor);
  EXPECT_EQ(without.status, 400) << without.body;
  EXPECT_EQ(LastIssueReason(), jose::kReasonDpopKeyMismatch);
  extra_headers_ = {{"DPoP", Proof(key_)}};
  http::Response with = Redeem(PutCode(CodeRecord()), {}, actor);
  ASSERT_EQ(with.status, 200) << with.body;
  auto delegated = VerifyAt(Body(with)["access_token"].get<std::string>());
  ASSERT_TRUE(delegated.ok());
  EXPECT_EQ((*delegated)->claims["cnf"]["jkt"], key_.Thumbprint());
}

// RFC 9449 §7: userinfo takes a bound token only as DPoP with a proof for it.
TEST_F(DpopTokenTest, UserinfoNeedsTheProofOfABoundToken) {
  AuthorizationCode code = CodeRecord();
  code.app_id = public_app_;
  code.agent_id.clear();
  code.scopes = {"openid", "profile"};
  code.resource = "";
  code.authorization_details = Json();
  extra_headers_ = {{"DPoP", Proof(key_)}};
  http::Response r = PostAs(public_app_, "",
                            {{"grant_type", "authorization_code"},
                             {"code", PutCode(code)},
                             {"redirect_uri", testing::kRedirect},
                             {"code_verifier", testing::kVerifier}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string at = Body(r)["access_token"].get<std::string>();
  const std::string userinfo = std::string(testing::kIssuer) + "/userinfo";
  auto get = [&](const std::string& authorization, std::vector<std::string> proofs) {
    http::Request req;
    req.method = "GET";
    req.path = req.target = "/userinfo";
    req.headers.Set("Authorization", authorization);
    for (auto& p : proofs) req.headers.Add("DPoP", std::move(p));
    return server_->Handle(req);
  };
  EXPECT_EQ(get("Bearer " + at, {}).status, 401);  // §7.2
  EXPECT_EQ(get("DPoP " + at, {}).status, 401);
  EXPECT_EQ(get("DPoP " + at, {Proof(key_, "GET", userinfo)}).status, 401);  // no ath
  EXPECT_EQ(get("DPoP " + at, {Proof(other_key_, "GET", userinfo, "", 0, at)}).status, 401);
  std::string good = Proof(key_, "GET", userinfo, "", 0, at);
  http::Response ok = get("DPoP " + at, {good});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Body(ok)["sub"], user_);
  EXPECT_EQ(get("DPoP " + at, {good}).status, 401);  // replayed
}

}  // namespace
}  // namespace zta::idp
