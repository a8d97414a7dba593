// grant_type=authorization_code with PKCE and actor_token (RFC 6749 §4.1.3, RFC 7636 §4.6,
// docs/delegation.md): the exact token a redeemed code gives, and every way a redemption is
// refused without issuing anything.
#include <gtest/gtest.h>

#include "delegation_test_fixture.h"
#include "forwarding_store.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

using testing::kHotel;
using testing::kRedirect;
using testing::kVerifier;

class AuthorizationCodeTest : public testing::DelegationFixture {
 protected:
  // Expects a 400 `error` with audit reason `reason`, and no token in the answer.
  void ExpectRefused(const http::Response& r, const std::string& error, const std::string& reason) {
    EXPECT_EQ(r.status, 400) << r.body;
    Json b = Body(r);
    EXPECT_EQ(b.value("error", ""), error) << r.body;
    EXPECT_FALSE(b.contains("access_token"));
    EXPECT_EQ(LastIssueReason(), reason);
  }
  // POST /token grant_type=authorization_code as the public app, with the confidential app's
  // code, redirect_uri, verifier and actor token: everything but being the code's app.
  http::Response RedeemAsPublicApp(const std::string& code) {
    return PostAs(public_app_, "",
                  {{"grant_type", "authorization_code"},
                   {"code", code},
                   {"redirect_uri", kRedirect},
                   {"code_verifier", kVerifier},
                   {"actor_token", AgentToken()},
                   {"actor_token_type", testing::kActorTokenType}});
  }
  bool ReplayAudited() {
    for (const AuditEvent& e : audit_.Events()) {
      if (e.action == "code.replay") return true;
    }
    return false;
  }
};

// The real store, except that FindCode never sees a redemption: as if another redemption of
// the same code won between this one's read and its spend.
class RacedCodeStore : public testing::ForwardingIdpStore {
 public:
  using ForwardingIdpStore::ForwardingIdpStore;
  Result<std::optional<AuthorizationCode>> FindCode(const std::string& digest,
                                                    bool* used) override {
    auto found = ForwardingIdpStore::FindCode(digest, used);
    *used = false;
    return found;
  }
};

// A redeemed code gives an RFC 9068 token with sub = user, act = agent, client_id = app,
// aud = resource, the consented scopes and details, the grant id, plus a refresh token, the
// details in the response (RFC 9396 §7) and an ID token; code.redeem is audited.
TEST_F(AuthorizationCodeTest, RedeemsACodeIntoADelegatedToken) {
  AuthorizationCode record = CodeRecord();
  http::Response r = Redeem(PutCode(record));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  Json b = Body(r);
  EXPECT_EQ(b["token_type"], "Bearer");
  EXPECT_EQ(b["scope"], "openid bookings:create");
  EXPECT_EQ(b["authorization_details"], record.authorization_details);
  EXPECT_FALSE(b.value("refresh_token", "").empty());
  EXPECT_GE(b["refresh_token"].get<std::string>().size(), 43u);  // 256 bits, base64url
  EXPECT_FALSE(b.value("id_token", "").empty());
  auto v = VerifyAt(b["access_token"].get<std::string>());
  ASSERT_TRUE(v.ok()) << v.status();
  const Json& c = (*v)->claims;
  EXPECT_EQ(c["sub"], user_);
  EXPECT_EQ(c["act"], Json({{"sub", agent_}}));
  EXPECT_EQ(c["client_id"], app_);
  EXPECT_EQ(c["aud"], kHotel);
  EXPECT_EQ(c["scope"], "openid bookings:create");
  EXPECT_EQ(c["authorization_details"], record.authorization_details);
  EXPECT_EQ(c["auth_time"], record.auth_time);
  EXPECT_EQ(c["zta_agent"]["owner"], "alice@example.com");
  std::string grant_id = c["zta_grant"].get<std::string>();
  EXPECT_EQ(grant_id.rfind("g-", 0), 0u);
  auto grant = idp_->store().FindGrant(grant_id);
  ASSERT_TRUE(grant.ok() && grant->has_value());
  EXPECT_EQ((*grant)->user_id, user_);
  EXPECT_EQ((*grant)->agent_id, agent_);
  EXPECT_EQ((*grant)->app_id, app_);

  bool redeem_seen = false;
  for (const AuditEvent& e : audit_.Events()) {
    if (e.action == "code.redeem") {
      redeem_seen = true;
      EXPECT_EQ(e.subject, user_);
      EXPECT_EQ(e.actor_chain, std::vector<std::string>{agent_});
      EXPECT_EQ(e.client_id, app_);
      EXPECT_EQ(e.attributes["zta.grant"], grant_id);
      EXPECT_EQ(e.attributes["zta.details_digest"].get<std::string>().rfind("sha256:", 0), 0u);
    }
    EXPECT_EQ(e.ToJson().dump().find(b["access_token"].get<std::string>()), std::string::npos);
    EXPECT_EQ(e.ToJson().dump().find(b["refresh_token"].get<std::string>()), std::string::npos);
  }
  EXPECT_TRUE(redeem_seen);
  const AuditEvent issued = audit_.Events().back();
  EXPECT_EQ(issued.action, "token.issue");
  EXPECT_EQ(issued.subject, user_);
  EXPECT_EQ(issued.actor_chain, std::vector<std::string>{agent_});
}

