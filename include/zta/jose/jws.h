// JWS compact serialization (RFC 7515 §7.1): sign and verify with an explicit algorithm
// allow-list. No I/O; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/jwk.h"

namespace zta::jose {

// Default maximum size of a compact token (16 KiB): bigger tokens are refused before decoding.
inline constexpr size_t kMaxTokenBytes = 16 * 1024;
// Maximum JSON nesting in a header or claims set.
inline constexpr int kMaxJsonDepth = 16;

struct JwsVerifyOptions {
  // Algorithms accepted. REQUIRED: an empty set accepts nothing. "none" can never be added.
  AlgorithmSet allowed_algorithms;
  // Header parameters this caller processes itself and so may appear in `crit`
  // (RFC 7515 §4.1.11). Default: none — any `crit` is refused.
  std::vector<std::string> understood_crit;
  // Default: 16 KiB.
  size_t max_token_bytes = kMaxTokenBytes;
};

// A compact JWS split into its parts; the header is parsed, nothing is verified yet.
struct ParsedJws {
  std::string_view signing_input;  // BASE64URL(header) "." BASE64URL(payload)
  std::string_view encoded_payload;
  Json header;
  std::string payload;    // decoded
  std::string signature;  // decoded
  Algorithm alg;
  std::string kid;        // empty when absent
};

// Splits and decodes `token` and checks the header: alg known, allowed and not "none"; crit
// understood; b64 not false (RFC 7797 is not supported). `token` must outlive the result.
Result<ParsedJws> ParseCompact(std::string_view token, const JwsVerifyOptions& options);

// Selects the key: by kid when the token has one (unknown_kid if none matches); without a kid
// only when the set has exactly one key. The key must be able to make the token's alg.
Result<const Jwk*> SelectKey(const ParsedJws& jws, const Jwks& keys);

// Verifies `signature` over `signing_input` with `key` for `alg` (no header checks).
Status VerifySignature(Algorithm alg, const Jwk& key, std::string_view signing_input,
                       std::string_view signature);

// All of the above. Returns the parsed JWS when the signature verifies.
Result<ParsedJws> VerifyCompact(std::string_view token, const Jwks& keys,
                                const JwsVerifyOptions& options);

// Signs `payload` with `key`. `header` must not contain "alg" (it is set from `alg`); kid is
// added from the key when the header has none and the key has one.
Result<std::string> SignCompact(Algorithm alg, const Jwk& key, std::string_view payload,
                                Json header = Json::object());

// Raw signature bytes (JOSE form: r‖s for ECDSA) over `data`.
Result<std::string> Sign(Algorithm alg, const Jwk& key, std::string_view data);

}  // namespace zta::jose
