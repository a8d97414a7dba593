// Tests for the authorization server's endpoints, driven through Handle() without sockets.
#include "zta/idp/authorization_server.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_fixture.h"
#include "zta/jose/jwt.h"

namespace zta::idp {
namespace {

using testing::IdpFixture;
using testing::kHotel;
using testing::kIssuer;
using Form = std::vector<std::pair<std::string, std::string>>;

class AuthorizationServerTest : public IdpFixture {
 protected:
  Result<std::shared_ptr<const jose::VerifiedJwt>> VerifyAccessToken(const std::string& token) {
    auto jwks = Body(Get("/jwks"));
    auto keys = jose::Jwks::Parse(jwks);
    EXPECT_TRUE(keys.ok()) << keys.status();
    jose::JwtValidationOptions o;
    o.issuer = kIssuer;
    o.audience = kHotel;
    o.allowed_algorithms = jose::AlgorithmSet{jose::Algorithm::kES256};
    o.required_typ = "at+jwt";
    return jose::VerifyJwt(token, *keys, o, clock_.NowSeconds());
  }


};

// client_secret_basic issues an RFC 9068 token the JWKS verifies, with the requested scope.
TEST_F(AuthorizationServerTest, ClientSecretBasicIssuesAccessToken) {
  auto [id, secret] = AddSecretAgent({"hotels:read", "bookings:create"});
  auto r = Post("/token", {{"grant_type", "client_credentials"}, {"resource", kHotel},
                           {"scope", "hotels:read"}}, id, secret);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  Json body = Body(r);
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["expires_in"], 300);
  EXPECT_EQ(body["scope"], "hotels:read");
  auto v = VerifyAccessToken(body["access_token"].get<std::string>());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)->subject, id);
  EXPECT_EQ((*v)->client_id, id);
  EXPECT_FALSE((*v)->jti.empty());
  EXPECT_EQ((*v)->header["typ"], "at+jwt");
  EXPECT_EQ((*v)->claims["zta_agent"]["owner"], "alice@example.com");
  EXPECT_EQ((*v)->expires_at - (*v)->issued_at, 300);
  // The issuance was audited with the jti, never the token.
  auto events = audit_.Events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().action, "token.issue");
  EXPECT_EQ(events.back().jti, (*v)->jti);
  EXPECT_EQ(events.back().decision, AuditDecision::kAllow);
  for (const auto& e : events) {
    EXPECT_EQ(e.ToJson().dump().find(body["access_token"].get<std::string>()), std::string::npos);
    EXPECT_EQ(e.ToJson().dump().find(secret), std::string::npos);
  }
}

// client_secret_post works the same; no scope requested gives the full allowance.
TEST_F(AuthorizationServerTest, ClientSecretPostDefaultsToAllowance) {
  auto [id, secret] = AddSecretAgent({"hotels:read", "bookings:create"});
  auto r = Post("/token", {{"grant_type", "client_credentials"}, {"client_id", id},
                           {"client_secret", secret}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["scope"], "hotels:read bookings:create");
}

// Wrong secrets, unknown clients and missing authentication get 401 invalid_client.
TEST_F(AuthorizationServerTest, BadClientAuthentication) {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  auto r = Post("/token", {{"grant_type", "client_credentials"}}, id, secret + "x");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["error"], "invalid_client");
  EXPECT_TRUE(r.headers.Get("WWW-Authenticate")->find("Basic") != std::string::npos);
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, "agt_nobody", "x").status, 401);
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}).status, 401);
  // Two methods at once are refused.
  auto both = Post("/token", {{"grant_type", "client_credentials"}, {"client_id", id},
                              {"client_secret", secret}}, id, secret);
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(Body(both)["error"], "invalid_request");
}

// Scopes beyond the allowance → invalid_scope; other resources → invalid_target.
TEST_F(AuthorizationServerTest, ScopeAndResourceLimits) {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  auto r = Post("/token", {{"grant_type", "client_credentials"}, {"scope", "bookings:create"}},
                id, secret);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"], "invalid_scope");
  auto t = Post("/token", {{"grant_type", "client_credentials"},
                           {"resource", "https://other.example"}}, id, secret);
  EXPECT_EQ(t.status, 400);
  EXPECT_EQ(Body(t)["error"], "invalid_target");
  auto g = Post("/token", {{"grant_type", "password"}}, id, secret);
  EXPECT_EQ(Body(g)["error"], "unsupported_grant_type");
  auto dup = Post("/token", {{"grant_type", "client_credentials"}, {"scope", "a"}, {"scope", "b"}},
                  id, secret);
  EXPECT_EQ(Body(dup)["error"], "invalid_request");
  auto denied = audit_.Events();
  EXPECT_EQ(denied.back().decision, AuditDecision::kDeny);
}