// Introspection of a delegated token shows the same chain a local verifier sees (RFC 7662 §2.2).
TEST_F(AuthorizationCodeTest, IntrospectionShowsActAndDetails) {
  AuthorizationCode record = CodeRecord();
  Json b = Body(Redeem(PutCode(record)));
  Json i = Introspect(b["access_token"].get<std::string>());
  EXPECT_EQ(i["active"], true);
  EXPECT_EQ(i["sub"], user_);
  EXPECT_EQ(i["act"], Json({{"sub", agent_}}));
  EXPECT_EQ(i["client_id"], app_);
  EXPECT_EQ(i["aud"], kHotel);
  EXPECT_EQ(i["authorization_details"], record.authorization_details);
  EXPECT_TRUE(i.contains("zta_grant"));
}

// Without a requested actor the same flow gives a plain user token: no act, no actor_token.
TEST_F(AuthorizationCodeTest, PlainUserTokenWithoutActor) {
  AuthorizationCode record = CodeRecord();
  record.agent_id = "";
  record.scopes = {"hotels:read"};
  http::Response r = Redeem(PutCode(record), {{"actor_token", ""}, {"actor_token_type", ""}});
  ASSERT_EQ(r.status, 200) << r.body;
  Json b = Body(r);
  EXPECT_FALSE(b.contains("id_token"));  // no openid scope
  auto v = VerifyAt(b["access_token"].get<std::string>());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)->subject, user_);
  EXPECT_FALSE((*v)->claims.contains("act"));
}

// A public app authenticates with its client_id alone; PKCE binds the code to it.
TEST_F(AuthorizationCodeTest, PublicAppRedeemsWithPkce) {
  AuthorizationCode record = CodeRecord();
  record.app_id = public_app_;
  Form form = {
      {"grant_type", "authorization_code"}, {"code", PutCode(record)},
      {"redirect_uri", kRedirect},          {"code_verifier", kVerifier},
      {"actor_token", AgentToken()},        {"actor_token_type", testing::kActorTokenType}};
  http::Response r = PostAs(public_app_, "", form);
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = VerifyAt(Body(r)["access_token"].get<std::string>());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)->client_id, public_app_);
  EXPECT_EQ(audit_.Events().back().attributes["zta.client_auth_method"], "none");
}

