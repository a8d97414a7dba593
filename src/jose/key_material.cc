// Signature verification and creation on OpenSSL 3 EVP, one code path per algorithm family.
// Hot path: digest with the one-shot SHA functions, then EVP_PKEY_verify on a pooled context
// that was initialised once per key (padding, PSS salt and MD already set).
#include "key_material.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "zta/jose/verify_error.h"

namespace zta::jose {
namespace {

constexpr size_t kMaxPooledContexts = 32;

const EVP_MD* MessageDigest(HashAlg hash) {
  switch (hash) {
    case HashAlg::kSha256: return EVP_sha256();
    case HashAlg::kSha384: return EVP_sha384();
    case HashAlg::kSha512: return EVP_sha512();
    case HashAlg::kNone: return nullptr;
  }
  return nullptr;
}

struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;

struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

Status BadSignature(const char* why) { return VerifyFailure(VerifyError::kBadSignature, why); }

// JOSE r‖s (RFC 7518 §3.4) → DER, as OpenSSL wants. Sizes were checked by the caller.
bool EcdsaJoseToDer(std::string_view sig, std::string& der) {
  size_t half = sig.size() / 2;
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> s(ECDSA_SIG_new());
  if (!s) return false;
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), half, nullptr);
  BIGNUM* ss = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data() + half), half, nullptr);
  if (!r || !ss || ECDSA_SIG_set0(s.get(), r, ss) != 1) {
    BN_free(r);
    BN_free(ss);
    return false;
  }
  int len = i2d_ECDSA_SIG(s.get(), nullptr);
  if (len <= 0) return false;
  der.resize(static_cast<size_t>(len));
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  return i2d_ECDSA_SIG(s.get(), &p) == len;
}

// DER → JOSE r‖s with each half left-padded to `half` bytes.
bool EcdsaDerToJose(std::string_view der, size_t half, std::string& out) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> s(d2i_ECDSA_SIG(nullptr, &p, der.size()));
  if (!s) return false;
  const BIGNUM* r = ECDSA_SIG_get0_r(s.get());
  const BIGNUM* ss = ECDSA_SIG_get0_s(s.get());
  out.assign(half * 2, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  return BN_bn2binpad(r, o, half) == static_cast<int>(half) &&
         BN_bn2binpad(ss, o + half, half) == static_cast<int>(half);
}

}  // namespace

size_t ComputeDigest(HashAlg hash, std::string_view data, unsigned char* out) {
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  switch (hash) {
    case HashAlg::kSha256: SHA256(in, data.size(), out); return 32;
    case HashAlg::kSha384: SHA384(in, data.size(), out); return 48;
    case HashAlg::kSha512: SHA512(in, data.size(), out); return 64;
    case HashAlg::kNone: return 0;
  }
  return 0;
}

KeyMaterial::~KeyMaterial() {
  for (auto& pools : pools_) {
    for (auto& pool : pools) {
      for (EVP_PKEY_CTX* ctx : pool) EVP_PKEY_CTX_free(ctx);
    }
  }
}

