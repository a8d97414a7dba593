// The idp's audit reason codes: a scripted set of requests produces every code reasons.h
// declares, each where it belongs, and the idp records no reason that is not declared.
#include "zta/idp/reasons.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include "delegation_test_fixture.h"
#include "federation_test_issuer.h"
#include "forwarding_store.h"
#include "test_fixture.h"
#include "zta/core/random.h"
#include "zta/idp/identity_provider.h"
#include "zta/idp/oauth_error.h"
#include "zta/jose/jwt.h"
#include "zta/jose/verify_error.h"

namespace zta::idp {
namespace {

using testing::IdpFixture;
using testing::kHotel;
using testing::kIssuer;

// The real store, except that revocations cannot be stored.
class RevocationFailingStore : public testing::ForwardingIdpStore {
 public:
  using ForwardingIdpStore::ForwardingIdpStore;
  Status Revoke(const std::string&, int64_t) override { return Unavailable("disk full"); }
};

class IdpReasonsTest : public testing::DelegationFixture {
 protected:

  std::string Assertion(const std::string& id, const std::string& jti, const jose::Jwk& key) {
    return IdpFixture::Assertion(id, kIssuer, jti, key);
  }
  std::string Token(const std::string& id, const std::string& secret) {
    return Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret))["access_token"]
        .get<std::string>();
  }
  // Sets every key row's alg or retirement, as another process would, and reloads.
  void EditKeys(const std::function<void(KeyRow&)>& edit) {
    for (KeyRow row : idp_->keys().List()) {
      edit(row);
      ASSERT_TRUE(idp_->store().PutKey(row).ok());
    }
    ASSERT_TRUE(idp_->keys().Reload().ok());
  }
  // Runs `request`, expects `status`, and checks the last event's reason is `reason`.
  void Expect(const char* reason, int status, const std::function<http::Response()>& request) {
    http::Response r = request();
    EXPECT_EQ(r.status, status) << reason << ": " << r.body;
    ASSERT_FALSE(audit_.Events().empty());
    EXPECT_EQ(audit_.Events().back().reason, reason) << r.body;
  }
  // Every reason and zta.auth_failure recorded so far.
  std::set<std::string> RecordedReasons() const {
    std::set<std::string> out;
    for (const AuditEvent& e : audit_.Events()) {
      if (!e.reason.empty()) out.insert(e.reason);
      if (e.attributes.contains("zta.auth_failure")) {
        out.insert(e.attributes["zta.auth_failure"].get<std::string>());
      }
    }
    return out;
  }
  // The scripted requests, in one data folder: every reason code, each checked where it comes.
  void RunScript() {
    // Before DelegationReasons, which ends with the user deleted; it comes before TokenReasons,
    // which ends with no signing key.
    ExchangeReasons();
    BackchannelReasons();
    DelegationReasons();
    ClientAuthenticationReasons();
    FederationReasons();
    TokenReasons();
  }
  void ClientAuthenticationReasons();
  void FederationReasons();
  void TokenReasons();
  void DelegationReasons();
  void ExchangeReasons();
  // An access token of this idp with `claims` laid over a delegated token's for user_ with
  // agent_ as actor: what only a forger with our key, or a future issuer bug, could present.
  std::string SignedWith(const Json& claims) {
    auto key = idp_->keys().CurrentSigningKey();
    EXPECT_TRUE(key.ok());
    auto token = jose::JwtBuilder()
                     .Type("at+jwt")
                     .Issuer(kIssuer)
                     .Subject(user_)
                     .Audience(kHotel)
                     .Claim("client_id", agent_)
                     .Scopes({"bookings:create"})
                     .Id(*RandomToken(16))
                     .IssuedAt(clock_.NowSeconds())
                     .ExpiresAt(clock_.NowSeconds() + 60)
                     .Claims(claims)
                     .Sign(key->alg, key->key);
    EXPECT_TRUE(token.ok());
    return token.ok() ? *token : "";
  }
  void BackchannelReasons();
};

