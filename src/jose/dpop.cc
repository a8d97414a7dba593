// RFC 9449 DPoP proofs: the §4.2 proof, the §4.3 checks in the order the RFC lists them, the
// §4.3 item 9 URL comparison and stateless §8 nonces.
#include "zta/jose/dpop.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "zta/core/base64url.h"
#include "zta/core/json.h"
#include "zta/core/random.h"
#include "zta/core/sha256.h"
#include "zta/jose/jws.h"

namespace zta::jose {
namespace {

Status Refuse(const char* reason, std::string message) {
  return Status(StatusCode::kUnauthenticated, "DPoP proof: " + std::move(message), reason);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The string member `name` of `claims`, non-empty; nullptr otherwise.
const std::string* StringMember(const Json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return nullptr;
  }
  return &it->get_ref<const std::string&>();
}

// Constant-time comparison: ath and nonce MACs are compared without leaking a prefix length.
bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// Checks the header (§4.3 items 4-7): typ, an allowed asymmetric alg, and a public jwk that can
// make that alg. Returns the key and its thumbprint, from `cache` when it holds that jwk.
Result<DpopKeyCache::Entry> ProofKey(const ParsedJws& jws, DpopKeyCache* cache) {
  auto typ = jws.header.find("typ");
  if (typ == jws.header.end() || !typ->is_string() ||
      Lower(typ->get_ref<const std::string&>()) != kDpopProofTyp) {
    return Refuse(kReasonDpopBadTyp, "typ is not dpop+jwt");
  }
  auto jwk = jws.header.find("jwk");
  if (jwk == jws.header.end() || !jwk->is_object()) {
    return Refuse(kReasonDpopBadKey, "no jwk in the header");
  }
  std::string text;
  if (cache != nullptr) {
    text = DumpJson(*jwk);
    if (auto hit = cache->Find(text)) {
      if (!hit->key.CanUse(jws.alg)) return Refuse(kReasonDpopBadKey, "the jwk cannot make this alg");
      return *std::move(hit);
    }
  }
  // §4.3 item 7: the jwk must not contain a private key. Parse as a verification key, which
  // refuses private members and symmetric keys.
  auto key = Jwk::Parse(*jwk);
  if (!key.ok()) {
    if (key.status().reason() == "unexpected_private_key") {
      return Refuse(kReasonDpopPrivateKey, "the jwk holds a private key");
    }
    return Refuse(kReasonDpopBadKey, "jwk: " + key.status().message());
  }
  if (!key->CanUse(jws.alg)) return Refuse(kReasonDpopBadKey, "the jwk cannot make this alg");
  DpopKeyCache::Entry entry{*key, key->Thumbprint()};
  if (cache != nullptr) cache->Put(text, entry);
  return entry;
}

struct HtuParts {
  std::string scheme, host, port, path;
};

// Splits an absolute http(s) URL (RFC 3986 §3) far enough to normalize it.
Result<HtuParts> SplitHttpUrl(std::string_view url) {
  auto bad = [](std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); };
  size_t colon = url.find("://");
  if (colon == std::string_view::npos) return bad("not an absolute URL");
  HtuParts p;
  p.scheme = Lower(url.substr(0, colon));
  if (p.scheme != "http" && p.scheme != "https") return bad("not an http(s) URL");
  std::string_view rest = url.substr(colon + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) return bad("userinfo in the URL");
  if (authority.empty()) return bad("no host");
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after the IPv6 literal");
      port = after.substr(1);
    }
  } else if (size_t c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c + 1);
  }
  if (host.empty()) return bad("no host");
  for (char c : port) {
    if (c < '0' || c > '9') return bad("the port is not a number");
  }
  for (unsigned char c : host) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') return bad("a character not allowed in a host");
  }
  p.host = Lower(host);
  // §6.2.3: the scheme's default port is the same as none; leading zeros are not a new port.
  while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
  p.port = std::string(port);
  if ((p.scheme == "http" && p.port == "80") || (p.scheme == "https" && p.port == "443")) {
    p.port.clear();
  }
  std::string_view path = tail.substr(0, tail.find_first_of("?#"));
  p.path = path.empty() ? "/" : std::string(path);
  for (unsigned char c : p.path) {
    if (c <= 0x20 || c >= 0x7f) return bad("a character not allowed in a path");
  }
  return p;
}

}  // namespace

