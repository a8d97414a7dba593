// libFuzzer target: arbitrary bytes as a compact JWS/JWT through ParseCompact, VerifyCompact,
// VerifyJwt and a caching JwtVerifier, checking that the verdicts agree with each other.
//
// Input: a compact token; or, when it starts with '{', "<header JSON>\n<payload>" which this
// target signs with a fixed key first, so the claim checks see arbitrary validly-signed claims.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "fuzz_keys.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jws.h"
#include "zta/jose/jwt.h"
#include "zta/jose/verify_error.h"

namespace zta::fuzz {
namespace {

using jose::Algorithm;

struct Env {
  jose::Jwks private_keys;
  std::shared_ptr<const jose::Jwks> public_keys;
  jose::JwsVerifyOptions jws_options;
  jose::JwtValidationOptions strict = StrictOptions();
  jose::JwtValidationOptions lax = LaxOptions();
  FakeClock clock{kNow};
  std::unique_ptr<jose::JwtVerifier> strict_verifier;  // large cache
  std::unique_ptr<jose::JwtVerifier> lax_verifier;     // tiny cache: eviction runs too
};

const Env& GetEnv() {
  static const Env* env = [] {
    auto* e = new Env;
    jose::JwkParseOptions sign;
    sign.role = jose::KeyRole::kSign;
    auto keys = jose::Jwks::ParseText(kPrivateJwks, sign);
    if (!keys.ok() || keys->size() != 3) InvariantFailed("fixed keys do not parse");
    e->private_keys = *keys;
    std::vector<jose::Jwk> pub;
    for (const auto& k : keys->keys()) pub.push_back(k.PublicKey());
    e->public_keys = std::make_shared<const jose::Jwks>(std::move(pub));
    e->jws_options.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
    e->strict_verifier = std::make_unique<jose::JwtVerifier>(e->strict, e->public_keys, e->clock);
    e->lax_verifier = std::make_unique<jose::JwtVerifier>(e->lax, e->public_keys, e->clock, 4);
    return e;
  }();
  return *env;
}

// Every refusal must carry a stable reason code (the audit log and the 401 rely on it).
void CheckRefusal(const Status& status, const char* who) {
  if (status.ok()) InvariantFailed(who, "refusal with an ok status");
  if (!jose::VerifyErrorOf(status).has_value()) InvariantFailed(who, status.ToString());
}

void CheckVerified(const jose::VerifiedJwt& v, const jose::JwtValidationOptions& o,
                   const char* who) {
  if (v.issuer != o.issuer) InvariantFailed(who, "accepted a foreign issuer");
  bool has_aud = false;
  for (const auto& a : v.audience) has_aud |= a == o.audience;
  if (!has_aud) InvariantFailed(who, "accepted a foreign audience");
  if (kNow >= v.expires_at + o.leeway_seconds) InvariantFailed(who, "accepted an expired token");
  if (!o.allowed_algorithms.Contains(v.alg)) InvariantFailed(who, "accepted a disallowed alg");
  for (const auto& s : o.required_scopes) {
    if (!v.HasScope(s)) InvariantFailed(who, "accepted a token without a required scope");
  }
}

void CheckToken(std::string_view token) {
  const Env& env = GetEnv();
  auto parsed = jose::ParseCompact(token, env.jws_options);
  if (!parsed.ok()) CheckRefusal(parsed.status(), "ParseCompact");
  auto compact = jose::VerifyCompact(token, *env.public_keys, env.jws_options);
  if (!compact.ok()) CheckRefusal(compact.status(), "VerifyCompact");
  if (compact.ok() && !parsed.ok()) InvariantFailed("VerifyCompact accepted an unparseable token");
  if (parsed.ok()) {
    auto key = jose::SelectKey(*parsed, *env.public_keys);
    if (key.ok() && !(*key)->CanUse(parsed->alg)) InvariantFailed("SelectKey: key cannot use alg");
  }

  struct Case {
    const jose::JwtValidationOptions& options;
    const jose::JwtVerifier& verifier;
    const char* name;
  };
  for (const Case& c : {Case{env.strict, *env.strict_verifier, "strict"},
                        Case{env.lax, *env.lax_verifier, "lax"}}) {
    auto direct = jose::VerifyJwt(token, *env.public_keys, c.options, kNow);
    if (direct.ok()) {
      CheckVerified(**direct, c.options, c.name);
      // A JWT is a JWS: its signature must verify on its own.
      if (!compact.ok()) InvariantFailed(c.name, "VerifyJwt accepted what VerifyCompact refused");
    } else {
      CheckRefusal(direct.status(), c.name);
    }
    // The caching verifier must agree, on a miss and again on a (possible) hit.
    for (int round = 0; round < 2; ++round) {
      auto cached = c.verifier.Verify(token);
      if (cached.ok() != direct.ok()) {
        InvariantFailed(c.name, direct.ok() ? "JwtVerifier refused what VerifyJwt accepted"
                                            : "JwtVerifier accepted what VerifyJwt refused");
      }
      if (cached.ok()) {
        CheckVerified(**cached, c.options, c.name);
        if ((*cached)->claims != (*direct)->claims) InvariantFailed(c.name, "cached claims differ");
      } else if (jose::VerifyErrorOf(cached.status()) != jose::VerifyErrorOf(direct.status())) {
        InvariantFailed(c.name, "JwtVerifier and VerifyJwt disagree on the reason");
      }
    }
  }
}

// "<header JSON>\n<payload>": sign the payload with the key the header's kid names (ES256 or
// EdDSA; RSA signing is too slow to fuzz with), then check the token.
void SignAndCheck(std::string_view input) {
  const Env& env = GetEnv();
  const size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return;
  auto header = ParseJsonStrict(input.substr(0, nl));
  if (!header.ok() || !header->is_object() || header->contains("alg")) return;
  const jose::Jwk* key = env.private_keys.FindByKid("fuzz-eddsa");
  Algorithm alg = Algorithm::kEdDSA;
  if (auto kid = header->find("kid"); kid != header->end() && *kid == "fuzz-es256") {
    key = env.private_keys.FindByKid("fuzz-es256");
    alg = Algorithm::kES256;
  }
  if (key == nullptr) InvariantFailed("fixed key missing");
  auto token = jose::SignCompact(alg, *key, input.substr(nl + 1), *header);
  if (!token.ok()) return;
  // What we signed must at least parse as a JWS and verify (claims may still be refused).
  auto compact = jose::VerifyCompact(*token, *env.public_keys, env.jws_options);
  if (!compact.ok()) {
    auto e = jose::VerifyErrorOf(compact.status());
    // A header kid naming no key, a crit/b64 member or an oversized token are legitimately
    // refused; a bad signature on a token we just signed is not.
    if (e == jose::VerifyError::kBadSignature || !e.has_value()) {
      InvariantFailed("SignCompact produced a token that does not verify",
                      compact.status().ToString());
    }
  }
  CheckToken(*token);
}

}  // namespace
}  // namespace zta::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty() && input.front() == '{') {
    zta::fuzz::SignAndCheck(input);
  } else {
    zta::fuzz::CheckToken(input);
  }
  return 0;
}