// A confidential app with a wrong secret, and an unknown client_id alone, are not clients.
TEST_F(AuthorizationCodeTest, AppAuthenticationIsChecked) {
  http::Response wrong = PostAs(app_, "wrong", {{"grant_type", "authorization_code"}});
  EXPECT_EQ(wrong.status, 401);
  http::Response anonymous = PostAs(app_, "", {{"grant_type", "authorization_code"}});
  EXPECT_EQ(anonymous.status, 401);  // a confidential app may not go without its secret
  http::Response agent =
      Post("/token", {{"grant_type", "authorization_code"}, {"code", "x"}}, agent_, agent_secret_);
  EXPECT_EQ(Body(agent)["error"], "unauthorized_client");
}

// A public app has no credential to introspect with (RFC 7662 §2.1); the app a delegated token
// was issued to may revoke it (RFC 7009 §2.1).
TEST_F(AuthorizationCodeTest, PublicAppCannotIntrospectAndAppsRevoke) {
  Json b = Body(Redeem(PutCode(CodeRecord())));
  const std::string token = b["access_token"].get<std::string>();
  http::Response r = Post("/introspect", {{"token", token}, {"client_id", public_app_}});
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(Post("/revoke", {{"token", token}}, app_, app_secret_).status, 200);
  EXPECT_EQ(Introspect(token)["active"], false);
}

// RFC 7636 §4.6: a missing, malformed or wrong verifier is refused; there is no plain method.
TEST_F(AuthorizationCodeTest, PkceIsRequired) {
  ExpectRefused(Redeem(PutCode(CodeRecord()), {{"code_verifier", ""}}), "invalid_grant",
                kReasonPkceMismatch);
  ExpectRefused(Redeem(PutCode(CodeRecord()), {{"code_verifier", std::string(43, 'a')}}),
                "invalid_grant", kReasonPkceMismatch);
  ExpectRefused(Redeem(PutCode(CodeRecord()), {{"code_verifier", "short"}}), "invalid_grant",
                kReasonPkceMismatch);
  // "plain": the challenge is the verifier itself, which S256 never matches.
  AuthorizationCode plain = CodeRecord();
  plain.code_challenge = kVerifier;
  ExpectRefused(Redeem(PutCode(plain)), "invalid_grant", kReasonPkceMismatch);
}

// RFC 6749 §4.1.3: redirect_uri must be the authorization request's, exactly.
TEST_F(AuthorizationCodeTest, RedirectMustMatch) {
  ExpectRefused(Redeem(PutCode(CodeRecord()), {{"redirect_uri", "http://127.0.0.1:7777/other"}}),
                "invalid_grant", kReasonRedirectMismatch);
  ExpectRefused(Redeem(PutCode(CodeRecord()), {{"redirect_uri", ""}}), "invalid_grant",
                kReasonRedirectMismatch);
}

// RFC 8707: a resource sent to the token endpoint must be the code's; the same one is fine.
TEST_F(AuthorizationCodeTest, ResourceMustBeTheCodes) {
  http::Response other = Redeem(PutCode(CodeRecord()), {{"resource", "https://other.example"}});
  EXPECT_EQ(Body(other).value("error", ""), "invalid_target") << other.body;
  EXPECT_EQ(Redeem(PutCode(CodeRecord()), {{"resource", kHotel}}).status, 200);
}

// Unknown, expired and other apps' codes are refused alike.
TEST_F(AuthorizationCodeTest, ExpiredUnknownAndForeignCodes) {
  ExpectRefused(Redeem("no-such-code"), "invalid_grant", kReasonCodeInvalid);
  std::string code = PutCode(CodeRecord());
  clock_.AdvanceSeconds(61);
  ExpectRefused(Redeem(code), "invalid_grant", kReasonCodeInvalid);
  AuthorizationCode foreign = CodeRecord();
  foreign.app_id = public_app_;
  ExpectRefused(Redeem(PutCode(foreign)), "invalid_grant", kReasonCodeInvalid);
}

