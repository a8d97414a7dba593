// Federation: FederationVerifier against a local external issuer, and federated client
// authentication (RFC 7523 §2.2 with the external key set) at /token.
#include "federation.h"

#include <gtest/gtest.h>

#include "federation_test_issuer.h"
#include "test_fixture.h"
#include "zta/idp/reasons.h"

namespace zta::idp {
namespace {

using testing::IdpFixture;
using testing::kHotel;
using testing::LocalIssuer;

constexpr char kAudience[] = "urn:zta:federation";
constexpr char kWorkload[] = "system:serviceaccount:hotel:booker";

class FederationTest : public IdpFixture {
 protected:
  void SetUp() override {
    IdpFixture::SetUp();
    ASSERT_TRUE(peer_.ok());
  }

  // Registers the local issuer; `edit` adjusts the spec first.
  void AddIssuer(const std::function<void(FederatedIssuerSpec&)>& edit = {}) {
    FederatedIssuerSpec spec;
    spec.issuer = peer_.issuer();
    spec.jwks_uri = peer_.jwks_uri();
    spec.audience = kAudience;
    spec.allow_client_assertion = true;
    spec.allow_subject_token = true;
    if (edit) edit(spec);
    auto out = idp_->AddFederatedIssuer(spec);
    ASSERT_TRUE(out.ok()) << out.status();
  }

  // An agent (client secret too) that authenticates as (peer, `subject`) as well.
  std::string AddFederatedAgent(const std::string& subject) {
    AgentSpec spec;
    spec.name = "booker";
    spec.owner = "ops@example.com";
    spec.resource = kHotel;
    spec.scopes = {"bookings:create"};
    spec.federated_subjects = {{peer_.issuer(), subject}};
    auto out = idp_->AddAgent(spec);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? (*out)["client_id"].get<std::string>() : std::string();
  }

  http::Response PostFederated(const std::string& client_id, const std::string& assertion) {
    std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "client_credentials"},
                                                             {"client_assertion_type", kJwtBearer},
                                                             {"client_assertion", assertion}};
    if (!client_id.empty()) form.push_back({"client_id", client_id});
    return Post("/token", form);
  }

  // Expects 401 invalid_client with `reason` as the last audit event's reason.
  void ExpectRefused(const http::Response& r, const std::string& reason) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(Body(r).value("error", ""), "invalid_client");
    ASSERT_FALSE(audit_.Events().empty());
    EXPECT_EQ(audit_.Events().back().reason, reason);
  }

  Result<FederatedToken> VerifyDirect(const std::string& token, FederationUse use) {
    auto registry = idp_->store().LoadRegistry();
    EXPECT_TRUE(registry.ok());
    return verifier_.Verify(**registry, token, use);
  }

  LocalIssuer peer_;
  FederationVerifier verifier_{clock_, http::DefaultTransport()};
};

// The local id is "fed-" + 22 base64url characters, the same for the same pair every time and
// different when either part differs.
TEST(FederatedLocalSubject, StableAndDistinct) {
  const std::string id = FederatedLocalSubject("https://login.example/t/v2.0", "oid-1");
  EXPECT_EQ(id.size(), 4u + 22u);
  EXPECT_EQ(id.rfind("fed-", 0), 0u);
  EXPECT_EQ(id, FederatedLocalSubject("https://login.example/t/v2.0", "oid-1"));
  EXPECT_NE(id, FederatedLocalSubject("https://login.example/t/v2.0", "oid-2"));
  EXPECT_NE(id, FederatedLocalSubject("https://other.example", "oid-1"));
  EXPECT_NE(FederatedLocalSubject("https://a.example", "bc"),
            FederatedLocalSubject("https://a.example/b", "c"));
}

