// Tests of auth::AuthProvider against a counting fake authorization server on HttpServer:
// the three client authentication methods, the cache and its refresh margin, single-flight,
// retries within a deadline, typed errors, never an expired token, TOML config.
#include "zta/auth/auth_provider.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "zta/auth/reasons.h"
#include "zta/core/base64url.h"
#include "zta/core/mutex.h"
#include "zta/core/trace_context.h"
#include "zta/http/server.h"
#include "zta/jose/jwt.h"

namespace zta::auth {
namespace {

constexpr char kResource[] = "https://hotel.example/api";
constexpr char kClient[] = "hotel-agent";
constexpr char kSecret[] = "secret-secret-secret-secret";

// A client-credentials token endpoint with OIDC discovery. Thread-safe.
class FakeTokenServer {
 public:
  explicit FakeTokenServer(const Clock& clock) : clock_(clock) {
    signing_ = *jose::Jwk::Generate(jose::Algorithm::kES256, "as-1");
    client_key_ = *jose::Jwk::Generate(jose::Algorithm::kES256, "client-1");
    http::ServerOptions o;
    o.threads = 4;
    auto server = http::HttpServer::Start(o, [this](const http::Request& r) { return Serve(r); });
    EXPECT_TRUE(server.ok());
    server_ = std::move(server).value();
  }

  std::string issuer() const { return server_->BaseUrl(); }
  const jose::Jwk& client_key() const { return client_key_; }
  int token_calls() const { return token_calls_; }
  int discovery_calls() const { return discovery_calls_; }
  void set_delay_ms(int ms) { delay_ms_ = ms; }
  void set_failures(int n, int status = 503) {
    failures_ = n;
    failure_status_ = status;
  }
  void set_error(std::string error) {
    MutexLock lock(mu_);
    error_ = std::move(error);
  }
  void set_ttl(int64_t ttl) { ttl_ = ttl; }
  std::vector<std::pair<std::string, std::string>> last_form() {
    MutexLock lock(mu_);
    return last_form_;
  }
  std::string last_authorization() {
    MutexLock lock(mu_);
    return last_authorization_;
  }
  std::string last_traceparent() {
    MutexLock lock(mu_);
    return last_traceparent_;
  }
  std::vector<std::string> assertion_jtis() {
    MutexLock lock(mu_);
    return assertion_jtis_;
  }

 private:
  static std::string Field(const std::vector<std::pair<std::string, std::string>>& form,
                           const std::string& name) {
    for (const auto& [k, v] : form) {
      if (k == name) return v;
    }
    return "";
  }

