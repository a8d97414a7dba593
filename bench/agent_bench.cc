// What zero trust costs a tool call: SecureFunctionTool::Invoke with a warm AuthProvider token
// cache, beside a plain FunctionTool with the same handler and arguments in the same run.
//   secure_tool_overhead_ns   median(secure) - median(plain): the just-in-time token (cache hit),
//                             the token request, handing the token over and scrubbing the result
//                             (target <= 5000)
//   function_tool_ns          median(plain): schema validation + the handler (the tool's own work)
//   dpop_proof_sign_us        median DpopKey::Proof (ES256, with ath and a nonce): what a
//                             DPoP-bound token adds to each request (RFC 9449 §7.1)
//   dpop_proof_sign_over_raw  that / median raw jose::Sign ES256 of an input of the proof's
//                             signing-input size (the floor: one ECDSA signature)
// The token endpoint is an in-process fake (the cache is primed before timing; the benchmark
// fails if the cache ever misses). Medians of repetitions, so one noisy run on a shared machine
// does not decide the figure.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <unordered_map>

#include "zta/agent/tool.h"
#include "fake_token_endpoint.h"
#include "zta/auth/auth_provider.h"
#include "zta/auth/dpop_key.h"
#include "zta/core/clock.h"
#include "zta/jose/jws.h"
#include "zta/jose/jwt.h"

namespace zta {
namespace {

constexpr char kResource[] = "https://hotel.example/api";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "agent_bench: %s\n", what.c_str());
  std::exit(1);
}

std::unique_ptr<auth::AuthProvider> MakeProvider(const Clock& clock) {
  return bench::MakeFakeEndpointProvider("agent_bench", clock, "hotel-agent", kResource);
}

agent::Schema Parameters() {
  return agent::Schema::Object()
      .Property("city", agent::Schema::String("City name").MinLength(1))
      .Property("guests", agent::Schema::Integer().Minimum(1).Maximum(8));
}

// The tool's own work, identical for both tools: what a search handler returns from a cache.
Result<Json> Handler(const Json& args, agent::ToolContext&) {
  Json hotels = Json::array();
  for (int i = 0; i < 3; ++i) {
    std::string n = std::to_string(i);  // (not "h" + n: GCC 12 warns falsely on that form)
    hotels.push_back({{"id", std::string("h").append(n)},
                      {"name", std::string("Hotel ").append(n)},
                      {"city", args["city"]},
                      {"rooms_free", args["guests"].get<int>() + i}});
  }
  return Json{{"hotels", std::move(hotels)}};
}

const Json& Args() {
  static const Json args = {{"city", "Paris"}, {"guests", 2}};
  return args;
}

void BM_FunctionTool(benchmark::State& state) {
  agent::FunctionTool tool("search_hotels", "Search hotels", Parameters(), Handler);
  for (auto _ : state) {
    agent::ToolContext context;
    agent::ToolOutcome outcome = tool.Invoke(Args(), context);
    benchmark::DoNotOptimize(outcome);
    if (outcome.status != agent::ToolStatus::kOk) state.SkipWithError("plain tool failed");
  }
}

void BM_SecureFunctionTool(benchmark::State& state) {
  FakeClock clock;
  auto provider = MakeProvider(clock);
  agent::SecureFunctionTool tool("search_hotels", "Search hotels", Parameters(),
                                 agent::ToolRequirement{kResource, {"read_hotels"}}, *provider,
                                 Handler);
  {
    agent::ToolContext warm;
    if (tool.Invoke(Args(), warm).status != agent::ToolStatus::kOk) Die("priming failed");
  }
  for (auto _ : state) {
    agent::ToolContext context;
    agent::ToolOutcome outcome = tool.Invoke(Args(), context);
    benchmark::DoNotOptimize(outcome);
    if (outcome.status != agent::ToolStatus::kOk) state.SkipWithError("secure tool failed");
  }
  if (provider->token_requests() != 1) Die("the token cache missed: the figure would be wrong");
}

