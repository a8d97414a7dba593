// DpopKey: one agent's DPoP proof key (RFC 9449), the client half of sender-constrained tokens.
// Signs a proof for each request (§4.2) and remembers the nonce each server last asked for (§8,
// §9), per origin. Shared via std::shared_ptr by the AuthProvider that owns the key and by every
// AccessToken bound to it, so a token always travels with the one key that can present it.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zta/core/clock.h"
#include "zta/core/mutex.h"
#include "zta/core/status.h"
#include "zta/http/message.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/jwk.h"

namespace zta::auth {

// Thread-safe: the key is immutable; the nonce memory has its own mutex. The private key never
// leaves this object except as a signature: streaming prints only the thumbprint, and no error
// message names a key member.
class DpopKey {
 public:
  // Origins whose nonce is remembered; the least recently learned is forgotten first.
  static constexpr size_t kMaxOrigins = 64;
  // Longest nonce remembered, bytes (a longer one is ignored: the next proof simply has none).
  static constexpr size_t kMaxNonceBytes = 512;

  // A fresh key pair for `alg` (asymmetric, one of jose::DpopAlgorithms()). Default: ES256.
  // `clock` gives each proof's iat and must outlive the key and every token bound to it.
  static Result<std::shared_ptr<DpopKey>> Generate(const Clock& clock,
                                                   jose::Algorithm alg = jose::Algorithm::kES256);
  // A private key the caller holds (EC, RSA or OKP). Refuses a public-only or symmetric key, and
  // one whose algorithm is not a DPoP algorithm.
  static Result<std::shared_ptr<DpopKey>> FromJwk(const jose::Jwk& key, const Clock& clock);

  // The DPoP header value for one request (§4.2): htm = `method`, htu = `url` (query and fragment
  // dropped), iat = now, a fresh jti, ath when `access_token` is given (§7.1), and the nonce last
  // remembered for the URL's origin.
  Result<std::string> Proof(std::string_view method, std::string_view url,
                            std::string_view access_token = {}) const;

  // §8: a server's DPoP-Nonce, used in every later proof to the same origin (scheme://host:port)
  // until another replaces it. A value that is not 1..kMaxNonceBytes NQCHARs (§8.1) is ignored.
  void RememberNonce(std::string_view url, std::string nonce);
  // Reads the answer to a request sent with a proof to `url`: remembers its DPoP-Nonce, if any
  // (§8.2: a server may send a fresh one with any answer), and returns true when it is a nonce
  // challenge with a nonce to retry with: 400 {"error":"use_dpop_nonce"} from an authorization
  // server (§8) or 401 with WWW-Authenticate error="use_dpop_nonce" from a resource server (§9).
  // The caller retries once with a new proof; a second challenge is the server's answer.
  bool LearnNonce(std::string_view url, const http::Response& response);
  // The nonce remembered for `url`'s origin; empty when none.
  std::string NonceFor(std::string_view url) const;

  // RFC 7638 thumbprint of the public key: the jkt a bound token's cnf carries (§6.1).
  const std::string& thumbprint() const { return thumbprint_; }
  jose::Algorithm algorithm() const { return alg_; }
  // The public half (for dpop_jkt, tests).
  jose::Jwk PublicKey() const { return key_.PublicKey(); }

 private:
  DpopKey(jose::Jwk key, jose::Algorithm alg, const Clock& clock);

  const jose::Jwk key_;
  const jose::Algorithm alg_;
  const std::string thumbprint_;
  const Clock& clock_;
  mutable Mutex mu_;
  // (origin, nonce), least recently learned first; at most kMaxOrigins.
  std::vector<std::pair<std::string, std::string>> nonces_ ZTA_GUARDED_BY(mu_);
};

// "DpopKey{jkt=...}": never the key.
inline std::ostream& operator<<(std::ostream& os, const DpopKey& key) {
  return os << "DpopKey{jkt=" << key.thumbprint() << "}";
}

// A DPoP private JWK from a file (keep it 0600), checked as DpopKey::FromJwk checks it: a
// public-only or symmetric key is refused. Errors name the file and a reason, never the key.
Result<jose::Jwk> ReadDpopKeyFile(const std::string& path);
// The same, as a DpopKey.
Result<std::shared_ptr<DpopKey>> LoadDpopKeyFile(const std::string& path, const Clock& clock);

}  // namespace zta::auth
