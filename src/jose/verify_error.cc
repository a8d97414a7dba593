// Reason codes for VerifyError: fixed strings, never renamed (tests and audit logs rely on them).
#include "zta/jose/verify_error.h"

namespace zta::jose {

std::string_view ReasonCode(VerifyError error) {
  switch (error) {
    case VerifyError::kMalformed: return "malformed";
    case VerifyError::kTooLarge: return "too_large";
    case VerifyError::kBadSignature: return "bad_signature";
    case VerifyError::kAlgNotAllowed: return "alg_not_allowed";
    case VerifyError::kKeyAlgMismatch: return "key_alg_mismatch";
    case VerifyError::kUnknownKid: return "unknown_kid";
    case VerifyError::kCritUnsupported: return "crit_unsupported";
    case VerifyError::kBadTyp: return "bad_typ";
    case VerifyError::kExpired: return "expired";
    case VerifyError::kNotYetValid: return "not_yet_valid";
    case VerifyError::kIssuedInFuture: return "issued_in_future";
    case VerifyError::kLifetimeTooLong: return "lifetime_too_long";
    case VerifyError::kBadIssuer: return "bad_issuer";
    case VerifyError::kBadAudience: return "bad_audience";
    case VerifyError::kMissingClaim: return "missing_claim";
    case VerifyError::kInsufficientScope: return "insufficient_scope";
    case VerifyError::kInvalidKey: return "invalid_key";
    case VerifyError::kWeakKey: return "weak_key";
    case VerifyError::kUnsupportedKey: return "unsupported_key";
    case VerifyError::kBadKeyUse: return "bad_key_use";
    case VerifyError::kUnexpectedPrivateKey: return "unexpected_private_key";
    case VerifyError::kSymmetricKeyNotAllowed: return "symmetric_key_not_allowed";
    case VerifyError::kDuplicateKid: return "duplicate_kid";
    case VerifyError::kMixedKeySet: return "mixed_key_set";
    case VerifyError::kNoKey: return "no_key";
  }
  return "malformed";
}

std::optional<VerifyError> VerifyErrorFromReason(std::string_view reason) {
  for (VerifyError e : kAllVerifyErrors) {
    if (ReasonCode(e) == reason) return e;
  }
  return std::nullopt;
}

Status VerifyFailure(VerifyError error, std::string detail) {
  StatusCode code = StatusCode::kUnauthenticated;
  switch (error) {
    case VerifyError::kInsufficientScope:
      code = StatusCode::kPermissionDenied;  // RFC 6750 §3.1: 403
      break;
    case VerifyError::kInvalidKey:
    case VerifyError::kWeakKey:
    case VerifyError::kUnsupportedKey:
    case VerifyError::kBadKeyUse:
    case VerifyError::kUnexpectedPrivateKey:
    case VerifyError::kSymmetricKeyNotAllowed:
    case VerifyError::kDuplicateKid:
    case VerifyError::kMixedKeySet:
    case VerifyError::kNoKey:
      code = StatusCode::kInvalidArgument;  // a key/configuration problem, not a bad token
      break;
    default:
      break;
  }
  return Status(code, std::move(detail), std::string(ReasonCode(error)));
}

std::optional<VerifyError> VerifyErrorOf(const Status& status) {
  if (status.ok()) return std::nullopt;
  return VerifyErrorFromReason(status.reason());
}

}  // namespace zta::jose
