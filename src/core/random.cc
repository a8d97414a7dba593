// Secure random bytes from OpenSSL (RAND_bytes is thread-safe in OpenSSL 3).
#include "zta/core/random.h"

#include <openssl/rand.h>

#include "zta/core/base64url.h"

namespace zta {

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return Internal("the system random generator failed");
  }
  return out;
}

Result<std::string> RandomToken(size_t n_bytes) {
  ZTA_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(n_bytes));
  return Base64UrlEncode(bytes);
}

}  // namespace zta
