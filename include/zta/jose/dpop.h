// DPoP proofs (RFC 9449): making one (the client side) and checking one (§4.3, the server side
// of the token endpoint and of a resource server), the RFC 7638 thumbprint that binds a token
// to the proof key (cnf.jkt, §6.1), the access-token hash `ath` (§4.2), and stateless server
// nonces (§8, §9). No I/O and no state: the jti replay cache lives with the caller (the idp's
// store, the guard's bounded memory), since only the caller knows how far "single use" reaches.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "zta/core/mutex.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/jwk.h"

namespace zta::jose {

// RFC 9449 §4.2: the proof's JOSE typ.
inline constexpr char kDpopProofTyp[] = "dpop+jwt";
// The HTTP header that carries a proof (§4.1) and the one that carries a server nonce (§8).
inline constexpr char kDpopHeader[] = "DPoP";
inline constexpr char kDpopNonceHeader[] = "DPoP-Nonce";
// The OAuth error codes RFC 9449 defines (§5, §7.1, §8, §12.2); every finer reason below maps to
// one of these two on the wire.
inline constexpr char kErrorInvalidDpopProof[] = "invalid_dpop_proof";
inline constexpr char kErrorUseDpopNonce[] = "use_dpop_nonce";

// Reason codes of a refused proof (Status::reason(), recorded in the audit logs). The client sees
// only invalid_dpop_proof or use_dpop_nonce.
inline constexpr char kReasonDpopMissing[] = "dpop_missing";      // no proof where one is needed
inline constexpr char kReasonDpopMalformed[] = "dpop_malformed";  // not a JWS, bad claims, two
inline constexpr char kReasonDpopBadTyp[] = "dpop_bad_typ";       // typ is not dpop+jwt
inline constexpr char kReasonDpopAlgNotAllowed[] = "dpop_alg_not_allowed";  // none, HS*, unlisted
inline constexpr char kReasonDpopBadKey[] = "dpop_bad_key";          // jwk missing or unusable
inline constexpr char kReasonDpopPrivateKey[] = "dpop_private_key";  // jwk has private members
inline constexpr char kReasonDpopBadSignature[] = "dpop_bad_signature";
inline constexpr char kReasonDpopHtmMismatch[] = "dpop_htm_mismatch";  // proof for another method
inline constexpr char kReasonDpopHtuMismatch[] = "dpop_htu_mismatch";  // proof for another URL
inline constexpr char kReasonDpopStale[] = "dpop_stale";  // iat too old or in the future
inline constexpr char kReasonDpopAthMismatch[] = "dpop_ath_mismatch";  // ath missing or wrong
inline constexpr char kReasonDpopKeyMismatch[] = "dpop_key_mismatch";  // not the cnf.jkt key
inline constexpr char kReasonDpopReplay[] = "dpop_replay";  // this key's jti was used before
inline constexpr char kReasonUseDpopNonce[] = "use_dpop_nonce";  // nonce missing, wrong or old

// Largest proof accepted, bytes: an RSA-4096 key in the header stays well under it.
inline constexpr size_t kMaxDpopProofBytes = 8 * 1024;

// The algorithms accepted for proofs by default and announced in
// dpop_signing_alg_values_supported: asymmetric only (§4.3 item 5), never "none" or HMAC.
AlgorithmSet DpopAlgorithms();

// What a client signs for one HTTP request (§4.2).
struct DpopProofInput {
  std::string method;        // htm, e.g. "POST"
  std::string url;           // htu; the query and fragment are dropped here (§4.2)
  int64_t issued_at = 0;     // iat, Unix seconds
  std::string jti;           // empty: 16 random bytes, base64url
  std::string access_token;  // when set, ath = base64url(SHA-256(token)) (§4.2)
  std::string nonce;         // when set, the server's DPoP-Nonce (§8)
};

// Signs a proof with `key` (a private key that can make `alg`); its public half goes in the
// header's jwk. Refuses a symmetric key or algorithm.
Result<std::string> CreateDpopProof(Algorithm alg, const Jwk& key, const DpopProofInput& input);

// Proof keys already imported, by the exact text of the header's jwk: one agent signs every
// proof with the same key, and importing it (coordinates, on-curve check, an OpenSSL key) costs
// about as much as the signature check itself. Only keys that parsed as public keys are kept,
// so a jwk with private members is never in it (its text differs) and is refused as ever.
// Thread-safe; bounded: when full it starts over.
class DpopKeyCache {
 public:
  explicit DpopKeyCache(size_t capacity = 1024) : capacity_(capacity) {}
  struct Entry {
    Jwk key;
    std::string jkt;
  };
  std::optional<Entry> Find(const std::string& jwk_text) const;
  void Put(const std::string& jwk_text, Entry entry);

