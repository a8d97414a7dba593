// The token endpoint's CPU cost in process, without sockets or disk: AuthorizationServer::Handle
// for a client_credentials request (client_secret_basic, ES256), audit into a discarding sink,
// beside the raw ES256 signature it contains (OpenSSL EVP, same key type). Prints
//   SUMMARY idp_token_handle_us <µs per token>   SUMMARY idp_es256_sign_us <µs per signature>
// so the share of the endpoint that is not the signature is visible; and, in the same run, the
// authorization_code redemption with PKCE and an actor token (grant, refresh token and ID token
// stored and signed, SQLite included):
//   SUMMARY code_redeem_tokens_per_s <redemptions per second>   SUMMARY code_redeem_us <µs>
// and the RFC 8693 token exchange that makes a chain of depth 2 (user → agent A → agent B: B
// exchanges A's delegated token with its own actor token; subject checks read SQLite):
//   SUMMARY token_exchange_per_s <exchanges per second>   SUMMARY token_exchange_us <µs>
// `make bench-idp` measures the served endpoint over loopback against node-oidc-provider.
#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "zta/core/audit_sink.h"
#include "zta/core/base64url.h"
#include "zta/core/clock.h"
#include "zta/core/random.h"
#include "zta/core/sha256.h"
#include "zta/http/message.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/identity_provider.h"