  http::Response Serve(const http::Request& r) {
    if (r.path == "/.well-known/openid-configuration") {
      ++discovery_calls_;
      return http::Response::Json(
          200, Json{{"issuer", issuer()}, {"token_endpoint", issuer() + "/token"}});
    }
    if (r.path != "/token" || r.method != "POST") {
      return http::Response::Json(404, Json{{"error", "not_found"}});
    }
    ++token_calls_;
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
    if (failures_ > 0) {
      --failures_;
      auto resp = http::Response::Json(failure_status_, Json{{"error", "server_error"}});
      resp.headers.Set("Retry-After", "0");
      return resp;
    }
    auto form = http::ParseForm(r.body);
    if (!form.ok()) return http::Response::Json(400, Json{{"error", "invalid_request"}});
    std::string error;
    {
      MutexLock lock(mu_);
      last_form_ = *form;
      last_authorization_ = r.headers.Get("Authorization").value_or("");
      last_traceparent_ = r.headers.Get("traceparent").value_or("");
      error = error_;
    }
    if (!error.empty()) {
      return http::Response::Json(
          error == "invalid_client" ? 401 : 400,
          Json{{"error", error}, {"error_description", "detail for " + error + "\n"}});
    }
    // Authenticate the client by whichever method it used.
    bool authenticated = false;
    std::string auth = r.headers.Get("Authorization").value_or("");
    if (auth.rfind("Basic ", 0) == 0) {
      auto decoded = Base64Decode(auth.substr(6));
      authenticated = decoded.ok() && *decoded == std::string(kClient) + ":" + kSecret;
    } else if (Field(*form, "client_secret") == kSecret && Field(*form, "client_id") == kClient) {
      authenticated = true;
    } else if (!Field(*form, "client_assertion").empty()) {
      jose::JwtValidationOptions o;
      o.issuer = kClient;
      o.audience = issuer();
      o.allowed_algorithms = {jose::Algorithm::kES256};
      jose::Jwks keys({client_key_.PublicKey()});
      auto v = jose::VerifyJwt(Field(*form, "client_assertion"), keys, o, clock_.NowSeconds());
      authenticated = v.ok() && (*v)->subject == kClient &&
                      Field(*form, "client_assertion_type") ==
                          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
      if (v.ok()) {
        MutexLock lock(mu_);
        assertion_jtis_.push_back((*v)->jti);
      }
    }
    if (!authenticated) {
      return http::Response::Json(401, Json{{"error", "invalid_client"}});
    }
    const int64_t now = clock_.NowSeconds();
    const int n = ++issued_;
    auto token = jose::JwtBuilder()
                     .Type("at+jwt")
                     .Issuer(issuer())
                     .Subject(kClient)
                     .Audience(Field(*form, "resource"))
                     .IssuedAt(now)
                     .ExpiresAt(now + ttl_)
                     .Id("jti-" + std::to_string(n))
                     .Claim("scope", Field(*form, "scope"))
                     .Sign(jose::Algorithm::kES256, signing_);
    Json body = {{"access_token", *token}, {"token_type", "Bearer"}, {"expires_in", ttl_.load()}};
    if (!Field(*form, "scope").empty()) body["scope"] = Field(*form, "scope");
    return http::Response::Json(200, body);
  }

  const Clock& clock_;
  jose::Jwk signing_ = *jose::Jwk::Generate(jose::Algorithm::kES256, "x");
  jose::Jwk client_key_ = signing_;
  std::atomic<int> token_calls_{0}, discovery_calls_{0}, delay_ms_{0}, failures_{0},
      failure_status_{503}, issued_{0};
  std::atomic<int64_t> ttl_{300};
  Mutex mu_;
  std::string error_ ZTA_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::string>> last_form_ ZTA_GUARDED_BY(mu_);
  std::string last_authorization_ ZTA_GUARDED_BY(mu_);
  std::string last_traceparent_ ZTA_GUARDED_BY(mu_);
  std::vector<std::string> assertion_jtis_ ZTA_GUARDED_BY(mu_);
  // Declared last so it is destroyed first: a handler still running must not outlive the
  // members above that it writes.
  std::unique_ptr<http::HttpServer> server_;
};

class AuthProviderTest : public ::testing::Test {
 protected:
  AuthProviderOptions Options(ClientAuthMethod method = ClientAuthMethod::kClientSecretBasic) {
    AuthProviderOptions o;
    o.issuer = server_.issuer();
    o.client_id = kClient;
    o.auth_method = method;
    if (method == ClientAuthMethod::kPrivateKeyJwt) {
      o.private_key = server_.client_key();
    } else {
      o.client_secret = Secret(kSecret);
    }
    o.initial_backoff = std::chrono::milliseconds(5);
    o.max_backoff = std::chrono::milliseconds(20);
    return o;
  }
  std::unique_ptr<AuthProvider> Make(AuthProviderOptions o) {
    auto p = AuthProvider::Create(std::move(o), clock_);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? std::move(p).value() : nullptr;
  }
  static TokenRequest Request(std::vector<std::string> scopes = {"read_hotels"}) {
    TokenRequest r;
    r.resource = kResource;
    r.scopes = std::move(scopes);
    return r;
  }
  static std::string Field(const std::vector<std::pair<std::string, std::string>>& form,
                           const std::string& name) {
    for (const auto& [k, v] : form) {
      if (k == name) return v;
    }
    return "";
  }