// Token lifetime is capped by resource and agent settings.
TEST_F(AuthorizationServerTest, LifetimeCaps) {
  ASSERT_TRUE(idp_->AddResource("https://short.example", {"x"}, 60, false).ok());
  AgentSpec spec;
  spec.name = "short";
  spec.owner = "bob";
  spec.resource = "https://short.example";
  spec.scopes = {"x"};
  auto a = idp_->AddAgent(spec);
  ASSERT_TRUE(a.ok());
  auto r = Post("/token", {{"grant_type", "client_credentials"}},
                (*a)["client_id"].get<std::string>(), (*a)["client_secret"].get<std::string>());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["expires_in"], 60);
}

// Disabling an agent refuses new tokens and makes outstanding ones inactive at introspection.
TEST_F(AuthorizationServerTest, DisableAndDeleteKillTokens) {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  auto token = Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret))
                   ["access_token"].get<std::string>();
  auto introspect = [&]() {
    return Body(Post("/introspect", {{"token", token}}, id, secret));
  };
  auto active = introspect();
  EXPECT_EQ(active["active"], true);
  EXPECT_EQ(active["client_id"], id);
  EXPECT_EQ(active["scope"], "hotels:read");
  ASSERT_TRUE(idp_->SetAgentEnabled(id, false).ok());
  // The disabled agent itself can no longer authenticate; a resource server asks instead.
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, id, secret).status, 401);
  auto [other, other_secret] = AddSecretAgent({"hotels:read"});
  EXPECT_EQ(Body(Post("/introspect", {{"token", token}}, other, other_secret))["active"], false);
  ASSERT_TRUE(idp_->SetAgentEnabled(id, true).ok());
  EXPECT_EQ(introspect()["active"], true);
  ASSERT_TRUE(idp_->DeleteAgent(id).ok());
  EXPECT_EQ(Body(Post("/introspect", {{"token", token}}, other, other_secret))["active"], false);
}

// Introspection: expired, forged and revoked tokens are inactive; callers must authenticate.
TEST_F(AuthorizationServerTest, IntrospectionAndRevocation) {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  auto token = Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret))
                   ["access_token"].get<std::string>();
  EXPECT_EQ(Post("/introspect", {{"token", token}}).status, 401);
  EXPECT_EQ(Body(Post("/introspect", {{"token", token + "x"}}, id, secret))["active"], false);
  EXPECT_EQ(Body(Post("/introspect", {{"token", "garbage"}}, id, secret))["active"], false);
  // Another client cannot revoke it.
  auto [other, other_secret] = AddSecretAgent({"hotels:read"});
  EXPECT_EQ(Post("/revoke", {{"token", token}}, other, other_secret).status, 400);
  EXPECT_EQ(Body(Post("/introspect", {{"token", token}}, id, secret))["active"], true);
  // Its owner can; unknown tokens still answer 200 (RFC 7009 §2.2).
  EXPECT_EQ(Post("/revoke", {{"token", token}}, id, secret).status, 200);
  EXPECT_EQ(Post("/revoke", {{"token", "nonsense"}}, id, secret).status, 200);
  EXPECT_EQ(Body(Post("/introspect", {{"token", token}}, id, secret))["active"], false);
  // Expiry.
  auto fresh = Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret))
                   ["access_token"].get<std::string>();
  clock_.AdvanceSeconds(301);
  EXPECT_EQ(Body(Post("/introspect", {{"token", fresh}}, id, secret))["active"], false);
}

