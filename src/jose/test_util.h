// Helpers shared by the jose unit tests: keys generated once per process, token surgery.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "zta/core/base64url.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jws.h"
#include "zta/jose/jwt.h"

namespace zta::jose::testing {

// A private key for `alg`, generated on first use (RSA generation is slow).
inline const Jwk& TestKey(Algorithm alg) {
  static std::map<Algorithm, Jwk>* keys = new std::map<Algorithm, Jwk>();
  auto it = keys->find(alg);
  if (it == keys->end()) {
    auto key = Jwk::Generate(alg, "test-" + std::string(AlgorithmName(alg)));
    EXPECT_TRUE(key.ok()) << key.status();
    it = keys->emplace(alg, std::move(key).value()).first;
  }
  return it->second;
}

// A one-key verification set holding the public half of TestKey(alg).
inline Jwks PublicSet(Algorithm alg) { return Jwks({TestKey(alg).PublicKey()}); }

// Splits a compact token into its three encoded parts.
inline std::vector<std::string> Parts(const std::string& token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

inline std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '.';
    out += parts[i];
  }
  return out;
}

// Replaces the header (as JSON) of `token`, keeping payload and signature.
inline std::string WithHeader(const std::string& token, const Json& header) {
  auto parts = Parts(token);
  parts[0] = Base64UrlEncode(header.dump());
  return Join(parts);
}

// Replaces the claims of `token`, keeping header and signature (a forgery).
inline std::string WithClaims(const std::string& token, const Json& claims) {
  auto parts = Parts(token);
  parts[1] = Base64UrlEncode(claims.dump());
  return Join(parts);
}

}  // namespace zta::jose::testing
