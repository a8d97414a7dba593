// The Entra ID worked example of docs/delegation.md, tested as written: the gateway config block
// is read from that file, and a local issuer standing in for login.microsoftonline.com (a
// loopback server behind a transport that maps only that host to it) mints Entra-shaped v2.0
// tokens — typ JWT, RS256, scp as a string, roles for app-only, azp, oid, tid, uti, ver.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "zta/core/base64url.h"
#include "zta/guard/gateway.h"
#include "zta/http/client.h"
#include "zta/jose/jwk.h"

namespace zta::guard {
namespace {

constexpr char kTenant[] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr char kApi[] = "6e74172b-be56-4843-9ff4-e66a39bb12e3";     // the hotel API's client id
constexpr char kClient[] = "a3b2c1d0-1111-4222-8333-944455556666";  // the calling app
constexpr char kUserOid[] = "00000000-0000-0000-66f3-3332eca7ea81";
constexpr char kDaemonOid[] = "8d0e2c3a-5b1f-4c7e-9a2d-3f4e5a6b7c8d";
constexpr char kEntraHost[] = "https://login.microsoftonline.com/";

std::string V2Issuer() { return std::string(kEntraHost) + kTenant + "/v2.0"; }

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// The first ```toml block under "## Accepting tokens from Microsoft Entra ID".
std::string DocumentedConfig() {
  std::ifstream in(std::string(ZTA_SOURCE_DIR) + "/docs/delegation.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  size_t section = doc.find("\n## Accepting tokens from Microsoft Entra ID\n");
  EXPECT_NE(section, std::string::npos) << "docs/delegation.md lost its Entra section";
  if (section == std::string::npos) return {};
  size_t open = doc.find("```toml\n", section);
  size_t close = open == std::string::npos ? open : doc.find("\n```", open);
  EXPECT_NE(close, std::string::npos);
  if (close == std::string::npos) return {};
  return doc.substr(open + 8, close - open - 8 + 1);
}

// Stands in for Entra's key endpoint at /{tenant}/discovery/v2.0/keys. Keys are published as
// Entra publishes them: RSA, use sig, kid, x5t, x5c, issuer, and no alg. Thread-safe: keys are
// set before the first request and only read after.
class EntraLikeIssuer {
 public:
  EntraLikeIssuer() : key_(SharedKey()) {
    auto server = http::HttpServer::Start({}, [this](const http::Request& r) { return Serve(r); });
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }

  // Sends requests for https://login.microsoftonline.com/... to this server and those under
  // `passthrough` (the test's upstream) as they are; refuses every other URL, so nothing here
  // leaves the machine.
  http::Transport Transport(std::string passthrough = "") const {
    const std::string base = server_->BaseUrl() + "/";
    return [base, passthrough](const http::ClientRequest& request) -> Result<http::Response> {
      if (!passthrough.empty() && request.url.rfind(passthrough, 0) == 0) {
        return http::Send(request);
      }
      if (request.url.rfind(kEntraHost, 0) != 0) {
        return Status(StatusCode::kUnavailable, "test transport: no route to " + request.url);
      }
      http::ClientRequest local = request;
      local.url = base + request.url.substr(sizeof(kEntraHost) - 1);
      return http::Send(local);
    };
  }

  // A delegated (user) token as Entra v2.0 issues it for the API, 75 minutes long.
  jose::JwtBuilder UserToken(int64_t now) const {
    jose::JwtBuilder b = Common(now);
    b.Subject("AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ")  // pairwise, per application
        .Claim("oid", kUserOid)
        .Claim("scp", "read_hotels create_bookings")
        .Claim("name", "Alice Example")
        .Claim("preferred_username", "alice@contoso.example")
        .Claim("sid", "b1c2d3e4-0000-4000-8000-000000000001");
    return b;
  }
  // An app-only (client credentials) token: roles, no scp; oid = sub = the service principal.
  jose::JwtBuilder AppToken(int64_t now) const {
    jose::JwtBuilder b = Common(now);
    b.Subject(kDaemonOid)
        .Claim("oid", kDaemonOid)
        .Claim("idtyp", "app")
        .Claim("roles", Json::array({"Bookings.Admin"}));
    return b;
  }
  std::string Sign(const jose::JwtBuilder& b) const {
    auto token = b.Sign(jose::Algorithm::kRS256, key_);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : std::string();
  }
  const jose::Jwk& key() const { return key_; }
  int key_fetches() const { return key_fetches_; }

 private:
  jose::JwtBuilder Common(int64_t now) const {
    jose::JwtBuilder b;
    b.Type("JWT")
        .HeaderParam("x5t", key_.kid())
        .Issuer(V2Issuer())
        .Audience(kApi)
        .IssuedAt(now)
        .NotBefore(now)
        .ExpiresAt(now + 75 * 60)
        .Claim("aio", "E2ZgYDi0l7n5+4rXvQ==")
        .Claim("azp", kClient)
        .Claim("azpacr", "1")
        .Claim("rh", "0.AXEA")
        .Claim("tid", kTenant)
        .Claim("uti", "uti-" + std::to_string(++minted_))
        .Claim("ver", "2.0");
    return b;
  }

  http::Response Serve(const http::Request& r) {
    if (r.path != "/" + std::string(kTenant) + "/discovery/v2.0/keys") {
      return http::Response::Json(404, Json{{"error", "not_found"}});
    }
    ++key_fetches_;
    Json jwk = key_.ToPublicJson();
    jwk.erase("alg");
    jwk["x5t"] = key_.kid();
    jwk["x5c"] = Json::array({"MIIC/TCCAeWgAwIBAgIIUd7j/OIahkYwDQYJKoZIhvcNAQELBQAw"});
    jwk["issuer"] = V2Issuer();
    return http::Response::Json(200, Json{{"keys", Json::array({jwk})}});
  }

  // One RSA key for every test: generating 2048-bit keys is slow on a shared machine.
  static const jose::Jwk& SharedKey() {
    static const jose::Jwk key =
        *jose::Jwk::Generate(jose::Algorithm::kRS256, "nOo3ZDrODXEK1jKWhXslHR");
    return key;
  }

  const jose::Jwk key_;
  std::unique_ptr<http::HttpServer> server_;
  mutable std::atomic<int> minted_{0};
  std::atomic<int> key_fetches_{0};
};

class EntraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto upstream = http::HttpServer::Start({}, [](const http::Request& r) {
      Json headers = Json::object();
      for (const auto& [name, value] : r.headers.fields()) headers[name] = value;
      return http::Response::Json(200, Json{{"headers", headers}});
    });
    ASSERT_TRUE(upstream.ok());
    upstream_ = std::move(upstream).value();
    const std::string documented = DocumentedConfig();
    ASSERT_FALSE(documented.empty());
    config_text_ =
        Replace(Replace(Replace(documented, "{tenant-id}", kTenant), "{api-client-id}", kApi),
                "http://127.0.0.1:9000", upstream_->BaseUrl());
    auto options = ParseGatewayConfig(config_text_);
    ASSERT_TRUE(options.ok()) << options.status();
    options_ = *options;
  }

