// Password hashing for users (the login page): Argon2id (RFC 9106) through libargon2, stored as
// the PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash" so parameters can change later
// without invalidating stored hashes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "zta/core/secret.h"
#include "zta/core/status.h"

namespace zta::idp {

struct PasswordParams {
  // Defaults: see password.cc and docs/idp.md ("Passwords") for how they were chosen on the
  // reference machine; never below OWASP's floor of m=19 MiB, t=2, p=1.
  uint32_t memory_kib = 19 * 1024;
  uint32_t iterations = 2;
  uint32_t parallelism = 1;
};

// A fresh 16-byte random salt and the PHC string of Argon2id(password). Empty passwords and
// passwords over 1024 bytes are InvalidArgument.
Result<std::string> HashPassword(const Secret& password, const PasswordParams& params = {});

// Whether `password` matches `phc` (constant time in the hash comparison). A malformed `phc`
// is an error, never a match.
Result<bool> VerifyPassword(const Secret& password, std::string_view phc);

// Does the same work as a VerifyPassword that fails, for logins with an unknown user name, so
// a wrong name and a wrong password take the same time (no user enumeration by timing).
void BurnPasswordWork(const Secret& password, const PasswordParams& params = {});

}  // namespace zta::idp
