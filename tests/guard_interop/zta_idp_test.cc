// zta::auth and zta::guard against zta's own identity provider (zta::idp behind HttpServer) as a
// second real issuer: client_secret_basic and private_key_jwt tokens validate; a signing-key
// rotation causes zero failed validations; revocation is seen by introspection routes.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <filesystem>
#include <set>
#include <thread>

#include "zta/auth/auth_provider.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/guard/delegation.h"
#include "zta/guard/validator.h"
#include "zta/http/client.h"
#include "zta/http/server.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/identity_provider.h"
#include "zta/idp/idp_service.h"
#include "zta/jose/dpop.h"
#include "zta/auth/dpop_key.h"

namespace zta {
namespace {

constexpr char kHotel[] = "https://hotel.example/api";

class ZtaIdpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zta-guard-idp-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    idp::IdpServiceOptions options;
    options.data_dir = dir_;
    options.keys.rotation_overlap_seconds = 60;
    options.keys.max_token_lifetime_seconds = 600;
    options.authorization.registry_refresh_millis = 0;
    auto started = idp::IdpService::Start(options, idp_audit_, clock_);
    ASSERT_TRUE(started.ok()) << started.status();
    service_ = std::move(started).value();
    idp_ = &service_->idp();
    auto resource = idp_->AddResource(kHotel, {"read_hotels", "create_bookings"}, 0, true);
    ASSERT_TRUE(resource.ok()) << resource.status();
    introspection_secret_ = (*resource)["introspection_secret"].get<std::string>();
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<auth::AuthProvider> SecretAgent(std::string* client_id = nullptr,
                                                  const std::function<void(auth::AuthProviderOptions&)>& tune = {}) {
    idp::AgentSpec spec;
    spec.name = "hotel-reader";
    spec.owner = "alice@example.com";
    spec.resource = kHotel;
    spec.scopes = {"read_hotels", "create_bookings"};
    auto out = idp_->AddAgent(spec);
    EXPECT_TRUE(out.ok()) << out.status();
    auth::AuthProviderOptions o;
    o.issuer = service_->BaseUrl();
    o.client_id = (*out)["client_id"].get<std::string>();
    o.client_secret = Secret((*out)["client_secret"].get<std::string>());
    if (client_id != nullptr) *client_id = o.client_id;
    if (tune) tune(o);
    auto p = auth::AuthProvider::Create(o, clock_);
    EXPECT_TRUE(p.ok()) << p.status();
    return std::move(p).value();
  }

  std::unique_ptr<guard::Validator> MakeValidator(bool with_introspection = false) {
    guard::ValidatorOptions vo;
    guard::TrustedIssuer t;
    t.issuer = service_->BaseUrl();
    if (with_introspection) {
      guard::IntrospectionOptions io;
      io.client_id = kHotel;
      io.client_secret = Secret(introspection_secret_);
      io.cache_seconds = 0;
      t.introspection = io;
    }
    vo.issuers.push_back(t);
    vo.audience = kHotel;
    auto v = guard::Validator::Create(vo, clock_, guard_audit_);
    EXPECT_TRUE(v.ok()) << v.status();
    return std::move(v).value();
  }

  static auth::TokenRequest Read() {
    auth::TokenRequest r;
    r.resource = kHotel;
    r.scopes = {"read_hotels"};
    return r;
  }

