// SHA-256 (FIPS 180-4) of a byte string, the one digest helper every module uses: cache keys of
// tokens, ETags, digests of stored secrets.
#pragma once

#include <string>
#include <string_view>

namespace zta {

// The 32-byte digest of `data`, as raw bytes. Thread-safe.
std::string Sha256(std::string_view data);

// The digest as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace zta
