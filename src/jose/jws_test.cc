// Tests for JWS compact sign/verify: round trips, algorithm binding, header rules, bit flips.
#include "zta/jose/jws.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace zta::jose {
namespace {

using testing::Join;
using testing::Parts;
using testing::PublicSet;
using testing::TestKey;
using testing::WithHeader;

JwsVerifyOptions Allow(std::initializer_list<Algorithm> algs) {
  JwsVerifyOptions o;
  o.allowed_algorithms = AlgorithmSet(algs);
  return o;
}

constexpr Algorithm kAsymmetric[] = {
    Algorithm::kES256, Algorithm::kES384, Algorithm::kES512, Algorithm::kRS256,
    Algorithm::kRS384, Algorithm::kRS512, Algorithm::kPS256, Algorithm::kPS384,
    Algorithm::kPS512, Algorithm::kEdDSA};

// Every algorithm signs and verifies its own signature, and payload bytes survive.
TEST(Jws, SignVerifyRoundTripEveryAlgorithm) {
  for (Algorithm alg : kAsymmetric) {
    // RSA keys without an alg member may serve every RSA algorithm.
    const Jwk& base = TestKey(Spec(alg).key_type == KeyType::kRSA ? Algorithm::kRS256 : alg);
    Json priv = base.ToPrivateJson();
    priv.erase("alg");
    JwkParseOptions sign;
    sign.role = KeyRole::kSign;
    auto key = Jwk::Parse(priv, sign);
    ASSERT_TRUE(key.ok()) << key.status();
    std::string payload = std::string("payload\0bytes for ", 18) + std::string(AlgorithmName(alg));
    auto token = SignCompact(alg, *key, payload);
    ASSERT_TRUE(token.ok()) << AlgorithmName(alg) << ": " << token.status();
    Jwks set({key->PublicKey()});
    auto v = VerifyCompact(*token, set, Allow({alg}));
    ASSERT_TRUE(v.ok()) << AlgorithmName(alg) << ": " << v.status();
    EXPECT_EQ(v->payload, payload);
    EXPECT_EQ(v->alg, alg);
  }
  auto hs = Jwk::FromSecret(Secret(std::string(32, 's')), Algorithm::kHS256, "h");
  ASSERT_TRUE(hs.ok());
  auto token = SignCompact(Algorithm::kHS256, *hs, "x");
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(VerifyCompact(*token, Jwks({*hs}), Allow({Algorithm::kHS256})).ok());
}

// Flipping any single bit of the signature, or truncating it, makes verification fail.
TEST(Jws, EveryBitFlipAndTruncationIsRejected) {
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kRS256, Algorithm::kPS256,
                        Algorithm::kEdDSA}) {
    auto token = SignCompact(alg, TestKey(alg), "{\"sub\":\"x\"}");
    ASSERT_TRUE(token.ok());
    Jwks set = PublicSet(alg);
    auto parts = Parts(*token);
    std::string sig = *Base64UrlDecode(parts[2]);
    for (size_t bit = 0; bit < sig.size() * 8; ++bit) {
      std::string bad = sig;
      bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
      parts[2] = Base64UrlEncode(bad);
      auto r = VerifyCompact(Join(parts), set, Allow({alg}));
      ASSERT_FALSE(r.ok()) << AlgorithmName(alg) << " bit " << bit;
      EXPECT_EQ(r.status().reason(), "bad_signature");
    }
    for (size_t len : {size_t{0}, size_t{1}, sig.size() / 2, sig.size() - 1}) {
      parts[2] = Base64UrlEncode(sig.substr(0, len));
      auto r = VerifyCompact(Join(parts), set, Allow({alg}));
      ASSERT_FALSE(r.ok()) << AlgorithmName(alg) << " length " << len;
      EXPECT_EQ(r.status().reason(), "bad_signature");
    }
  }
}

// A payload changed after signing is rejected.
TEST(Jws, ModifiedPayloadIsRejected) {
  auto token = SignCompact(Algorithm::kES256, TestKey(Algorithm::kES256), "{\"a\":1}");
  ASSERT_TRUE(token.ok());
  auto parts = Parts(*token);
  parts[1] = Base64UrlEncode("{\"a\":2}");
  auto r = VerifyCompact(Join(parts), PublicSet(Algorithm::kES256), Allow({Algorithm::kES256}));
  EXPECT_EQ(r.status().reason(), "bad_signature");
}

// alg none, algorithms outside the allow-list and a missing alg are refused.
TEST(Jws, AlgorithmAllowList) {
  auto token = SignCompact(Algorithm::kES256, TestKey(Algorithm::kES256), "x");
  ASSERT_TRUE(token.ok());
  Jwks set = PublicSet(Algorithm::kES256);
  EXPECT_EQ(VerifyCompact(*token, set, Allow({Algorithm::kRS256})).status().reason(),
            "alg_not_allowed");
  EXPECT_EQ(VerifyCompact(*token, set, JwsVerifyOptions{}).status().reason(), "alg_not_allowed");
  std::string none = Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode("x") + ".";
  EXPECT_EQ(VerifyCompact(none, set, Allow({Algorithm::kES256})).status().reason(),
            "alg_not_allowed");
  auto no_alg = WithHeader(*token, Json{{"kid", TestKey(Algorithm::kES256).kid()}});
  EXPECT_EQ(VerifyCompact(no_alg, set, Allow({Algorithm::kES256})).status().reason(),
            "alg_not_allowed");
}

