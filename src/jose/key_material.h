// Internal: the OpenSSL side of a JWK — the EVP_PKEY, the JWK members, and pooled verification
// contexts so the hot path never re-initialises OpenSSL state per token.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/mutex.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/jose/algorithm.h"

namespace zta::jose {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// Thread-safe: immutable after construction except for the internal context pools, which are
// guarded by a mutex.
class KeyMaterial {
 public:
  KeyMaterial() = default;
  ~KeyMaterial();
  KeyMaterial(const KeyMaterial&) = delete;
  KeyMaterial& operator=(const KeyMaterial&) = delete;

  KeyType kty = KeyType::kEC;
  Curve crv = Curve::kNone;
  std::string kid;
  std::optional<Algorithm> alg;
  bool has_private = false;
  int rsa_bits = 0;
  EvpPkeyPtr pkey;          // null for oct keys
  Secret secret;            // oct keys only
  Json public_members = Json::object();   // base64url members: crv/x/y, n/e, x (kty not included)
  Json private_members = Json::object();  // d, p, q, dp, dq, qi, or k (empty object when public)

  // Verifies a JOSE-form signature (r‖s for ECDSA) over `data`. The algorithm has already been
  // checked against this key by the caller (Jwk::CanUse).
  Status Verify(Algorithm alg, std::string_view data, std::string_view signature) const;
  // Produces a JOSE-form signature.
  Result<std::string> Sign(Algorithm alg, std::string_view data) const;

 private:
  enum class Operation { kVerify = 0, kSign = 1 };
  // An EVP_PKEY_CTX initialised for `op` with `alg` (digest, padding), from the pool or freshly
  // made. Initialising one costs about as much as a verification; reusing it is free.
  EVP_PKEY_CTX* AcquireContext(Operation op, Algorithm alg) const;
  void ReleaseContext(Operation op, Algorithm alg, EVP_PKEY_CTX* ctx) const;

  mutable Mutex pool_mu_;
  // [operation][algorithm].
  mutable std::array<std::array<std::vector<EVP_PKEY_CTX*>, kAlgorithmCount>, 2> pools_
      ZTA_GUARDED_BY(pool_mu_);
};

// Computes the digest JOSE uses for `hash` over `data` into `out` (≤ 64 bytes); returns length.
size_t ComputeDigest(HashAlg hash, std::string_view data, unsigned char* out);

}  // namespace zta::jose