void IdpReasonsTest::ClientAuthenticationReasons() {
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(key.ok());
  const std::string jwt_agent = AddJwtAgent(*key);
  Expect(kReasonUnknownClient, 401, [&] { return PostAssertion(Assertion("agt_x", "u", *key)); });
  Agent broken;
  broken.client_id = "agt_broken_key";
  broken.auth_method = ClientAuthMethod::kPrivateKeyJwt;
  broken.public_jwk = {{"kty", "EC"}};
  broken.allowances[kHotel] = {"hotels:read"};
  ASSERT_TRUE(idp_->store().PutAgent(broken).ok());
  Expect(kReasonBadClientKey, 401,
         [&] { return PostAssertion(Assertion(broken.client_id, "b", *key)); });
  const std::string once = Assertion(jwt_agent, "once", *key);
  EXPECT_EQ(PostAssertion(once).status, 200);
  Expect(kReasonAssertionReplay, 401, [&] { return PostAssertion(once); });

  auto [id, secret] = AddSecretAgent({"hotels:read"});
  Expect(kReasonBadClientSecret, 401, [&] {
    return Post("/token", {{"grant_type", "client_credentials"}}, id, "wrong", "192.0.2.7");
  });
  for (int i = 0; i < 10; ++i) (void)Post("/token", {}, id, "wrong", "192.0.2.8");
  Expect(kReasonTooManyFailures, 429, [&] { return Post("/token", {}, id, "wrong", "192.0.2.8"); });
  ASSERT_TRUE(idp_->SetAgentEnabled(id, false).ok());
  Expect(kReasonClientDisabled, 401, [&] { return Post("/token", {}, id, secret); });
}

void IdpReasonsTest::FederationReasons() {
  testing::LocalIssuer peer;
  ASSERT_TRUE(peer.ok());
  auto federated = [&](const std::string& client_id, const std::string& assertion) {
    return Post("/token",
                {{"grant_type", "client_credentials"},
                 {"client_id", client_id},
                 {"client_assertion_type", kJwtBearer},
                 {"client_assertion", assertion}},
                "", "", "192.0.2.9");
  };
  const std::string assertion = peer.Mint(clock_, "workload", "urn:zta:federation", "f-1");
  Expect(kReasonUntrustedIssuer, 401, [&] { return federated(agent_, assertion); });
  FederatedIssuerSpec spec;
  spec.issuer = peer.issuer();
  spec.jwks_uri = peer.jwks_uri();
  spec.audience = "urn:zta:federation";
  spec.allow_client_assertion = true;
  ASSERT_TRUE(idp_->AddFederatedIssuer(spec).ok());
  Expect(kReasonFederatedSubjectMismatch, 401, [&] { return federated(agent_, assertion); });
}

void IdpReasonsTest::TokenReasons() {
  auto [id, secret] = AddSecretAgent({"hotels:read"});
  auto [other, other_secret] = AddSecretAgent({"hotels:read"});
  auto staff = idp_->AddResource("https://staff.example", {"staff:assign"}, 0, true);
  ASSERT_TRUE(staff.ok());
  const std::string token = Token(id, secret);
  Expect(kReasonWrongAudience, 200, [&] {
    return Post("/introspect", {{"token", token}}, "https://staff.example",
                (*staff)["introspection_secret"].get<std::string>());
  });
  Expect(kReasonNotTokenOwner, 400, [&] {
    return Post("/revoke", {{"token", token}}, other, other_secret);
  });
  Expect(kReasonUnknownToken, 200, [&] {
    return Post("/revoke", {{"token", "nonsense"}}, id, secret);
  });
  EXPECT_EQ(Post("/revoke", {{"token", token}}, id, secret).status, 200);
  Expect(kReasonRevoked, 200, [&] { return Post("/introspect", {{"token", token}}, id, secret); });

  const std::string second = Token(id, secret);
  ASSERT_TRUE(idp_->SetAgentEnabled(id, false).ok());
  Expect(kReasonAgentDisabled, 200, [&] {
    return Post("/introspect", {{"token", second}}, other, other_secret);
  });
  ASSERT_TRUE(idp_->DeleteAgent(id).ok());
  Expect(kReasonAgentDeleted, 200, [&] {
    return Post("/introspect", {{"token", second}}, other, other_secret);
  });

  // The same server over a store that cannot record revocations.
  RevocationFailingStore failing(idp_->store());
  const std::string third = Token(other, other_secret);
  auto unstorable = std::make_unique<AuthorizationServer>(server_->options(), failing, idp_->keys(),
                                                          audit_, clock_);
  std::swap(server_, unstorable);
  Expect(kReasonStoreError, 503, [&] {
    return Post("/revoke", {{"token", third}}, other, other_secret);
  });
  std::swap(server_, unstorable);

  auto issue = [&] {
    return Post("/token", {{"grant_type", "client_credentials"}}, other, other_secret);
  };
  EditKeys([](KeyRow& row) { row.alg = "RS256"; });  // an EC key cannot sign RS256
  Expect(kReasonSigningFailed, 500, issue);
  EditKeys([](KeyRow& row) { row.retired = true; });
  Expect(kReasonNoSigningKey, 500, issue);
}