  FakeClock clock_;
  FakeTokenServer server_{clock_};
};

// client_secret_basic: discovery finds the token endpoint; the request carries grant_type,
// resource and the scopes; the token object knows its jti, scopes and expiry.
TEST_F(AuthProviderTest, ClientSecretBasic) {
  auto p = Make(Options());
  auto token = p->GetToken(Request({"read_rooms", "read_hotels"}));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_FALSE(token->value.empty());
  EXPECT_EQ(token->jti, "jti-1");
  EXPECT_EQ(token->expires_at, clock_.NowSeconds() + 300);
  EXPECT_EQ(token->scopes, (std::vector<std::string>{"read_hotels", "read_rooms"}));
  EXPECT_EQ(token->AuthorizationHeader(), "Bearer " + token->value.Reveal());
  auto form = server_.last_form();
  EXPECT_EQ(Field(form, "grant_type"), "client_credentials");
  EXPECT_EQ(Field(form, "resource"), kResource);
  EXPECT_EQ(Field(form, "scope"), "read_hotels read_rooms");
  EXPECT_EQ(Field(form, "client_secret"), "");
  EXPECT_EQ(server_.last_authorization().rfind("Basic ", 0), 0u);
  // Printing a token shows its jti, never its value.
  std::ostringstream os;
  os << *token;
  EXPECT_EQ(os.str().find(token->value.Reveal()), std::string::npos);
  EXPECT_NE(os.str().find("jti-1"), std::string::npos);
}

// W3C Trace Context: a request's valid trace id goes to the token endpoint as traceparent
// 00-<trace>-<span>-01; an invalid one sends none; and the trace id is not part of the cache
// key (a second trace gets the cached token without asking).
TEST_F(AuthProviderTest, SendsTraceparentWhenTraced) {
  auto p = Make(Options());
  TokenRequest traced = Request();
  traced.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  ASSERT_TRUE(p->GetToken(traced).ok());
  auto sent = ParseTraceParent(server_.last_traceparent());
  ASSERT_TRUE(sent.has_value()) << server_.last_traceparent();
  EXPECT_EQ(sent->trace_id, traced.trace_id);
  EXPECT_EQ(sent->flags, 1);
  TokenRequest again = Request();
  again.trace_id = "0af7651916cd43dd8448eb211c80319c";
  ASSERT_TRUE(p->GetToken(again).ok());
  EXPECT_EQ(server_.token_calls(), 1);
  TokenRequest invalid = Request({"other"});
  invalid.trace_id = "not-a-trace-id";
  ASSERT_TRUE(p->GetToken(invalid).ok());
  EXPECT_EQ(server_.token_calls(), 2);
  EXPECT_EQ(server_.last_traceparent(), "");
}

// client_secret_post: credentials in the body, no Authorization header.
TEST_F(AuthProviderTest, ClientSecretPost) {
  auto p = Make(Options(ClientAuthMethod::kClientSecretPost));
  ASSERT_TRUE(p->GetToken(Request()).ok());
  EXPECT_EQ(Field(server_.last_form(), "client_secret"), kSecret);
  EXPECT_EQ(server_.last_authorization(), "");
}

// private_key_jwt (RFC 7523): the server verifies the assertion with the client's public key;
// every request gets a fresh assertion jti.
TEST_F(AuthProviderTest, PrivateKeyJwt) {
  auto p = Make(Options(ClientAuthMethod::kPrivateKeyJwt));
  ASSERT_TRUE(p->GetToken(Request({"a"})).ok());
  ASSERT_TRUE(p->GetToken(Request({"b"})).ok());
  auto jtis = server_.assertion_jtis();
  ASSERT_EQ(jtis.size(), 2u);
  EXPECT_NE(jtis[0], jtis[1]);
}

// The cache: same key (scope order ignored) → no request; another resource or scope set → a
// request; a token is reused only while max(30 s, 10 % of its lifetime) remains.
TEST_F(AuthProviderTest, CacheKeyAndRefreshMargin) {
  auto p = Make(Options());
  auto first = p->GetToken(Request({"a", "b"}));
  ASSERT_TRUE(first.ok());
  auto again = p->GetToken(Request({"b", "a", "a"}));
  EXPECT_EQ(again->jti, first->jti);
  EXPECT_EQ(server_.token_calls(), 1);
  TokenRequest other = Request({"a", "b"});
  other.resource = "https://other.example/api";
  EXPECT_NE(p->GetToken(other)->jti, first->jti);
  TokenRequest details = Request({"a", "b"});
  details.authorization_details = Json::array({{{"type", "booking"}, {"room", 12}}});
  EXPECT_NE(p->GetToken(details)->jti, first->jti);
  EXPECT_EQ(server_.token_calls(), 3);

  clock_.AdvanceSeconds(269);  // 31 s left of 300: still served
  EXPECT_EQ(p->GetToken(Request({"a", "b"}))->jti, first->jti);
  clock_.AdvanceSeconds(2);  // 29 s left: below the 30 s floor
  auto fresh = p->GetToken(Request({"a", "b"}));
  EXPECT_NE(fresh->jti, first->jti);
  EXPECT_GT(fresh->expires_at, clock_.NowSeconds() + 30);

  // A 1,000 s token: 10 % (100 s) is the margin.
  server_.set_ttl(1000);
  auto long_lived = p->GetToken(Request({"long"}));
  clock_.AdvanceSeconds(899);
  EXPECT_EQ(p->GetToken(Request({"long"}))->jti, long_lived->jti);
  clock_.AdvanceSeconds(2);
  EXPECT_NE(p->GetToken(Request({"long"}))->jti, long_lived->jti);
  // Invalidate drops one entry.
  auto cached = p->GetToken(Request({"long"}));
  p->Invalidate(Request({"long"}));
  EXPECT_NE(p->GetToken(Request({"long"}))->jti, cached->jti);
}

// Single-flight: 100 concurrent callers for one key cause exactly one token request and all
// receive the same token.
TEST_F(AuthProviderTest, HundredConcurrentCallersOneRequest) {
  auto p = Make(Options());
  server_.set_delay_ms(300);
  std::vector<std::thread> threads;
  std::vector<std::string> jtis(100);
  std::atomic<int> failures{0};
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&, i] {
      auto t = p->GetToken(Request());
      if (!t.ok()) {
        ++failures;
        return;
      }
      jtis[i] = t->jti;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(server_.token_calls(), 1);
  EXPECT_EQ(p->token_requests(), 1);
  for (const auto& j : jtis) EXPECT_EQ(j, "jti-1");
}

// 5xx answers are retried with backoff; success on the third attempt.
TEST_F(AuthProviderTest, RetriesServerErrors) {
  auto p = Make(Options());
  server_.set_failures(2, 503);
  auto t = p->GetToken(Request());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(server_.token_calls(), 3);
}

// An IdP that keeps failing: at most max_attempts requests, then idp_unavailable.
TEST_F(AuthProviderTest, GivesUpAfterBoundedAttempts) {
  auto o = Options();
  o.max_attempts = 3;
  auto p = Make(o);
  server_.set_failures(100, 502);
  auto t = p->GetToken(Request());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().reason(), "idp_unavailable");
  EXPECT_EQ(t.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server_.token_calls(), 3);
}

// A slow IdP: the whole call ends at the deadline with idp_unavailable.
TEST_F(AuthProviderTest, DeadlineBoundsSlowIdp) {
  auto o = Options();
  o.token_endpoint = server_.issuer() + "/token";
  o.deadline = std::chrono::milliseconds(300);
  o.request_timeout = std::chrono::milliseconds(200);
  auto p = Make(o);
  server_.set_delay_ms(1000);
  auto t = p->GetToken(Request());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().reason(), "idp_unavailable");
  EXPECT_EQ(server_.discovery_calls(), 0);  // explicit endpoint: no discovery
}

