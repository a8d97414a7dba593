// What the fuzz targets and the seed-corpus generator share: a fixed time, issuer, audience and
// the validation options tokens are checked against. Test-only; not part of any library.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "zta/jose/algorithm.h"
#include "zta/jose/jwt.h"

namespace zta::fuzz {

// Every verification happens at this instant, so a crash reproduces whatever the date.
inline constexpr int64_t kNow = 1'700'000'000;
inline constexpr char kIssuer[] = "https://idp.example.com";
inline constexpr char kAudience[] = "https://hotel.example.com/api";

// What a guard in front of the hotel API checks (RFC 9068 §4).
inline jose::JwtValidationOptions StrictOptions() {
  jose::JwtValidationOptions o;
  o.issuer = kIssuer;
  o.audience = kAudience;
  o.allowed_algorithms = {jose::Algorithm::kES256, jose::Algorithm::kRS256,
                          jose::Algorithm::kEdDSA};
  o.required_typ = "at+jwt";
  o.max_lifetime_seconds = 3600;
  o.required_scopes = {"hotels:read"};
  o.required_claims = {"sub", "client_id", "iat", "jti"};
  return o;
}

// The minimum: issuer, audience, exp, any asymmetric algorithm.
inline jose::JwtValidationOptions LaxOptions() {
  jose::JwtValidationOptions o;
  o.issuer = kIssuer;
  o.audience = kAudience;
  o.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  return o;
}

// An invariant the library promises was broken: report it and crash so libFuzzer keeps the
// input.
[[noreturn]] inline void InvariantFailed(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "FUZZ INVARIANT FAILED: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

}  // namespace zta::fuzz