// A workload's JWT from a registered issuer authenticates the agent that registered its
// (issuer, subject): a client_credentials token for the agent, the issuer in the audit.
TEST_F(FederationTest, RightAssertionGetsClientCredentialsToken) {
  AddIssuer();
  const std::string agent = AddFederatedAgent(kWorkload);
  http::Response r = PostFederated(agent, peer_.Mint(clock_, kWorkload, kAudience, "j-1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).value("token_type", ""), "Bearer");
  const AuditEvent e = audit_.Events().back();
  EXPECT_EQ(e.client_id, agent);
  EXPECT_EQ(e.attributes.at("zta.federated_issuer"), peer_.issuer());
  EXPECT_EQ(e.attributes.at("zta.client_auth_method"), "private_key_jwt");
}

// The key set is found through the issuer's metadata when no jwks_uri is registered.
TEST_F(FederationTest, DiscoversTheKeySet) {
  AddIssuer([](FederatedIssuerSpec& s) { s.jwks_uri.clear(); });
  const std::string agent = AddFederatedAgent(kWorkload);
  http::Response r = PostFederated(agent, peer_.Mint(clock_, kWorkload, kAudience, "j-1"));
  EXPECT_EQ(r.status, 200) << r.body;
}

// Each wrong assertion is invalid_client with a precise reason.
TEST_F(FederationTest, WrongAssertionsAreInvalidClient) {
  AddIssuer();
  const std::string agent = AddFederatedAgent(kWorkload);
  ExpectRefused(PostFederated(agent, peer_.Mint(clock_, kWorkload, "https://elsewhere", "j-a")),
                "bad_audience");
  ExpectRefused(
      PostFederated(agent, peer_.Mint(clock_, "system:serviceaccount:x:y", kAudience, "j-b")),
      kReasonFederatedSubjectMismatch);
  const std::string once = peer_.Mint(clock_, kWorkload, kAudience, "j-c");
  ASSERT_EQ(PostFederated(agent, once).status, 200);
  ExpectRefused(PostFederated(agent, once), kReasonAssertionReplay);
  const std::string later = peer_.Mint(clock_, kWorkload, kAudience, "j-d");
  clock_.AdvanceSeconds(301 + 60);  // past exp and the 60 s leeway
  ExpectRefused(PostFederated(agent, later), "expired");
  // The sub is the external subject, so client_id must name the agent.
  ExpectRefused(PostFederated("", peer_.Mint(clock_, kWorkload, kAudience, "j-e")),
                kReasonUnknownClient);
}

// An issuer that was never added, or was added for subject tokens only, cannot authenticate.
TEST_F(FederationTest, UntrustedIssuersAreInvalidClient) {
  const std::string agent_before = [&] {
    AddIssuer();
    return AddFederatedAgent(kWorkload);
  }();
  ASSERT_TRUE(idp_->RemoveFederatedIssuer(peer_.issuer()).ok());
  ExpectRefused(PostFederated(agent_before, peer_.Mint(clock_, kWorkload, kAudience, "j-1")),
                kReasonUntrustedIssuer);
  AddIssuer([](FederatedIssuerSpec& s) { s.allow_client_assertion = false; });
  ExpectRefused(PostFederated(agent_before, peer_.Mint(clock_, kWorkload, kAudience, "j-2")),
                kReasonUntrustedIssuer);
}

// A disabled agent is refused even with the right assertion.
TEST_F(FederationTest, DisabledAgentIsInvalidClient) {
  AddIssuer();
  const std::string agent = AddFederatedAgent(kWorkload);
  ASSERT_TRUE(idp_->SetAgentEnabled(agent, false).ok());
  ExpectRefused(PostFederated(agent, peer_.Mint(clock_, kWorkload, kAudience, "j-1")),
                kReasonClientDisabled);
}

// Wrong federated assertions count against the failure limit like wrong secrets.
TEST_F(FederationTest, WrongAssertionsCountAsFailures) {
  AddIssuer();
  const std::string agent = AddFederatedAgent(kWorkload);
  http::Response r;
  for (int i = 0; i < 11; ++i) {
    r = PostFederated(agent, peer_.Mint(clock_, "intruder", kAudience, "x-" + std::to_string(i)));
  }
  EXPECT_EQ(r.status, 429) << r.body;
}

// An assertion whose exp is further ahead than an hour is refused, even when exp − iat is
// within the hour (its iat a little ahead, within the leeway).
TEST_F(FederationTest, LongLivedAssertionIsRefused) {
  AddIssuer();
  const std::string agent = AddFederatedAgent(kWorkload);
  const int64_t now = clock_.NowSeconds();
  ExpectRefused(PostFederated(agent, peer_.Mint(clock_, kWorkload, kAudience, "j-1",
                                                {{"iat", now + 50}, {"exp", now + 3650}})),
                "lifetime_too_long");
}

// As a subject token: scopes come from the mapped claims (scp, roles), the subject from oid.
TEST_F(FederationTest, SubjectTokenMapsClaims) {
  AddIssuer([](FederatedIssuerSpec& s) {
    s.subject_claim = "oid";
    s.map_claims = {"scp=scope", "roles=scope"};
  });
  const std::string token = peer_.Mint(
      clock_, "pairwise-sub", kAudience, "",
      {{"oid", "object-1"}, {"scp", "read write"}, {"roles", {"Admin"}}, {"scope", "ignored"}});
  auto verified = VerifyDirect(token, FederationUse::kSubjectToken);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->issuer, peer_.issuer());
  EXPECT_EQ(verified->subject, "object-1");
  EXPECT_EQ(verified->local_subject, FederatedLocalSubject(peer_.issuer(), "object-1"));
  EXPECT_EQ(verified->scopes, (std::vector<std::string>{"Admin", "read", "write"}));
  EXPECT_EQ(verified->jti, "");
  EXPECT_EQ(verified->claims.value("oid", ""), "object-1");
  // Without oid the token names no one.
  auto no_oid = VerifyDirect(peer_.Mint(clock_, "s", kAudience, ""), FederationUse::kSubjectToken);
  EXPECT_EQ(no_oid.status().reason(), "missing_sub");
}

// With no typ configured, ID tokens and other typed JWTs are refused; a configured typ is exact.
TEST_F(FederationTest, TypRules) {
  AddIssuer();
  for (const char* typ : {"JWT", "at+jwt", "application/at+jwt", ""}) {
    EXPECT_TRUE(
        VerifyDirect(peer_.Mint(clock_, "s", kAudience, "", {}, typ), FederationUse::kSubjectToken)
            .ok())
        << typ;
  }
  auto id_token = VerifyDirect(peer_.Mint(clock_, "s", kAudience, "", {}, "id+jwt"),
                               FederationUse::kSubjectToken);
  EXPECT_EQ(id_token.status().reason(), "bad_typ");
  AddIssuer([](FederatedIssuerSpec& s) { s.allowed_typ = "at+jwt"; });
  auto plain =
      VerifyDirect(peer_.Mint(clock_, "s", kAudience, "", {}, "JWT"), FederationUse::kSubjectToken);
  EXPECT_EQ(plain.status().reason(), "bad_typ");
}

// A changed record takes effect at once: the validator is rebuilt with the new audience.
TEST_F(FederationTest, ChangedRecordRebuildsTheValidator) {
  AddIssuer();
  const std::string token = peer_.Mint(clock_, "s", kAudience, "");
  ASSERT_TRUE(VerifyDirect(token, FederationUse::kSubjectToken).ok());
  AddIssuer([](FederatedIssuerSpec& s) { s.audience = "urn:zta:other"; });
  EXPECT_EQ(VerifyDirect(token, FederationUse::kSubjectToken).status().reason(), "bad_audience");
  AddIssuer([](FederatedIssuerSpec& s) { s.allow_subject_token = false; });
  EXPECT_EQ(VerifyDirect(token, FederationUse::kSubjectToken).status().reason(),
            kReasonUntrustedIssuer);
}

// A tampered signature and an unknown key set location fail with the guard's reasons.
TEST_F(FederationTest, SignatureAndKeySetFailures) {
  AddIssuer();
  std::string token = peer_.Mint(clock_, "s", kAudience, "");
  // A character inside the signature (the last one also holds padding bits a strict base64url
  // decoder refuses, which would test parsing instead of the signature).
  char& c = token[token.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ(VerifyDirect(token, FederationUse::kSubjectToken).status().reason(), "bad_signature");
  AddIssuer([&](FederatedIssuerSpec& s) { s.jwks_uri = peer_.issuer() + "/missing"; });
  EXPECT_EQ(VerifyDirect(peer_.Mint(clock_, "s", kAudience, ""), FederationUse::kSubjectToken)
                .status()
                .reason(),
            "jwks_unavailable");
}

// The registry rejects bad issuer records with clear errors, and agents' subjects must name a
// registered issuer.
TEST_F(FederationTest, RegistryValidation) {
  auto add = [&](const std::function<void(FederatedIssuerSpec&)>& edit) {
    FederatedIssuerSpec spec;
    spec.issuer = "https://login.example/tenant/v2.0";
    spec.audience = kAudience;
    spec.allow_subject_token = true;
    edit(spec);
    return idp_->AddFederatedIssuer(spec).status();
  };
  EXPECT_TRUE(add([](auto&) {}).ok());
  EXPECT_FALSE(add([](auto& s) { s.issuer = "http://login.example"; }).ok());
  EXPECT_TRUE(add([](auto& s) { s.issuer = "http://127.0.0.1:1234"; }).ok());
  EXPECT_FALSE(add([](auto& s) { s.issuer = "login.example"; }).ok());
  EXPECT_FALSE(add([](auto& s) { s.audience.clear(); }).ok());
  EXPECT_FALSE(add([](auto& s) { s.allow_subject_token = false; }).ok());
  EXPECT_FALSE(add([](auto& s) { s.map_claims = {"scp=roles"}; }).ok());
  EXPECT_FALSE(add([](auto& s) { s.subject_claim = "email"; }).ok());
  AgentSpec spec;
  spec.name = "x";
  spec.owner = "o";
  spec.resource = kHotel;
  spec.scopes = {"hotels:read"};
  spec.federated_subjects = {{"https://unknown.example", "s"}};
  EXPECT_EQ(idp_->AddAgent(spec).status().code(), StatusCode::kNotFound);
  spec.federated_subjects = {{"https://login.example/tenant/v2.0", "s"}};
  auto out = idp_->AddAgent(spec);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["federated_subjects"][0]["subject"], "s");
}

}  // namespace
}  // namespace zta::idp