// RFC 6749 §4.1.2: a replayed code is refused and the grant it created is revoked: its access
// token turns inactive and its refresh token is dead; code.replay is audited.
TEST_F(AuthorizationCodeTest, ReplayedCodeRevokesWhatItIssued) {
  std::string code = PutCode(CodeRecord());
  Json first = Body(Redeem(code));
  ASSERT_TRUE(first.contains("access_token"));
  ASSERT_EQ(Introspect(first["access_token"].get<std::string>())["active"], true);
  ExpectRefused(Redeem(code), "invalid_grant", kReasonCodeReplay);
  bool replay_seen = false;
  for (const AuditEvent& e : audit_.Events()) replay_seen |= e.action == "code.replay";
  EXPECT_TRUE(replay_seen);
  EXPECT_EQ(Introspect(first["access_token"].get<std::string>())["active"], false);
  ExpectRefused(Refresh(first["refresh_token"].get<std::string>()), "invalid_grant",
                kReasonGrantRevoked);
}

// A refused redemption spends nothing: a code presented first by another app, with a wrong or
// missing verifier, a wrong redirect_uri or resource, or without the actor's token, stays
// redeemable by its app with its verifier (no thief can burn it).
TEST_F(AuthorizationCodeTest, RefusedRedemptionLeavesTheCodeRedeemable) {
  std::string code = PutCode(CodeRecord());
  ExpectRefused(RedeemAsPublicApp(code), "invalid_grant", kReasonCodeInvalid);
  ExpectRefused(Redeem(code, {{"code_verifier", std::string(43, 'a')}}), "invalid_grant",
                kReasonPkceMismatch);
  ExpectRefused(Redeem(code, {{"code_verifier", ""}}), "invalid_grant", kReasonPkceMismatch);
  ExpectRefused(Redeem(code, {{"redirect_uri", "http://127.0.0.1:7777/other"}}), "invalid_grant",
                kReasonRedirectMismatch);
  EXPECT_EQ(Body(Redeem(code, {{"resource", "https://other.example"}})).value("error", ""),
            "invalid_target");
  ExpectRefused(Redeem(code, {}, ""), "invalid_grant", kReasonActorTokenInvalid);
  EXPECT_FALSE(ReplayAudited());
  http::Response r = Redeem(code);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Introspect(Body(r)["access_token"].get<std::string>())["active"], true);
}

// A spent code presented again by another app, or without the right verifier, is refused and
// revokes nothing: only the code's own app holding the verifier can be its replay.
TEST_F(AuthorizationCodeTest, SpentCodeFromAStrangerRevokesNothing) {
  std::string code = PutCode(CodeRecord());
  Json first = Body(Redeem(code));
  ASSERT_TRUE(first.contains("access_token")) << first.dump();
  const std::string token = first["access_token"].get<std::string>();
  ExpectRefused(RedeemAsPublicApp(code), "invalid_grant", kReasonCodeInvalid);
  ExpectRefused(Redeem(code, {{"code_verifier", ""}}), "invalid_grant", kReasonPkceMismatch);
  ExpectRefused(Redeem(code, {{"code_verifier", std::string(43, 'a')}}), "invalid_grant",
                kReasonPkceMismatch);
  ExpectRefused(Redeem(code, {{"redirect_uri", "http://127.0.0.1:7777/other"}}), "invalid_grant",
                kReasonRedirectMismatch);
  EXPECT_FALSE(ReplayAudited());
  EXPECT_EQ(Introspect(token)["active"], true);
  EXPECT_EQ(Refresh(first["refresh_token"].get<std::string>()).status, 200);
}

// Two redemptions of one code that both pass the checks: the one that spends it second is a
// replay (ConsumeCode says it was not the first use) and revokes what the first issued.
TEST_F(AuthorizationCodeTest, LosingAConcurrentRedemptionIsAReplay) {
  std::string code = PutCode(CodeRecord());
  Json first = Body(Redeem(code));
  ASSERT_TRUE(first.contains("access_token")) << first.dump();
  RacedCodeStore raced(idp_->store());
  auto racing = std::make_unique<AuthorizationServer>(server_->options(), raced, idp_->keys(),
                                                      audit_, clock_);
  std::swap(server_, racing);
  ExpectRefused(Redeem(code), "invalid_grant", kReasonCodeReplay);
  std::swap(server_, racing);
  EXPECT_TRUE(ReplayAudited());
  EXPECT_EQ(Introspect(first["access_token"].get<std::string>())["active"], false);
}

