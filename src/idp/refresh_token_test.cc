// grant_type=refresh_token for delegated grants (RFC 6749 §6, RFC 9700 §4.14.2): rotation on
// every use, reuse revoking the family, the actor's token again, never wider, and revocation.
#include <gtest/gtest.h>

#include "delegation_test_fixture.h"
#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

class RefreshTokenTest : public testing::DelegationFixture {
 protected:
  // A redeemed code's token response.
  Json Redeemed() {
    http::Response r = Redeem(PutCode(CodeRecord()));
    EXPECT_EQ(r.status, 200) << r.body;
    return Body(r);
  }
  void ExpectRefused(const http::Response& r, const std::string& error, const std::string& reason) {
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(Body(r).value("error", ""), error) << r.body;
    EXPECT_FALSE(Body(r).contains("access_token"));
    EXPECT_EQ(LastIssueReason(), reason);
  }
};

// Each refresh gives a new access token of the same grant and a new refresh token; the grant's
// last use is touched and the refreshed token.issue names subject, actor and app.
TEST_F(RefreshTokenTest, RotatesOnEveryUse) {
  Json first = Redeemed();
  clock_.AdvanceSeconds(10);
  http::Response r = Refresh(first["refresh_token"].get<std::string>());
  ASSERT_EQ(r.status, 200) << r.body;
  Json second = Body(r);
  EXPECT_NE(second["refresh_token"], first["refresh_token"]);
  EXPECT_NE(second["access_token"], first["access_token"]);
  EXPECT_FALSE(second.contains("id_token"));
  auto a = VerifyAt(first["access_token"].get<std::string>());
  auto b = VerifyAt(second["access_token"].get<std::string>());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*b)->claims["zta_grant"], (*a)->claims["zta_grant"]);
  EXPECT_EQ((*b)->claims["act"], (*a)->claims["act"]);
  EXPECT_EQ((*b)->claims["authorization_details"], (*a)->claims["authorization_details"]);
  EXPECT_EQ(second["authorization_details"], first["authorization_details"]);
  auto grant = idp_->store().FindGrant((*a)->claims["zta_grant"].get<std::string>());
  ASSERT_TRUE(grant.ok() && grant->has_value());
  EXPECT_EQ((*grant)->last_used_at, clock_.NowSeconds());
  const AuditEvent e = audit_.Events().back();
  EXPECT_EQ(e.action, "token.issue");
  EXPECT_EQ(e.subject, user_);
  EXPECT_EQ(e.actor_chain, std::vector<std::string>{agent_});
  EXPECT_EQ(e.client_id, app_);
  EXPECT_EQ(e.attributes["zta.refreshed"], true);
  // And the new one rotates again.
  EXPECT_EQ(Refresh(second["refresh_token"].get<std::string>()).status, 200);
}

// A rotated-out refresh token presented again revokes the grant: the new refresh token and every
// access token of it are dead; refresh.reuse is audited.
TEST_F(RefreshTokenTest, ReuseRevokesTheFamily) {
  Json first = Redeemed();
  Json second = Body(Refresh(first["refresh_token"].get<std::string>()));
  ASSERT_TRUE(second.contains("refresh_token"));
  ExpectRefused(Refresh(first["refresh_token"].get<std::string>()), "invalid_grant",
                kReasonRefreshReuse);
  bool reuse_seen = false;
  for (const AuditEvent& e : audit_.Events()) reuse_seen |= e.action == "refresh.reuse";
  EXPECT_TRUE(reuse_seen);
  ExpectRefused(Refresh(second["refresh_token"].get<std::string>()), "invalid_grant",
                kReasonGrantRevoked);
  EXPECT_EQ(Introspect(first["access_token"].get<std::string>())["active"], false);
  EXPECT_EQ(Introspect(second["access_token"].get<std::string>())["active"], false);
}

// A grant with an actor needs the actor's own token on refresh too: a refresh token alone, or
// with another agent's token, gets nothing.
TEST_F(RefreshTokenTest, NeedsTheActorTokenAgain) {
  Json first = Redeemed();
  // A bad actor token is refused before the refresh token is spent.
  ExpectRefused(Refresh(first["refresh_token"].get<std::string>(), {}, "not-a-token"),
                "invalid_grant", kReasonActorTokenInvalid);
  auto [other, other_secret] = AddSecretAgent({"hotels:read"});
  ExpectRefused(
      Refresh(first["refresh_token"].get<std::string>(), {}, AgentToken(other, other_secret)),
      "invalid_grant", kReasonActorTokenInvalid);
  Json again = Redeemed();
  ExpectRefused(Refresh(again["refresh_token"].get<std::string>(), {}, ""), "invalid_grant",
                kReasonActorTokenInvalid);
  // None of those refusals spent the tokens: a stolen refresh token without the agent's own
  // token can neither be used nor burnt (which would make the app's next refresh a "reuse"
  // and revoke the user's grant).
  EXPECT_EQ(Refresh(first["refresh_token"].get<std::string>()).status, 200);
  EXPECT_EQ(Refresh(again["refresh_token"].get<std::string>()).status, 200);
}

