// OpenID Connect (Core 1.0, Discovery 1.0): the ID token beside a delegated token, /userinfo,
// and the discovery documents listing what the server really does.
#include <gtest/gtest.h>

#include "delegation_test_fixture.h"
#include "zta/core/sha256.h"

namespace zta::idp {
namespace {

class OidcTest : public testing::DelegationFixture {
 protected:
  http::Response Userinfo(const std::string& token) {
    http::Request r;
    r.method = "GET";
    r.path = r.target = "/userinfo";
    r.headers.Set("Authorization", "Bearer " + token);
    return server_->Handle(r);
  }
};

// The ID token verifies with the published JWKS, names the user for the app, echoes the nonce
// and carries at_hash = left half of SHA-256 of the access token (OIDC Core §3.1.3.6).
TEST_F(OidcTest, IdTokenVerifiesAndBindsTheAccessToken) {
  AuthorizationCode record = CodeRecord();
  Json b = Body(Redeem(PutCode(record)));
  ASSERT_TRUE(b.contains("id_token")) << b.dump();
  jose::JwtValidationOptions o;
  o.issuer = testing::kIssuer;
  o.audience = app_;
  o.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  o.required_claims = {"sub", "iat", "auth_time", "nonce", "azp", "at_hash"};
  auto v =
      jose::VerifyJwt(b["id_token"].get<std::string>(), PublishedJwks(), o, clock_.NowSeconds());
  ASSERT_TRUE(v.ok()) << v.status();
  const Json& c = (*v)->claims;
  EXPECT_EQ((*v)->alg, jose::Algorithm::kES256);
  EXPECT_EQ(c["sub"], user_);
  EXPECT_EQ(c["aud"], app_);
  EXPECT_EQ(c["azp"], app_);
  EXPECT_EQ(c["nonce"], record.nonce);
  EXPECT_EQ(c["auth_time"], record.auth_time);
  const std::string digest = Sha256(b["access_token"].get<std::string>());
  EXPECT_EQ(c["at_hash"], Base64UrlEncode(digest.substr(0, 16)));
}

// /userinfo answers for a token with openid: sub always, profile and email claims by scope;
// without openid 403 insufficient_scope; without or with a bad token 401 Bearer.
TEST_F(OidcTest, Userinfo) {
  AuthorizationCode record = CodeRecord();
  record.scopes = {"openid", "profile", "email", "bookings:create"};
  Json b = Body(Redeem(PutCode(record)));
  http::Response r = Userinfo(b["access_token"].get<std::string>());
  ASSERT_EQ(r.status, 200) << r.body;
  Json info = Body(r);
  EXPECT_EQ(info["sub"], user_);
  EXPECT_EQ(info["preferred_username"], "alice");
  EXPECT_EQ(info["name"], "Alice Example");
  EXPECT_EQ(info["email"], "alice@example.com");

  AuthorizationCode no_openid = CodeRecord();
  no_openid.scopes = {"bookings:create"};
  Json plain = Body(Redeem(PutCode(no_openid)));
  EXPECT_EQ(Userinfo(plain["access_token"].get<std::string>()).status, 403);
  http::Response bad = Userinfo("nonsense");
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.headers.Get("WWW-Authenticate").value_or("").find("invalid_token"),
            std::string::npos);
  // An agent's own token describes no user.
  EXPECT_EQ(Userinfo(AgentToken()).status, 401);
  // Disabled user: no more claims.
  SetUserEnabled(user_, false);
  EXPECT_EQ(Userinfo(b["access_token"].get<std::string>()).status, 401);
}

// RFC 6750 §2.2: a form POST may carry the token as access_token instead.
TEST_F(OidcTest, UserinfoByFormPost) {
  Json b = Body(Redeem(PutCode(CodeRecord())));
  http::Response r = Post("/userinfo", {{"access_token", b["access_token"].get<std::string>()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["sub"], user_);
  EXPECT_FALSE(Body(r).contains("email"));  // no email scope
}

// A plain sign-in without a resource gives a token for /userinfo alone (aud = issuer).
TEST_F(OidcTest, SignInWithoutResource) {
  AuthorizationCode record = CodeRecord();
  record.agent_id = "";
  record.resource = "";
  record.scopes = {"openid", "profile"};
  record.authorization_details = nullptr;
  http::Response r = Redeem(PutCode(record), {{"actor_token", ""}, {"actor_token_type", ""}});
  ASSERT_EQ(r.status, 200) << r.body;
  Json b = Body(r);
  EXPECT_FALSE(b.contains("authorization_details"));
  EXPECT_TRUE(VerifyAt(b["access_token"].get<std::string>(), testing::kIssuer).ok());
  EXPECT_EQ(Body(Userinfo(b["access_token"].get<std::string>()))["preferred_username"], "alice");
}

// Discovery lists every endpoint, the code flow, S256 only, the grants from the grant table,
// "none" for public apps, the resources' details types and the ID token algorithm.
TEST_F(OidcTest, DiscoveryDocuments) {
  Resource hotel = *(*idp_->store().LoadRegistry())->FindResource(testing::kHotel);
  hotel.details_types["hotel_booking"] = {Json::object(), "book {room_id}"};
  ASSERT_TRUE(idp_->store().PutResource(hotel).ok());
  Json m = Body(Get("/.well-known/openid-configuration"));
  const std::string iss = testing::kIssuer;
  EXPECT_EQ(m["authorization_endpoint"], iss + "/authorize");
  EXPECT_EQ(m["pushed_authorization_request_endpoint"], iss + "/par");
  EXPECT_EQ(m["userinfo_endpoint"], iss + "/userinfo");
  EXPECT_EQ(m["response_types_supported"], Json::array({"code"}));
  EXPECT_EQ(m["code_challenge_methods_supported"], Json::array({"S256"}));
  EXPECT_EQ(m["grant_types_supported"],
            Json::array({"authorization_code", "client_credentials", "refresh_token",
                         "urn:ietf:params:oauth:grant-type:token-exchange",
                         "urn:openid:params:grant-type:ciba"}));
  EXPECT_EQ(m["token_endpoint_auth_methods_supported"].back(), "none");
  EXPECT_EQ(m["authorization_details_types_supported"], Json::array({"hotel_booking"}));
  EXPECT_EQ(m["authorization_response_iss_parameter_supported"], true);
  EXPECT_EQ(m["id_token_signing_alg_values_supported"], Json::array({"ES256"}));
  EXPECT_EQ(m["subject_types_supported"], Json::array({"public"}));
  const Json& scopes = m["scopes_supported"];
  EXPECT_NE(std::find(scopes.begin(), scopes.end(), "openid"), scopes.end());
  EXPECT_TRUE(m["claims_supported"].is_array());
  Json oauth = Body(Get("/.well-known/oauth-authorization-server"));
  EXPECT_EQ(oauth["authorization_endpoint"], iss + "/authorize");
  EXPECT_FALSE(oauth.contains("subject_types_supported"));
}

}  // namespace
}  // namespace zta::idp