  std::string dir_;
  FakeClock clock_{1'700'000'000};
  InMemoryAuditSink idp_audit_;
  InMemoryAuditSink guard_audit_;
  std::unique_ptr<idp::IdpService> service_;
  idp::IdentityProvider* idp_ = nullptr;  // service_'s
  std::string introspection_secret_;
};

// A client_secret_basic agent's token from zta's idp validates, with the agent as subject.
TEST_F(ZtaIdpTest, SecretAgentTokenValidates) {
  std::string client_id;
  auto provider = SecretAgent(&client_id);
  auto token = provider->GetToken(Read());
  ASSERT_TRUE(token.ok()) << token.status();
  auto v = MakeValidator();
  std::vector<std::string> need = {"read_hotels"};
  guard::AuthorizeOptions read;
  read.required_scopes = need;
  auto p = v->AuthorizeToken(token->value.Reveal(), read);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->client_id, client_id);
  EXPECT_EQ(p->jti, token->jti);
  std::vector<std::string> more = {"create_bookings"};
  guard::AuthorizeOptions book;
  book.required_scopes = more;
  EXPECT_EQ(v->AuthorizeToken(token->value.Reveal(), book).status().reason(), "insufficient_scope");
}

// The injection canary (RFC 9449): an agent registered with --require-dpop gets, through the
// SDK, a token bound to its key. Say an upstream echoes the request's Authorization value into a
// tool result, so the token text sits in the model's context before any scrubber runs: a second
// process that copies it is refused by the guard as Bearer (dpop_missing) and with a proof by
// its own key (dpop_key_mismatch); only the agent, with its key's fresh proof, is allowed.
TEST_F(ZtaIdpTest, ALeakedDpopTokenIsUselessWithoutTheKey) {
  idp::AgentSpec spec;
  spec.name = "dpop-reader";
  spec.owner = "alice@example.com";
  spec.resource = kHotel;
  spec.scopes = {"read_hotels"};
  spec.require_dpop = true;
  auto added = idp_->AddAgent(spec);
  ASSERT_TRUE(added.ok()) << added.status();
  auth::AuthProviderOptions o;
  o.issuer = service_->BaseUrl();
  o.client_id = (*added)["client_id"].get<std::string>();
  o.client_secret = Secret((*added)["client_secret"].get<std::string>());
  auto bare = auth::AuthProvider::Create(o, clock_);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ((*bare)->GetToken(Read()).status().reason(), "invalid_dpop_proof");
  o.dpop = true;
  auto provider = auth::AuthProvider::Create(o, clock_);
  ASSERT_TRUE(provider.ok()) << provider.status();
  auto token = (*provider)->GetToken(Read());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token_type, "DPoP");

  guard::ValidatorOptions vo;
  guard::TrustedIssuer t;
  t.issuer = service_->BaseUrl();
  vo.issuers.push_back(t);
  vo.audience = kHotel;
  vo.public_base_url = "https://hotel.example";
  auto v = guard::Validator::Create(vo, clock_, guard_audit_);
  ASSERT_TRUE(v.ok()) << v.status();
  auto as_request = [](const http::ClientRequest& c) {
    http::Request r;
    r.method = c.method;
    r.target = r.path = c.url.substr(std::string("https://hotel.example").size());
    r.headers = c.headers;
    return r;
  };
  // The agent's own call, as ToolContext::Send makes it.
  http::ClientRequest call;
  call.url = "https://hotel.example/api/hotels";
  ASSERT_TRUE(token->Attach(call).ok());
  auto allowed = (*v)->Authorize(as_request(call));
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(allowed->dpop_jkt, (*provider)->dpop_key()->thumbprint());

  // What the upstream echoed: the Authorization value, now in a tool result.
  const std::string echoed = "upstream says: Authorization: " +
                             call.headers.Get("Authorization").value_or("");
  const std::string leaked = echoed.substr(echoed.rfind(' ') + 1);
  ASSERT_EQ(leaked, token->value.Reveal());
  http::ClientRequest thief;
  thief.url = call.url;
  thief.headers.Set("Authorization", "Bearer " + leaked);
  EXPECT_EQ((*v)->Authorize(as_request(thief)).status().reason(), "dpop_missing");
  auto thief_key = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(thief_key.ok());
  jose::DpopProofInput in;
  in.method = "GET";
  in.url = call.url;
  in.issued_at = clock_.NowSeconds();
  in.access_token = leaked;
  thief.headers.Set("Authorization", "DPoP " + leaked);
  thief.headers.Set("DPoP", *jose::CreateDpopProof(jose::Algorithm::kES256, *thief_key, in));
  EXPECT_EQ((*v)->Authorize(as_request(thief)).status().reason(), "dpop_key_mismatch");
}

