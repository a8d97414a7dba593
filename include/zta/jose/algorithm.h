// JWS algorithms (RFC 7518 §3, RFC 8037 §3.1) and the one table that binds each to exactly one
// key type, curve, hash and padding. Verification never trusts the token to pick any of these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zta/core/status.h"

namespace zta::jose {

enum class Algorithm : uint8_t {
  kHS256, kHS384, kHS512,  // HMAC (RFC 7518 §3.2): only with an explicitly configured secret
  kRS256, kRS384, kRS512,  // RSASSA-PKCS1-v1_5 (§3.3)
  kPS256, kPS384, kPS512,  // RSASSA-PSS, MGF1 with the same hash, salt = hash length (§3.5)
  kES256, kES384, kES512,  // ECDSA, r‖s fixed-length signatures (§3.4)
  kEdDSA,                  // Ed25519 (RFC 8037 §3.1)
};
inline constexpr int kAlgorithmCount = 13;

enum class KeyType : uint8_t { kEC, kRSA, kOKP, kOct };
enum class Curve : uint8_t { kNone, kP256, kP384, kP521, kEd25519 };
enum class HashAlg : uint8_t { kNone, kSha256, kSha384, kSha512 };
enum class Padding : uint8_t { kNone, kPkcs1, kPss };

struct AlgorithmSpec {
  Algorithm alg;
  std::string_view name;   // the JOSE "alg" value
  KeyType key_type;
  Curve curve;             // kNone unless EC/OKP
  HashAlg hash;            // kNone for EdDSA (the hash is part of Ed25519)
  Padding padding;         // RSA only
  int signature_size;      // fixed size in bytes for ECDSA (2 × coordinate) and Ed25519; else 0
  int min_key_bytes;       // HMAC: minimum secret length (RFC 7518 §3.2); else 0
};

const AlgorithmSpec& Spec(Algorithm alg);
std::string_view AlgorithmName(Algorithm alg);
// Exact, case-sensitive match of a JOSE alg name; "none" and unknown names give nullopt.
std::optional<Algorithm> AlgorithmFromName(std::string_view name);

std::string_view KeyTypeName(KeyType kty);  // "EC", "RSA", "OKP", "oct"
std::string_view CurveName(Curve crv);      // "P-256", ..., "Ed25519", "" for kNone

// An explicit allow-list of algorithms. Empty by default: callers must say what they accept.
class AlgorithmSet {
 public:
  constexpr AlgorithmSet() = default;
  AlgorithmSet(std::initializer_list<Algorithm> algs) {
    for (auto a : algs) Add(a);
  }
  void Add(Algorithm alg) { bits_ |= Bit(alg); }
  bool Contains(Algorithm alg) const { return (bits_ & Bit(alg)) != 0; }
  bool empty() const { return bits_ == 0; }
  std::string ToString() const;  // "ES256,RS256"

  // "ES256,RS256" (commas or spaces); fails on unknown names and on "none".
  static Result<AlgorithmSet> Parse(std::string_view list);
  // Every asymmetric algorithm: the default for verifying tokens from an issuer's JWKS.
  static AlgorithmSet Asymmetric();

 private:
  static constexpr uint32_t Bit(Algorithm alg) { return 1u << static_cast<uint32_t>(alg); }
  uint32_t bits_ = 0;
};

}  // namespace zta::jose
