// Argon2id password hashing (RFC 9106) through Debian's libargon2, stored as PHC strings.
// Default parameters (PasswordParams): see docs/idp.md "Passwords" for the measurements behind
// them; bench/password_bench.cc prints `argon2_hash_ms` for them on this machine.
#include "zta/idp/password.h"

#include <argon2.h>

#include <array>
#include <string>

#include "zta/core/random.h"

namespace zta::idp {
namespace {

constexpr size_t kSaltBytes = 16;  // RFC 9106 §3.1: 128 bits is recommended
constexpr size_t kHashBytes = 32;  // 256-bit tag
constexpr size_t kMaxPasswordBytes = 1024;
// A PHC string from the store asking for more than this (a tampered row) is refused rather
// than allowed to allocate without bound.
constexpr uint32_t kMaxMemoryKib = 1024 * 1024;  // 1 GiB
constexpr uint32_t kMaxIterations = 64;
constexpr uint32_t kMaxParallelism = 16;

Status CheckParams(const PasswordParams& p) {
  if (p.memory_kib < 19 * 1024 || p.iterations < 1 || p.parallelism < 1 ||
      p.memory_kib > kMaxMemoryKib || p.iterations > kMaxIterations ||
      p.parallelism > kMaxParallelism) {
    return InvalidArgument(
        "password hashing parameters out of range (m >= 19 MiB, t >= 1, p >= 1)");
  }
  return Status::Ok();
}

// Reads "m=..,t=..,p=.." of "$argon2id$v=19$m=..,t=..,p=..$salt$hash" only to bound the work a
// stored string can ask for; libargon2's decoder checks the rest.
bool WithinLimits(std::string_view phc) {
  constexpr std::string_view kPrefix = "$argon2id$v=19$";
  if (phc.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view rest = phc.substr(kPrefix.size());
  size_t end = rest.find('$');
  if (end == std::string_view::npos) return false;
  std::string_view params = rest.substr(0, end);
  uint64_t values[3] = {0, 0, 0};
  const char keys[3] = {'m', 't', 'p'};
  for (int i = 0; i < 3; ++i) {
    if (params.size() < 3 || params[0] != keys[i] || params[1] != '=') return false;
    params.remove_prefix(2);
    size_t digits = 0;
    while (digits < params.size() && params[digits] >= '0' && params[digits] <= '9') {
      if (digits >= 10) return false;
      values[i] = values[i] * 10 + static_cast<uint64_t>(params[digits] - '0');
      ++digits;
    }
    if (digits == 0) return false;
    params.remove_prefix(digits);
    if (i < 2) {
      if (params.empty() || params[0] != ',') return false;
      params.remove_prefix(1);
    }
  }
  if (!params.empty()) return false;
  return values[0] <= kMaxMemoryKib && values[1] >= 1 && values[1] <= kMaxIterations &&
         values[2] >= 1 && values[2] <= kMaxParallelism;
}

}  // namespace

Result<std::string> HashPassword(const Secret& password, const PasswordParams& params) {
  if (password.empty()) return InvalidArgument("a password must not be empty");
  if (password.size() > kMaxPasswordBytes) {
    return InvalidArgument("a password must be at most 1024 bytes");
  }
  ZTA_RETURN_IF_ERROR(CheckParams(params));
  ZTA_ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltBytes));
  size_t len = argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                 kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                 password.Reveal().data(), password.size(), salt.data(),
                                 salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return Internal(std::string("argon2id: ") + argon2_error_message(rc));
  }
  encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
  return encoded;
}

Result<bool> VerifyPassword(const Secret& password, std::string_view phc) {
  if (!WithinLimits(phc)) {
    return InvalidArgument("not an Argon2id PHC string within this server's limits");
  }
  // An empty or oversize password never matched anything HashPassword stored.
  if (password.empty() || password.size() > kMaxPasswordBytes) return false;
  std::string encoded(phc);  // argon2id_verify wants a NUL-terminated string
  int rc = argon2id_verify(encoded.c_str(), password.Reveal().data(), password.size());
  if (rc == ARGON2_OK) return true;
  if (rc == ARGON2_VERIFY_MISMATCH) return false;
  return InvalidArgument(std::string("malformed Argon2id PHC string: ") + argon2_error_message(rc));
}

void BurnPasswordWork(const Secret& password, const PasswordParams& params) {
  // The same computation a failing VerifyPassword does: one Argon2id of the presented bytes
  // with the default parameters (a fixed salt is fine: the result is thrown away).
  static constexpr std::array<char, kSaltBytes> kSalt = {'z', 't', 'a', '-', 'b', 'u', 'r', 'n',
                                                         '-', 'p', 'a', 's', 's', 'w', 'r', 'd'};
  std::array<unsigned char, kHashBytes> out{};
  const std::string& pwd = password.Reveal();
  size_t n = pwd.size() > kMaxPasswordBytes ? kMaxPasswordBytes : pwd.size();
  (void)argon2id_hash_raw(params.iterations, params.memory_kib, params.parallelism, pwd.data(), n,
                          kSalt.data(), kSalt.size(), out.data(), out.size());
}

}  // namespace zta::idp