  std::unique_ptr<Validator> MakeValidator(ValidatorOptions options) {
    auto v = Validator::Create(std::move(options), clock_, audit_, entra_.Transport());
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? std::move(v).value() : nullptr;
  }
  std::string Reason(Validator& v, const std::string& token, std::vector<std::string> scopes = {}) {
    AuthorizeOptions o;
    o.required_scopes = scopes;
    auto p = v.AuthorizeToken(token, o);
    return p.ok() ? "ok" : p.status().reason();
  }
  int64_t now() const { return clock_.NowSeconds(); }

  FakeClock clock_;
  InMemoryAuditSink audit_;
  EntraLikeIssuer entra_;
  std::unique_ptr<http::HttpServer> upstream_;
  std::string config_text_;
  GatewayOptions options_;
};

// The documented block parses into the issuer the section describes.
TEST_F(EntraTest, DocumentedConfigIsTheEntraIssuer) {
  ASSERT_EQ(options_.validator.issuers.size(), 2u);
  const TrustedIssuer& t = options_.validator.issuers[1];
  EXPECT_EQ(t.issuer, V2Issuer());
  EXPECT_EQ(t.jwks_uri, std::string(kEntraHost) + kTenant + "/discovery/v2.0/keys");
  EXPECT_EQ(t.audience, kApi);
  EXPECT_EQ(t.required_typ, "JWT");
  EXPECT_EQ(t.scope_claims, (std::vector<std::string>{"scp", "roles"}));
  EXPECT_EQ(t.subject_claim, "oid");
  EXPECT_TRUE(t.allowed_algorithms.Contains(jose::Algorithm::kRS256));
  EXPECT_FALSE(t.allowed_algorithms.Contains(jose::Algorithm::kES256));
  EXPECT_TRUE(options_.Validate().ok()) << options_.Validate();
}

// A delegated Entra token: oid is the subject, azp the client, the scp string the scopes, uti
// the audited token id; no actor chain.
TEST_F(EntraTest, UserTokenMapsToThePrincipal) {
  auto v = MakeValidator(options_.validator);
  ASSERT_NE(v, nullptr);
  const std::vector<std::string> needed = {"create_bookings"};
  AuthorizeOptions o;
  o.required_scopes = needed;
  auto p = v->AuthorizeToken(entra_.Sign(entra_.UserToken(now())), o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->issuer, V2Issuer());
  EXPECT_EQ(p->subject, kUserOid);
  EXPECT_EQ(p->client_id, kClient);
  EXPECT_EQ(p->scopes, (std::vector<std::string>{"read_hotels", "create_bookings"}));
  EXPECT_TRUE(p->actor_chain.empty());
  EXPECT_EQ(p->jti.rfind("uti-", 0), 0u);
  EXPECT_EQ(p->claims()["tid"], kTenant);
  EXPECT_EQ(audit_.Events().back().jti, p->jti);
  EXPECT_EQ(audit_.Events().back().subject, kUserOid);
  EXPECT_EQ(entra_.key_fetches(), 1);
  EXPECT_EQ(Reason(*v, entra_.Sign(entra_.UserToken(now())), {"Bookings.Admin"}),
            "insufficient_scope");
}

// An app-only token: roles become scopes, no scp; the daemon's oid is the subject.
TEST_F(EntraTest, AppOnlyTokenRolesBecomeScopes) {
  auto v = MakeValidator(options_.validator);
  ASSERT_NE(v, nullptr);
  auto p = v->AuthorizeToken(entra_.Sign(entra_.AppToken(now())));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, kDaemonOid);
  EXPECT_EQ(p->client_id, kClient);
  EXPECT_EQ(p->scopes, (std::vector<std::string>{"Bookings.Admin"}));
  EXPECT_EQ(Reason(*v, entra_.Sign(entra_.AppToken(now())), {"create_bookings"}),
            "insufficient_scope");
}

