// IdpService: a started idp answers over HTTP with the bound issuer, its TOML settings are read
// with the core reader's rules, and key rotation is audited by the library.
#include "zta/idp/idp_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/http/client.h"

namespace zta::idp {
namespace {

class IdpServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zta-idp-service-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteConfig(const std::string& text) {
    std::string path = dir_ + "/idp.toml";
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_;
  InMemoryAuditSink audit_;
  FakeClock clock_{1'700'000'000};
};

TEST_F(IdpServiceTest, StartsOnAFreePortWithTheBoundIssuer) {
  IdpServiceOptions options;
  options.data_dir = dir_ + "/data";
  auto service = IdpService::Start(options, audit_, clock_);
  ASSERT_TRUE(service.ok()) << service.status();
  EXPECT_EQ((*service)->issuer(), (*service)->BaseUrl());
  auto metadata =
      http::GetJson((*service)->BaseUrl() + "/.well-known/oauth-authorization-server");
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  EXPECT_EQ((*metadata)["issuer"], (*service)->issuer());
  EXPECT_TRUE(std::filesystem::exists(options.data_dir + "/idp.db"));

  std::string base = (*service)->BaseUrl();
  (*service)->Stop();
  (*service)->Stop();  // idempotent
  EXPECT_FALSE(http::GetJson(base + "/jwks").ok()) << "a stopped service must not answer";
}

TEST_F(IdpServiceTest, AConfiguredIssuerIsUsedAsGiven) {
  IdpServiceOptions options;
  options.data_dir = dir_ + "/data";
  options.authorization.issuer = "https://idp.example";
  auto service = IdpService::Start(options, audit_, clock_);
  ASSERT_TRUE(service.ok()) << service.status();
  auto metadata =
      http::GetJson((*service)->BaseUrl() + "/.well-known/oauth-authorization-server");
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  EXPECT_EQ((*metadata)["issuer"], "https://idp.example");
  EXPECT_EQ((*metadata)["token_endpoint"], "https://idp.example/token");
}

TEST_F(IdpServiceTest, AFolderThatCannotBeCreatedIsAnError) {
  IdpServiceOptions options;
  options.data_dir = dir_ + "/missing/parent/data";
  auto service = IdpService::Start(options, audit_, clock_);
  EXPECT_FALSE(service.ok());
}

TEST_F(IdpServiceTest, HalfATlsConfigurationIsRefused) {
  IdpServiceOptions options;
  options.data_dir = dir_ + "/data";
  options.server.tls_certificate_file = dir_ + "/cert.pem";
  EXPECT_FALSE(IdpService::Start(options, audit_, clock_).ok());
}

TEST_F(IdpServiceTest, KeyRotationIsAudited) {
  IdpServiceOptions options;
  options.data_dir = dir_ + "/data";
  auto service = IdpService::Start(options, audit_, clock_);
  ASSERT_TRUE(service.ok()) << service.status();
  auto row = (*service)->idp().RotateKeys();
  ASSERT_TRUE(row.ok()) << row.status();
  bool seen = false;
  for (const AuditEvent& e : audit_.Events()) {
    if (e.action != "keys.rotate") continue;
    seen = true;
    EXPECT_EQ(e.component, "idp");
    EXPECT_EQ(e.attributes.at("zta.kid"), row->kid);
  }
  EXPECT_TRUE(seen);
}

TEST_F(IdpServiceTest, NodeIdsAreCheckedAndDefaultToTheHostName) {
  IdpServiceOptions options;
  ASSERT_TRUE(LoadIdpServiceConfig(WriteConfig("[store]\nnode_id = \"node-1.eu:a_b\"\n"),
                                   &options)
                  .ok());
  EXPECT_EQ(options.node_id, "node-1.eu:a_b");
  EXPECT_FALSE(IsValidNodeId(std::string(65, 'a')));
  EXPECT_TRUE(IsValidNodeId(std::string(64, 'a')));
  EXPECT_FALSE(IsValidNodeId("node\n1"));
  std::string fallback = DefaultNodeId();
  EXPECT_FALSE(fallback.empty());
  EXPECT_TRUE(IsValidNodeId(fallback));
}

TEST_F(IdpServiceTest, ConfigFileFillsEveryOption) {
  IdpServiceOptions options;
  Status s = LoadIdpServiceConfig(WriteConfig(R"(
[server]
listen = "127.0.0.1:0"
issuer = "https://idp.example"
threads = 3
max_body_bytes = 4096
[tokens]
ttl_seconds = 120
max_assertion_lifetime_seconds = 30
[keys]
alg = "EdDSA"
rotation_overlap_seconds = 5
jwks_max_age_seconds = 7
[limits]
failed_auth_limit = 4
failed_auth_window_seconds = 9
)"),
                                  &options);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(options.server.host, "127.0.0.1");
  EXPECT_EQ(options.server.port, 0);
  EXPECT_EQ(options.server.threads, 3);
  EXPECT_EQ(options.server.max_body_bytes, 4096u);
  EXPECT_EQ(options.authorization.issuer, "https://idp.example");
  EXPECT_EQ(options.authorization.default_token_ttl_seconds, 120);
  EXPECT_EQ(options.authorization.max_assertion_lifetime_seconds, 30);
  EXPECT_EQ(options.keys.alg, jose::Algorithm::kEdDSA);
  EXPECT_EQ(options.keys.rotation_overlap_seconds, 5);
  EXPECT_EQ(options.authorization.jwks_max_age_seconds, 7);
  EXPECT_EQ(options.authorization.failed_auth_limit, 4);
  EXPECT_EQ(options.authorization.failed_auth_window_seconds, 9);
}

TEST_F(IdpServiceTest, ConfigFileErrorsNameTheKeyOrFile) {
  struct Case {
    const char* text;
    const char* expected;  // part of the message
  };
  const Case cases[] = {
      {"[server]\nlisten = 8080\n", "server.listen"},
      {"[server]\nlisten = \"nohost\"\n", "server.listen"},
      {"[server]\nport = 1\n", "server.port"},
      {"[keys]\nalg = \"HS256\"\n", "keys.alg"},
      {"[keys]\nrotation_overlap_seconds = -1\n", "rotation_overlap_seconds"},
      {"[tokens]\nttl_seconds = 0\n", "ttl_seconds"},
      {"server = 1\n", "server"},
      {"[unknown]\n", "unknown"},
      {"[server\n", "idp.toml"},
      {"[store]\nurl = \"mysql://x\"\n", "store.url"},
      {"[store]\nnode_id = \"a b\"\n", "store.node_id"},
      {"[store]\nnode_id = \"n/../x\"\n", "store.node_id"},
  };
  for (const Case& c : cases) {
    IdpServiceOptions options;
    Status s = LoadIdpServiceConfig(WriteConfig(c.text), &options);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(s.message().find(c.expected), std::string::npos) << c.text << " → " << s.message();
  }
  IdpServiceOptions options;
  EXPECT_FALSE(LoadIdpServiceConfig(dir_ + "/none.toml", &options).ok());
}

}  // namespace
}  // namespace zta::idp
