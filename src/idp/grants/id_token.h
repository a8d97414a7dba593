// OpenID Connect ID tokens (OIDC Core §2, §3.1.3.6): who signed in, for which app, signed by the
// idp's current key like its access tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "grant.h"

namespace zta::idp {

struct IdTokenSpec {
  const User* user = nullptr;  // sub; name and email claims come from here
  std::string audience;        // the app's client_id (aud and azp)
  int64_t auth_time = 0;       // when the user signed in
  std::string nonce;           // "" = none sent at /authorize
  std::string access_token;    // the token issued beside it (at_hash); "" = none
};

// at_hash / c_hash (OIDC Core §3.1.3.6): base64url of the left half of the hash the signing
// algorithm uses (SHA-256 for ES256, RS256, PS256; 384 and 512 likewise; SHA-512 for EdDSA).
std::string LeftHalfHash(jose::Algorithm alg, std::string_view value);

// Signs an ID token with the current key; lifetime options.default_token_ttl_seconds.
Result<std::string> IssueIdToken(const GrantContext& context, const IdTokenSpec& spec);

// Adds "id_token" to a token response `body` that holds its access_token (at_hash binds the
// two), or the server_error (signing_failed) to answer with instead.
std::optional<OAuthError> AddIdToken(const GrantContext& context, IdTokenSpec spec, Json& body);

}  // namespace zta::idp