namespace {

using namespace zta;

constexpr char kResource[] = "https://hotel.example/api";

struct Figures {
  double handle_us = 0, sign_us = 0, redeem_us = 0, exchange_us = 0;
  bool failed = false;
} g;

class Fixture {
 public:
  Fixture() {
    char tmpl[] = "/tmp/zta-idp-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    auto idp = idp::IdentityProvider::Open(dir_, idp::KeyManagerOptions{}, audit_,
                                           SystemClock::Instance());
    if (!idp.ok()) return;
    idp_ = std::move(*idp);
    if (!idp_->AddResource(kResource, {"read_hotels", "read_rooms"}, 0, true).ok()) return;
    idp::AgentSpec spec;
    spec.name = "bench-agent";
    spec.owner = "bench@example.com";
    spec.resource = kResource;
    spec.scopes = {"read_hotels", "read_rooms"};
    auto added = idp_->AddAgent(spec);
    if (!added.ok()) return;
    agent_id_ = (*added)["client_id"].get<std::string>();
    idp::AuthorizationServerOptions o;
    o.issuer = "http://127.0.0.1:8080";
    server_ = std::make_unique<idp::AuthorizationServer>(o, idp_->store(), idp_->keys(), audit_,
                                                         SystemClock::Instance());
    request_.method = "POST";
    request_.path = request_.target = "/token";
    request_.remote_address = "127.0.0.1";
    request_.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    request_.headers.Set(
        "Authorization",
        "Basic " + Base64Encode((*added)["client_id"].get<std::string>() + ":" +
                                (*added)["client_secret"].get<std::string>()));
    request_.body = http::FormEncode(
        {{"grant_type", "client_credentials"}, {"resource", kResource}, {"scope", "read_hotels"}});
    ok_ = true;
  }
  ~Fixture() {
    server_.reset();
    idp_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  bool ok() const { return ok_; }
  http::Response Issue() { return server_->Handle(request_); }

  // The delegated flow: a user, a confidential app, and codes as the consent page stores them
  // (the agent's own token, from Issue(), is the actor token).
  bool SetUpDelegation() {
    auto token = ParseJsonStrict(Issue().body);
    if (!token.ok() || !token->contains("access_token")) return false;
    actor_token_ = (*token)["access_token"].get<std::string>();
    idp::User user;
    user.id = "u-bench";
    user.username = "bench";
    if (!idp_->store().PutUser(user).ok()) return false;
    idp::App app;
    app.client_id = "app-bench";
    app.redirect_uris = {kRedirect};
    app_secret_ = *RandomToken(32);
    app.secret_digest = idp::DigestSecret(app_secret_);
    if (!idp_->store().PutApp(app).ok()) return false;
    // The server re-reads the registry every registry_refresh_millis (250 ms by default).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return true;
  }
  // A fresh code for the agent, valid 60 s.
  std::string PutCode() {
    std::string code = *RandomToken(32);
    idp::AuthorizationCode c;
    c.digest = idp::DigestSecret(code);
    c.app_id = "app-bench";
    c.redirect_uri = kRedirect;
    c.code_challenge = Base64UrlEncode(Sha256(kVerifier));
    c.user_id = "u-bench";
    c.agent_id = agent_id_;
    c.resource = kResource;
    c.scopes = {"openid", "read_hotels"};
    c.authorization_details = Json::array({{{"type", "hotel_booking"}, {"hotel_id", "h-1"}}});
    c.auth_time = SystemClock::Instance().NowSeconds();
    c.expires_at = c.auth_time + 60;
    return idp_->store().PutCode(c).ok() ? code : std::string();
  }
  http::Request RedeemRequest(const std::string& code) const {
    http::Request r = request_;
    r.headers.Set("Authorization", "Basic " + Base64Encode("app-bench:" + app_secret_));
    r.body = http::FormEncode({{"grant_type", "authorization_code"},
                               {"code", code},
                               {"redirect_uri", kRedirect},
                               {"code_verifier", kVerifier},
                               {"actor_token", actor_token_},
                               {"actor_token_type",
                                "urn:ietf:params:oauth:token-type:access_token"}});
    return r;
  }
  http::Response Handle(const http::Request& r) { return server_->Handle(r); }

  // Depth 2: the user's token with the bench agent as actor (one redemption), a second agent
  // with a delegation rule from the first, and its own token as the actor token.
  bool SetUpExchange() {
    if (!SetUpDelegation()) return false;
    auto redeemed = ParseJsonStrict(Handle(RedeemRequest(PutCode())).body);
    if (!redeemed.ok() || !redeemed->contains("access_token")) return false;
    subject_token_ = (*redeemed)["access_token"].get<std::string>();
    idp::AgentSpec spec;
    spec.name = "bench-booking-agent";
    spec.owner = "bench@example.com";
    spec.resource = kResource;
    spec.scopes = {"read_hotels", "read_rooms"};
    auto added = idp_->AddAgent(spec);
    if (!added.ok()) return false;
    std::string second = (*added)["client_id"].get<std::string>();
    second_basic_ =
        "Basic " + Base64Encode(second + ":" + (*added)["client_secret"].get<std::string>());
    idp::DelegationRuleSpec rule;
    rule.from = agent_id_;
    rule.to = second;
    if (!idp_->AddDelegationRule(rule).ok()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    http::Request own = request_;
    own.headers.Set("Authorization", second_basic_);
    auto token = ParseJsonStrict(Handle(own).body);
    if (!token.ok() || !token->contains("access_token")) return false;
    second_actor_token_ = (*token)["access_token"].get<std::string>();
    return true;
  }
  http::Request ExchangeRequest() const {
    constexpr char kAccessToken[] = "urn:ietf:params:oauth:token-type:access_token";
    http::Request r = request_;
    r.headers.Set("Authorization", second_basic_);
    r.body = http::FormEncode({{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                               {"subject_token", subject_token_},
                               {"subject_token_type", kAccessToken},
                               {"actor_token", second_actor_token_},
                               {"actor_token_type", kAccessToken}});
    return r;
  }

 private:
  std::string dir_;
  NullAuditSink audit_;
  std::unique_ptr<idp::IdentityProvider> idp_;
  std::unique_ptr<idp::AuthorizationServer> server_;
  http::Request request_;
  bool ok_ = false;
  std::string agent_id_, actor_token_, app_secret_;
  std::string subject_token_, second_basic_, second_actor_token_;
  static constexpr char kRedirect[] = "http://127.0.0.1:7777/callback";
  static constexpr char kVerifier[] = "dBjftJeZ4CVP-mJ0Z3Wz6XWOo9KwxAHmFH9_C7vVjBk";
};

void BM_TokenEndpointHandle(benchmark::State& state) {
  Fixture fixture;
  if (!fixture.ok()) {
    g.failed = true;
    state.SkipWithError("cannot set up the identity provider");
    return;
  }
  auto start = std::chrono::steady_clock::now();
  int64_t n = 0;
  for (auto _ : state) {
    http::Response r = fixture.Issue();
    if (r.status != 200) {
      g.failed = true;
      state.SkipWithError(("token request refused: " + r.body).c_str());
      return;
    }
    benchmark::DoNotOptimize(r);
    ++n;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.SetItemsProcessed(n);
  g.handle_us = seconds * 1e6 / static_cast<double>(n);
}
BENCHMARK(BM_TokenEndpointHandle)->Unit(benchmark::kMicrosecond);

// authorization_code + PKCE + actor_token redemption: the codes are stored before the clock
// starts (the consent page's work), the redemptions are timed (verify the actor token, consume
// the code, store the grant and refresh token, sign the access and ID tokens).
void BM_CodeRedeemHandle(benchmark::State& state) {
  Fixture fixture;
  if (!fixture.ok() || !fixture.SetUpDelegation()) {
    g.failed = true;
    state.SkipWithError("cannot set up the delegated flow");
    return;
  }
  double seconds = 0;
  int64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    http::Request request = fixture.RedeemRequest(fixture.PutCode());
    state.ResumeTiming();
    auto start = std::chrono::steady_clock::now();
    http::Response r = fixture.Handle(request);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r.status != 200) {
      g.failed = true;
      state.SkipWithError(("code redemption refused: " + r.body).c_str());
      return;
    }
    benchmark::DoNotOptimize(r);
    ++n;
  }
  state.SetItemsProcessed(n);
  if (n > 0) g.redeem_us = seconds * 1e6 / static_cast<double>(n);
}
BENCHMARK(BM_CodeRedeemHandle)->Unit(benchmark::kMicrosecond);

// Token exchange at depth 2, the same request each time (each answer is a new token).
void BM_TokenExchangeHandle(benchmark::State& state) {
  Fixture fixture;
  if (!fixture.ok() || !fixture.SetUpExchange()) {
    g.failed = true;
    state.SkipWithError("cannot set up the token exchange");
    return;
  }
  const http::Request request = fixture.ExchangeRequest();
  auto start = std::chrono::steady_clock::now();
  int64_t n = 0;
  for (auto _ : state) {
    http::Response r = fixture.Handle(request);
    if (r.status != 200) {
      g.failed = true;
      state.SkipWithError(("token exchange refused: " + r.body).c_str());
      return;
    }
    benchmark::DoNotOptimize(r);
    ++n;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.SetItemsProcessed(n);
  if (n > 0) g.exchange_us = seconds * 1e6 / static_cast<double>(n);
}
BENCHMARK(BM_TokenExchangeHandle)->Unit(benchmark::kMicrosecond);

// Baseline: one ES256 signature over a token-sized message with raw OpenSSL (key and context
// set up once, as the idp keeps them).
void BM_BaselineEs256Sign(benchmark::State& state) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  std::string message(420, 'x');
  unsigned char sig[128];
  auto start = std::chrono::steady_clock::now();
  int64_t n = 0;
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = sizeof sig;
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1) {
      g.failed = true;
      state.SkipWithError("EVP_DigestSign failed");
      EVP_MD_CTX_free(ctx);
      break;
    }
    EVP_MD_CTX_free(ctx);
    ++n;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EVP_PKEY_free(key);
  state.SetItemsProcessed(n);
  if (n > 0) g.sign_us = seconds * 1e6 / static_cast<double>(n);
}
BENCHMARK(BM_BaselineEs256Sign)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g.failed) {
    std::fprintf(stderr, "idp_bench: a token request failed; figures are not valid\n");
    return 1;
  }
  if (g.handle_us > 0) std::printf("SUMMARY idp_token_handle_us %.1f\n", g.handle_us);
  if (g.sign_us > 0) std::printf("SUMMARY idp_es256_sign_us %.1f\n", g.sign_us);
  if (g.redeem_us > 0) {
    std::printf("SUMMARY code_redeem_us %.1f\n", g.redeem_us);
    std::printf("SUMMARY code_redeem_tokens_per_s %.0f\n", 1e6 / g.redeem_us);
  }
  if (g.exchange_us > 0) {
    std::printf("SUMMARY token_exchange_us %.1f\n", g.exchange_us);
    std::printf("SUMMARY token_exchange_per_s %.0f\n", 1e6 / g.exchange_us);
  }
  return 0;
}