// W3C Trace Context §3.2: every event a request writes (issuance, a refused client, introspection,
// revocation) carries the trace id of its traceparent; an invalid one or none leaves it empty,
// and one request's trace id does not stay behind for the next.
TEST_F(AuthorizationServerTest, EventsCarryTheRequestsTraceId) {
  constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  size_t before = audit_.size();
  traceparent_ = std::string("00-") + kTrace + "-00f067aa0ba902b7-01";
  auto token =
      Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret))["access_token"]
          .get<std::string>();
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, id, "wrong").status, 401);
  EXPECT_EQ(Body(Post("/introspect", {{"token", token}}, id, secret))["active"], true);
  EXPECT_EQ(Post("/revoke", {{"token", token}}, id, secret).status, 200);
  size_t traced = audit_.size();
  traceparent_ = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";  // upper case: invalid
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, id, secret).status, 200);
  traceparent_.clear();
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, id, secret).status, 200);
  auto events = audit_.Events();
  ASSERT_GE(traced, before + 4);
  std::vector<std::string> actions;
  for (size_t i = before; i < traced; ++i) {
    EXPECT_EQ(events[i].trace_id, kTrace) << events[i].action;
    actions.push_back(events[i].action);
  }
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "token.introspect") +
                std::count(actions.begin(), actions.end(), "token.revoke"),
            2)
      << ::testing::PrintToString(actions);
  for (size_t i = traced; i < events.size(); ++i) EXPECT_EQ(events[i].trace_id, "");
}

// A resource server authenticates with its introspection secret and sees only its tokens.
TEST_F(AuthorizationServerTest, ResourceServerIntrospects) {
  auto res = idp_->AddResource("https://staff.example", {"staff:assign"}, 0, true);
  ASSERT_TRUE(res.ok());
  auto hotel = idp_->AddResource(kHotel, {"hotels:read"}, 0, true);  // re-add: new secret
  ASSERT_TRUE(hotel.ok());
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  auto token = Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret))
                   ["access_token"].get<std::string>();
  auto mine = Post("/introspect", {{"token", token}}, kHotel,
                   (*hotel)["introspection_secret"].get<std::string>());
  EXPECT_EQ(Body(mine)["active"], true);
  auto theirs = Post("/introspect", {{"token", token}}, "https://staff.example",
                     (*res)["introspection_secret"].get<std::string>());
  EXPECT_EQ(Body(theirs)["active"], false);
}

// Repeated failed authentications are rate-limited with 429 and Retry-After; the right secret
// is still served.
TEST_F(AuthorizationServerTest, FailedAuthenticationIsRateLimited) {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, id, "wrong").status, 401);
  }
  auto r = Post("/token", {{"grant_type", "client_credentials"}}, id, "wrong");
  EXPECT_EQ(r.status, 429);
  ASSERT_TRUE(r.headers.Get("Retry-After").has_value());
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, id, secret).status, 200);
  // Another address and client are unaffected; after the window the client recovers.
  auto [id2, secret2] = AddSecretAgent({"hotels:read"});
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, id2, secret2, "10.0.0.2").status,
            200);
  clock_.AdvanceSeconds(61);
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, id, secret).status, 200);
}

// Wrong guesses at an agent's id from one address, far past the limit, never keep that agent
// from its token with its right secret from the same address, by Basic or by form post.
TEST_F(AuthorizationServerTest, WrongGuessesDoNotLockOutTheRightSecret) {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  const std::string shared = "127.0.0.1";  // attacker and agent behind the same address
  auto basic = [&](const std::string& s) {
    return Post("/token", {{"grant_type", "client_credentials"}}, id, s, shared);
  };
  auto post = [&](const std::string& s) {
    Form form = {{"grant_type", "client_credentials"}, {"client_id", id}, {"client_secret", s}};
    return Post("/token", form, "", "", shared);
  };
  http::Response last;
  for (int i = 0; i < 30; ++i) last = i % 2 ? basic("guess") : post("guess");
  EXPECT_EQ(last.status, 429);  // the limit did engage
  auto by_basic = basic(secret);
  EXPECT_EQ(by_basic.status, 200) << by_basic.body;
  auto by_post = post(secret);
  EXPECT_EQ(by_post.status, 200) << by_post.body;
  EXPECT_EQ(audit_.Events().back().decision, AuditDecision::kAllow);
}

// Forged assertions for a private_key_jwt agent's id, past the limit, never keep that agent's
// validly signed assertion from a token from the same address.
TEST_F(AuthorizationServerTest, WrongGuessesDoNotLockOutAValidAssertion) {
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256);
  auto forger = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(key.ok() && forger.ok());
  std::string id = AddJwtAgent(*key);
  http::Response last;
  for (int i = 0; i < 30; ++i) {
    last = PostAssertion(Assertion(id, kIssuer, "forged" + std::to_string(i), *forger));
  }
  EXPECT_EQ(last.status, 429);
  // With client_id in the form too, as some clients send it.
  last = Post("/token", {{"grant_type", "client_credentials"},
                         {"client_id", id},
                         {"client_assertion_type", kJwtBearer},
                         {"client_assertion", "x.y.z"}});
  EXPECT_EQ(last.status, 429);
  auto r = PostAssertion(Assertion(id, kIssuer, "real", *key));
  EXPECT_EQ(r.status, 200) << r.body;
}

