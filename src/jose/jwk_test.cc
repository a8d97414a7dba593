// Tests for JWK/JWKS parsing, export, generation and thumbprints.
#include "zta/jose/jwk.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "test_util.h"
#include "zta/core/base64url.h"

namespace zta::jose {
namespace {

using testing::TestKey;

std::string ReasonOf(const Status& s) { return s.reason(); }

// Generated keys of every algorithm round-trip through private and public JSON.
TEST(Jwk, GenerateAndRoundTripEveryAlgorithm) {
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kES384, Algorithm::kES512,
                        Algorithm::kRS256, Algorithm::kPS256, Algorithm::kEdDSA}) {
    const Jwk& key = TestKey(alg);
    EXPECT_TRUE(key.has_private());
    EXPECT_TRUE(key.CanUse(alg));
    JwkParseOptions sign;
    sign.role = KeyRole::kSign;
    auto again = Jwk::Parse(key.ToPrivateJson(), sign);
    ASSERT_TRUE(again.ok()) << AlgorithmName(alg) << ": " << again.status();
    EXPECT_EQ(again->Thumbprint(), key.Thumbprint());
    auto pub = Jwk::Parse(key.ToPublicJson());
    ASSERT_TRUE(pub.ok()) << pub.status();
    EXPECT_FALSE(pub->has_private());
    EXPECT_EQ(pub->Thumbprint(), key.Thumbprint());
    // Public JSON never carries private members.
    for (const char* m : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
      EXPECT_FALSE(key.ToPublicJson().contains(m)) << m;
    }
  }
}

// RFC 7638 §3.1 example: the thumbprint of the RFC's RSA key.
TEST(Jwk, ThumbprintMatchesRfc7638Example) {
  Json jwk = {
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
       "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qv"
       "zqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6W"
       "eZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  auto key = Jwk::Parse(jwk);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->Thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(key->rsa_bits(), 2048);
}

// Private members where a public key is expected are refused.
TEST(Jwk, RejectsPrivateMembersInVerificationKey) {
  auto r = Jwk::Parse(TestKey(Algorithm::kES256).ToPrivateJson());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ReasonOf(r.status()), "unexpected_private_key");
  auto rsa = Jwk::Parse(TestKey(Algorithm::kRS256).ToPrivateJson());
  EXPECT_EQ(ReasonOf(rsa.status()), "unexpected_private_key");
}

// A signing role requires the private half.
TEST(Jwk, SignRoleNeedsPrivateKey) {
  JwkParseOptions sign;
  sign.role = KeyRole::kSign;
  auto r = Jwk::Parse(TestKey(Algorithm::kES256).ToPublicJson(), sign);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ReasonOf(r.status()), "invalid_key");
}

// EC coordinates must be exactly the curve size and the point must be on the curve.
TEST(Jwk, RejectsBadEcPoints) {
  Json pub = TestKey(Algorithm::kES256).ToPublicJson();
  Json shortx = pub;
  auto x = Base64UrlDecode(pub["x"].get<std::string>());
  ASSERT_TRUE(x.ok());
  shortx["x"] = Base64UrlEncode(x->substr(1));
  EXPECT_EQ(ReasonOf(Jwk::Parse(shortx).status()), "invalid_key");
  Json longx = pub;
  longx["x"] = Base64UrlEncode(std::string(1, '\0') + *x);
  EXPECT_EQ(ReasonOf(Jwk::Parse(longx).status()), "invalid_key");
  Json off_curve = pub;
  std::string y = *Base64UrlDecode(pub["y"].get<std::string>());
  y[31] ^= 1;
  off_curve["y"] = Base64UrlEncode(y);
  EXPECT_EQ(ReasonOf(Jwk::Parse(off_curve).status()), "invalid_key");
  Json wrong_curve = pub;
  wrong_curve["crv"] = "P-384";
  EXPECT_EQ(ReasonOf(Jwk::Parse(wrong_curve).status()), "invalid_key");
}

// Unknown kty and curves are unsupported, not guessed.
TEST(Jwk, RejectsUnknownTypesAndCurves) {
  EXPECT_EQ(ReasonOf(Jwk::Parse(Json{{"kty", "XYZ"}}).status()), "unsupported_key");
  Json k = TestKey(Algorithm::kES256).ToPublicJson();
  k["crv"] = "secp256k1";
  EXPECT_EQ(ReasonOf(Jwk::Parse(k).status()), "unsupported_key");
  EXPECT_EQ(ReasonOf(Jwk::Parse(Json{{"kty", "OKP"}, {"crv", "X25519"}, {"x", "AAAA"}}).status()),
            "unsupported_key");
  EXPECT_EQ(ReasonOf(Jwk::Parse(Json{{"no", "kty"}}).status()), "invalid_key");
  EXPECT_EQ(ReasonOf(Jwk::Parse(Json::array()).status()), "invalid_key");
}

// use other than "sig" and key_ops without verify make a key unusable for signatures.
TEST(Jwk, EnforcesUseAndKeyOps) {
  Json k = TestKey(Algorithm::kES256).ToPublicJson();
  k["use"] = "enc";
  EXPECT_EQ(ReasonOf(Jwk::Parse(k).status()), "bad_key_use");
  k.erase("use");
  k["key_ops"] = {"encrypt"};
  EXPECT_EQ(ReasonOf(Jwk::Parse(k).status()), "bad_key_use");
  k["key_ops"] = {"verify"};
  EXPECT_TRUE(Jwk::Parse(k).ok());
}

