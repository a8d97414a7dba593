// Every way a key, a JWS or a JWT can be refused, each with a stable snake_case reason code.
// Tests assert these codes, the audit log records them, `zta jwt verify` prints them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "zta/core/status.h"

namespace zta::jose {

enum class VerifyError {
  // --- token structure ---
  kMalformed,          // "malformed": not three base64url parts, bad JSON, wrong claim type
  kTooLarge,           // "too_large": token over the size limit or JSON nested too deeply
  // --- JWS ---
  kBadSignature,       // "bad_signature": the signature does not verify with the selected key
  kAlgNotAllowed,      // "alg_not_allowed": alg missing, unknown, "none", or not in the allow-list
  kKeyAlgMismatch,     // "key_alg_mismatch": the key's type/curve/alg cannot make this alg
  kUnknownKid,         // "unknown_kid": no key with the token's kid (or kid needed and absent)
  kCritUnsupported,    // "crit_unsupported": crit names a parameter we do not process; b64:false
  kBadTyp,             // "bad_typ": the typ header is not the expected one
  // --- JWT claims (RFC 7519 §4.1, RFC 9068 §4) ---
  kExpired,            // "expired": now is past exp (plus leeway)
  kNotYetValid,        // "not_yet_valid": now is before nbf (minus leeway)
  kIssuedInFuture,     // "issued_in_future": iat later than now plus leeway
  kLifetimeTooLong,    // "lifetime_too_long": exp - iat exceeds the maximum lifetime
  kBadIssuer,          // "bad_issuer": iss is not exactly the expected issuer
  kBadAudience,        // "bad_audience": aud does not contain the expected audience
  kMissingClaim,       // "missing_claim": a required claim (exp, iss, aud, ...) is absent
  kInsufficientScope,  // "insufficient_scope": a required scope was not granted
  // --- keys (RFC 7517, RFC 7518 §6) ---
  kInvalidKey,         // "invalid_key": bad members, wrong sizes, point not on the curve
  kWeakKey,            // "weak_key": RSA under 2048 bits, bad exponent, ROCA, short HMAC key
  kUnsupportedKey,     // "unsupported_key": unknown kty/crv or a non-signature alg
  kBadKeyUse,          // "bad_key_use": use other than "sig", key_ops without verify/sign
  kUnexpectedPrivateKey,  // "unexpected_private_key": private members where public expected
  kSymmetricKeyNotAllowed,  // "symmetric_key_not_allowed": oct key not explicitly enabled
  kDuplicateKid,       // "duplicate_kid": two keys in one set share a kid
  kMixedKeySet,        // "mixed_key_set": symmetric and asymmetric keys in one set
  kNoKey,              // "no_key": the key set holds no usable key
};

// The stable reason string, e.g. "bad_signature".
std::string_view ReasonCode(VerifyError error);
// Parses a reason string back; nullopt for anything else.
std::optional<VerifyError> VerifyErrorFromReason(std::string_view reason);

// A Status carrying `error` as its reason. Token failures map to kUnauthenticated (401),
// insufficient_scope to kPermissionDenied (403), key/config failures to kInvalidArgument.
Status VerifyFailure(VerifyError error, std::string detail);

// The VerifyError a Status carries, if any.
std::optional<VerifyError> VerifyErrorOf(const Status& status);

// Every value, for tests that must cover them all.
inline constexpr VerifyError kAllVerifyErrors[] = {
    VerifyError::kMalformed,        VerifyError::kTooLarge,
    VerifyError::kBadSignature,     VerifyError::kAlgNotAllowed,
    VerifyError::kKeyAlgMismatch,   VerifyError::kUnknownKid,
    VerifyError::kCritUnsupported,  VerifyError::kBadTyp,
    VerifyError::kExpired,          VerifyError::kNotYetValid,
    VerifyError::kIssuedInFuture,   VerifyError::kLifetimeTooLong,
    VerifyError::kBadIssuer,        VerifyError::kBadAudience,
    VerifyError::kMissingClaim,     VerifyError::kInsufficientScope,
    VerifyError::kInvalidKey,       VerifyError::kWeakKey,
    VerifyError::kUnsupportedKey,   VerifyError::kBadKeyUse,
    VerifyError::kUnexpectedPrivateKey, VerifyError::kSymmetricKeyNotAllowed,
    VerifyError::kDuplicateKid,     VerifyError::kMixedKeySet,
    VerifyError::kNoKey,
};

}  // namespace zta::jose
