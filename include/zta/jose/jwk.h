// JSON Web Keys (RFC 7517) and key sets: parsing with every check a verifier needs, export,
// generation, and RFC 7638 thumbprints. Keys are immutable and cheap to copy (shared material).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/verify_error.h"

namespace zta::jose {

class KeyMaterial;  // OpenSSL key and prepared contexts; internal (src/jose/key_material.h)

// What a parsed key is for.
enum class KeyRole {
  kVerify,  // public key: private members refused (unexpected_private_key)
  kSign,    // private key: private members required
};

struct JwkParseOptions {
  KeyRole role = KeyRole::kVerify;
  // Accept kty "oct" (HMAC) keys. Default: false — a symmetric key is used only where a caller
  // configures one on purpose (RFC 8725 §3.1, §3.2).
  bool allow_symmetric = false;
};

// One key. Thread-safe: immutable after parsing; copies share the OpenSSL material.
class Jwk {
 public:
  // Parses one JWK object. Checks (RFC 7517 §4, RFC 7518 §6): known kty/crv; member sizes
  // (EC coordinates exactly the curve size, Ed25519 keys 32 bytes); EC points on the curve;
  // RSA ≥ 2048 bits with an odd exponent ≥ 3 and not a ROCA-weak modulus; HMAC keys at least
  // the hash size; `use` "sig" when present; `key_ops` containing verify (or sign) when present;
  // `alg`, when present, a JWS algorithm this key can make.
  static Result<Jwk> Parse(const Json& jwk, const JwkParseOptions& options = {});
  static Result<Jwk> ParseText(std::string_view json_text, const JwkParseOptions& options = {});

  // A fresh key pair for `alg` (RSA: 2048 bits) with `alg` and `use` set; kid defaults to the
  // RFC 7638 thumbprint.
  static Result<Jwk> Generate(Algorithm alg, std::string kid = {});
  // An HMAC key from raw bytes (at least the hash size).
  static Result<Jwk> FromSecret(const Secret& secret, Algorithm alg, std::string kid = {});

  KeyType kty() const;
  Curve crv() const;
  const std::string& kid() const;
  // The key's own `alg` member, if it has one; then only that algorithm may use it.
  std::optional<Algorithm> alg() const;
  bool has_private() const;
  int rsa_bits() const;  // 0 unless RSA

  // True when this key may verify/sign `alg`: type, curve and (if present) alg member agree.
  bool CanUse(Algorithm alg) const;

  // Public members only (never d, p, q, ..., k), plus kid/alg/use.
  Json ToPublicJson() const;
  // Including private members. The caller must store the result as a secret (file mode 0600).
  Json ToPrivateJson() const;
  // The public half as its own key.
  Jwk PublicKey() const;
  // RFC 7638 JWK thumbprint (SHA-256, base64url).
  std::string Thumbprint() const;

  const KeyMaterial& material() const { return *material_; }

 private:
  explicit Jwk(std::shared_ptr<const KeyMaterial> material) : material_(std::move(material)) {}
  std::shared_ptr<const KeyMaterial> material_;
};

// A set of keys (RFC 7517 §5). Immutable after parsing; share as std::shared_ptr<const Jwks>.
class Jwks {
 public:
  Jwks() = default;
  explicit Jwks(std::vector<Jwk> keys) : keys_(std::move(keys)) {}

  // Parses {"keys":[...]}. Keys that are not for signatures — `use` other than "sig", a
  // non-JWS `alg`, unknown kty/crv — are skipped and listed in skipped(), as a verifier must
  // tolerate encryption keys in an issuer's set. Refuses the whole set on private members in a
  // verification set (unexpected_private_key), duplicate kids (duplicate_kid), symmetric and
  // asymmetric keys together (mixed_key_set), a key that is present but broken (invalid_key,
  // weak_key), or no usable key at all (no_key).
  static Result<Jwks> Parse(const Json& jwks, const JwkParseOptions& options = {});
  static Result<Jwks> ParseText(std::string_view json_text, const JwkParseOptions& options = {});
  // Accepts either a set or a single JWK object (as `zta jws verify --jwk` does).
  static Result<Jwks> ParseKeyOrSet(std::string_view json_text,
                                    const JwkParseOptions& options = {});

  const std::vector<Jwk>& keys() const { return keys_; }
  const std::vector<std::string>& skipped() const { return skipped_; }
  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }
  // The key with this kid, or nullptr.
  const Jwk* FindByKid(std::string_view kid) const;

  // {"keys":[public JWKs]}.
  Json ToPublicJson() const;

 private:
  std::vector<Jwk> keys_;
  std::vector<std::string> skipped_;  // one line per skipped key: "kid: reason"
};

}  // namespace zta::jose
