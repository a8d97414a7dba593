// Costs of the two halves of a protected call, each beside its baseline in the same run:
//   token_cache_hit_ns   AuthProvider::GetToken served from its cache (baseline: a bare
//                        mutex + hash map lookup + token copy)
//   guard_vs_open        requests/s of a hello endpoint on zta's HTTP server with Validator
//                        (verified-token cache on) over the same endpoint unprotected
//   gateway_vs_direct    requests/s through `zta gateway`'s Gateway over the upstream directly
//   gateway_blocking_vs_direct  the same with the blocking forward on two threads (baseline)
//   gateway_peak_rss_mb  peak resident memory of this process (gateway, upstream, issuer and
//                        load generator together: an upper bound for the gateway alone)
// The HTTP load comes from in-process keep-alive clients (libcurl via http::Send), because wrk
// is not a build dependency; both sides of each ratio use the same clients in the same run,
// interleaved in short rounds. Environment: BENCH_HTTP_SECONDS (per endpoint, default 4),
// BENCH_SKIP_HTTP=1 to run only the in-process benchmarks.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fake_token_endpoint.h"
#include "zta/auth/auth_provider.h"
#include "run_time_recorder.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/guard/gateway.h"
#include "zta/guard/validator.h"
#include "zta/http/client.h"
#include "zta/http/server.h"
#include "zta/jose/jwt.h"

namespace zta {
namespace {

constexpr char kAudience[] = "https://hotel.example/api";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "guard_bench: %s\n", what.c_str());
  std::exit(1);
}

// --- token cache hit -------------------------------------------------------------------------

std::unique_ptr<auth::AuthProvider> MakeProvider(const Clock& clock) {
  return bench::MakeFakeEndpointProvider("guard_bench", clock, "agent", kAudience);
}

void BM_TokenCacheHit(benchmark::State& state) {
  FakeClock clock;
  auto provider = MakeProvider(clock);
  auth::TokenRequest request;
  request.resource = kAudience;
  request.scopes = {"read_hotels", "read_rooms"};
  if (!provider->GetToken(request).ok()) Die("priming the cache failed");
  for (auto _ : state) {
    auto token = provider->GetToken(request);
    benchmark::DoNotOptimize(token);
  }
  if (provider->token_requests() != 1) Die("cache missed");
}
BENCHMARK(BM_TokenCacheHit);

// Baseline: the least a cache hit can cost — lock, hash lookup, copy of the token object.
void BM_CacheBaseline(benchmark::State& state) {
  std::mutex mu;
  std::unordered_map<std::string, auth::AccessToken> map;
  auth::AccessToken t;
  t.value = Secret(std::string(600, 'x'));
  t.scopes = {"read_hotels", "read_rooms"};
  const std::string key =
      std::string("http://idp.example\nagent\n\n") + kAudience + "\nread_hotels read_rooms ";
  map[key] = t;
  for (auto _ : state) {
    std::lock_guard lock(mu);
    auth::AccessToken copy = map.find(key)->second;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CacheBaseline);

// The validator alone (no HTTP): one cached token, as a hot endpoint sees it.
void BM_ValidatorAuthorize(benchmark::State& state) {
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256, "k1");
  const std::string jwks = DumpJson(Json{{"keys", Json::array({key->ToPublicJson()})}});
  SystemClock& clock = SystemClock::Instance();
  NullAuditSink audit;
  guard::ValidatorOptions vo;
  guard::TrustedIssuer t;
  t.issuer = "http://idp.example";
  t.jwks_uri = "http://idp.example/jwks";
  vo.issuers.push_back(t);
  vo.audience = kAudience;
  auto validator = guard::Validator::Create(vo, clock, audit, [jwks](const http::ClientRequest&) {
    http::Response r;
    r.body = jwks;
    return Result<http::Response>(r);
  });
  const int64_t now = clock.NowSeconds();
  auto token = jose::JwtBuilder()
                   .Type("at+jwt")
                   .Issuer("http://idp.example")
                   .Subject("agent")
                   .Audience(kAudience)
                   .IssuedAt(now)
                   .ExpiresAt(now + 3000)
                   .Id("bench-1")
                   .Claim("scope", "read_hotels")
                   .Sign(jose::Algorithm::kES256, *key);
  http::Request request;
  request.method = "GET";
  request.path = request.target = "/hello";
  request.headers.Set("Host", "127.0.0.1");
  request.headers.Set("Accept", "*/*");
  request.headers.Set("Authorization", "Bearer " + *token);
  const std::vector<std::string> need = {"read_hotels"};
  guard::AuthorizeOptions o;
  o.required_scopes = need;
  for (auto _ : state) {
    auto p = (*validator)->Authorize(request, o);
    if (!p.ok()) state.SkipWithError(p.status().ToString().c_str());
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_ValidatorAuthorize);

// --- HTTP load -------------------------------------------------------------------------------

// Requests/s from `clients` keep-alive threads for `seconds`; every answer must be 200.
double Load(const std::string& url, const std::string& token, int clients, double seconds) {
  std::atomic<int64_t> done{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&] {
      http::ClientRequest r;
      r.url = url;
      if (!token.empty()) r.headers.Set("Authorization", "Bearer " + token);
      while (!stop.load(std::memory_order_relaxed)) {
        auto response = http::Send(r);
        if (!response.ok() || response->status != 200) ++errors;
        ++done;
      }
    });
  }
  auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (errors > 0) Die(url + ": " + std::to_string(errors.load()) + " requests failed");
  return static_cast<double>(done.load()) / elapsed;
}

double PeakRssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return 0;
}

std::unique_ptr<http::HttpServer> Serve(http::Handler handler, int threads = 1) {
  http::ServerOptions o;
  o.threads = threads;
  auto server = http::HttpServer::Start(o, std::move(handler));
  if (!server.ok()) Die(server.status().ToString());
  return std::move(server).value();
}

void HttpSummaries(std::FILE* out) {
  const double seconds = std::getenv("BENCH_HTTP_SECONDS") != nullptr
                             ? std::atof(std::getenv("BENCH_HTTP_SECONDS"))
                             : 4.0;
  const int clients = 2;
  auto key = jose::Jwk::Generate(jose::Algorithm::kES256, "k1");
  const std::string jwks = DumpJson(Json{{"keys", Json::array({key->ToPublicJson()})}});
  auto issuer = Serve([jwks](const http::Request&) {
    http::Response r;
    r.headers.Set("Content-Type", "application/json");
    r.body = jwks;
    return r;
  });
  auto hello = [](const http::Request&) { return http::Response::Text(200, "hello\n"); };
  auto upstream = Serve(hello, 1);

  SystemClock& clock = SystemClock::Instance();
  NullAuditSink audit;
  guard::ValidatorOptions vo;
  guard::TrustedIssuer t;
  t.issuer = issuer->BaseUrl();
  t.jwks_uri = issuer->BaseUrl() + "/jwks";
  t.allowed_algorithms = {jose::Algorithm::kES256};
  vo.issuers.push_back(t);
  vo.audience = kAudience;
  auto validator = guard::Validator::Create(vo, clock, audit);
  if (!validator.ok()) Die(validator.status().ToString());
  const std::vector<std::string> need = {"read_hotels"};
  guard::Validator* v = validator->get();
  auto protected_server = Serve([v, &need](const http::Request& r) {
    guard::AuthorizeOptions o;
    o.required_scopes = need;
    auto p = v->Authorize(r, o);
    if (!p.ok()) return v->DenialResponse(p.status(), need);
    return http::Response::Text(200, "hello\n");
  });

  guard::GatewayOptions go;
  go.validator = vo;
  go.upstream = upstream->BaseUrl();
  go.routes.push_back(*guard::ParseRoute("GET /hello read_hotels"));
  auto gateway = guard::Gateway::Create(go, clock, audit);
  if (!gateway.ok()) Die(gateway.status().ToString());
  guard::Gateway* g = gateway->get();
  // Served as `zta gateway` serves: asynchronously, the upstream call on the gateway's
  // AsyncClient, with the server's default I/O threads.
  auto gateway_started = http::HttpServer::StartAsync(
      {}, [g](const http::Request& r, http::Respond respond) { g->HandleAsync(r, std::move(respond)); });
  if (!gateway_started.ok()) Die(gateway_started.status().ToString());
  auto gateway_server = std::move(gateway_started).value();
  // Baseline in the same run: the same gateway forwarding with the blocking client on two
  // server threads, as it did before forwarding became asynchronous. Faster with two fast
  // clients (no thread hop), but one slow upstream call holds a thread (docs/gateway.md).
  auto blocking_server = Serve([g](const http::Request& r) { return g->Handle(r); }, 2);

  const int64_t now = clock.NowSeconds();
  auto token = jose::JwtBuilder()
                   .Type("at+jwt")
                   .Issuer(issuer->BaseUrl())
                   .Subject("agent")
                   .Audience(kAudience)
                   .IssuedAt(now)
                   .ExpiresAt(now + 3000)
                   .Id("bench-1")
                   .Claim("scope", "read_hotels")
                   .Sign(jose::Algorithm::kES256, *key);

  // The same request, Authorization header included, to every endpoint: the unprotected one
  // ignores it, so the ratios isolate what validation and proxying cost. The three are measured
  // in interleaved short rounds and each ratio is the median of its per-round ratios, because
  // the machine is shared and its load drifts within seconds.
  constexpr int kRounds = 7;
  std::vector<double> guard_ratios, gateway_ratios, blocking_ratios;
  double open = 0, guarded = 0, through = 0, blocking = 0;
  for (int round = 0; round < kRounds; ++round) {
    const double o = Load(upstream->BaseUrl() + "/hello", *token, clients, seconds / kRounds);
    const double p = Load(protected_server->BaseUrl() + "/hello", *token, clients,
                          seconds / kRounds);
    const double g = Load(gateway_server->BaseUrl() + "/hello", *token, clients,
                          seconds / kRounds);
    const double b = Load(blocking_server->BaseUrl() + "/hello", *token, clients,
                          seconds / kRounds);
    guard_ratios.push_back(p / o);
    gateway_ratios.push_back(g / o);
    blocking_ratios.push_back(b / o);
    open += o / kRounds;
    guarded += p / kRounds;
    through += g / kRounds;
    blocking += b / kRounds;
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::fprintf(stderr, "http rps: open %.0f, guarded %.0f, gateway %.0f, gateway blocking %.0f\n",
               open, guarded, through, blocking);
  std::fprintf(out, "SUMMARY guard_vs_open %.2f\n", median(guard_ratios));
  std::fprintf(out, "SUMMARY gateway_vs_direct %.2f\n", median(gateway_ratios));
  std::fprintf(out, "SUMMARY gateway_blocking_vs_direct %.2f\n", median(blocking_ratios));
  std::fprintf(out, "SUMMARY gateway_peak_rss_mb %.1f\n", PeakRssMb());
}

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  bench::RunTimeRecorder reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  std::cout.flush();
  std::FILE* out = stdout;
  if (auto it = reporter.ns_.find("BM_TokenCacheHit"); it != reporter.ns_.end()) {
    std::fprintf(out, "SUMMARY token_cache_hit_ns %.0f\n", it->second);
  }
  if (auto it = reporter.ns_.find("BM_CacheBaseline"); it != reporter.ns_.end()) {
    std::fprintf(out, "SUMMARY token_cache_baseline_ns %.0f\n", it->second);
  }
  if (auto it = reporter.ns_.find("BM_ValidatorAuthorize"); it != reporter.ns_.end()) {
    std::fprintf(out, "SUMMARY guard_authorize_cached_ns %.0f\n", it->second);
  }
  if (std::getenv("BENCH_SKIP_HTTP") == nullptr) HttpSummaries(out);
  return 0;
}

}  // namespace
}  // namespace zta

int main(int argc, char** argv) { return zta::Main(argc, argv); }