// The key decides what it can verify: an HS256 token "signed" with the public key's bytes, or
// an ES384 header against a P-256 key, never reaches signature math.
TEST(Jws, KeyAlgorithmBinding) {
  auto token = SignCompact(Algorithm::kES256, TestKey(Algorithm::kES256), "x");
  ASSERT_TRUE(token.ok());
  Jwks set = PublicSet(Algorithm::kES256);
  auto es384 = WithHeader(*token, Json{{"alg", "ES384"}, {"kid", TestKey(Algorithm::kES256).kid()}});
  EXPECT_EQ(VerifyCompact(es384, set, Allow({Algorithm::kES256, Algorithm::kES384}))
                .status().reason(),
            "key_alg_mismatch");
  auto hs = WithHeader(*token, Json{{"alg", "HS256"}, {"kid", TestKey(Algorithm::kES256).kid()}});
  EXPECT_EQ(VerifyCompact(hs, set, Allow({Algorithm::kES256, Algorithm::kHS256})).status().reason(),
            "key_alg_mismatch");
}

// kid selects the key; without a kid only a one-key set is usable.
TEST(Jws, KidSelection) {
  auto token = SignCompact(Algorithm::kES256, TestKey(Algorithm::kES256), "x");
  ASSERT_TRUE(token.ok());
  Jwks two({TestKey(Algorithm::kES256).PublicKey(), TestKey(Algorithm::kEdDSA).PublicKey()});
  auto opts = Allow({Algorithm::kES256, Algorithm::kEdDSA});
  EXPECT_TRUE(VerifyCompact(*token, two, opts).ok());
  auto unknown = WithHeader(*token, Json{{"alg", "ES256"}, {"kid", "other"}});
  EXPECT_EQ(VerifyCompact(unknown, two, opts).status().reason(), "unknown_kid");
  auto no_kid = WithHeader(*token, Json{{"alg", "ES256"}});
  EXPECT_EQ(VerifyCompact(no_kid, two, opts).status().reason(), "unknown_kid");
  // With one key and no kid the key is used (and here the header change breaks the signature).
  EXPECT_EQ(VerifyCompact(no_kid, PublicSet(Algorithm::kES256), opts).status().reason(),
            "bad_signature");
}

// crit with unknown names and b64:false are refused; understood crit names pass.
TEST(Jws, CritAndB64) {
  const Jwk& key = TestKey(Algorithm::kES256);
  Jwks set = PublicSet(Algorithm::kES256);
  auto opts = Allow({Algorithm::kES256});
  auto crit = SignCompact(Algorithm::kES256, key, "x", Json{{"crit", {"exp"}}, {"exp", 1}});
  ASSERT_TRUE(crit.ok());
  EXPECT_EQ(VerifyCompact(*crit, set, opts).status().reason(), "crit_unsupported");
  auto understood = opts;
  understood.understood_crit = {"exp"};
  EXPECT_TRUE(VerifyCompact(*crit, set, understood).ok());
  auto absent = SignCompact(Algorithm::kES256, key, "x", Json{{"crit", {"zz"}}});
  understood.understood_crit = {"zz"};
  EXPECT_EQ(VerifyCompact(*absent, set, understood).status().reason(), "crit_unsupported");
  auto empty = SignCompact(Algorithm::kES256, key, "x", Json{{"crit", Json::array()}});
  EXPECT_EQ(VerifyCompact(*empty, set, opts).status().reason(), "malformed");
  auto b64 = SignCompact(Algorithm::kES256, key, "x", Json{{"b64", false}, {"crit", {"b64"}}});
  understood.understood_crit = {"b64"};
  EXPECT_EQ(VerifyCompact(*b64, set, understood).status().reason(), "crit_unsupported");
}

// Structural damage: wrong part counts, bad base64, non-object or duplicate-key headers.
TEST(Jws, MalformedTokens) {
  auto token = SignCompact(Algorithm::kES256, TestKey(Algorithm::kES256), "x");
  ASSERT_TRUE(token.ok());
  Jwks set = PublicSet(Algorithm::kES256);
  auto opts = Allow({Algorithm::kES256});
  auto parts = Parts(*token);
  for (const std::string& bad :
       {std::string(), std::string("a.b"), *token + ".", parts[0] + "." + parts[1],
        "." + parts[1] + "." + parts[2], parts[0] + "=." + parts[1] + "." + parts[2],
        parts[0] + ".!!." + parts[2], parts[0] + "." + parts[1] + ".A",
        Base64UrlEncode("[1]") + "." + parts[1] + "." + parts[2],
        Base64UrlEncode(R"({"alg":"ES256","alg":"ES256"})") + "." + parts[1] + "." + parts[2],
        Base64UrlEncode("not json") + "." + parts[1] + "." + parts[2]}) {
    auto r = VerifyCompact(bad, set, opts);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().reason(), "malformed") << bad;
  }
}

// Oversized tokens and deeply nested headers are refused as too_large.
TEST(Jws, SizeAndDepthLimits) {
  Jwks set = PublicSet(Algorithm::kES256);
  auto opts = Allow({Algorithm::kES256});
  std::string huge(kMaxTokenBytes + 1, 'A');
  EXPECT_EQ(VerifyCompact(huge, set, opts).status().reason(), "too_large");
  std::string deep = "{\"alg\":\"ES256\",\"x\":" + std::string(20, '[') + std::string(20, ']') + "}";
  std::string token = Base64UrlEncode(deep) + ".eA.AAAA";
  EXPECT_EQ(VerifyCompact(token, set, opts).status().reason(), "too_large");
}

}  // namespace
}  // namespace zta::jose