// Refused: another audience, a v1.0 token (sts.windows.net issuer, appid, ver 1.0), another
// tenant, no oid, a CAE-length lifetime, a token typed at+jwt.
TEST_F(EntraTest, WrongAudienceIssuerShapeAndLifetimeAreRefused) {
  auto v = MakeValidator(options_.validator);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(Reason(*v, entra_.Sign(entra_.UserToken(now()).Audience("api://other-api"))),
            "bad_audience");
  EXPECT_EQ(Reason(*v, entra_.Sign(entra_.UserToken(now()).Audience(kClient))), "bad_audience");
  auto v1 = entra_.UserToken(now())
                .Issuer("https://sts.windows.net/" + std::string(kTenant) + "/")
                .Audience("api://" + std::string(kApi))
                .Claim("appid", kClient)
                .Claim("ver", "1.0");
  EXPECT_EQ(Reason(*v, entra_.Sign(v1)), "bad_issuer");
  EXPECT_EQ(Reason(*v, entra_.Sign(entra_.UserToken(now()).Issuer(std::string(kEntraHost) +
                                                                  "common/v2.0"))),
            "bad_issuer");
  // Without oid; without sub (oid does not stand in for the sub RFC 9068 §2.2 requires).
  for (const char* dropped : {"oid", "sub"}) {
    Json claims = entra_.UserToken(now()).claims();
    claims.erase(dropped);
    jose::JwtBuilder b;
    b.Type("JWT").Claims(claims);
    EXPECT_EQ(Reason(*v, entra_.Sign(b)), kReasonMissingSubject) << dropped;
  }
  EXPECT_EQ(Reason(*v, entra_.Sign(entra_.UserToken(now()).ExpiresAt(now() + 28 * 3600))),
            "lifetime_too_long");
  EXPECT_EQ(Reason(*v, entra_.Sign(entra_.UserToken(now()).Type("at+jwt"))), "bad_typ");
}