void IdpReasonsTest::BackchannelReasons() {
  auto ask = [&](const Form& extra) {
    Form form = {{"login_hint", "alice"},
                 {"binding_message", "Book r-12"},
                 {"scope", "bookings:create"},
                 {"resource", kHotel}};
    return Post("/bc-authorize", Merge(form, extra), agent_, agent_secret_);
  };
  auto poll = [&](const std::string& id) {
    return Post("/token", {{"grant_type", "urn:openid:params:grant-type:ciba"}, {"auth_req_id", id}},
                agent_, agent_secret_);
  };
  auto ask_id = [&](const Form& extra) { return Body(ask(extra)).value("auth_req_id", ""); };
  Expect(kReasonUnknownUserId, 400, [&] { return ask({{"login_hint", "nobody"}}); });
  Expect(kReasonInvalidBindingMessage, 400, [&] { return ask({{"binding_message", "a\x01"}}); });
  const std::string id = ask_id({});
  Expect(kReasonPollTooFast, 400, [&] { return poll(id); });
  clock_.AdvanceSeconds(10);
  Expect(kReasonAuthorizationPending, 400, [&] { return poll(id); });
  Expect(kReasonBackchannelInvalid, 400, [&] { return poll("unknown"); });
  const int64_t now = clock_.NowSeconds();
  ASSERT_TRUE(*idp_->store().DecideBackchannel(DigestSecret(id), BackchannelStatus::kApproved,
                                               now, now));
  clock_.AdvanceSeconds(10);
  EXPECT_EQ(poll(id).status, 200);
  Expect(kReasonBackchannelReplay, 400, [&] { return poll(id); });
  const std::string denied = ask_id({});
  ASSERT_TRUE(*idp_->store().DecideBackchannel(DigestSecret(denied), BackchannelStatus::kDenied,
                                               now + 10, 0));
  clock_.AdvanceSeconds(10);
  Expect(kReasonBackchannelDenied, 400, [&] { return poll(denied); });
  const std::string expiring = ask_id({{"requested_expiry", "60"}});  // the shortest accepted
  clock_.AdvanceSeconds(61);
  Expect(kReasonBackchannelExpired, 400, [&] { return poll(expiring); });
  for (int i = 0; i < 20; ++i) ASSERT_EQ(ask({}).status, 200);
  Expect(kReasonTooManyPending, 400, [&] { return ask({}); });
}