// Wrong introspection secrets against a resource server's (public) URI, past the limit, never
// keep that resource server's own introspection call from succeeding.
TEST_F(AuthorizationServerTest, WrongGuessesDoNotLockOutAResourceServer) {
  auto hotel = idp_->AddResource(kHotel, {"hotels:read"}, 0, true);  // re-add: new secret
  ASSERT_TRUE(hotel.ok());
  const std::string rs_secret = (*hotel)["introspection_secret"].get<std::string>();
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  auto token =
      Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret))["access_token"]
          .get<std::string>();
  http::Response last;
  for (int i = 0; i < 30; ++i) last = Post("/introspect", {{"token", token}}, kHotel, "guess");
  EXPECT_EQ(last.status, 429);
  auto r = Post("/introspect", {{"token", token}}, kHotel, rs_secret);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["active"], true);
}

// Past failed_auth_limit wrong guesses for one client from one address, a wrong guess gets 429
// slow_down with the rest of the window as Retry-After, audited as such; the count is per
// (client, address), so the same client's first miss from elsewhere is still a plain 401.
TEST_F(AuthorizationServerTest, WrongGuessesPastTheLimitGet429) {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  for (int i = 0; i < 10; ++i) {
    auto r = Post("/token", {{"grant_type", "client_credentials"}}, id, "guess", "198.51.100.1");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(Body(r)["error"], "invalid_client");
  }
  auto r = Post("/token", {{"grant_type", "client_credentials"}}, id, "guess", "198.51.100.1");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Body(r)["error"], "slow_down");
  EXPECT_EQ(r.headers.Get("Retry-After"), "60");  // RFC 6585 §4
  EXPECT_FALSE(r.headers.Get("WWW-Authenticate").has_value());
  auto event = audit_.Events().back();
  EXPECT_EQ(event.decision, AuditDecision::kDeny);
  EXPECT_EQ(event.reason, "too_many_failures");
  EXPECT_EQ(event.attributes["zta.auth_failure"], "bad_client_secret");
  EXPECT_EQ(event.attributes["zta.source_address"], "198.51.100.1");
  clock_.AdvanceSeconds(20);
  auto later = Post("/token", {{"grant_type", "client_credentials"}}, id, "guess", "198.51.100.1");
  EXPECT_EQ(later.status, 429);
  EXPECT_EQ(later.headers.Get("Retry-After"), "40");
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, id, "guess", "192.0.2.9").status,
            401);
  clock_.AdvanceSeconds(41);  // the window is over
  EXPECT_EQ(
      Post("/token", {{"grant_type", "client_credentials"}}, id, "guess", "198.51.100.1").status,
      401);
}

// Guesses spread over many client ids from one address get 429 once that address is past the
// limit, while a client with its right secret from that address is still served.
TEST_F(AuthorizationServerTest, PerAddressLimitSpansClientIds) {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  const std::string nat = "203.0.113.50";
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}},
                   "agt_guess" + std::to_string(i), "x", nat)
                  .status,
              401);
  }
  auto r = Post("/token", {{"grant_type", "client_credentials"}}, "agt_guess10", "x", nat);
  EXPECT_EQ(r.status, 429);
  EXPECT_TRUE(r.headers.Get("Retry-After").has_value());
  // A first wrong guess at a real client from the marked address is slowed down too ...
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, id, "x", nat).status, 429);
  // ... but its right secret is served, and other addresses are untouched.
  auto ok = Post("/token", {{"grant_type", "client_credentials"}}, id, secret, nat);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Post("/token", {{"grant_type", "client_credentials"}}, "agt_guess11", "x", "192.0.2.1")
                .status,
            401);
}