// The same tokens under an issuer left at the RFC 9068 default typ (at+jwt) are refused.
TEST_F(EntraTest, AtJwtOnlyConfigRefusesEntraTokens) {
  ValidatorOptions strict = options_.validator;
  strict.issuers[1].required_typ = "at+jwt";
  auto v = MakeValidator(strict);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(Reason(*v, entra_.Sign(entra_.UserToken(now()))), "bad_typ");
  EXPECT_EQ(Reason(*v, entra_.Sign(entra_.AppToken(now()))), "bad_typ");
  // The config text with its typ line dropped falls back to that default too.
  auto parsed =
      ParseGatewayConfig(Replace(config_text_, "typ = \"JWT\"", "# typ left at its default"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto defaulted = MakeValidator(parsed->validator);
  ASSERT_NE(defaulted, nullptr);
  EXPECT_EQ(Reason(*defaulted, entra_.Sign(entra_.UserToken(now()))), "bad_typ");
}

// alg none, HS256 keyed with the published RSA key (the key-confusion attack), and RS256 under
// a key that is not Entra's are refused.
TEST_F(EntraTest, AlgNoneHs256AndForeignKeysAreRefused) {
  auto v = MakeValidator(options_.validator);
  ASSERT_NE(v, nullptr);
  const std::string payload = Base64UrlEncode(entra_.UserToken(now()).claims().dump());
  const std::string none = Base64UrlEncode(R"({"typ":"JWT","alg":"none"})") + "." + payload + ".";
  EXPECT_EQ(Reason(*v, none), "alg_not_allowed");
  auto hmac = jose::Jwk::FromSecret(Secret(entra_.key().ToPublicJson().dump()),
                                    jose::Algorithm::kHS256, entra_.key().kid());
  ASSERT_TRUE(hmac.ok()) << hmac.status();
  auto hs256 = entra_.UserToken(now()).Sign(jose::Algorithm::kHS256, *hmac);
  ASSERT_TRUE(hs256.ok()) << hs256.status();
  EXPECT_EQ(Reason(*v, *hs256), "alg_not_allowed");
  auto foreign = jose::Jwk::Generate(jose::Algorithm::kRS256, entra_.key().kid());
  ASSERT_TRUE(foreign.ok());
  auto forged = entra_.UserToken(now()).Sign(jose::Algorithm::kRS256, *foreign);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(Reason(*v, *forged), "bad_signature");
}

// Through the gateway as configured: the user's token books and the upstream sees the oid and
// the client; the app-only token takes the Bookings.Admin route, which the user's cannot.
TEST_F(EntraTest, GatewayRoutesEntraTokens) {
  auto gateway =
      Gateway::Create(options_, clock_, audit_, entra_.Transport(upstream_->BaseUrl() + "/"));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  auto call = [&](const std::string& method, const std::string& path, const std::string& token) {
    http::Request r;
    r.method = method;
    r.path = r.target = path;
    r.headers.Set("Authorization", "Bearer " + token);
    return (*gateway)->Handle(r);
  };
  const std::string user = entra_.Sign(entra_.UserToken(now()));
  const std::string app = entra_.Sign(entra_.AppToken(now()));
  auto booked = call("POST", "/api/bookings", user);
  ASSERT_EQ(booked.status, 200) << booked.body;
  auto echo = ParseJsonStrict(booked.body);
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ((*echo)["headers"]["X-Zta-Subject"], kUserOid);
  EXPECT_EQ((*echo)["headers"]["X-Zta-Client-Id"], kClient);
  EXPECT_EQ(call("DELETE", "/api/bookings/17", user).status, 403);
  EXPECT_EQ(call("DELETE", "/api/bookings/17", app).status, 200);
  EXPECT_EQ(call("POST", "/api/bookings", app).status, 403);
}

}  // namespace
}  // namespace zta::guard
