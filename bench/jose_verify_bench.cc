// JWT verification speed of zta::jose beside its floor in the same run: one raw OpenSSL
// signature check per token (EVP_DigestVerify with a ready EVP_PKEY), for ES256, RS256 and EdDSA.
#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/base64url.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jws.h"
#include "zta/jose/jwt.h"

namespace zta::jose {
namespace {

// Fixed time so every verification in the run sees the same `now` (the token is valid at it).
constexpr int64_t kNow = 1'700'000'000;
constexpr char kIssuer[] = "https://idp.example.com";
constexpr char kAudience[] = "https://hotel.example.com/api";
// The algorithm whose cached rate is printed as cached_verify_per_s (the idp's default).
constexpr Algorithm kCachedSummaryAlg = Algorithm::kES256;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "jose_verify_bench: %s\n", what.c_str());
  std::exit(1);
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

std::string Member(const Json& jwk, const char* name) {
  if (!jwk.contains(name) || !jwk[name].is_string()) Die(std::string("JWK has no ") + name);
  Result<std::string> bytes = Base64UrlDecode(jwk[name].get<std::string>());
  if (!bytes.ok()) Die(std::string("JWK member ") + name + ": " + bytes.status().ToString());
  return *bytes;
}

// Builds the verification key straight from the public JWK's members with OpenSSL 3, so the
// baseline shares no code with the library under test beyond the exported JSON.
PkeyPtr PkeyFromPublicJwk(const Json& jwk) {
  const std::string kty = jwk.value("kty", "");
  if (kty == "OKP") {
    const std::string x = Member(jwk, "x");
    PkeyPtr pkey(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size()));
    if (!pkey) Die("EVP_PKEY_new_raw_public_key failed");
    return pkey;
  }
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      OSSL_PARAM_BLD_free);
  std::vector<std::unique_ptr<BIGNUM, decltype(&BN_free)>> bns;
  std::string point;
  const char* type = nullptr;
  if (kty == "EC") {
    type = "EC";
    point = "\x04" + Member(jwk, "x") + Member(jwk, "y");
    if (!OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                          point.size())) {
      Die("OSSL_PARAM_BLD for EC failed");
    }
  } else if (kty == "RSA") {
    type = "RSA";
    for (const char* name : {"n", "e"}) {
      const std::string bytes = Member(jwk, name);
      bns.emplace_back(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                 static_cast<int>(bytes.size()), nullptr),
                       BN_free);
      if (!bns.back()) Die("BN_bin2bn failed");
    }
    if (!OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bns[0].get()) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bns[1].get())) {
      Die("OSSL_PARAM_BLD for RSA failed");
    }
  } else {
    Die("unexpected kty " + kty);
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                 OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    Die("EVP_PKEY_fromdata failed for " + kty);
  }
  return PkeyPtr(raw);
}

// JOSE r‖s (RFC 7518 §3.4) to the DER ECDSA-Sig-Value OpenSSL verifies.
std::string EcdsaJoseToDer(const std::string& jose) {
  const size_t half = jose.size() / 2;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(jose.data()), half, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(jose.data()) + half, half, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    Die("ECDSA_SIG conversion failed");
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) Die("i2d_ECDSA_SIG failed");
  std::string out(reinterpret_cast<char*>(der), len);
  OPENSSL_free(der);
  return out;
}

// One algorithm's key, token and both verifiers, built once at startup.
struct Fixture {
  Algorithm alg;
  std::string token;
  std::shared_ptr<const Jwks> keys;
  JwtValidationOptions options;
  FakeClock clock{kNow};
  std::unique_ptr<JwtVerifier> cached_verifier;
  // Raw baseline inputs.
  PkeyPtr pkey;
  const EVP_MD* md = nullptr;  // NULL for EdDSA
  std::string signing_input;
  std::string signature;  // DER for ECDSA, as-is otherwise
};

