// The algorithm table: each JWS alg bound to exactly one key type, curve, hash and padding.
#include "zta/jose/algorithm.h"

#include <array>

namespace zta::jose {
namespace {

// RFC 7518 §3.1 names; RFC 8037 §3.1 for EdDSA (Ed25519 only here).
constexpr std::array<AlgorithmSpec, kAlgorithmCount> kSpecs = {{
    {Algorithm::kHS256, "HS256", KeyType::kOct, Curve::kNone, HashAlg::kSha256, Padding::kNone, 0, 32},
    {Algorithm::kHS384, "HS384", KeyType::kOct, Curve::kNone, HashAlg::kSha384, Padding::kNone, 0, 48},
    {Algorithm::kHS512, "HS512", KeyType::kOct, Curve::kNone, HashAlg::kSha512, Padding::kNone, 0, 64},
    {Algorithm::kRS256, "RS256", KeyType::kRSA, Curve::kNone, HashAlg::kSha256, Padding::kPkcs1, 0, 0},
    {Algorithm::kRS384, "RS384", KeyType::kRSA, Curve::kNone, HashAlg::kSha384, Padding::kPkcs1, 0, 0},
    {Algorithm::kRS512, "RS512", KeyType::kRSA, Curve::kNone, HashAlg::kSha512, Padding::kPkcs1, 0, 0},
    {Algorithm::kPS256, "PS256", KeyType::kRSA, Curve::kNone, HashAlg::kSha256, Padding::kPss, 0, 0},
    {Algorithm::kPS384, "PS384", KeyType::kRSA, Curve::kNone, HashAlg::kSha384, Padding::kPss, 0, 0},
    {Algorithm::kPS512, "PS512", KeyType::kRSA, Curve::kNone, HashAlg::kSha512, Padding::kPss, 0, 0},
    {Algorithm::kES256, "ES256", KeyType::kEC, Curve::kP256, HashAlg::kSha256, Padding::kNone, 64, 0},
    {Algorithm::kES384, "ES384", KeyType::kEC, Curve::kP384, HashAlg::kSha384, Padding::kNone, 96, 0},
    {Algorithm::kES512, "ES512", KeyType::kEC, Curve::kP521, HashAlg::kSha512, Padding::kNone, 132, 0},
    {Algorithm::kEdDSA, "EdDSA", KeyType::kOKP, Curve::kEd25519, HashAlg::kNone, Padding::kNone, 64, 0},
}};

}  // namespace

const AlgorithmSpec& Spec(Algorithm alg) { return kSpecs[static_cast<size_t>(alg)]; }

std::string_view AlgorithmName(Algorithm alg) { return Spec(alg).name; }

std::optional<Algorithm> AlgorithmFromName(std::string_view name) {
  for (const auto& spec : kSpecs) {
    if (spec.name == name) return spec.alg;
  }
  return std::nullopt;
}

std::string_view KeyTypeName(KeyType kty) {
  switch (kty) {
    case KeyType::kEC: return "EC";
    case KeyType::kRSA: return "RSA";
    case KeyType::kOKP: return "OKP";
    case KeyType::kOct: return "oct";
  }
  return "";
}

std::string_view CurveName(Curve crv) {
  switch (crv) {
    case Curve::kNone: return "";
    case Curve::kP256: return "P-256";
    case Curve::kP384: return "P-384";
    case Curve::kP521: return "P-521";
    case Curve::kEd25519: return "Ed25519";
  }
  return "";
}

std::string AlgorithmSet::ToString() const {
  std::string out;
  for (const auto& spec : kSpecs) {
    if (!Contains(spec.alg)) continue;
    if (!out.empty()) out += ',';
    out += spec.name;
  }
  return out;
}

Result<AlgorithmSet> AlgorithmSet::Parse(std::string_view list) {
  AlgorithmSet set;
  size_t i = 0;
  while (i < list.size()) {
    size_t j = list.find_first_of(", ", i);
    if (j == std::string_view::npos) j = list.size();
    std::string_view name = list.substr(i, j - i);
    if (!name.empty()) {
      auto alg = AlgorithmFromName(name);
      if (!alg) {
        return Status(StatusCode::kInvalidArgument,
                      "unknown or forbidden algorithm '" + std::string(name) + "'",
                      "alg_not_allowed");
      }
      set.Add(*alg);
    }
    i = j + 1;
  }
  if (set.empty()) return InvalidArgument("empty algorithm list");
  return set;
}

AlgorithmSet AlgorithmSet::Asymmetric() {
  AlgorithmSet set;
  for (const auto& spec : kSpecs) {
    if (spec.key_type != KeyType::kOct) set.Add(spec.alg);
  }
  return set;
}

}  // namespace zta::jose