// scope may narrow the grant (RFC 6749 §6), never widen it.
TEST_F(RefreshTokenTest, NeverWidens) {
  Json first = Redeemed();
  ExpectRefused(Refresh(first["refresh_token"].get<std::string>(), {{"scope", "hotels:read"}}),
                "invalid_scope", "invalid_scope");
  Json second = Redeemed();
  Json narrowed =
      Body(Refresh(second["refresh_token"].get<std::string>(), {{"scope", "bookings:create"}}));
  EXPECT_EQ(narrowed.value("scope", ""), "bookings:create");
}

// A revoked grant, a disabled user or a disabled agent: the refresh token is worthless.
TEST_F(RefreshTokenTest, RevokedGrantDisabledUserOrAgent) {
  Json revoked = Redeemed();
  auto v = VerifyAt(revoked["access_token"].get<std::string>());
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(
      idp_->store()
          .RevokeGrant((*v)->claims["zta_grant"].get<std::string>(), clock_.NowSeconds(), "user")
          .ok());
  ExpectRefused(Refresh(revoked["refresh_token"].get<std::string>()), "invalid_grant",
                kReasonGrantRevoked);
  EXPECT_EQ(Introspect(revoked["access_token"].get<std::string>())["active"], false);

  Json for_user = Redeemed();
  std::string actor = AgentToken();
  SetUserEnabled(user_, false);
  EXPECT_EQ(Introspect(for_user["access_token"].get<std::string>())["active"], false);
  ExpectRefused(Refresh(for_user["refresh_token"].get<std::string>(), {}, actor), "invalid_grant",
                kReasonUserDisabled);
  SetUserEnabled(user_, true);

  Json for_agent = Redeemed();
  ASSERT_TRUE(idp_->SetAgentEnabled(agent_, false).ok());
  EXPECT_EQ(Introspect(for_agent["access_token"].get<std::string>())["active"], false);
  ExpectRefused(Refresh(for_agent["refresh_token"].get<std::string>(), {}, actor), "invalid_grant",
                kReasonAgentDisabled);
}

// Unknown refresh tokens, and another app's, are refused alike.
TEST_F(RefreshTokenTest, UnknownOrForeign) {
  ExpectRefused(Refresh("unknown"), "invalid_grant", kReasonRefreshInvalid);
  Json first = Redeemed();
  auto [other_app, other_secret] = AddApp(false);
  http::Response r = PostAs(other_app, other_secret,
                            {{"grant_type", "refresh_token"},
                             {"refresh_token", first["refresh_token"].get<std::string>()},
                             {"actor_token", AgentToken()},
                             {"actor_token_type", testing::kActorTokenType}});
  ExpectRefused(r, "invalid_grant", kReasonRefreshInvalid);
}

// RFC 7009: revoking a refresh token revokes its grant; another app may not.
TEST_F(RefreshTokenTest, RevocationEndpointRevokesTheGrant) {
  Json first = Redeemed();
  auto [other_app, other_secret] = AddApp(false);
  EXPECT_EQ(Post("/revoke",
                 {{"token", first["refresh_token"].get<std::string>()},
                  {"token_type_hint", "refresh_token"}},
                 other_app, other_secret)
                .status,
            400);
  // Another client's attempt left the token whole: the app's own refresh still works, and the
  // grant was not revoked as a "reuse".
  EXPECT_EQ(Refresh(first["refresh_token"].get<std::string>()).status, 200);
  EXPECT_EQ(Introspect(first["access_token"].get<std::string>())["active"], true);
  Json second = Redeemed();
  EXPECT_EQ(
      Post("/revoke", {{"token", second["refresh_token"].get<std::string>()}}, app_, app_secret_)
          .status,
      200);
  EXPECT_EQ(Introspect(second["access_token"].get<std::string>())["active"], false);
  ExpectRefused(Refresh(second["refresh_token"].get<std::string>()), "invalid_grant",
                kReasonGrantRevoked);
}

}  // namespace
}  // namespace zta::idp