std::unique_ptr<Fixture> MakeFixture(Algorithm alg) {
  auto f = std::make_unique<Fixture>();
  f->alg = alg;
  const std::string name(AlgorithmName(alg));
  Result<Jwk> key = Jwk::Generate(alg, "bench-" + name);
  if (!key.ok()) Die("Jwk::Generate(" + name + "): " + key.status().ToString());
  // RFC 9068 §2.2 access token with the claims a zta idp issues.
  Result<std::string> token = JwtBuilder()
                                  .Type("at+jwt")
                                  .Issuer(kIssuer)
                                  .Subject("agent-guest-assistant")
                                  .Audience(kAudience)
                                  .Claim("client_id", "agent-guest-assistant")
                                  .Scopes({"hotels:read", "bookings:create"})
                                  .Id("2b7f0c1e-6a4d-4f7e-9d3c-5b8a1e0f4c21")
                                  .IssuedAt(kNow - 10)
                                  .ExpiresAt(kNow + 290)
                                  .Sign(alg, *key);
  if (!token.ok()) Die("JwtBuilder::Sign(" + name + "): " + token.status().ToString());
  f->token = *token;
  // The verifier's key set comes from the published JWKS text, as a resource server gets it.
  const Json public_jwk = key->PublicKey().ToPublicJson();
  Result<Jwks> jwks = Jwks::ParseText(DumpJson(Json{{"keys", Json::array({public_jwk})}}));
  if (!jwks.ok()) Die("Jwks::ParseText(" + name + "): " + jwks.status().ToString());
  f->keys = std::make_shared<const Jwks>(std::move(jwks).value());

  f->options.issuer = kIssuer;
  f->options.audience = kAudience;
  f->options.allowed_algorithms = AlgorithmSet{alg};
  f->options.required_typ = "at+jwt";
  f->options.max_lifetime_seconds = 3600;
  f->options.required_scopes = {"hotels:read"};
  f->options.required_claims = {"sub", "client_id", "iat", "jti"};  // RFC 9068 §2.2
  if (Status s = f->options.Validate(); !s.ok()) Die("options: " + s.ToString());
  f->cached_verifier = std::make_unique<JwtVerifier>(f->options, f->keys, f->clock, 10'000);

  // The raw baseline: the exported public JWK, re-imported with OpenSSL alone.
  f->pkey = PkeyFromPublicJwk(public_jwk);
  const size_t dot = f->token.rfind('.');
  f->signing_input = f->token.substr(0, dot);
  Result<std::string> sig = Base64UrlDecode(std::string_view(f->token).substr(dot + 1));
  if (!sig.ok()) Die("signature decode: " + sig.status().ToString());
  switch (alg) {
    case Algorithm::kES256:
      f->md = EVP_sha256();
      f->signature = EcdsaJoseToDer(*sig);
      break;
    case Algorithm::kRS256:
      f->md = EVP_sha256();
      f->signature = *sig;
      break;
    case Algorithm::kEdDSA:
      f->md = nullptr;
      f->signature = *sig;
      break;
    default:
      Die("unsupported algorithm " + name);
  }
  return f;
}

bool RawVerify(const Fixture& f) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr &&
            EVP_DigestVerifyInit(ctx, nullptr, f.md, nullptr, f.pkey.get()) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(f.signature.data()),
                             f.signature.size(),
                             reinterpret_cast<const unsigned char*>(f.signing_input.data()),
                             f.signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

// Full verification: parse, select key, signature, every claim check.
void BM_VerifyJwt(benchmark::State& state, const Fixture* f) {
  for (auto _ : state) {
    auto verified = VerifyJwt(f->token, *f->keys, f->options, kNow);
    if (!verified.ok()) {
      state.SkipWithError(("VerifyJwt failed: " + verified.status().ToString()).c_str());
      break;
    }
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
}

// The floor: one signature check with a fresh context on an already-imported key.
void BM_RawOpenSSL(benchmark::State& state, const Fixture* f) {
  for (auto _ : state) {
    if (!RawVerify(*f)) {
      state.SkipWithError("EVP_DigestVerify failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// The same token again and again through JwtVerifier: every call after the first is a cache hit.
void BM_CachedVerify(benchmark::State& state, const Fixture* f) {
  for (auto _ : state) {
    auto verified = f->cached_verifier->Verify(f->token);
    if (!verified.ok()) {
      state.SkipWithError(("JwtVerifier::Verify failed: " + verified.status().ToString()).c_str());
      break;
    }
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
}

// Passes every report on to the display reporter the command line asked for and keeps each
// run's rate and errors, for the SUMMARY lines.
class RecordingReporter : public benchmark::BenchmarkReporter {
 public:
  explicit RecordingReporter(std::unique_ptr<benchmark::BenchmarkReporter> display)
      : display_(std::move(display)) {}

  bool ReportContext(const Context& context) override { return display_->ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) {
        errors_.push_back(run.benchmark_name() + ": " + run.error_message);
        continue;
      }
      if (run.run_type != Run::RT_Iteration || run.iterations == 0) continue;
      // One item per iteration; CPU time per iteration in seconds (as items_per_second uses).
      const double seconds = run.cpu_accumulated_time / static_cast<double>(run.iterations);
      if (seconds > 0) rates_[run.benchmark_name()] = 1.0 / seconds;
    }
    display_->ReportRuns(runs);
  }
  void Finalize() override { display_->Finalize(); }

  const std::map<std::string, double>& rates() const { return rates_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> display_;
  std::map<std::string, double> rates_;
  std::vector<std::string> errors_;
};

// The display reporter --benchmark_format and --benchmark_color ask for (Google Benchmark only
// builds its own when the caller passes none, and we pass one to record the runs).
std::unique_ptr<benchmark::BenchmarkReporter> DisplayReporter(int argc, char** argv,
                                                              bool* machine_readable) {
  std::string format = "console";
  bool color = isatty(fileno(stdout)) != 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--benchmark_format=")) format = arg.substr(19);
    if (arg == "--benchmark_color=false" || arg == "--benchmark_color=no") color = false;
  }
  *machine_readable = format == "json";
  if (format == "json") return std::make_unique<benchmark::JSONReporter>();
  using benchmark::ConsoleReporter;
  return std::make_unique<ConsoleReporter>(color ? ConsoleReporter::OO_ColorTabular
                                                 : ConsoleReporter::OO_Tabular);
}

int Main(int argc, char** argv) {
  std::vector<std::unique_ptr<Fixture>> fixtures;
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kRS256, Algorithm::kEdDSA}) {
    fixtures.push_back(MakeFixture(alg));
  }
  // Check every path once before timing anything, so a broken build fails loudly, not fast.
  for (const auto& f : fixtures) {
    const std::string name(AlgorithmName(f->alg));
    if (auto v = VerifyJwt(f->token, *f->keys, f->options, kNow); !v.ok()) {
      Die("VerifyJwt(" + name + ") failed: " + v.status().ToString());
    }
    if (!RawVerify(*f)) Die("raw EVP_DigestVerify(" + name + ") failed");
    if (auto v = f->cached_verifier->Verify(f->token); !v.ok()) {
      Die("JwtVerifier::Verify(" + name + ") failed: " + v.status().ToString());
    }
    // A flipped signature bit must be refused by both, or the comparison means nothing.
    std::string bad = f->token;
    bad.back() = bad.back() == 'A' ? 'B' : 'A';
    if (VerifyJwt(bad, *f->keys, f->options, kNow).ok()) Die(name + ": forged token accepted");
  }
  for (const auto& f : fixtures) {
    const std::string name(AlgorithmName(f->alg));
    benchmark::RegisterBenchmark(("BM_VerifyJwt/" + name).c_str(), BM_VerifyJwt, f.get());
    benchmark::RegisterBenchmark(("BM_RawOpenSSL/" + name).c_str(), BM_RawOpenSSL, f.get());
    benchmark::RegisterBenchmark(("BM_CachedVerify/" + name).c_str(), BM_CachedVerify, f.get());
  }

  bool machine_readable = false;
  RecordingReporter reporter(DisplayReporter(argc, argv, &machine_readable));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  for (const std::string& e : reporter.errors()) std::fprintf(stderr, "ERROR %s\n", e.c_str());
  if (!reporter.errors().empty()) return 1;

  // SUMMARY lines (see scripts/bench.sh), only for what actually ran (a filter may skip some);
  // on stderr when stdout carries JSON or CSV.
  const auto& rates = reporter.rates();
  std::cout.flush();
  std::FILE* out = machine_readable ? stderr : stdout;
  for (const auto& f : fixtures) {
    const std::string name(AlgorithmName(f->alg));
    auto full = rates.find("BM_VerifyJwt/" + name);
    auto raw = rates.find("BM_RawOpenSSL/" + name);
    if (full != rates.end() && raw != rates.end()) {
      std::fprintf(out, "SUMMARY verify_ratio %s %.2f\n", name.c_str(), full->second / raw->second);
    }
  }
  auto cached = rates.find("BM_CachedVerify/" + std::string(AlgorithmName(kCachedSummaryAlg)));
  if (cached != rates.end()) {
    std::fprintf(out, "SUMMARY cached_verify_per_s %lld\n", static_cast<long long>(cached->second));
  }
  return 0;
}

}  // namespace
}  // namespace zta::jose

int main(int argc, char** argv) { return zta::jose::Main(argc, argv); }