EVP_PKEY_CTX* KeyMaterial::AcquireContext(Operation op, Algorithm alg) const {
  {
    MutexLock lock(pool_mu_);
    auto& pool = pools_[static_cast<size_t>(op)][static_cast<size_t>(alg)];
    if (!pool.empty()) {
      EVP_PKEY_CTX* ctx = pool.back();
      pool.pop_back();
      return ctx;
    }
  }
  const AlgorithmSpec& spec = Spec(alg);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr);
  if (!ctx) return nullptr;
  bool ok = (op == Operation::kSign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) == 1 &&
            EVP_PKEY_CTX_set_signature_md(ctx, MessageDigest(spec.hash)) == 1;
  if (ok && spec.padding == Padding::kPkcs1) {
    ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
  } else if (ok && spec.padding == Padding::kPss) {
    // RFC 7518 §3.5: MGF1 with the same hash, salt length equal to the hash output.
    ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, MessageDigest(spec.hash)) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  }
  if (!ok) {
    EVP_PKEY_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

void KeyMaterial::ReleaseContext(Operation op, Algorithm alg, EVP_PKEY_CTX* ctx) const {
  {
    MutexLock lock(pool_mu_);
    auto& pool = pools_[static_cast<size_t>(op)][static_cast<size_t>(alg)];
    if (pool.size() < kMaxPooledContexts) {
      pool.push_back(ctx);
      return;
    }
  }
  EVP_PKEY_CTX_free(ctx);
}

Status KeyMaterial::Verify(Algorithm alg, std::string_view data, std::string_view signature) const {
  const AlgorithmSpec& spec = Spec(alg);
  if (signature.empty()) return BadSignature("empty signature");
  switch (spec.key_type) {
    case KeyType::kOct: {
      if (secret.size() < static_cast<size_t>(spec.min_key_bytes)) {
        return VerifyFailure(VerifyError::kWeakKey, "HMAC key shorter than the hash output");
      }
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int mac_len = 0;
      if (!HMAC(MessageDigest(spec.hash), secret.Reveal().data(),
                static_cast<int>(secret.size()),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len)) {
        return Internal("HMAC failed");
      }
      if (!ConstantTimeEquals(std::string_view(reinterpret_cast<char*>(mac), mac_len), signature)) {
        return BadSignature("HMAC does not match");
      }
      return Status::Ok();
    }
    case KeyType::kOKP: {
      if (signature.size() != static_cast<size_t>(spec.signature_size)) {
        return BadSignature("Ed25519 signature is not 64 bytes");
      }
      EvpMdCtxPtr md_ctx(EVP_MD_CTX_new());
      if (!md_ctx ||
          EVP_DigestVerifyInit(md_ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
        return Internal("EVP_DigestVerifyInit failed");
      }
      int rc = EVP_DigestVerify(md_ctx.get(),
                                reinterpret_cast<const unsigned char*>(signature.data()),
                                signature.size(),
                                reinterpret_cast<const unsigned char*>(data.data()), data.size());
      if (rc != 1) {
        ERR_clear_error();
        return BadSignature("Ed25519 signature does not verify");
      }
      return Status::Ok();
    }
    case KeyType::kEC:
    case KeyType::kRSA: {
      std::string der;
      std::string_view sig = signature;
      if (spec.key_type == KeyType::kEC) {
        // RFC 7518 §3.4: exactly 2 × coordinate size; DER or short forms are refused.
        if (signature.size() != static_cast<size_t>(spec.signature_size)) {
          return BadSignature("ECDSA signature has the wrong length");
        }
        if (!EcdsaJoseToDer(signature, der)) return BadSignature("ECDSA signature unusable");
        sig = der;
      } else if (signature.size() != static_cast<size_t>((rsa_bits + 7) / 8)) {
        // RFC 8017 §8.2.2 step 1: the signature is exactly k octets.
        return BadSignature("RSA signature length differs from the modulus length");
      }
      unsigned char digest[EVP_MAX_MD_SIZE];
      size_t digest_len = ComputeDigest(spec.hash, data, digest);
      EVP_PKEY_CTX* ctx = AcquireContext(Operation::kVerify, alg);
      if (!ctx) return Internal("cannot initialise OpenSSL verification");
      int rc = EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                               digest, digest_len);
      ReleaseContext(Operation::kVerify, alg, ctx);
      if (rc != 1) {
        ERR_clear_error();
        return BadSignature("signature does not verify");
      }
      return Status::Ok();
    }
  }
  return BadSignature("unsupported key type");
}

Result<std::string> KeyMaterial::Sign(Algorithm alg, std::string_view data) const {
  const AlgorithmSpec& spec = Spec(alg);
  if (spec.key_type == KeyType::kOct) {
    if (secret.size() < static_cast<size_t>(spec.min_key_bytes)) {
      return VerifyFailure(VerifyError::kWeakKey, "HMAC key shorter than the hash output");
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(MessageDigest(spec.hash), secret.Reveal().data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len)) {
      return Internal("HMAC failed");
    }
    return std::string(reinterpret_cast<char*>(mac), mac_len);
  }
  if (!has_private || !pkey) {
    return VerifyFailure(VerifyError::kInvalidKey, "signing needs a private key");
  }
  if (spec.key_type == KeyType::kEC || spec.key_type == KeyType::kRSA) {
    // Hash here and sign the digest with a pooled context: a fresh EVP_DigestSignInit per token
    // costs about a fifth of an ES256 signature.
    unsigned char digest[EVP_MAX_MD_SIZE];
    size_t digest_len = ComputeDigest(spec.hash, data, digest);
    EVP_PKEY_CTX* ctx = AcquireContext(Operation::kSign, alg);
    if (!ctx) return Internal("cannot initialise OpenSSL signing");
    std::string sig(static_cast<size_t>(EVP_PKEY_get_size(pkey.get())), '\0');
    size_t len = sig.size();
    int rc =
        EVP_PKEY_sign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, digest, digest_len);
    ReleaseContext(Operation::kSign, alg, ctx);
    if (rc != 1) {
      ERR_clear_error();
      return Internal("EVP_PKEY_sign failed");
    }
    sig.resize(len);
    if (spec.key_type == KeyType::kRSA) return sig;
    std::string jose;
    if (!EcdsaDerToJose(sig, static_cast<size_t>(spec.signature_size / 2), jose)) {
      return Internal("cannot convert ECDSA signature");
    }
    return jose;
  }
  // Ed25519 (RFC 8037): no pre-hash, one-shot EVP_DigestSign; the signature is 64 bytes.
  EvpMdCtxPtr md_ctx(EVP_MD_CTX_new());
  if (!md_ctx || EVP_DigestSignInit(md_ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return Internal("EVP_DigestSignInit failed");
  }
  std::string sig(static_cast<size_t>(EVP_PKEY_get_size(pkey.get())), '\0');
  size_t len = sig.size();
  if (EVP_DigestSign(md_ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return Internal("EVP_DigestSign failed");
  }
  sig.resize(len);
  return sig;
}

}  // namespace zta::jose