// Single-flight against a real IdP: 100 concurrent callers → one issuance in the idp's audit.
TEST_F(ZtaIdpTest, HundredConcurrentCallersOneIssuance) {
  auto provider = SecretAgent();
  auto issued = [&] {
    int n = 0;
    for (const auto& e : idp_audit_.Events()) n += e.action == "token.issue";
    return n;
  };
  const int before = issued();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&] { ok += provider->GetToken(Read()).ok(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(issued() - before, 1);
  EXPECT_EQ(provider->token_requests(), 1);
}

// private_key_jwt against zta's idp (assertion aud = issuer).
TEST_F(ZtaIdpTest, PrivateKeyJwtAgent) {
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256, "agent-key-1");
  idp::AgentSpec spec;
  spec.name = "key-agent";
  spec.owner = "alice@example.com";
  spec.resource = kHotel;
  spec.scopes = {"read_hotels"};
  spec.public_jwk = key->ToPublicJson();
  auto out = idp_->AddAgent(spec);
  ASSERT_TRUE(out.ok()) << out.status();
  auth::AuthProviderOptions o;
  o.issuer = service_->BaseUrl();
  o.client_id = (*out)["client_id"].get<std::string>();
  o.auth_method = auth::ClientAuthMethod::kPrivateKeyJwt;
  o.private_key = *key;
  auto provider = auth::AuthProvider::Create(o, clock_);
  ASSERT_TRUE(provider.ok());
  auto token = (*provider)->GetToken(Read());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(MakeValidator()->AuthorizeToken(token->value.Reveal()).ok());
}