// A client assertion's aud is exactly the issuer or the token endpoint, as a string or a
// one-element array (draft-ietf-oauth-rfc7523bis); anything else is refused as bad_audience.
TEST_F(AuthorizationServerTest, AssertionAudienceMustBeExactlyOurs) {
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(key.ok());
  std::string id = AddJwtAgent(*key);
  const std::string token_endpoint = std::string(kIssuer) + "/token";
  int n = 0;
  auto try_aud = [&](Json aud) {
    return PostAssertion(Assertion(id, std::move(aud), "a" + std::to_string(++n), *key));
  };
  EXPECT_EQ(try_aud(kIssuer).status, 200);
  EXPECT_EQ(try_aud(token_endpoint).status, 200);
  EXPECT_EQ(try_aud(Json::array({kIssuer})).status, 200);
  EXPECT_EQ(try_aud(Json::array({token_endpoint})).status, 200);
  for (Json aud : {Json::array({kIssuer, "https://evil"}), Json::array(),
                   Json::array({"https://evil"}), Json(42), Json("https://evil"),
                   Json::array({kIssuer, token_endpoint}), Json::array({42})}) {
    auto r = try_aud(aud);
    EXPECT_EQ(r.status, 401) << aud.dump();
    EXPECT_EQ(Body(r)["error"], "invalid_client") << aud.dump();
    EXPECT_EQ(Body(r)["error_description"], "client assertion rejected: bad_audience")
        << aud.dump();
    EXPECT_EQ(audit_.Events().back().reason, "bad_audience") << aud.dump();
  }
}

// private_key_jwt: a fresh assertion works once; replay, wrong audience and wrong key fail.
TEST_F(AuthorizationServerTest, PrivateKeyJwt) {
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(key.ok());
  AgentSpec spec;
  spec.name = "booker";
  spec.owner = "alice";
  spec.resource = kHotel;
  spec.scopes = {"bookings:create"};
  spec.public_jwk = key->ToPublicJson();
  auto agent = idp_->AddAgent(spec);
  ASSERT_TRUE(agent.ok()) << agent.status();
  EXPECT_FALSE(agent->contains("client_secret"));
  std::string id = (*agent)["client_id"].get<std::string>();
  auto assertion = [&](const std::string& aud, const std::string& jti, const jose::Jwk& k) {
    int64_t now = clock_.NowSeconds();
    return *jose::JwtBuilder().Issuer(id).Subject(id).Audience(aud).Id(jti).IssuedAt(now)
                .ExpiresAt(now + 60).Sign(jose::Algorithm::kES256, k);
  };
  auto request = [&](const std::string& a) {
    return Post("/token", {{"grant_type", "client_credentials"},
                           {"client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
                           {"client_assertion", a}});
  };
  std::string good = assertion(kIssuer, "j1", *key);
  auto r = request(good);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["scope"], "bookings:create");
  EXPECT_EQ(request(good).status, 401);  // replay
  EXPECT_EQ(request(assertion(std::string(kIssuer) + "/token", "j2", *key)).status, 200);
  EXPECT_EQ(request(assertion("https://elsewhere", "j3", *key)).status, 401);
  auto other = jose::Jwk::Generate(jose::Algorithm::kES256);
  EXPECT_EQ(request(assertion(kIssuer, "j4", *other)).status, 401);
}

// Metadata lists every endpoint; the JWKS is cacheable and has only public keys.
TEST_F(AuthorizationServerTest, MetadataAndJwks) {
  Json m = Body(Get("/.well-known/oauth-authorization-server"));
  EXPECT_EQ(m["issuer"], kIssuer);
  EXPECT_EQ(m["token_endpoint"], std::string(kIssuer) + "/token");
  EXPECT_EQ(m["jwks_uri"], std::string(kIssuer) + "/jwks");
  EXPECT_EQ(m["introspection_endpoint"], std::string(kIssuer) + "/introspect");
  EXPECT_EQ(m["revocation_endpoint"], std::string(kIssuer) + "/revoke");
  Json oidc = Body(Get("/.well-known/openid-configuration"));
  EXPECT_EQ(oidc["issuer"], kIssuer);
  EXPECT_TRUE(oidc.contains("subject_types_supported"));
  auto jwks = Get("/jwks");
  EXPECT_EQ(jwks.status, 200);
  EXPECT_NE(jwks.headers.Get("Cache-Control")->find("max-age=60"), std::string::npos);
  EXPECT_TRUE(jose::Jwks::Parse(Body(jwks)).ok());  // verification parse refuses private keys
  EXPECT_EQ(Get("/nope").status, 404);
  EXPECT_EQ(Get("/token").status, 405);
}

