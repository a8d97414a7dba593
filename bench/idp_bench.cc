// The token endpoint's CPU cost in process, without sockets or disk: AuthorizationServer::Handle
// for a client_credentials request (client_secret_basic, ES256), audit into a discarding sink,
// beside the raw ES256 signature it contains (OpenSSL EVP, same key type). Prints
//   SUMMARY idp_token_handle_us <µs per token>   SUMMARY idp_es256_sign_us <µs per signature>
// so the share of the endpoint that is not the signature is visible. `make bench-idp` measures
// the served endpoint over loopback against node-oidc-provider.
#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "zta/core/audit_sink.h"
#include "zta/core/base64url.h"
#include "zta/core/clock.h"
#include "zta/http/message.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/identity_provider.h"

namespace {

using namespace zta;

constexpr char kResource[] = "https://hotel.example/api";

struct Figures {
  double handle_us = 0, sign_us = 0;
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

 private:
  std::string dir_;
  NullAuditSink audit_;
  std::unique_ptr<idp::IdentityProvider> idp_;
  std::unique_ptr<idp::AuthorizationServer> server_;
  http::Request request_;
  bool ok_ = false;
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
  return 0;
}
