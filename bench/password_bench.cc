// Argon2id password hashing with zta's default parameters (PasswordParams{}), beside the same
// computation called straight through libargon2 (the baseline: what zta adds is the salt, the
// PHC encoding and the checks). Prints
//   SUMMARY argon2_hash_ms <ms>              median of 7 HashPassword calls, default parameters
//   SUMMARY argon2_params m=<KiB>,t=<n>,p=<n>
//   SUMMARY argon2_verify_ms <ms>            median of 7 VerifyPassword calls
//   SUMMARY argon2_hash_over_raw <ratio>     HashPassword / raw argon2id_hash_raw
#include <argon2.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "zta/idp/password.h"

namespace {

using zta::Secret;
using zta::idp::PasswordParams;

bool g_failed = false;

void BM_HashPassword(benchmark::State& state) {
  Secret password("correct horse battery staple");
  for (auto _ : state) {
    auto phc = zta::idp::HashPassword(password);
    if (!phc.ok()) g_failed = true;
    benchmark::DoNotOptimize(phc);
  }
}
BENCHMARK(BM_HashPassword)->Unit(benchmark::kMillisecond);

void BM_BaselineRawArgon2id(benchmark::State& state) {
  const PasswordParams p;
  const std::string pwd = "correct horse battery staple";
  const std::string salt = "0123456789abcdef";
  unsigned char out[32];
  for (auto _ : state) {
    int rc = argon2id_hash_raw(p.iterations, p.memory_kib, p.parallelism, pwd.data(), pwd.size(),
                               salt.data(), salt.size(), out, sizeof out);
    if (rc != ARGON2_OK) g_failed = true;
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_BaselineRawArgon2id)->Unit(benchmark::kMillisecond);

template <typename F>
double MedianMs(F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < 7; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  const PasswordParams p;
  Secret password("correct horse battery staple");
  std::string phc;
  double hash_ms = MedianMs([&] {
    auto r = zta::idp::HashPassword(password);
    if (!r.ok())
      g_failed = true;
    else
      phc = *r;
  });
  double verify_ms = MedianMs([&] {
    auto r = zta::idp::VerifyPassword(password, phc);
    if (!r.ok() || !*r) g_failed = true;
  });
  double raw_ms = MedianMs([&] {
    unsigned char out[32];
    const std::string salt = "0123456789abcdef";
    if (argon2id_hash_raw(p.iterations, p.memory_kib, p.parallelism, password.Reveal().data(),
                          password.size(), salt.data(), salt.size(), out, sizeof out) != ARGON2_OK)
      g_failed = true;
  });
  if (g_failed) {
    std::fprintf(stderr, "password_bench: a hash or verification failed; figures are not valid\n");
    return 1;
  }
  std::printf("SUMMARY argon2_hash_ms %.1f\n", hash_ms);
  std::printf("SUMMARY argon2_params m=%u,t=%u,p=%u\n", p.memory_kib, p.iterations, p.parallelism);
  std::printf("SUMMARY argon2_verify_ms %.1f\n", verify_ms);
  std::printf("SUMMARY argon2_hash_over_raw %.2f\n", raw_ms > 0 ? hash_ms / raw_ms : 0.0);
  return 0;
}
