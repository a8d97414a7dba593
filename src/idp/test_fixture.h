// A temporary identity provider for tests: data folder, fake clock, in-memory audit. Under
// ZTA_TEST_IDP_STORE=postgres (ctest's `pg.` run of idp_test) the same tests run on a fresh
// PostgreSQL database instead of the data folder's SQLite file.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "zta/core/audit_sink.h"
#include "zta/core/base64url.h"
#include "zta/core/clock.h"
#include "zta/http/message.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/identity_provider.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jwt.h"
#include "zta/store/pg_testing.h"

namespace zta::idp::testing {

inline constexpr char kHotel[] = "https://hotel.example/api";
inline constexpr char kIssuer[] = "http://127.0.0.1:9999";

class IdpFixture : public ::testing::Test {
 protected:
  static constexpr char kJwtBearer[] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  // A private_key_jwt assertion for client `id` with `aud` as given, signed by `key`.
  std::string Assertion(const std::string& id, Json aud, const std::string& jti,
                        const jose::Jwk& key) {
    int64_t now = clock_.NowSeconds();
    auto a = jose::JwtBuilder()
                 .Issuer(id)
                 .Subject(id)
                 .Claim("aud", std::move(aud))
                 .Id(jti)
                 .IssuedAt(now)
                 .ExpiresAt(now + 60)
                 .Sign(jose::Algorithm::kES256, key);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *a : std::string();
  }

  http::Response PostAssertion(const std::string& assertion) {
    return Post("/token", {{"grant_type", "client_credentials"},
                           {"client_assertion_type", kJwtBearer},
                           {"client_assertion", assertion}});
  }

  // Whether this run keeps the idp on PostgreSQL (see the top of this file).
  static bool OnPostgres() {
    const char* store = std::getenv("ZTA_TEST_IDP_STORE");
    return store != nullptr && std::string_view(store) == "postgres";
  }

  void SetUp() override {
    char tmpl[] = "/tmp/zta-idp-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    if (OnPostgres()) {
      std::string why;
      store_url_ = store::FreshPostgresDatabase(&why);
      if (store_url_.empty()) GTEST_SKIP() << why;
      // A shared store seals its signing keys: required there (identity_provider.h).
      setenv("ZTA_IDP_KEY_ENCRYPTION_KEY", "idp-test-key-encryption-key", 0);
    }
    Reopen();
    ASSERT_TRUE(idp_->AddResource(kHotel, {"hotels:read", "bookings:create", "staff:assign"}, 0,
                                  true)
                    .ok());
  }
  void TearDown() override {
    server_.reset();
    idp_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    server_.reset();
    idp_.reset();
    KeyManagerOptions key_options;
    key_options.rotation_overlap_seconds = 30;
    key_options.max_token_lifetime_seconds = 600;
    auto idp = IdentityProvider::Open(IdpLocation{dir_, store_url_}, key_options, audit_, clock_);
    ASSERT_TRUE(idp.ok()) << idp.status();
    idp_ = std::move(idp).value();
    AuthorizationServerOptions o = server_options_;
    o.issuer = kIssuer;
    o.registry_refresh_millis = 0;  // tests see changes at once
    o.count_auth_failures_in_store = OnPostgres();  // as IdpService does for a shared store
    server_ = std::make_unique<AuthorizationServer>(o, idp_->store(), idp_->keys(), audit_, clock_);
  }

  // Registers an agent with a client secret; returns {client_id, secret}.
  std::pair<std::string, std::string> AddSecretAgent(std::vector<std::string> scopes) {
    AgentSpec spec;
    spec.name = "hotel-reader";
    spec.owner = "alice@example.com";
    spec.resource = kHotel;
    spec.scopes = std::move(scopes);
    auto out = idp_->AddAgent(spec);
    EXPECT_TRUE(out.ok()) << out.status();
    return {(*out)["client_id"].get<std::string>(), (*out)["client_secret"].get<std::string>()};
  }

  // Registers an agent that authenticates with private_key_jwt under `key`; returns its
  // client_id.
  std::string AddJwtAgent(const jose::Jwk& key) {
    AgentSpec spec;
    spec.name = "booker";
    spec.owner = "alice@example.com";
    spec.resource = kHotel;
    spec.scopes = {"bookings:create"};
    spec.public_jwk = key.ToPublicJson();
    auto out = idp_->AddAgent(spec);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? (*out)["client_id"].get<std::string>() : std::string();
  }

  http::Response Post(const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& form,
                      const std::string& basic_user = "", const std::string& basic_pass = "",
                      const std::string& address = "127.0.0.1") {
    http::Request r;
    r.method = "POST";
    r.path = r.target = path;
    r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    if (!basic_user.empty()) {
      r.headers.Set("Authorization",
                    "Basic " + Base64Encode(http::PercentEncode(basic_user) + ":" +
                                            http::PercentEncode(basic_pass)));
    }
    r.body = http::FormEncode(form);
    r.remote_address = address;
    if (!traceparent_.empty()) r.headers.Set("traceparent", traceparent_);
    for (const auto& [name, value] : extra_headers_) r.headers.Add(name, value);
    return server_->Handle(r);
  }

  http::Response Get(const std::string& path) {
    http::Request r;
    r.method = "GET";
    r.path = r.target = path;
    if (!traceparent_.empty()) r.headers.Set("traceparent", traceparent_);
    return server_->Handle(r);
  }

  static Json Body(const http::Response& r) {
    auto j = ParseJsonStrict(r.body);
    EXPECT_TRUE(j.ok()) << r.body;
    return j.ok() ? *j : Json();
  }

  std::string dir_;
  std::string store_url_;  // "" = the data folder (SQLite)
  FakeClock clock_{1'700'000'000};
  InMemoryAuditSink audit_;
  std::string traceparent_;  // sent with every Post and Get when set (W3C Trace Context)
  // Further fields sent with every Post (e.g. DPoP proofs), in order; cleared by the test.
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  // What Reopen builds the server from (the issuer and registry refresh are set there).
  AuthorizationServerOptions server_options_;
  std::unique_ptr<IdentityProvider> idp_;
  std::unique_ptr<AuthorizationServer> server_;
};

}  // namespace zta::idp::testing
