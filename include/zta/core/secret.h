// Secret: a credential that never prints its value, and constant-time comparison.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace zta {

// Compares two byte strings in time that depends only on their lengths, never on where they
// differ (for secrets, MACs and digests).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Holds a secret (client secret, symmetric key, private key PEM). Printing, streaming or
// formatting it yields "[redacted]"; the value is reachable only through Reveal(), so every
// place that uses the raw bytes is easy to find. The buffer is wiped on destruction.
// Thread-compatible.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.Wipe(); }
  Secret& operator=(Secret&& other) noexcept;
  ~Secret() { Wipe(); }

  // The raw value. Never log it.
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  size_t size() const { return value_.size(); }

  // Constant-time equality against a candidate (e.g. a presented client secret).
  bool Matches(std::string_view candidate) const { return ConstantTimeEquals(value_, candidate); }

  // Always "[redacted]".
  std::string ToString() const { return "[redacted]"; }

 private:
  void Wipe();
  std::string value_;
};

std::ostream& operator<<(std::ostream& os, const Secret& secret);

}  // namespace zta