AlgorithmSet DpopAlgorithms() {
  return {Algorithm::kES256, Algorithm::kES384, Algorithm::kES512, Algorithm::kEdDSA,
          Algorithm::kPS256, Algorithm::kPS384, Algorithm::kPS512, Algorithm::kRS256,
          Algorithm::kRS384, Algorithm::kRS512};
}

Result<std::string> NormalizeHtu(std::string_view url) {
  ZTA_ASSIGN_OR_RETURN(HtuParts p, SplitHttpUrl(url));
  std::string out = p.scheme + "://" + p.host;
  if (!p.port.empty()) out += ":" + p.port;
  return out + p.path;
}

std::string AccessTokenHash(std::string_view access_token) {
  return Base64UrlEncode(Sha256(access_token));
}

Result<std::string> CreateDpopProof(Algorithm alg, const Jwk& key, const DpopProofInput& input) {
  if (!DpopAlgorithms().Contains(alg)) {
    return Status(StatusCode::kInvalidArgument, "DPoP proofs need an asymmetric algorithm");
  }
  if (!key.has_private() || !key.CanUse(alg)) {
    return Status(StatusCode::kInvalidArgument, "the DPoP key cannot sign " +
                                                    std::string(AlgorithmName(alg)));
  }
  ZTA_ASSIGN_OR_RETURN(std::string htu, NormalizeHtu(input.url));
  std::string jti = input.jti;
  if (jti.empty()) {
    ZTA_ASSIGN_OR_RETURN(jti, RandomToken(16));
  }
  // The public key without kid/alg/use noise: a verifier hashes only the required members.
  Json jwk = key.ToPublicJson();
  jwk.erase("kid");
  Json header = {{"typ", kDpopProofTyp}, {"jwk", std::move(jwk)}};
  Json claims = {{"jti", jti}, {"htm", input.method}, {"htu", htu}, {"iat", input.issued_at}};
  if (!input.access_token.empty()) claims["ath"] = AccessTokenHash(input.access_token);
  if (!input.nonce.empty()) claims["nonce"] = input.nonce;
  return SignCompact(alg, key, DumpJson(claims), std::move(header));
}

