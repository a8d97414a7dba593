// What DPoP costs the resource server (RFC 9449 §7.1), beside its baseline in the same run:
//   dpop_verify_ratio   guard checks/s of a DPoP request (token + proof) over the same kind of
//                       token sent as Bearer, both with the verified-token cache off, so each
//                       Bearer check is one ES256 verify and each DPoP check two (the token's
//                       and the proof's) plus the thumbprint and the replay cache: expect ~0.5
//   dpop_check_us, bearer_check_us   the two per-check times
// Proofs are made before the timed loop (each with its own jti, as a client would send), so
// signing is not measured; the SDK's signing cost is agent_bench's dpop_proof_sign_us.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include "run_time_recorder.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/guard/validator.h"
#include "zta/jose/dpop.h"
#include "zta/jose/jwt.h"

namespace zta {
namespace {

constexpr char kAudience[] = "https://hotel.example/api";
constexpr char kIssuer[] = "http://idp.example";
constexpr char kBase[] = "https://hotel.example";
constexpr int kChecks = 20'000;  // iterations of each benchmark: one proof each

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "dpop_bench: %s\n", what.c_str());
  std::exit(1);
}

struct Setup {
  jose::Jwk issuer_key = *jose::Jwk::Generate(jose::Algorithm::kES256, "k1");
  jose::Jwk client_key = *jose::Jwk::Generate(jose::Algorithm::kES256);
  NullAuditSink audit;
  std::unique_ptr<guard::Validator> validator;

  Setup() {
    const std::string jwks = DumpJson(Json{{"keys", Json::array({issuer_key.ToPublicJson()})}});
    guard::ValidatorOptions vo;
    guard::TrustedIssuer t;
    t.issuer = kIssuer;
    t.jwks_uri = std::string(kIssuer) + "/jwks";
    vo.issuers.push_back(t);
    vo.audience = kAudience;
    vo.public_base_url = kBase;
    vo.verified_token_cache_capacity = 0;  // uncached: every check verifies the token
    vo.dpop_replay_cache_entries = 4 * kChecks;
    auto v = guard::Validator::Create(vo, SystemClock::Instance(), audit,
                                      [jwks](const http::ClientRequest&) {
                                        http::Response r;
                                        r.body = jwks;
                                        return Result<http::Response>(r);
                                      });
    if (!v.ok()) Die(v.status().ToString());
    validator = std::move(v).value();
  }
  std::string Token(bool bound) {
    const int64_t now = SystemClock::Instance().NowSeconds();
    jose::JwtBuilder b;
    b.Type("at+jwt").Issuer(kIssuer).Subject("agent").Audience(kAudience).IssuedAt(now)
        .ExpiresAt(now + 3000).Id("bench-1").Claim("scope", "read_hotels");
    if (bound) b.Claim("cnf", Json{{"jkt", client_key.Thumbprint()}});
    auto token = b.Sign(jose::Algorithm::kES256, issuer_key);
    if (!token.ok()) Die("signing the token failed");
    return *token;
  }
};

Setup& Shared() {
  static Setup* setup = new Setup();
  return *setup;
}

http::Request Request(const std::string& authorization) {
  http::Request r;
  r.method = "GET";
  r.path = r.target = "/api/hotels";
  r.headers.Set("Host", "hotel.example");
  r.headers.Set("Authorization", authorization);
  return r;
}

void BM_GuardBearerUncached(benchmark::State& state) {
  Setup& s = Shared();
  http::Request request = Request("Bearer " + s.Token(false));
  for (auto _ : state) {
    auto p = s.validator->Authorize(request);
    if (!p.ok()) Die("bearer check refused: " + p.status().reason());
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_GuardBearerUncached)->Iterations(kChecks);

void BM_GuardDpopUncached(benchmark::State& state) {
  Setup& s = Shared();
  const std::string token = s.Token(true);
  std::vector<http::Request> requests;
  requests.reserve(kChecks);
  for (int i = 0; i < kChecks; ++i) {
    jose::DpopProofInput in;
    in.method = "GET";
    in.url = std::string(kBase) + "/api/hotels";
    in.issued_at = SystemClock::Instance().NowSeconds();
    in.access_token = token;
    auto proof = jose::CreateDpopProof(jose::Algorithm::kES256, s.client_key, in);
    if (!proof.ok()) Die("making a proof failed");
    http::Request r = Request("DPoP " + token);
    r.headers.Set("DPoP", *proof);
    requests.push_back(std::move(r));
  }
  size_t i = 0;
  for (auto _ : state) {
    auto p = s.validator->Authorize(requests[i++]);
    if (!p.ok()) Die("DPoP check refused: " + p.status().reason());
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_GuardDpopUncached)->Iterations(kChecks);


int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  bench::RunTimeRecorder reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  std::fflush(stdout);
  auto bearer = reporter.ns_.find("BM_GuardBearerUncached/iterations:20000");
  auto dpop = reporter.ns_.find("BM_GuardDpopUncached/iterations:20000");
  if (bearer != reporter.ns_.end() && dpop != reporter.ns_.end()) {
    std::printf("SUMMARY dpop_verify_ratio %.2f\n", bearer->second / dpop->second);
    std::printf("SUMMARY dpop_check_us %.1f bearer_check_us %.1f\n", dpop->second / 1000.0,
                bearer->second / 1000.0);
  }
  return 0;
}

}  // namespace
}  // namespace zta

int main(int argc, char** argv) { return zta::Main(argc, argv); }