// Nothing listening: transport failures are retried, then idp_unavailable.
TEST_F(AuthProviderTest, UnreachableIdp) {
  auto o = Options();
  o.issuer = "http://127.0.0.1:1";
  o.max_attempts = 2;
  auto p = Make(o);
  auto t = p->GetToken(Request());
  EXPECT_EQ(t.status().reason(), "idp_unavailable");
}

// 408 Request Timeout is retryable too (http::IsRetryableStatus), like 5xx and 429.
TEST_F(AuthProviderTest, RetriesRequestTimeout) {
  auto p = Make(Options());
  server_.set_failures(1, 408);
  auto t = p->GetToken(Request());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(server_.token_calls(), 2);
}

// Retry-After as an HTTP-date (RFC 9110 §10.2.3) counts: a date an hour away, beyond the
// deadline, ends the call after one attempt instead of retrying on the client's own backoff.
TEST_F(AuthProviderTest, HonoursRetryAfterHttpDate) {
  int calls = 0;
  http::Transport transport = [&](const http::ClientRequest& r) -> Result<http::Response> {
    if (r.url.ends_with("/token")) {
      ++calls;
      auto busy = http::Response::Json(503, Json{{"error", "server_error"}});
      // FakeClock starts at 1,700,000,000 = Tue, 14 Nov 2023 22:13:20 GMT.
      busy.headers.Set("Retry-After", "Tue, 14 Nov 2023 23:13:20 GMT");
      return busy;
    }
    return http::Send(r);
  };
  auto p = AuthProvider::Create(Options(), clock_, transport);
  ASSERT_TRUE(p.ok()) << p.status();
  auto t = (*p)->GetToken(Request());
  EXPECT_EQ(t.status().reason(), "idp_unavailable");
  EXPECT_EQ(calls, 1);
}