constexpr char kApiUrl[] = "https://hotel.example/api/bookings";
// The size of a small JWT access token (only its hash goes into the proof).
constexpr char kBoundToken[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXNpZ24";

std::shared_ptr<auth::DpopKey> BenchDpopKey(const Clock& clock) {
  auto key = auth::DpopKey::Generate(clock);
  if (!key.ok()) Die("DPoP key: " + key.status().ToString());
  (*key)->RememberNonce(kApiUrl, "1700000.c2VydmVyLW5vbmNlLW1hYy1zZXJ2ZXItbm9uY2UtbWFj");
  return *key;
}

// One proof as a bound tool request makes it: htm, htu, iat, jti, ath and the server's nonce.
void BM_DpopProof(benchmark::State& state) {
  FakeClock clock;
  auto key = BenchDpopKey(clock);
  for (auto _ : state) {
    auto proof = key->Proof("POST", kApiUrl, kBoundToken);
    if (!proof.ok()) state.SkipWithError("proof failed");
    benchmark::DoNotOptimize(proof);
  }
}

// The baseline: one ES256 signature over as many bytes as a proof's signing input.
void BM_RawEs256Sign(benchmark::State& state) {
  FakeClock clock;
  auto key = BenchDpopKey(clock);
  auto sample = key->Proof("POST", kApiUrl, kBoundToken);
  if (!sample.ok()) Die("proof failed");
  const std::string input(sample->substr(0, sample->rfind('.')).size(), 'a');
  auto jwk = jose::Jwk::Generate(jose::Algorithm::kES256);
  if (!jwk.ok()) Die("ES256 key");
  for (auto _ : state) {
    auto signature = jose::Sign(jose::Algorithm::kES256, *jwk, input);
    if (!signature.ok()) state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(signature);
  }
}

// Repetitions, reported as medians: a burst of load from a neighbour moves one repetition, not
// the figure.
BENCHMARK(BM_FunctionTool)->Repetitions(5);
BENCHMARK(BM_SecureFunctionTool)->Repetitions(5);
BENCHMARK(BM_DpopProof)->Repetitions(5);
BENCHMARK(BM_RawEs256Sign)->Repetitions(5);

// Keeps the median real time per iteration of each benchmark for the SUMMARY lines.
// Colour only on a terminal: a colour reset would otherwise start the first SUMMARY line, and
// scripts/bench.sh (which pipes through tee) would not find it.
class Recorder : public benchmark::ConsoleReporter {
 public:
  Recorder() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.error_occurred) continue;
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
        median_ns_[run.run_name.function_name] = run.GetAdjustedRealTime();
      } else if (run.run_type == Run::RT_Iteration) {
        // Without repetitions (e.g. --benchmark_repetitions=1) the single run is the figure.
        median_ns_.try_emplace(run.run_name.function_name, run.GetAdjustedRealTime());
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::unordered_map<std::string, double> median_ns_;
};

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Recorder reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  std::cout.flush();
  auto plain = reporter.median_ns_.find("BM_FunctionTool");
  auto secure = reporter.median_ns_.find("BM_SecureFunctionTool");
  if (plain != reporter.median_ns_.end() && secure != reporter.median_ns_.end()) {
    std::printf("SUMMARY secure_tool_overhead_ns %.0f\n", secure->second - plain->second);
    std::printf("SUMMARY function_tool_ns %.0f\n", plain->second);
  }
  auto proof = reporter.median_ns_.find("BM_DpopProof");
  auto raw = reporter.median_ns_.find("BM_RawEs256Sign");
  if (proof != reporter.median_ns_.end() && raw != reporter.median_ns_.end() && raw->second > 0) {
    std::printf("SUMMARY dpop_proof_sign_us %.1f\n", proof->second / 1000.0);
    std::printf("SUMMARY dpop_proof_sign_over_raw %.2f\n", proof->second / raw->second);
  }
  return 0;
}

}  // namespace
}  // namespace zta

int main(int argc, char** argv) { return zta::Main(argc, argv); }