// The idp rotates its signing key while tokens flow: every validation succeeds, before, during
// and after the overlap, old tokens and new.
TEST_F(ZtaIdpTest, KeyRotationCausesNoFailedValidation) {
  auto provider = SecretAgent();
  auto v = MakeValidator();
  std::vector<std::string> tokens;
  std::set<std::string> kids;
  int failures = 0;
  for (int step = 0; step < 30; ++step) {
    if (step == 5) {
      ASSERT_TRUE(idp_->keys().Rotate().ok());
    }
    provider->Invalidate(Read());
    auto token = provider->GetToken(Read());
    ASSERT_TRUE(token.ok()) << token.status();
    tokens.push_back(token->value.Reveal());
    // The newest and the oldest still-valid token must both verify.
    for (const std::string* t :
         {&tokens.back(), &tokens[tokens.size() > 20 ? tokens.size() - 20 : 0]}) {
      auto p = v->AuthorizeToken(*t);
      if (p.ok()) kids.insert(p->token->kid);
      if (!p.ok()) {
        ++failures;
        ADD_FAILURE() << "step " << step << ": " << p.status();
      }
    }
    clock_.AdvanceSeconds(10);
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(kids.size(), 2u);  // the rotation really happened: tokens under both keys verified
}

// RFC 7009 revocation at the idp is seen at once by a route that introspects (RFC 7662), while
// local validation alone still accepts the (unexpired) token.
TEST_F(ZtaIdpTest, RevocationSeenByIntrospection) {
  idp::AgentSpec spec;
  spec.name = "revokable";
  spec.owner = "alice@example.com";
  spec.resource = kHotel;
  spec.scopes = {"read_hotels"};
  auto out = idp_->AddAgent(spec);
  ASSERT_TRUE(out.ok());
  const std::string client_id = (*out)["client_id"].get<std::string>();
  const std::string secret = (*out)["client_secret"].get<std::string>();
  auth::AuthProviderOptions o;
  o.issuer = service_->BaseUrl();
  o.client_id = client_id;
  o.client_secret = Secret(secret);
  auto provider = auth::AuthProvider::Create(o, clock_);
  auto token = (*provider)->GetToken(Read());
  ASSERT_TRUE(token.ok());
  auto v = MakeValidator(/*with_introspection=*/true);
  guard::AuthorizeOptions introspect;
  introspect.introspect = true;
  EXPECT_TRUE(v->AuthorizeToken(token->value.Reveal(), introspect).ok());

  // Disabling the agent kills its tokens at once (DESIGN.md "Identities").
  ASSERT_TRUE(idp_->SetAgentEnabled(client_id, false).ok());
  auto denied = v->AuthorizeToken(token->value.Reveal(), introspect);
  EXPECT_EQ(denied.status().reason(), guard::kReasonTokenInactive) << denied.status();
  EXPECT_TRUE(v->AuthorizeToken(token->value.Reveal()).ok());
}

// The SDK against the real idp, the whole delegation path of the hotel story: the guest
// assistant asks alice by backchannel (CIBA poll mode; she approves while it polls), hands the
// token to the booking agent, which exchanges it (RFC 8693) along a delegation rule; the guard
// admits exactly the chain [booking agent, guest assistant], and disabling the guest assistant
// ends the booking agent's token at introspection.
TEST_F(ZtaIdpTest, BackchannelApprovalThenExchangeAlongARule) {
  Secret password("correct horse battery staple");
  auto alice = idp_->AddUser("alice", "alice@example.com", "Alice", password);
  ASSERT_TRUE(alice.ok()) << alice.status();
  const std::string alice_id = (*alice)["id"].get<std::string>();
  std::string guest_id, booking_id;
  int approvals = 0;
  // While the SDK waits between polls, alice approves whatever waits for her (as /account does).
  auto approve_while_waiting = [&](auth::AuthProviderOptions& o) {
    o.sleep = [&](std::chrono::milliseconds wait) {
      clock_.AdvanceMicros(std::chrono::duration_cast<std::chrono::microseconds>(wait).count());
      auto pending = idp_->store().ListPendingBackchannel(alice_id, clock_.NowSeconds());
      ASSERT_TRUE(pending.ok());
      for (const idp::BackchannelRequest& r : *pending) {
        auto decided = idp_->store().DecideBackchannel(r.digest, idp::BackchannelStatus::kApproved,
                                                       clock_.NowSeconds(), clock_.NowSeconds());
        if (decided.ok() && *decided) ++approvals;
      }
    };
  };
  auto guest = SecretAgent(&guest_id, approve_while_waiting);
  auto booking = SecretAgent(&booking_id);
  idp::DelegationRuleSpec rule;
  rule.from = guest_id;
  rule.to = booking_id;
  rule.resource = kHotel;
  rule.scopes = {"create_bookings"};
  ASSERT_TRUE(idp_->AddDelegationRule(rule).ok());

  auth::TokenRequest ask;
  ask.resource = kHotel;
  ask.scopes = {"create_bookings"};
  ask.on_behalf_of = "alice";
  ask.approval = auth::Approval::kBackchannel;
  ask.binding_message = "Book Hotel Aurora, 2 nights";
  auto approved = guest->GetToken(ask);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approvals, 1);

  auth::TokenRequest handed;
  handed.resource = kHotel;
  handed.scopes = {"create_bookings"};
  handed.subject_token = approved->value;
  auto exchanged = booking->GetToken(handed);
  ASSERT_TRUE(exchanged.ok()) << exchanged.status();

  auto v = MakeValidator(/*with_introspection=*/true);
  std::vector<std::string> need = {"create_bookings"};
  guard::AuthorizeOptions book;
  book.required_scopes = need;
  book.introspect = true;
  auto p = v->AuthorizeToken(exchanged->value.Reveal(), book);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, alice_id);
  EXPECT_EQ(p->actor_chain, (std::vector<std::string>{booking_id, guest_id}));
  EXPECT_TRUE(guard::CheckActorPolicy(*p, guard::ActorPolicy::Chains({{booking_id, guest_id}})).ok());
  EXPECT_EQ(guard::CheckActorPolicy(*p, guard::ActorPolicy::Chains({{guest_id}})).reason(),
            "actor_chain_not_allowed");
  // The guest assistant's own approved token has the one-hop chain.
  auto direct = v->AuthorizeToken(approved->value.Reveal(), book);
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ(direct->actor_chain, std::vector<std::string>{guest_id});

  ASSERT_TRUE(idp_->SetAgentEnabled(guest_id, false).ok());
  EXPECT_EQ(v->AuthorizeToken(exchanged->value.Reveal(), book).status().reason(), "token_inactive");
}

}  // namespace
}  // namespace zta