// An alg member must be a JWS algorithm the key can make.
TEST(Jwk, AlgMemberMustFitKey) {
  Json k = TestKey(Algorithm::kES256).ToPublicJson();
  k["alg"] = "ES384";
  EXPECT_EQ(ReasonOf(Jwk::Parse(k).status()), "key_alg_mismatch");
  k["alg"] = "RSA-OAEP";
  EXPECT_EQ(ReasonOf(Jwk::Parse(k).status()), "unsupported_key");
  Json rsa = TestKey(Algorithm::kRS256).ToPublicJson();
  auto key = Jwk::Parse(rsa);
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(key->CanUse(Algorithm::kRS256));
  EXPECT_FALSE(key->CanUse(Algorithm::kPS256));  // bound by its alg member
  rsa.erase("alg");
  auto any = Jwk::Parse(rsa);
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->CanUse(Algorithm::kPS256));
  EXPECT_FALSE(any->CanUse(Algorithm::kES256));
}

// RSA keys under 2048 bits and bad exponents are weak.
TEST(Jwk, RejectsWeakRsa) {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
  ASSERT_NE(raw, nullptr);
  BIGNUM* n = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_RSA_N, &n), 1);
  std::string nb(static_cast<size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(nb.data()));
  BN_free(n);
  EVP_PKEY_free(raw);
  Json small = {{"kty", "RSA"}, {"n", Base64UrlEncode(nb)}, {"e", "AQAB"}};
  EXPECT_EQ(ReasonOf(Jwk::Parse(small).status()), "weak_key");
  Json e_one = TestKey(Algorithm::kRS256).ToPublicJson();
  e_one["e"] = "AQ";
  EXPECT_EQ(ReasonOf(Jwk::Parse(e_one).status()), "weak_key");
  Json e_even = TestKey(Algorithm::kRS256).ToPublicJson();
  e_even["e"] = "AQAA";
  EXPECT_EQ(ReasonOf(Jwk::Parse(e_even).status()), "weak_key");
}

// Symmetric keys need explicit opt-in and the hash-size minimum.
TEST(Jwk, SymmetricKeysAreOptInAndSized) {
  Json k = {{"kty", "oct"}, {"k", Base64UrlEncode(std::string(32, 'k'))}, {"alg", "HS256"}};
  EXPECT_EQ(ReasonOf(Jwk::Parse(k).status()), "symmetric_key_not_allowed");
  JwkParseOptions sym;
  sym.allow_symmetric = true;
  EXPECT_TRUE(Jwk::Parse(k, sym).ok());
  k["alg"] = "HS512";
  EXPECT_EQ(ReasonOf(Jwk::Parse(k, sym).status()), "weak_key");
  k["k"] = "";
  k["alg"] = "HS256";
  EXPECT_EQ(ReasonOf(Jwk::Parse(k, sym).status()), "weak_key");
}

// Ed25519 private keys must match their public half.
TEST(Jwk, Ed25519PrivateMustMatchPublic) {
  Json priv = TestKey(Algorithm::kEdDSA).ToPrivateJson();
  priv["x"] = TestKey(Algorithm::kEdDSA).ToPublicJson()["x"];
  std::string x = *Base64UrlDecode(priv["x"].get<std::string>());
  x[0] ^= 1;
  priv["x"] = Base64UrlEncode(x);
  JwkParseOptions sign;
  sign.role = KeyRole::kSign;
  EXPECT_EQ(ReasonOf(Jwk::Parse(priv, sign).status()), "invalid_key");
}

// Key sets: encryption keys are skipped, duplicates, mixing and empty sets refused.
TEST(Jwks, ParsesSetsStrictly) {
  Json es = TestKey(Algorithm::kES256).ToPublicJson();
  Json ed = TestKey(Algorithm::kEdDSA).ToPublicJson();
  Json enc = es;
  enc["use"] = "enc";
  enc["kid"] = "enc-key";
  auto set = Jwks::Parse(Json{{"keys", {es, ed, enc}}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->size(), 2u);
  EXPECT_EQ(set->skipped().size(), 1u);
  EXPECT_NE(set->FindByKid(es["kid"].get<std::string>()), nullptr);
  EXPECT_EQ(set->FindByKid("nope"), nullptr);

  EXPECT_EQ(ReasonOf(Jwks::Parse(Json{{"keys", {es, es}}}).status()), "duplicate_kid");
  EXPECT_EQ(ReasonOf(Jwks::Parse(Json{{"keys", Json::array()}}).status()), "no_key");
  EXPECT_EQ(ReasonOf(Jwks::Parse(Json{{"keys", {enc}}}).status()), "no_key");
  JwkParseOptions sym;
  sym.allow_symmetric = true;
  Json oct = {{"kty", "oct"}, {"k", Base64UrlEncode(std::string(32, 'k'))}, {"kid", "h"}};
  EXPECT_EQ(ReasonOf(Jwks::Parse(Json{{"keys", {oct, es}}}, sym).status()), "mixed_key_set");
  EXPECT_EQ(ReasonOf(Jwks::Parse(Json{{"keys", {es, TestKey(Algorithm::kEdDSA).ToPrivateJson()}}})
                         .status()),
            "unexpected_private_key");
  EXPECT_EQ(ReasonOf(Jwks::Parse(Json{{"nokeys", 1}}).status()), "invalid_key");
  EXPECT_FALSE(Jwks::ParseText("{not json").ok());
}

// ParseKeyOrSet accepts a bare key or a set, and round-trips ToPublicJson.
TEST(Jwks, ParseKeyOrSetAndExport) {
  auto one = Jwks::ParseKeyOrSet(TestKey(Algorithm::kES256).ToPublicJson().dump());
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->size(), 1u);
  auto again = Jwks::ParseKeyOrSet(one->ToPublicJson().dump());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->keys()[0].Thumbprint(), one->keys()[0].Thumbprint());
}

}  // namespace
}  // namespace zta::jose
