// DpopKey (RFC 9449 §4.2 proofs, §8 nonces) and AccessToken::Attach, which presents a token with
// its proof (§7.1). See zta/auth/dpop_key.h.
#include "zta/auth/dpop_key.h"

#include <algorithm>

#include "signing_key.h"
#include "zta/auth/auth_provider.h"
#include "zta/auth/token_source.h"
#include "zta/core/json.h"
#include "zta/core/secret.h"
#include "zta/core/toml_reader.h"
#include "zta/http/client.h"
#include "zta/http/protocol.h"
#include "zta/jose/dpop.h"

namespace zta::auth {
namespace {

// §8.1: nonce = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E.
bool IsNonce(std::string_view nonce) {
  if (nonce.empty() || nonce.size() > DpopKey::kMaxNonceBytes) return false;
  return std::all_of(nonce.begin(), nonce.end(),
                     [](char c) { return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\'; });
}

// "scheme://host[:port]" of a normalized URL: a nonce is the server's, and one server is one
// origin (RFC 6454 §4). Empty for a URL that is not absolute http(s).
std::string Origin(std::string_view url) {
  auto normalized = jose::NormalizeHtu(url);
  if (!normalized.ok()) return {};
  const std::string& s = *normalized;
  size_t slash = s.find('/', s.find("://") + 3);
  return slash == std::string::npos ? s : s.substr(0, slash);
}

}  // namespace

DpopKey::DpopKey(jose::Jwk key, jose::Algorithm alg, const Clock& clock)
    : key_(std::move(key)), alg_(alg), thumbprint_(key_.Thumbprint()), clock_(clock) {}

Result<std::shared_ptr<DpopKey>> DpopKey::Generate(const Clock& clock, jose::Algorithm alg) {
  if (!jose::DpopAlgorithms().Contains(alg)) {
    return InvalidArgument("DPoP needs an asymmetric algorithm, not " +
                           std::string(jose::AlgorithmName(alg)));
  }
  ZTA_ASSIGN_OR_RETURN(jose::Jwk key, jose::Jwk::Generate(alg));
  return std::shared_ptr<DpopKey>(new DpopKey(std::move(key), alg, clock));
}

Result<std::shared_ptr<DpopKey>> DpopKey::FromJwk(const jose::Jwk& key, const Clock& clock) {
  // §4.3 item 5: proofs are asymmetric signatures; a MAC key would be shared with the verifier.
  if (key.kty() == jose::KeyType::kOct) return InvalidArgument("a DPoP key must be asymmetric");
  if (!key.has_private()) return InvalidArgument("the DPoP key has no private part");
  const jose::Algorithm alg = internal::DefaultAlgorithm(key);
  if (!jose::DpopAlgorithms().Contains(alg) || !key.CanUse(alg)) {
    return InvalidArgument("the DPoP key cannot sign with an algorithm DPoP allows");
  }
  return std::shared_ptr<DpopKey>(new DpopKey(key, alg, clock));
}

Result<jose::Jwk> ReadDpopKeyFile(const std::string& path) {
  auto key = ReadPrivateKeyFile(path);
  if (!key.ok()) {
    // Only the reason: a parser's message could quote what it read, and the file is a key.
    const std::string reason =
        key.status().reason().empty() ? "invalid_key" : std::string(key.status().reason());
    return InvalidArgument(path + ": not a private JWK (" + reason + ")");
  }
  auto checked = DpopKey::FromJwk(*key, SystemClock::Instance());
  if (!checked.ok()) return checked.status().WithContext(path);
  return key;
}

Result<std::shared_ptr<DpopKey>> LoadDpopKeyFile(const std::string& path, const Clock& clock) {
  ZTA_ASSIGN_OR_RETURN(jose::Jwk key, ReadDpopKeyFile(path));
  return DpopKey::FromJwk(key, clock);
}

Result<std::string> DpopKey::Proof(std::string_view method, std::string_view url,
                                   std::string_view access_token) const {
  jose::DpopProofInput input;
  input.method = std::string(method);
  input.url = std::string(url);
  input.issued_at = clock_.NowSeconds();
  input.access_token = std::string(access_token);
  input.nonce = NonceFor(url);
  auto proof = jose::CreateDpopProof(alg_, key_, input);
  Secret wipe(std::move(input.access_token));  // this copy of the token is wiped like the original
  if (!proof.ok()) return proof.status().WithContext("DPoP proof for " + std::string(method));
  return proof;
}

void DpopKey::RememberNonce(std::string_view url, std::string nonce) {
  if (!IsNonce(nonce)) return;
  std::string origin = Origin(url);
  if (origin.empty()) return;
  MutexLock lock(mu_);
  std::erase_if(nonces_, [&](const auto& entry) { return entry.first == origin; });
  if (nonces_.size() >= kMaxOrigins) nonces_.erase(nonces_.begin());
  nonces_.emplace_back(std::move(origin), std::move(nonce));
}

bool DpopKey::LearnNonce(std::string_view url, const http::Response& response) {
  auto nonce = response.headers.Get(jose::kDpopNonceHeader);
  if (!nonce || !IsNonce(*nonce)) return false;
  RememberNonce(url, std::string(*nonce));
  if (response.status == 401) {
    auto challenge = response.headers.Get("WWW-Authenticate");
    return challenge && challenge->find(jose::kErrorUseDpopNonce) != std::string::npos;
  }
  if (response.status != 400) return false;
  auto json = ParseJsonStrict(response.body);
  if (!json.ok() || !json->is_object()) return false;
  auto error = json->find("error");
  return error != json->end() && error->is_string() &&
         error->get_ref<const std::string&>() == jose::kErrorUseDpopNonce;
}

std::string DpopKey::NonceFor(std::string_view url) const {
  const std::string origin = Origin(url);
  MutexLock lock(mu_);
  for (const auto& [o, nonce] : nonces_) {
    if (o == origin) return nonce;
  }
  return {};
}

Status AccessToken::Attach(http::ClientRequest& request) const {
  const bool dpop_type = http::EqualsIgnoreCase(token_type, "DPoP");
  // Fail closed: a DPoP-bound token without its key is useless, and sending it as a bearer
  // token would only be refused (RFC 9449 §7.1).
  if (dpop_type && dpop_key == nullptr) {
    return FailedPrecondition("a DPoP-bound token (jti " + jti + ") has no proof key");
  }
  if (dpop_key != nullptr) {
    // §7.1: htm and htu of this request, ath of this token; a fresh jti each time.
    ZTA_ASSIGN_OR_RETURN(std::string proof,
                         dpop_key->Proof(request.method, request.url, value.Reveal()));
    request.headers.Set(jose::kDpopHeader, std::move(proof));
  }
  request.headers.Set("Authorization", token_type + " " + value.Reveal());
  return Status::Ok();
}

}  // namespace zta::auth
