// The JWS algorithm a private key signs with when the caller names none: its own alg member,
// else the usual one for its type and curve (RFC 7518 §3.1, RFC 8037 §3.1). Private to auth:
// client assertions (RFC 7523) and DPoP proofs (RFC 9449) choose the same way.
#pragma once

#include "zta/jose/algorithm.h"
#include "zta/jose/jwk.h"

namespace zta::auth::internal {

inline jose::Algorithm DefaultAlgorithm(const jose::Jwk& key) {
  if (auto alg = key.alg()) return *alg;
  switch (key.kty()) {
    case jose::KeyType::kRSA:
      return jose::Algorithm::kRS256;
    case jose::KeyType::kOKP:
      return jose::Algorithm::kEdDSA;
    default:
      break;
  }
  switch (key.crv()) {
    case jose::Curve::kP384:
      return jose::Algorithm::kES384;
    case jose::Curve::kP521:
      return jose::Algorithm::kES512;
    default:
      return jose::Algorithm::kES256;
  }
}

}  // namespace zta::auth::internal
