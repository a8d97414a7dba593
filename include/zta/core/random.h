// Cryptographically secure randomness (OpenSSL's DRBG seeded from the OS).
#pragma once

#include <string>

#include "zta/core/status.h"

namespace zta {

// `n` random bytes. Fails only if the system's entropy source fails (then: fail closed).
Result<std::string> RandomBytes(size_t n);

// base64url of `n_bytes` random bytes: identifiers such as `jti` and client secrets.
Result<std::string> RandomToken(size_t n_bytes);

}  // namespace zta
