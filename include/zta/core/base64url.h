// Strict base64url without padding (RFC 4648 §5, as JOSE uses it: RFC 7515 §2 and Appendix C).
#pragma once

#include <string>
#include <string_view>

#include "zta/core/status.h"

namespace zta {

std::string Base64UrlEncode(std::string_view bytes);

// Decodes strictly: rejects '=' padding, characters outside [A-Za-z0-9_-], an impossible
// length (4n+1) and non-canonical encodings whose unused trailing bits are not zero, so each
// byte string has exactly one accepted encoding.
Result<std::string> Base64UrlDecode(std::string_view text);

// The same, into `out` (cleared first); returns false on any of the errors above. For hot paths.
bool Base64UrlDecodeInto(std::string_view text, std::string& out);

// Standard base64 with padding (RFC 4648 §4), for PEM-like uses and HTTP Basic.
std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace zta
