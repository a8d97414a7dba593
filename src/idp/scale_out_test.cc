// Two idp nodes on one PostgreSQL database, over real HTTP on loopback (docs/scale.md): a token
// from one verifies with the other's JWKS, a revocation or a disabled agent on one node holds on
// the other within a second, a client assertion is single use across nodes, a key rotated on
// one node is published by the other before it signs, and /healthz and /metrics answer.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "zta/core/base64url.h"
#include "zta/core/clock.h"
#include "zta/http/client.h"
#include "zta/http/message.h"
#include "zta/idp/idp_service.h"
#include "zta/jose/jwt.h"
#include "zta/store/pg_testing.h"

namespace zta::idp {
namespace {

constexpr char kHotel[] = "https://hotel.example/api";

class ScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    url_ = store::FreshPostgresDatabase(&why);
    if (url_.empty()) GTEST_SKIP() << why;
    setenv("ZTA_IDP_KEY_ENCRYPTION_KEY", "scale-out-test-key-encryption-key", 0);
    char tmpl[] = "/tmp/zta-scale-out-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    a_ = StartNode("a");
    b_ = StartNode("b");
    ASSERT_TRUE(a_ && b_);
    ASSERT_TRUE(a_->idp().AddResource(kHotel, {"hotels:read"}, 0, false).ok());
    AgentSpec spec;
    spec.name = "reader";
    spec.owner = "ops@example.com";
    spec.resource = kHotel;
    spec.scopes = {"hotels:read"};
    auto agent = b_->idp().AddAgent(spec);  // registered through the other node
    ASSERT_TRUE(agent.ok()) << agent.status();
    id_ = (*agent)["client_id"].get<std::string>();
    secret_ = (*agent)["client_secret"].get<std::string>();
    // The registration reaches A by NOTIFY within milliseconds, but a test's first request may
    // come sooner (and a refused one would count as a failed authentication in the shared
    // counter): let A re-read now. Propagation itself is what the disable test measures.
    a_->authorization_server().NoteStoreChanged();
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<IdpService> StartNode(const std::string& name) {
    IdpServiceOptions o;
    o.data_dir = dir_ + "/" + name;
    o.store_url = url_;
    o.server.port = 0;
    // One issuer for the cluster, as behind a load balancer.
    o.authorization.issuer = "https://idp.example";
    o.keys.rotation_overlap_seconds = 60;
    auto s = IdpService::Start(o, audit_, SystemClock::Instance());
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  http::Response Post(IdpService& node, const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& form) {
    http::ClientRequest r;
    r.method = "POST";
    r.url = node.BaseUrl() + path;
    r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    r.headers.Set("Authorization", "Basic " + Base64Encode(http::PercentEncode(id_) + ":" +
                                                           http::PercentEncode(secret_)));
    r.body = http::FormEncode(form);
    auto resp = http::Send(r);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? *resp : http::Response();
  }
  std::string Token(IdpService& node) {
    auto r = Post(node, "/token", {{"grant_type", "client_credentials"}});
    last_answer_ = std::to_string(r.status) + " " + r.body;
    auto j = ParseJsonStrict(r.body);
    return r.status == 200 && j.ok() ? (*j)["access_token"].get<std::string>() : "";
  }
  bool Active(IdpService& node, const std::string& token) {
    auto j = ParseJsonStrict(Post(node, "/introspect", {{"token", token}}).body);
    return j.ok() && (*j).value("active", false);
  }
  // Milliseconds until `holds` (polled every 10 ms), or -1 after 5 s.
  static int MillisUntil(const std::function<bool()>& holds) {
    auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
      if (holds()) {
        return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start)
                                    .count());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

  // The `kid` of a compact JWS's protected header (not verified: only which key signed).
  static std::string KidOf(const std::string& token) {
    auto header = Base64UrlDecode(token.substr(0, token.find('.')));
    if (!header.ok()) return "";
    auto j = ParseJsonStrict(*header);
    return j.ok() ? j->value("kid", "") : "";
  }

  std::string url_, dir_, id_, secret_;
  std::string last_answer_;  // of the last Token(): status and body, for failure messages
  InMemoryAuditSink audit_;
  std::unique_ptr<IdpService> a_, b_;
};

TEST_F(ScaleOutTest, ATokenFromOneNodeVerifiesWithTheOthersJwks) {
  const std::string token = Token(*a_);
  ASSERT_FALSE(token.empty());
  auto jwks_json = http::GetJson(b_->BaseUrl() + "/jwks");
  ASSERT_TRUE(jwks_json.ok()) << jwks_json.status();
  auto jwks = jose::Jwks::Parse(*jwks_json);
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  jose::JwtValidationOptions v;
  v.issuer = "https://idp.example";
  v.audience = kHotel;
  v.allowed_algorithms = {jose::Algorithm::kES256};
  auto verified = jose::VerifyJwt(token, *jwks, v, SystemClock::Instance().NowSeconds());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ((*verified)->client_id, id_);
  EXPECT_TRUE(Active(*b_, token));
}

TEST_F(ScaleOutTest, ARevocationOnOneNodeHoldsOnTheOtherWithinASecond) {
  const std::string token = Token(*a_);
  ASSERT_TRUE(Active(*b_, token));
  ASSERT_EQ(Post(*a_, "/revoke", {{"token", token}}).status, 200);
  int ms = MillisUntil([&] { return !Active(*b_, token); });
  EXPECT_GE(ms, 0);
  EXPECT_LE(ms, 1000);
}

TEST_F(ScaleOutTest, AnAgentDisabledOnOneNodeIsRefusedByTheOtherWithinASecond) {
  ASSERT_FALSE(Token(*a_).empty()) << last_answer_;
  ASSERT_TRUE(b_->idp().SetAgentEnabled(id_, false).ok());
  int ms = MillisUntil([&] {
    return Post(*a_, "/token", {{"grant_type", "client_credentials"}}).status == 401;
  });
  EXPECT_GE(ms, 0);
  EXPECT_LE(ms, 1000);
}

TEST_F(ScaleOutTest, AKeyRotatedOnOneNodeIsPublishedByTheOtherBeforeItSigns) {
  const std::string before = Token(*b_);
  auto rotated = a_->idp().RotateKeys();
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  int ms = MillisUntil([&] {
    auto jwks = http::GetJson(b_->BaseUrl() + "/jwks");
    if (!jwks.ok()) return false;
    for (const auto& k : (*jwks)["keys"]) {
      if (k.value("kid", "") == rotated->kid) return true;
    }
    return false;
  });
  EXPECT_GE(ms, 0);
  EXPECT_LE(ms, 1000);
  // Published, not yet signing: B still signs with the old key during the overlap.
  const std::string signing = KidOf(Token(*b_));
  EXPECT_FALSE(signing.empty());
  EXPECT_NE(signing, rotated->kid);
  EXPECT_EQ(signing, KidOf(before));
}

// docs/idp.md's limit (10 wrong credentials per window, then 429) counts on both nodes
// together: wrong secrets spread over A and B reach it as if sent to one node.
TEST_F(ScaleOutTest, TheFailedAuthenticationLimitHoldsAcrossNodes) {
  const std::string right = secret_;
  secret_ = "wrong-" + right;
  for (int i = 0; i < 10; ++i) {
    IdpService& node = i % 2 == 0 ? *a_ : *b_;
    EXPECT_EQ(Post(node, "/token", {{"grant_type", "client_credentials"}}).status, 401) << i;
  }
  EXPECT_EQ(Post(*a_, "/token", {{"grant_type", "client_credentials"}}).status, 429);
  EXPECT_EQ(Post(*b_, "/token", {{"grant_type", "client_credentials"}}).status, 429);
  secret_ = right;  // a right credential is never refused by the count
  EXPECT_FALSE(Token(*b_).empty());
}

// private_key_jwt (RFC 7523 §3): an assertion accepted by node A is a replay at node B, whose
// memory never saw it; only the shared store can say so.
TEST_F(ScaleOutTest, AClientAssertionUsedOnOneNodeIsRefusedByTheOther) {
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(key.ok());
  AgentSpec spec;
  spec.name = "booker";
  spec.owner = "ops@example.com";
  spec.resource = kHotel;
  spec.scopes = {"hotels:read"};
  spec.public_jwk = key->ToPublicJson();
  auto agent = a_->idp().AddAgent(spec);
  ASSERT_TRUE(agent.ok()) << agent.status();
  const std::string id = (*agent)["client_id"].get<std::string>();
  auto assertion = [&](const std::string& jti) {
    int64_t now = SystemClock::Instance().NowSeconds();
    return *jose::JwtBuilder().Issuer(id).Subject(id).Audience("https://idp.example").Id(jti)
                .IssuedAt(now).ExpiresAt(now + 60).Sign(jose::Algorithm::kES256, *key);
  };
  auto request = [&](IdpService& node, const std::string& jwt) {
    http::ClientRequest r;
    r.method = "POST";
    r.url = node.BaseUrl() + "/token";
    r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    r.body = http::FormEncode(
        {{"grant_type", "client_credentials"},
         {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
         {"client_assertion", jwt}});
    auto resp = http::Send(r);
    return resp.ok() ? resp->status : 0;
  };
  // B may not have seen the new agent yet; wait for it with a fresh assertion each time.
  int n = 0;
  ASSERT_GE(MillisUntil([&] { return request(*b_, assertion("warm-" + std::to_string(++n))) == 200; }),
            0);
  const std::string once = assertion("used-once");
  EXPECT_EQ(request(*a_, once), 200);
  EXPECT_EQ(request(*b_, once), 401);  // the replay, on the other node
  EXPECT_EQ(request(*a_, once), 401);
}

TEST_F(ScaleOutTest, HealthzAndMetricsAnswerOnEveryNode) {
  ASSERT_FALSE(Token(*a_).empty()) << last_answer_;
  EXPECT_EQ(Post(*a_, "/token", {{"grant_type", "password"}}).status, 400);
  for (IdpService* node : {a_.get(), b_.get()}) {
    auto health = http::GetJson(node->BaseUrl() + "/healthz");
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ((*health)["store"], "ok");
  }
  http::ClientRequest m;
  m.url = a_->BaseUrl() + "/metrics";
  auto metrics = http::Send(m);
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("zta_idp_tokens_total{decision=\"allow\",reason=\"\"} 1\n"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("zta_idp_tokens_total{decision=\"deny\",reason=\""),
            std::string::npos);
  EXPECT_NE(metrics->body.find("zta_idp_store_up 1\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("zta_idp_request_duration_seconds_bucket{endpoint=\"/token\""),
            std::string::npos);
  EXPECT_EQ(metrics->body.find(secret_), std::string::npos);
}

}  // namespace
}  // namespace zta::idp