void IdpReasonsTest::DelegationReasons() {
  Expect(kReasonCodeInvalid, 400, [&] { return Redeem("unknown"); });
  Expect(kReasonRedirectMismatch, 400,
         [&] { return Redeem(PutCode(CodeRecord()), {{"redirect_uri", "http://x.example/"}}); });
  Expect(kReasonPkceMismatch, 400,
         [&] { return Redeem(PutCode(CodeRecord()), {{"code_verifier", ""}}); });
  Expect(kReasonActorTokenInvalid, 400, [&] { return Redeem(PutCode(CodeRecord()), {}, ""); });
  const std::string code = PutCode(CodeRecord());
  Json first = Body(Redeem(code));
  const std::string access = first.value("access_token", "");
  Expect(kReasonCodeReplay, 400, [&] { return Redeem(code); });
  Expect(kReasonGrantRevoked, 400, [&] { return Refresh(first.value("refresh_token", "")); });
  Expect(kReasonGrantRevoked, 200, [&] { return Post("/introspect", {{"token", access}},
                                                      agent_, agent_secret_); });
  Expect(kReasonRefreshInvalid, 400, [&] { return Refresh("unknown"); });
  Json second = Body(Redeem(PutCode(CodeRecord())));
  const std::string rotated_out = second.value("refresh_token", "");
  ASSERT_EQ(Refresh(rotated_out).status, 200);
  Expect(kReasonRefreshReuse, 400, [&] { return Refresh(rotated_out); });

  Json third = Body(Redeem(PutCode(CodeRecord())));
  const std::string live = third.value("access_token", "");
  const std::string token = AgentToken();
  SetUserEnabled(user_, false);
  Expect(kReasonUserDisabled, 400, [&] { return Redeem(PutCode(CodeRecord()), {}, token); });
  Expect(kReasonUserDisabled, 200,
         [&] { return Post("/introspect", {{"token", live}}, agent_, agent_secret_); });
  SetUserEnabled(user_, true);
  App app = *(*idp_->store().LoadRegistry())->FindApp(app_);
  app.enabled = false;
  ASSERT_TRUE(idp_->store().PutApp(app).ok());
  Expect(kReasonAppDisabled, 200,
         [&] { return Post("/introspect", {{"token", live}}, agent_, agent_secret_); });
  ASSERT_TRUE(idp_->store().DeleteUser(user_).ok());
  Expect(kReasonUserDeleted, 200,
         [&] { return Post("/introspect", {{"token", live}}, agent_, agent_secret_); });
}

void IdpReasonsTest::ExchangeReasons() {
  DeclareBookingDetails();
  auto [booking, booking_secret] = AddSecretAgent({"hotels:read", "bookings:create"});
  auto exchange = [&, booking = booking, booking_secret = booking_secret](
                      const std::string& subject, const Form& extra) {
    Form form = {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                 {"subject_token", subject},
                 {"subject_token_type", testing::kActorTokenType},
                 {"actor_token", AgentToken(booking, booking_secret)},
                 {"actor_token_type", testing::kActorTokenType}};
    return Post("/token", Merge(form, extra), booking, booking_secret);
  };
  const std::string subject = Body(Redeem(PutCode(CodeRecord()))).value("access_token", "");
  Expect(kReasonNoDelegationRule, 400, [&] { return exchange(subject, {}); });
  DelegationRuleSpec rule;
  rule.from = agent_;
  rule.to = booking;
  rule.max_depth = 1;
  ASSERT_TRUE(idp_->AddDelegationRule(rule).ok());
  Expect(kReasonChainTooDeep, 400, [&] { return exchange(subject, {}); });
  rule.max_depth = 0;
  rule.resource = "https://staff.example/api";
  ASSERT_TRUE(idp_->AddResource(rule.resource, {"staff:assign"}, 0, false).ok());
  ASSERT_TRUE(idp_->AddDelegationRule(rule).ok());
  Expect(kReasonResourceNotDelegated, 400, [&] { return exchange(subject, {}); });
  rule.resource = "";
  rule.scopes = {"hotels:read"};
  ASSERT_TRUE(idp_->AddDelegationRule(rule).ok());
  Expect(kReasonScopeNotDelegated, 400,
         [&] { return exchange(subject, {{"scope", "bookings:create"}}); });
  rule.scopes = {};
  ASSERT_TRUE(idp_->AddDelegationRule(rule).ok());
  Expect(kReasonScopeEscalation, 400, [&] { return exchange(subject, {{"scope", "hotels:read"}}); });
  Expect(kReasonDetailsEscalation, 400, [&] {
    return exchange(subject, {{"authorization_details",
                               R"([{"type":"hotel_booking","hotel_id":"h-9"}])"}});
  });
  auto verified = VerifyAt(subject);
  ASSERT_TRUE(verified.ok());
  const Json grant = (*verified)->claims["zta_grant"];
  Expect(kReasonMayActMismatch, 400, [&] {
    return exchange(SignedWith({{"act", {{"sub", agent_}}}, {"zta_grant", grant},
                                {"client_id", app_}, {"may_act", {{"sub", "someone-else"}}}}),
                    {});
  });
  Expect(kReasonUntrustedIssuer, 400, [&] {
    return exchange(subject, {{"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"}});
  });
  const std::string exchanged = Body(exchange(subject, {})).value("access_token", "");
  ASSERT_FALSE(exchanged.empty());
  EXPECT_EQ(Post("/revoke", {{"token", subject}}, app_, app_secret_).status, 200);
  Expect(kReasonParentRevoked, 200,
         [&] { return Post("/introspect", {{"token", exchanged}}, agent_, agent_secret_); });
  Expect(kReasonSubjectInactive, 400, [&] { return exchange(subject, {}); });
  Expect(kReasonBadActorChain, 200, [&] {
    return Post("/introspect", {{"token", SignedWith({{"act", {{"sub", 7}}}})}}, agent_,
                agent_secret_);
  });
}