 private:
  const size_t capacity_;
  mutable Mutex mu_;
  std::unordered_map<std::string, Entry> keys_ ZTA_GUARDED_BY(mu_);
};

// How a server checks one proof (§4.3).
struct DpopProofCheck {
  // This request's method and its URL as the client addressed it (behind a proxy: the external
  // URL). REQUIRED. The URL's query and fragment are ignored.
  std::string method;
  std::string url;
  // Now, Unix seconds.
  int64_t now = 0;
  // iat may be at most this old (§4.3 item 11, §11.1). Default: 60 s.
  int64_t max_age_seconds = 60;
  // iat may be at most this far ahead of now (clock skew). Default: 10 s.
  int64_t future_leeway_seconds = 10;
  // Accepted algorithms. Default: DpopAlgorithms(); symmetric ones can never pass.
  AlgorithmSet allowed_algorithms = DpopAlgorithms();
  // At a resource server (§7.1): the access token presented with the proof; `ath` must be its
  // hash. Empty at the token endpoint, where a proof with an ath is still accepted.
  std::string access_token;
  // At a resource server: the token's cnf.jkt; the proof's key must have this thumbprint.
  std::string expected_jkt;
  // When set, the proof must carry a nonce this function accepts (§8, §9); otherwise
  // use_dpop_nonce.
  std::function<bool(std::string_view nonce)> accept_nonce;
  // Where imported proof keys are kept between requests; null: none (each proof imports its
  // key). Must outlive the call.
  DpopKeyCache* key_cache = nullptr;
};

// A proof that passed every check of DpopProofCheck. Replay (the jti) is the caller's to check:
// RecordedUntil() says how long it must remember this one.
struct VerifiedDpopProof {
  std::string jkt;    // RFC 7638 thumbprint of the proof key
  std::string jti;
  std::string htm;
  std::string htu;
  std::string nonce;  // "" when absent
  int64_t issued_at = 0;
  // The last second at which this proof could still pass the iat check: a replay cache must hold
  // the jti at least until then.
  int64_t RecordedUntil(const DpopProofCheck& check) const {
    return issued_at + check.max_age_seconds + check.future_leeway_seconds;
  }
};

Result<VerifiedDpopProof> VerifyDpopProof(std::string_view proof, const DpopProofCheck& check);

// RFC 9449 §4.3 item 9 with RFC 3986 §6.2.2-6.2.3 normalization: the URL without query and
// fragment, scheme and host in lower case, the default port dropped, an empty path as "/". An
// error for anything that is not an absolute http(s) URL, or that has userinfo.
Result<std::string> NormalizeHtu(std::string_view url);

// §4.2 ath: base64url(SHA-256(ASCII of the access token)).
std::string AccessTokenHash(std::string_view access_token);

// Server nonces (§8, §9) without server state: "<window>.<base64url HMAC-SHA-256(key, window)>",
// where window = now / lifetime (digits, '.' and base64url are all NQCHARs, §8.1). A nonce is
// accepted in its own window and the one after it, so every nonce lives between `lifetime` and
// twice that. Every node that shares the key accepts
// every node's nonces. Thread-safe (immutable).
class DpopNonces {
 public:
  // `key` at least 32 bytes; `lifetime_seconds` > 0. Default lifetime: 5 minutes.
  static Result<DpopNonces> Create(const Secret& key, int64_t lifetime_seconds = 300);
  std::string Current(int64_t now) const;
  bool Accepts(std::string_view nonce, int64_t now) const;

 private:
  DpopNonces(Jwk key, int64_t lifetime) : key_(std::move(key)), lifetime_(lifetime) {}
  std::string ForWindow(int64_t window) const;
  Jwk key_;
  int64_t lifetime_;
};

}  // namespace zta::jose