// Discovery that only finds a document naming another issuer fails with bad_metadata, and no
// token request is sent (RFC 8414 §3.3).
TEST_F(AuthProviderTest, DiscoveryRefusesAnotherIssuer) {
  http::Transport transport = [&](const http::ClientRequest& r) -> Result<http::Response> {
    if (r.url.find("/.well-known/") != std::string::npos) {
      return http::Response::Json(
          200, Json{{"issuer", "https://evil.example"}, {"token_endpoint", r.url + "/token"}});
    }
    return http::Send(r);
  };
  auto p = AuthProvider::Create(Options(), clock_, transport);
  ASSERT_TRUE(p.ok()) << p.status();
  auto t = (*p)->GetToken(Request());
  EXPECT_EQ(t.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(t.status().reason(), "bad_metadata");
  EXPECT_EQ(server_.token_calls(), 0);
}

// OAuth errors are typed by the IdP's error code, carry a sanitized error_description and are
// not retried.
TEST_F(AuthProviderTest, TypedErrors) {
  auto p = Make(Options());
  for (const char* error :
       {"invalid_client", "invalid_scope", "unauthorized_client", "invalid_target"}) {
    server_.set_error(error);
    int before = server_.token_calls();
    auto t = p->GetToken(Request({error}));
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().reason(), error);
    EXPECT_NE(t.status().message().find(std::string("detail for ") + error), std::string::npos);
    EXPECT_EQ(t.status().message().find('\n'), std::string::npos);
    EXPECT_EQ(server_.token_calls(), before + 1);
  }
  server_.set_error("");
  auto wrong = Options();
  wrong.client_secret = Secret("wrong-secret");
  auto q = Make(wrong);
  EXPECT_EQ(q->GetToken(Request()).status().reason(), "invalid_client");
  EXPECT_EQ(q->GetToken(Request()).status().code(), StatusCode::kUnauthenticated);
}

