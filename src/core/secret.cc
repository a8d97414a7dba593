// Secret handling and constant-time comparison.
#include "zta/core/secret.h"

#include <openssl/crypto.h>

namespace zta {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length is not secret (digests and keys have fixed sizes); the contents are.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    Wipe();
    value_ = std::move(other.value_);
    other.Wipe();
  }
  return *this;
}

void Secret::Wipe() {
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
  value_.clear();
}

std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "[redacted]"; }

}  // namespace zta