// Metadata's grant_types_supported is the grant table and its auth methods are those
// client_auth.cc implements.
TEST_F(AuthorizationServerTest, MetadataListsGrantsAndAuthMethods) {
  Json m = server_->Metadata(/*openid=*/false);
  EXPECT_EQ(m["grant_types_supported"],
            Json::array({"authorization_code", "client_credentials", "refresh_token",
                         "urn:ietf:params:oauth:grant-type:token-exchange",
                         "urn:openid:params:grant-type:ciba"}));
  Json methods = Json::array({"client_secret_basic", "client_secret_post", "private_key_jwt"});
  EXPECT_EQ(m["token_endpoint_auth_methods_supported"],
            Json::array({"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}));
  EXPECT_EQ(m["introspection_endpoint_auth_methods_supported"], methods);
  EXPECT_EQ(m["revocation_endpoint_auth_methods_supported"], methods);
  EXPECT_FALSE(m.contains("subject_types_supported"));
}

// Key rotation: the next key is published before it signs; the old one stays until its tokens
// expire, and a reopened data folder keeps the same keys.
TEST_F(AuthorizationServerTest, KeyRotation) {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  auto old_token = Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret))
                       ["access_token"].get<std::string>();
  auto rotated = idp_->keys().Rotate();
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(Body(Get("/jwks"))["keys"].size(), 2u);
  // Still signing with the old key during the overlap.
  auto during = Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret))
                    ["access_token"].get<std::string>();
  ASSERT_TRUE(VerifyAccessToken(during).ok());
  EXPECT_NE((*VerifyAccessToken(during))->kid, rotated->kid);
  clock_.AdvanceSeconds(31);
  auto after = Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret))
                   ["access_token"].get<std::string>();
  auto v = VerifyAccessToken(after);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)->kid, rotated->kid);
  EXPECT_EQ(Body(Get("/jwks"))["keys"].size(), 2u);  // old key still covers old tokens
  clock_.AdvanceSeconds(601);
  EXPECT_EQ(Body(Get("/jwks"))["keys"].size(), 1u);
  Reopen();
  EXPECT_EQ(Body(Get("/jwks"))["keys"][0]["kid"], rotated->kid);
}

// Private key files are mode 0600 and encrypted when a key encryption secret is set.
TEST_F(AuthorizationServerTest, KeyFilesAreProtected) {
  if (OnPostgres()) GTEST_SKIP() << "a PostgreSQL store keeps its keys sealed in the database";
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/keys")) {
    auto perms = std::filesystem::status(entry).permissions();
    EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none)
        << entry.path();
  }
}

// Wrong content type and malformed bodies are invalid_request, never a crash.
TEST_F(AuthorizationServerTest, MalformedRequests) {
  http::Request r;
  r.method = "POST";
  r.path = "/token";
  r.headers.Set("Content-Type", "application/json");
  r.body = "{}";
  EXPECT_EQ(server_->Handle(r).status, 400);
  auto bad = Post("/token", {});
  EXPECT_EQ(bad.status, 401);
  http::Request junk;
  junk.method = "POST";
  junk.path = "/token";
  junk.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  junk.body = "grant_type=%zz&&&===";
  EXPECT_EQ(server_->Handle(junk).status, 400);
  junk.headers.Set("Authorization", "Basic !!!");
  junk.body = "grant_type=client_credentials";
  EXPECT_EQ(server_->Handle(junk).status, 401);
}

// The form's media type is compared case-insensitively with parameters aside (RFC 9110
// §8.3.1), not as a prefix; the JWKS and metadata answer only GET and HEAD, and a 405 names
// what is allowed (RFC 9110 §15.5.6).
TEST_F(AuthorizationServerTest, MediaTypeAndMethodsFollowRfc9110) {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  http::Request r;
  r.method = "POST";
  r.path = r.target = "/token";
  r.body = "grant_type=client_credentials&client_id=" + http::PercentEncode(id) +
           "&client_secret=" + http::PercentEncode(secret);
  r.remote_address = "127.0.0.1";
  r.headers.Set("Content-Type", "Application/X-WWW-Form-Urlencoded ; charset=UTF-8");
  EXPECT_EQ(server_->Handle(r).status, 200);
  r.headers.Set("Content-Type", "application/x-www-form-urlencodedX");
  EXPECT_EQ(server_->Handle(r).status, 400);
  for (const char* path : {"/jwks", "/.well-known/oauth-authorization-server",
                           "/.well-known/openid-configuration"}) {
    http::Request post;
    post.method = "POST";
    post.path = post.target = path;
    auto refused = server_->Handle(post);
    EXPECT_EQ(refused.status, 405) << path;
    EXPECT_EQ(refused.headers.Get("Allow"), "GET, HEAD") << path;
  }
}

}  // namespace
}  // namespace zta::idp