// An error answer without an OAuth error code is token_error; a token on behalf of a user needs
// their consent, which AuthProvider alone cannot ask for (and it asks the IdP nothing).
TEST_F(AuthProviderTest, TokenErrorAndConsentRequired) {
  auto p = Make(Options());
  server_.set_error("Something Broke");
  EXPECT_EQ(p->GetToken(Request()).status().reason(), kReasonTokenError);
  server_.set_error("");
  TokenRequest delegated = Request();
  delegated.on_behalf_of = "alice";
  int before = server_.token_calls();
  Result<AccessToken> token = p->GetToken(delegated);
  EXPECT_EQ(token.status().reason(), kReasonConsentRequired);
  EXPECT_EQ(token.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(server_.token_calls(), before);
}

// Never an expired token: an IdP answering expires_in 0 yields an error, not a token.
TEST_F(AuthProviderTest, RefusesExpiredToken) {
  auto p = Make(Options());
  server_.set_ttl(0);
  EXPECT_EQ(p->GetToken(Request()).status().reason(), "bad_token_response");
}

// Requests and options that cannot work are refused before any I/O.
TEST_F(AuthProviderTest, ValidatesInput) {
  auto p = Make(Options());
  TokenRequest no_resource;
  EXPECT_EQ(p->GetToken(no_resource).status().code(), StatusCode::kInvalidArgument);
  TokenRequest delegated = Request();
  delegated.on_behalf_of = "alice";
  EXPECT_EQ(p->GetToken(delegated).status().reason(), "consent_required");
  auto o = Options();
  o.client_secret = Secret();
  EXPECT_FALSE(AuthProvider::Create(o, clock_).ok());
  auto no_key = Options(ClientAuthMethod::kPrivateKeyJwt);
  no_key.private_key.reset();
  EXPECT_FALSE(AuthProvider::Create(no_key, clock_).ok());
  EXPECT_EQ(server_.token_calls(), 0);
}

// TOML: the [auth] table, the secret from an environment variable or a key file; typos refused.
TEST(AuthConfigTest, ParsesToml) {
  setenv("ZTA_TEST_CLIENT_SECRET", "s3cret-s3cret", 1);
  auto o = ParseAuthConfig(R"(
[auth]
issuer = "http://127.0.0.1:3000"
client_id = "hotel-agent"
auth_method = "client_secret_post"
client_secret_env = "ZTA_TEST_CLIENT_SECRET"
resource = "https://hotel.example/api"
scopes = ["read_hotels"]
)");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->auth_method, ClientAuthMethod::kClientSecretPost);
  EXPECT_EQ(o->client_secret.Reveal(), "s3cret-s3cret");
  EXPECT_EQ(o->default_scopes, std::vector<std::string>{"read_hotels"});
  EXPECT_TRUE(o->send_resource_indicator);
  auto no_resource = ParseAuthConfig(
      "issuer = \"http://x\"\nclient_id = \"a\"\nclient_secret_env = \"ZTA_TEST_CLIENT_SECRET\"\n"
      "send_resource_indicator = false\n");
  ASSERT_TRUE(no_resource.ok()) << no_resource.status();
  EXPECT_FALSE(no_resource->send_resource_indicator);
  EXPECT_FALSE(ParseAuthConfig("issuer = \"http://x\"\nclient_id = \"a\"\n"
                               "client_secret_env = \"ZTA_TEST_CLIENT_SECRET\"\n"
                               "send_resource_indicator = \"no\"\n")
                   .ok());
  // CIBA keys: the endpoint (else from metadata) and requested_expiry, 0..3600.
  const std::string base =
      "issuer = \"http://x\"\nclient_id = \"a\"\nclient_secret_env = \"ZTA_TEST_CLIENT_SECRET\"\n";
  auto ciba = ParseAuthConfig(base +
                              "backchannel_authentication_endpoint = \"http://x/bc-authorize\"\n"
                              "backchannel_requested_expiry_seconds = 300\n");
  ASSERT_TRUE(ciba.ok()) << ciba.status();
  EXPECT_EQ(ciba->backchannel_authentication_endpoint, "http://x/bc-authorize");
  EXPECT_EQ(ciba->backchannel_requested_expiry, 300);
  EXPECT_FALSE(ParseAuthConfig(base + "backchannel_requested_expiry_seconds = -1\n").ok());

  char path[] = "/tmp/zta-auth-key-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256, "k");
  std::ofstream(path) << key->ToPrivateJson().dump();
  auto k = ParseAuthConfig(std::string("issuer = \"http://x\"\nclient_id = \"a\"\n"
                                       "private_key_file = \"") +
                           path + "\"\n");
  unlink(path);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->auth_method, ClientAuthMethod::kPrivateKeyJwt);
  EXPECT_TRUE(k->private_key->has_private());

  EXPECT_FALSE(ParseAuthConfig("issuer = \"http://x\"\nclient_id = \"a\"\nclient_secret = \"x\"\n")
                   .ok());  // secrets never in the file
  EXPECT_FALSE(ParseAuthConfig("issuer = 3\n").ok());
  EXPECT_FALSE(ParseAuthConfig("issuer = \"http://x\"\nclient_id = \"a\"\n").ok());  // no secret
}

}  // namespace
}  // namespace zta::auth