// Each scripted request gives its reason, and every code reasons.h declares is among them.
TEST_F(IdpReasonsTest, EveryReasonCodeIsProduced) {
  RunScript();
  std::set<std::string> recorded = RecordedReasons();
  for (std::string_view reason : kAllReasons) {
    EXPECT_TRUE(recorded.count(std::string(reason))) << "no request produces " << reason;
  }
}

// Every reason the idp records is declared: a reasons.h code, an OAuth error code (a refusal
// with nothing finer to say) or a jose reason code (a token or assertion that does not verify).
TEST_F(IdpReasonsTest, EveryRecordedReasonIsDeclared) {
  RunScript();
  std::set<std::string> declared(std::begin(kAllReasons), std::end(kAllReasons));
  for (const OAuthError& e :
       {OAuthError::InvalidRequest(""), OAuthError::InvalidClient("", false),
        OAuthError::InvalidGrant(""), OAuthError::UnauthorizedClient(""),
        OAuthError::UnsupportedGrantType(""), OAuthError::InvalidScope(""),
        OAuthError::InvalidTarget(""), OAuthError::SlowDown(1, ""),
        OAuthError::TemporarilyUnavailable(""), OAuthError::ServerError(""),
        OAuthError::UnknownUserId(""), OAuthError::InvalidBindingMessage(""),
        OAuthError::AuthorizationPending(""), OAuthError::PollSlowDown(""),
        OAuthError::ExpiredToken(""), OAuthError::AccessDenied(""),
        OAuthError::InvalidAuthorizationDetails("")}) {
    declared.insert(e.error());
  }
  for (const std::string& reason : RecordedReasons()) {
    EXPECT_TRUE(declared.count(reason) || jose::VerifyErrorFromReason(reason).has_value())
        << reason << " is recorded but declared nowhere";
  }
}

// kAllReasons lists every kReason* constant of reasons.h, so the coverage test sees them all.
TEST(IdpReasons, ListHoldsEveryConstant) {
  std::ifstream in(ZTA_IDP_REASONS_HEADER);
  ASSERT_TRUE(in) << "cannot read reasons.h";
  std::stringstream text;
  text << in.rdbuf();
  const std::string source = text.str();
  std::set<std::string> listed(std::begin(kAllReasons), std::end(kAllReasons));
  std::regex constant(R"re(constexpr char (kReason\w+)\[\] = "([a-z_]+)";)re");
  int n = 0;
  for (std::sregex_iterator it(source.begin(), source.end(), constant), end; it != end; ++it) {
    ++n;
    EXPECT_TRUE(listed.count((*it)[2].str())) << (*it)[1].str() << " is not in kAllReasons";
  }
  EXPECT_EQ(n, static_cast<int>(std::size(kAllReasons))) << "a value appears twice";
}

}  // namespace
}  // namespace zta::idp
