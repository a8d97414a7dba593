// libFuzzer target: arbitrary bytes as JWK / JWKS JSON through Jwk::ParseText, Jwks::ParseText
// and Jwks::ParseKeyOrSet under every JwkParseOptions; every key that parses must round-trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "zta/core/json.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/jwk.h"
#include "zta/jose/verify_error.h"

namespace zta::fuzz {
namespace {

using jose::Jwk;
using jose::JwkParseOptions;
using jose::Jwks;
using jose::KeyRole;
using jose::KeyType;

constexpr jose::Algorithm kAllAlgorithms[] = {
    jose::Algorithm::kHS256, jose::Algorithm::kHS384, jose::Algorithm::kHS512,
    jose::Algorithm::kRS256, jose::Algorithm::kRS384, jose::Algorithm::kRS512,
    jose::Algorithm::kPS256, jose::Algorithm::kPS384, jose::Algorithm::kPS512,
    jose::Algorithm::kES256, jose::Algorithm::kES384, jose::Algorithm::kES512,
    jose::Algorithm::kEdDSA,
};

void CheckRefusal(const Status& status, const char* who) {
  if (!jose::VerifyErrorOf(status).has_value()) InvariantFailed(who, status.ToString());
}

void CheckSameKey(const Jwk& a, const Jwk& b, const char* who) {
  if (a.kty() != b.kty() || a.crv() != b.crv() || a.kid() != b.kid() || a.alg() != b.alg() ||
      a.rsa_bits() != b.rsa_bits()) {
    InvariantFailed(who, "re-parsed key differs");
  }
  if (a.Thumbprint() != b.Thumbprint()) InvariantFailed(who, "thumbprint changed");
  for (auto alg : kAllAlgorithms) {
    if (a.CanUse(alg) != b.CanUse(alg)) InvariantFailed(who, "CanUse changed");
  }
}

// The exported forms of a parsed key must parse again, to the same key.
void RoundTrip(const Jwk& key, const JwkParseOptions& options) {
  if (key.kty() == KeyType::kOct) {
    // A symmetric key has no public form; its private form needs allow_symmetric.
    JwkParseOptions sym{KeyRole::kSign, true};
    auto again = Jwk::Parse(key.ToPrivateJson(), sym);
    if (!again.ok())
      InvariantFailed("oct ToPrivateJson does not re-parse", again.status().ToString());
    CheckSameKey(key, *again, "oct private round trip");
    return;
  }
  const Jwk pub = key.PublicKey();
  if (pub.has_private()) InvariantFailed("PublicKey() kept private members");
  const Json pub_json = key.ToPublicJson();
  JwkParseOptions verify{KeyRole::kVerify, options.allow_symmetric};
  auto again = Jwk::ParseText(DumpJson(pub_json), verify);
  if (!again.ok()) InvariantFailed("ToPublicJson does not re-parse", again.status().ToString());
  CheckSameKey(key, *again, "public round trip");
  if (again->ToPublicJson() != pub_json) InvariantFailed("ToPublicJson not stable");
  if (key.has_private()) {
    JwkParseOptions sign{KeyRole::kSign, options.allow_symmetric};
    auto priv = Jwk::Parse(key.ToPrivateJson(), sign);
    if (!priv.ok()) InvariantFailed("ToPrivateJson does not re-parse", priv.status().ToString());
    CheckSameKey(key, *priv, "private round trip");
  }
}

void CheckSet(const Jwks& set, const JwkParseOptions& options) {
  if (set.empty()) InvariantFailed("Jwks parsed with no keys (no_key expected)");
  bool any_oct = false;
  for (const Jwk& key : set.keys()) {
    // An oct key is all secret; allow_symmetric is what admits it, whatever the role.
    if (options.role == KeyRole::kVerify && key.has_private() && key.kty() != KeyType::kOct) {
      InvariantFailed("verification set holds a private key");
    }
    if (options.role == KeyRole::kSign && !key.has_private()) {
      InvariantFailed("signing set holds a public-only key");
    }
    if (!options.allow_symmetric && key.kty() == KeyType::kOct) {
      InvariantFailed("symmetric key accepted without allow_symmetric");
    }
    any_oct |= key.kty() == KeyType::kOct;
    if (!key.kid().empty() && set.FindByKid(key.kid()) != &key) {
      InvariantFailed("FindByKid does not find the key with that kid");
    }
    RoundTrip(key, options);
  }
  if (!any_oct) {
    JwkParseOptions verify{KeyRole::kVerify, options.allow_symmetric};
    auto again = Jwks::Parse(set.ToPublicJson(), verify);
    if (!again.ok() || again->size() != set.size()) {
      InvariantFailed("Jwks::ToPublicJson does not re-parse to the same set");
    }
  }
}

}  // namespace
}  // namespace zta::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zta::fuzz;  // NOLINT: fuzz entry point
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (KeyRole role : {KeyRole::kVerify, KeyRole::kSign}) {
    for (bool allow_symmetric : {false, true}) {
      const JwkParseOptions options{role, allow_symmetric};
      auto key = Jwk::ParseText(text, options);
      if (key.ok()) {
        if (role == KeyRole::kVerify && key->has_private() && key->kty() != KeyType::kOct) {
          InvariantFailed("kVerify parse kept a private key");
        }
        if (role == KeyRole::kSign && !key->has_private()) {
          InvariantFailed("kSign parse accepted a public-only key");
        }
        if (!allow_symmetric && key->kty() == KeyType::kOct) {
          InvariantFailed("symmetric key accepted without allow_symmetric");
        }
        RoundTrip(*key, options);
      } else {
        CheckRefusal(key.status(), "Jwk::ParseText");
      }
      auto set = Jwks::ParseText(text, options);
      if (set.ok()) {
        CheckSet(*set, options);
      } else {
        CheckRefusal(set.status(), "Jwks::ParseText");
      }
      auto either = Jwks::ParseKeyOrSet(text, options);
      if (either.ok()) CheckSet(*either, options);
    }
  }
  return 0;
}
