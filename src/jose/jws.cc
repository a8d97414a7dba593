// JWS compact serialization (RFC 7515 §3.1, §5.2): parse, select key, verify, sign.
#include "zta/jose/jws.h"

#include <algorithm>

#include "key_material.h"
#include "zta/core/base64url.h"

namespace zta::jose {
namespace {

Status Fail(VerifyError e, std::string detail) { return VerifyFailure(e, std::move(detail)); }

}  // namespace

Result<ParsedJws> ParseCompact(std::string_view token, const JwsVerifyOptions& options) {
  // Size first: nothing else is looked at in an oversized token.
  if (token.size() > options.max_token_bytes) {
    return Fail(VerifyError::kTooLarge, "token larger than " +
                                            std::to_string(options.max_token_bytes) + " bytes");
  }
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Fail(VerifyError::kMalformed, "a compact JWS has exactly three parts");
  }
  if (dot1 == 0) return Fail(VerifyError::kMalformed, "empty protected header");

  ParsedJws jws;
  jws.signing_input = token.substr(0, dot2);
  jws.encoded_payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string header_text;
  if (!Base64UrlDecodeInto(token.substr(0, dot1), header_text)) {
    return Fail(VerifyError::kMalformed, "header is not base64url");
  }
  JsonLimits limits;
  limits.max_depth = kMaxJsonDepth;
  limits.max_bytes = options.max_token_bytes;
  auto header = ParseJsonStrict(header_text, limits);
  if (!header.ok()) {
    auto reason = header.status().reason() == "too_large" ? VerifyError::kTooLarge
                                                          : VerifyError::kMalformed;
    return Fail(reason, "header: " + header.status().message());
  }
  if (!header->is_object()) return Fail(VerifyError::kMalformed, "header is not a JSON object");
  jws.header = std::move(header).value();

  // RFC 8725 §3.1: the algorithm comes from the caller's allow-list, never from the token alone.
  auto alg_it = jws.header.find("alg");
  if (alg_it == jws.header.end() || !alg_it->is_string()) {
    return Fail(VerifyError::kAlgNotAllowed, "header has no alg");
  }
  auto alg = AlgorithmFromName(alg_it->get_ref<const std::string&>());
  if (!alg || !options.allowed_algorithms.Contains(*alg)) {
    return Fail(VerifyError::kAlgNotAllowed,
                "alg " + alg_it->get<std::string>() + " is not allowed");
  }
  jws.alg = *alg;

  // RFC 7515 §4.1.11: crit is a non-empty array of names present in the header, each of which
  // the recipient must understand.
  if (auto it = jws.header.find("crit"); it != jws.header.end()) {
    if (!it->is_array() || it->empty()) {
      return Fail(VerifyError::kMalformed, "crit must be a non-empty array");
    }
    for (const auto& name : *it) {
      if (!name.is_string()) return Fail(VerifyError::kMalformed, "crit entry is not a string");
      const auto& n = name.get_ref<const std::string&>();
      bool understood = std::find(options.understood_crit.begin(), options.understood_crit.end(),
                                  n) != options.understood_crit.end();
      if (!understood || !jws.header.contains(n)) {
        return Fail(VerifyError::kCritUnsupported, "crit names unsupported parameter " + n);
      }
    }
  }
  // RFC 7797: an unencoded payload changes what is signed; not supported, so refused.
  if (auto it = jws.header.find("b64"); it != jws.header.end()) {
    if (!it->is_boolean()) return Fail(VerifyError::kMalformed, "b64 is not a boolean");
    if (!it->get<bool>()) return Fail(VerifyError::kCritUnsupported, "b64:false is not supported");
  }
  if (auto it = jws.header.find("kid"); it != jws.header.end()) {
    if (!it->is_string()) return Fail(VerifyError::kMalformed, "kid is not a string");
    jws.kid = it->get<std::string>();
  }
  if (!Base64UrlDecodeInto(jws.encoded_payload, jws.payload)) {
    return Fail(VerifyError::kMalformed, "payload is not base64url");
  }
  if (!Base64UrlDecodeInto(token.substr(dot2 + 1), jws.signature)) {
    return Fail(VerifyError::kMalformed, "signature is not base64url");
  }
  if (jws.signature.empty()) return Fail(VerifyError::kBadSignature, "missing signature");
  return jws;
}

Result<const Jwk*> SelectKey(const ParsedJws& jws, const Jwks& keys) {
  const Jwk* key = nullptr;
  if (!jws.kid.empty()) {
    key = keys.FindByKid(jws.kid);
    if (!key) return Fail(VerifyError::kUnknownKid, "no key with the token's kid");
  } else if (keys.size() == 1) {
    key = &keys.keys().front();
  } else {
    // With several keys, guessing would let a token pick among them.
    return Fail(VerifyError::kUnknownKid,
                "token has no kid and the key set has " + std::to_string(keys.size()) + " keys");
  }
  if (!key->CanUse(jws.alg)) {
    return Fail(VerifyError::kKeyAlgMismatch,
                "the selected key cannot verify " + std::string(AlgorithmName(jws.alg)));
  }
  return key;
}

Status VerifySignature(Algorithm alg, const Jwk& key, std::string_view signing_input,
                       std::string_view signature) {
  if (!key.CanUse(alg)) {
    return Fail(VerifyError::kKeyAlgMismatch,
                "the key cannot verify " + std::string(AlgorithmName(alg)));
  }
  return key.material().Verify(alg, signing_input, signature);
}

Result<ParsedJws> VerifyCompact(std::string_view token, const Jwks& keys,
                                const JwsVerifyOptions& options) {
  ZTA_ASSIGN_OR_RETURN(ParsedJws jws, ParseCompact(token, options));
  ZTA_ASSIGN_OR_RETURN(const Jwk* key, SelectKey(jws, keys));
  ZTA_RETURN_IF_ERROR(key->material().Verify(jws.alg, jws.signing_input, jws.signature));
  return jws;
}

Result<std::string> Sign(Algorithm alg, const Jwk& key, std::string_view data) {
  if (!key.CanUse(alg)) {
    return Fail(VerifyError::kKeyAlgMismatch,
                "the key cannot sign " + std::string(AlgorithmName(alg)));
  }
  return key.material().Sign(alg, data);
}

Result<std::string> SignCompact(Algorithm alg, const Jwk& key, std::string_view payload,
                                Json header) {
  if (!header.is_object()) return InvalidArgument("JWS header must be an object");
  header["alg"] = std::string(AlgorithmName(alg));
  if (!header.contains("kid") && !key.kid().empty()) header["kid"] = key.kid();
  std::string signing_input = Base64UrlEncode(DumpJson(header));
  signing_input += '.';
  signing_input += Base64UrlEncode(payload);
  ZTA_ASSIGN_OR_RETURN(std::string signature, Sign(alg, key, signing_input));
  signing_input += '.';
  signing_input += Base64UrlEncode(signature);
  return signing_input;
}

}  // namespace zta::jose