Result<VerifiedDpopProof> VerifyDpopProof(std::string_view proof, const DpopProofCheck& check) {
  if (proof.empty()) return Refuse(kReasonDpopMissing, "no proof");
  // §4.3 items 1-3: one well-formed JWT. The alg comes from the allow-list, never "none".
  JwsVerifyOptions options;
  options.allowed_algorithms = check.allowed_algorithms;
  options.max_token_bytes = kMaxDpopProofBytes;
  auto jws = ParseCompact(proof, options);
  if (!jws.ok()) {
    if (jws.status().reason() == "alg_not_allowed") {
      return Refuse(kReasonDpopAlgNotAllowed, jws.status().message());
    }
    return Refuse(kReasonDpopMalformed, jws.status().message());
  }
  // A symmetric alg in the caller's list still cannot pass: the key is a public jwk.
  if (!DpopAlgorithms().Contains(jws->alg)) {
    return Refuse(kReasonDpopAlgNotAllowed, "a symmetric alg");
  }
  ZTA_ASSIGN_OR_RETURN(DpopKeyCache::Entry proof_key, ProofKey(*jws, check.key_cache));
  const Jwk& key = proof_key.key;
  // Item 8: the signature, with the key from the header.
  if (!VerifySignature(jws->alg, key, jws->signing_input, jws->signature).ok()) {
    return Refuse(kReasonDpopBadSignature, "the signature does not verify with its jwk");
  }
  JsonLimits limits;
  limits.max_depth = kMaxJsonDepth;
  limits.max_bytes = kMaxDpopProofBytes;
  auto claims = ParseJsonStrict(jws->payload, limits);
  if (!claims.ok() || !claims->is_object()) return Refuse(kReasonDpopMalformed, "bad claims");
  const std::string* jti = StringMember(*claims, "jti");
  const std::string* htm = StringMember(*claims, "htm");
  const std::string* htu = StringMember(*claims, "htu");
  auto iat = claims->find("iat");
  // Item 3: every required claim, of the right type.
  if (!jti || !htm || !htu || iat == claims->end() || !iat->is_number_integer()) {
    return Refuse(kReasonDpopMalformed, "jti, htm, htu and an integer iat are required");
  }
  if (jti->size() > 256) return Refuse(kReasonDpopMalformed, "jti longer than 256 characters");

  VerifiedDpopProof out;
  out.jkt = std::move(proof_key.jkt);
  out.jti = *jti;
  out.htm = *htm;
  out.htu = *htu;
  out.issued_at = iat->get<int64_t>();
  // Item 12 (§7.1) before the rest: the proof's key is the one the token was bound to.
  if (!check.expected_jkt.empty() && !SameBytes(out.jkt, check.expected_jkt)) {
    return Refuse(kReasonDpopKeyMismatch, "the proof key is not the token's cnf.jkt");
  }
  // Item 9: the method, exactly (RFC 9110 §9.1: methods are case-sensitive).
  if (*htm != check.method) return Refuse(kReasonDpopHtmMismatch, "htm is not this method");
  // Item 10: the URL, both sides normalized, query and fragment ignored.
  auto want = NormalizeHtu(check.url);
  auto got = NormalizeHtu(*htu);
  if (!want.ok()) return Refuse(kReasonDpopHtuMismatch, "this request's URL is not known");
  if (!got.ok() || *got != *want) return Refuse(kReasonDpopHtuMismatch, "htu is not this URL");
  // Item 11: iat within the window (and §11.1: a proof made long ago for later use is stale).
  if (out.issued_at < check.now - check.max_age_seconds ||
      out.issued_at > check.now + check.future_leeway_seconds) {
    return Refuse(kReasonDpopStale, "iat is outside the accepted window");
  }
  // §7.1: ath at a resource server binds the proof to this one token.
  if (!check.access_token.empty()) {
    const std::string* ath = StringMember(*claims, "ath");
    if (!ath || !SameBytes(*ath, AccessTokenHash(check.access_token))) {
      return Refuse(kReasonDpopAthMismatch, "ath is not the presented token's hash");
    }
  }
  if (const std::string* nonce = StringMember(*claims, "nonce")) out.nonce = *nonce;
  // Item 11 with nonces (§8, §9).
  if (check.accept_nonce && (out.nonce.empty() || !check.accept_nonce(out.nonce))) {
    return Refuse(kReasonUseDpopNonce, out.nonce.empty() ? "a nonce is required"
                                                         : "the nonce is not current");
  }
  return out;
}

std::optional<DpopKeyCache::Entry> DpopKeyCache::Find(const std::string& jwk_text) const {
  MutexLock lock(mu_);
  auto it = keys_.find(jwk_text);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

void DpopKeyCache::Put(const std::string& jwk_text, Entry entry) {
  MutexLock lock(mu_);
  if (keys_.size() >= capacity_) keys_.clear();
  keys_.insert_or_assign(jwk_text, std::move(entry));
}

Result<DpopNonces> DpopNonces::Create(const Secret& key, int64_t lifetime_seconds) {
  if (key.Reveal().size() < 32) {
    return Status(StatusCode::kInvalidArgument, "a DPoP nonce key needs at least 32 bytes");
  }
  if (lifetime_seconds <= 0) {
    return Status(StatusCode::kInvalidArgument, "a DPoP nonce lifetime must be positive");
  }
  ZTA_ASSIGN_OR_RETURN(Jwk mac, Jwk::FromSecret(key, Algorithm::kHS256));
  return DpopNonces(std::move(mac), lifetime_seconds);
}

std::string DpopNonces::ForWindow(int64_t window) const {
  std::string counter = std::to_string(window);
  auto mac = Sign(Algorithm::kHS256, key_, counter);
  // HMAC over a string cannot fail with a valid key; an empty MAC would only make every nonce
  // fail to verify, never pass.
  return counter + "." + Base64UrlEncode(mac.ok() ? *mac : std::string());
}

std::string DpopNonces::Current(int64_t now) const { return ForWindow(now / lifetime_); }

bool DpopNonces::Accepts(std::string_view nonce, int64_t now) const {
  const int64_t window = now / lifetime_;
  for (int64_t w : {window, window - 1}) {
    if (SameBytes(nonce, ForWindow(w))) return true;
  }
  return false;
}

}  // namespace zta::jose