// The actor must prove itself with its own valid token of this idp.
TEST_F(AuthorizationCodeTest, ActorTokenIsRequiredAndChecked) {
  ExpectRefused(Redeem(PutCode(CodeRecord()), {}, ""), "invalid_grant", kReasonActorTokenInvalid);
  ExpectRefused(Redeem(PutCode(CodeRecord()), {{"actor_token_type", "urn:x"}}), "invalid_grant",
                kReasonActorTokenInvalid);
  // Another agent's token.
  auto [other, other_secret] = AddSecretAgent({"hotels:read"});
  ExpectRefused(Redeem(PutCode(CodeRecord()), {}, AgentToken(other, other_secret)), "invalid_grant",
                kReasonActorTokenInvalid);
  // A token from another issuer (same shape, its own key).
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256, "foreign");
  ASSERT_TRUE(key.ok());
  const int64_t now = clock_.NowSeconds();
  auto foreign = jose::JwtBuilder()
                     .Type("at+jwt")
                     .Issuer("https://other-idp.example")
                     .Subject(agent_)
                     .Audience(kHotel)
                     .Claim("client_id", agent_)
                     .Id("f1")
                     .IssuedAt(now)
                     .ExpiresAt(now + 300)
                     .Sign(jose::Algorithm::kES256, *key);
  ASSERT_TRUE(foreign.ok());
  ExpectRefused(Redeem(PutCode(CodeRecord()), {}, *foreign), "invalid_grant",
                kReasonActorTokenInvalid);
  // An expired token of the right agent (300 s lifetime, no leeway).
  std::string old = AgentToken();
  clock_.AdvanceSeconds(301);
  ExpectRefused(Redeem(PutCode(CodeRecord()), {}, old), "invalid_grant", kReasonActorTokenInvalid);
  // A revoked token of the right agent.
  std::string revoked = AgentToken();
  ASSERT_EQ(Post("/revoke", {{"token", revoked}}, agent_, agent_secret_).status, 200);
  ExpectRefused(Redeem(PutCode(CodeRecord()), {}, revoked), "invalid_grant",
                kReasonActorTokenInvalid);
}

// Scopes beyond the agent's allowance: nothing left to grant is invalid_scope; the rest is cut.
TEST_F(AuthorizationCodeTest, ScopesNarrowToTheAllowance) {
  auto [narrow, narrow_secret] = AddSecretAgent({"hotels:read"});
  AuthorizationCode beyond = CodeRecord();
  beyond.agent_id = narrow;
  beyond.scopes = {"bookings:create"};
  ExpectRefused(Redeem(PutCode(beyond), {}, AgentToken(narrow, narrow_secret)), "invalid_scope",
                "invalid_scope");
  AuthorizationCode mixed = CodeRecord();
  mixed.agent_id = narrow;
  mixed.scopes = {"hotels:read", "bookings:create", "staff:assign"};
  Json b = Body(Redeem(PutCode(mixed), {}, AgentToken(narrow, narrow_secret)));
  EXPECT_EQ(b.value("scope", ""), "hotels:read");
}

// A disabled user, or a disabled requested actor, gets nothing.
TEST_F(AuthorizationCodeTest, DisabledUserOrAgent) {
  std::string token = AgentToken();
  SetUserEnabled(user_, false);
  ExpectRefused(Redeem(PutCode(CodeRecord()), {}, token), "invalid_grant", kReasonUserDisabled);
  SetUserEnabled(user_, true);
  ASSERT_TRUE(idp_->SetAgentEnabled(agent_, false).ok());
  ExpectRefused(Redeem(PutCode(CodeRecord()), {}, token), "invalid_grant", kReasonAgentDisabled);
}

}  // namespace
}  // namespace zta::idp
