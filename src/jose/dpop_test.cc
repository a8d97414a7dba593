// RFC 9449 proofs: what a client makes verifies, and every §4.3 check refuses what it must.
#include "zta/jose/dpop.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "zta/core/base64url.h"

namespace zta::jose {
namespace {

using testing::Parts;
using testing::TestKey;

constexpr int64_t kNow = 1'800'000'000;
constexpr char kUrl[] = "https://idp.example/token";

DpopProofInput Input(std::string method = "POST", std::string url = kUrl) {
  DpopProofInput in;
  in.method = std::move(method);
  in.url = std::move(url);
  in.issued_at = kNow;
  return in;
}

DpopProofCheck Check(std::string method = "POST", std::string url = kUrl) {
  DpopProofCheck c;
  c.method = std::move(method);
  c.url = std::move(url);
  c.now = kNow;
  return c;
}

std::string Proof(const DpopProofInput& in, Algorithm alg = Algorithm::kES256) {
  auto proof = CreateDpopProof(alg, TestKey(alg), in);
  EXPECT_TRUE(proof.ok()) << proof.status();
  return proof.ok() ? *proof : std::string();
}

std::string ReasonOf(std::string_view proof, const DpopProofCheck& check) {
  auto verified = VerifyDpopProof(proof, check);
  return verified.ok() ? "ok" : verified.status().reason();
}

// A proof with this header and these claims, signed by the ES256 test key (header unchecked).
std::string Forge(const Json& header, const Json& claims, Algorithm alg = Algorithm::kES256) {
  std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  auto sig = Sign(alg, TestKey(alg), input);
  EXPECT_TRUE(sig.ok());
  return input + "." + Base64UrlEncode(sig.ok() ? *sig : "");
}

Json GoodHeader(Algorithm alg = Algorithm::kES256) {
  return {{"typ", "dpop+jwt"}, {"alg", std::string(AlgorithmName(alg))},
          {"jwk", TestKey(alg).ToPublicJson()}};
}
Json GoodClaims() { return {{"jti", "j1"}, {"htm", "POST"}, {"htu", kUrl}, {"iat", kNow}}; }

TEST(DpopProofTest, WhatAClientMakesVerifiesForEveryAlgorithm) {
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kES384, Algorithm::kEdDSA,
                        Algorithm::kPS256, Algorithm::kRS256}) {
    auto verified = VerifyDpopProof(Proof(Input(), alg), Check());
    ASSERT_TRUE(verified.ok()) << AlgorithmName(alg) << ": " << verified.status();
    EXPECT_EQ(verified->jkt, TestKey(alg).Thumbprint());
    EXPECT_EQ(verified->htm, "POST");
    EXPECT_EQ(verified->issued_at, kNow);
  }
}

TEST(DpopProofTest, EachProofGetsItsOwnJti) {
  auto a = VerifyDpopProof(Proof(Input()), Check());
  auto b = VerifyDpopProof(Proof(Input()), Check());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->jti, b->jti);
  EXPECT_GE(a->jti.size(), 20u);
}

TEST(DpopProofTest, TheHeaderCarriesOnlyThePublicKey) {
  auto parts = Parts(Proof(Input()));
  auto header = Json::parse(*Base64UrlDecode(parts[0]));
  EXPECT_EQ(header["typ"], "dpop+jwt");
  EXPECT_FALSE(header["jwk"].contains("d"));
}

TEST(DpopProofTest, AnotherMethodOrUrlIsRefused) {
  std::string proof = Proof(Input());
  EXPECT_EQ(ReasonOf(proof, Check("GET")), kReasonDpopHtmMismatch);
  EXPECT_EQ(ReasonOf(proof, Check("post")), kReasonDpopHtmMismatch);
  EXPECT_EQ(ReasonOf(proof, Check("POST", "https://idp.example/token2")), kReasonDpopHtuMismatch);
  EXPECT_EQ(ReasonOf(proof, Check("POST", "https://other.example/token")),
            kReasonDpopHtuMismatch);
  EXPECT_EQ(ReasonOf(proof, Check("POST", "http://idp.example/token")), kReasonDpopHtuMismatch);
  EXPECT_EQ(ReasonOf(proof, Check("POST", "https://idp.example:8443/token")),
            kReasonDpopHtuMismatch);
  EXPECT_EQ(ReasonOf(proof, Check("POST", "https://idp.example/Token")), kReasonDpopHtuMismatch);
}

TEST(DpopProofTest, HtuIsComparedWithoutQueryFragmentCaseOrDefaultPort) {
  std::string proof = Proof(Input("POST", "https://IDP.example:443/token?a=1#f"));
  EXPECT_EQ(ReasonOf(proof, Check()), "ok");
  EXPECT_EQ(ReasonOf(proof, Check("POST", "HTTPS://idp.example/token?b=2")), "ok");
  // A proof whose htu still holds a query verifies too: §4.3 compares without it.
  Json claims = GoodClaims();
  claims["htu"] = "https://idp.example/token?x=y";
  EXPECT_EQ(ReasonOf(Forge(GoodHeader(), claims), Check()), "ok");
}

TEST(DpopProofTest, NormalizeHtuRefusesWhatIsNotAnHttpUrl) {
  EXPECT_EQ(*NormalizeHtu("http://127.0.0.1:80"), "http://127.0.0.1/");
  EXPECT_EQ(*NormalizeHtu("http://[::1]:0080/a"), "http://[::1]/a");
  EXPECT_EQ(*NormalizeHtu("http://h:8080/a/b?q"), "http://h:8080/a/b");
  for (const char* bad : {"", "/token", "ftp://h/x", "https://user@h/x", "https://h:x/",
                          "https:///x", "https://[::1/x", "https://h/a b", "https://h\\x/"}) {
    EXPECT_FALSE(NormalizeHtu(bad).ok()) << bad;
  }
}

TEST(DpopProofTest, IatOutsideTheWindowIsStale) {
  DpopProofInput old = Input();
  old.issued_at = kNow - 61;
  EXPECT_EQ(ReasonOf(Proof(old), Check()), kReasonDpopStale);
  DpopProofInput future = Input();
  future.issued_at = kNow + 11;
  EXPECT_EQ(ReasonOf(Proof(future), Check()), kReasonDpopStale);
  DpopProofInput edge = Input();
  edge.issued_at = kNow - 60;
  EXPECT_EQ(ReasonOf(Proof(edge), Check()), "ok");
  auto verified = VerifyDpopProof(Proof(edge), Check());
  EXPECT_EQ(verified->RecordedUntil(Check()), kNow - 60 + 60 + 10);
}

TEST(DpopProofTest, AthMustBeThePresentedTokensHash) {
  DpopProofInput in = Input("GET", "https://api.example/x");
  in.access_token = "token-A";
  DpopProofCheck check = Check("GET", "https://api.example/x");
  check.access_token = "token-A";
  EXPECT_EQ(ReasonOf(Proof(in), check), "ok");
  check.access_token = "token-B";
  EXPECT_EQ(ReasonOf(Proof(in), check), kReasonDpopAthMismatch);
  in.access_token.clear();  // no ath at all
  check.access_token = "token-A";
  EXPECT_EQ(ReasonOf(Proof(in), check), kReasonDpopAthMismatch);
  EXPECT_EQ(AccessTokenHash("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

TEST(DpopProofTest, TheKeyMustBeTheTokensCnfJkt) {
  DpopProofCheck check = Check();
  check.expected_jkt = TestKey(Algorithm::kES256).Thumbprint();
  EXPECT_EQ(ReasonOf(Proof(Input()), check), "ok");
  EXPECT_EQ(ReasonOf(Proof(Input(), Algorithm::kEdDSA), check), kReasonDpopKeyMismatch);
}

TEST(DpopProofTest, NoneSymmetricAndUnlistedAlgorithmsAreRefused) {
  Json none = GoodHeader();
  none["alg"] = "none";
  std::string unsigned_proof =
      Base64UrlEncode(none.dump()) + "." + Base64UrlEncode(GoodClaims().dump()) + ".";
  EXPECT_EQ(ReasonOf(unsigned_proof, Check()), kReasonDpopAlgNotAllowed);

  auto hmac = Jwk::FromSecret(Secret(std::string(32, 'k')), Algorithm::kHS256);
  ASSERT_TRUE(hmac.ok());
  Json hs = {{"typ", "dpop+jwt"}, {"alg", "HS256"}, {"jwk", Json{{"kty", "oct"}, {"k", "a2tr"}}}};
  std::string input = Base64UrlEncode(hs.dump()) + "." + Base64UrlEncode(GoodClaims().dump());
  std::string hs_proof = input + "." + Base64UrlEncode(*Sign(Algorithm::kHS256, *hmac, input));
  EXPECT_EQ(ReasonOf(hs_proof, Check()), kReasonDpopAlgNotAllowed);
  DpopProofCheck with_hs = Check();
  with_hs.allowed_algorithms.Add(Algorithm::kHS256);  // even when a caller lists it
  EXPECT_EQ(ReasonOf(hs_proof, with_hs), kReasonDpopAlgNotAllowed);
  EXPECT_FALSE(CreateDpopProof(Algorithm::kHS256, *hmac, Input()).ok());

  DpopProofCheck es256_only = Check();
  es256_only.allowed_algorithms = {Algorithm::kES256};
  EXPECT_EQ(ReasonOf(Proof(Input(), Algorithm::kEdDSA), es256_only), kReasonDpopAlgNotAllowed);
}

TEST(DpopProofTest, AHeaderWithoutTypOrWithAPrivateKeyIsRefused) {
  Json header = GoodHeader();
  header["typ"] = "JWT";
  EXPECT_EQ(ReasonOf(Forge(header, GoodClaims()), Check()), kReasonDpopBadTyp);
  header.erase("typ");
  EXPECT_EQ(ReasonOf(Forge(header, GoodClaims()), Check()), kReasonDpopBadTyp);

  Json private_jwk = GoodHeader();
  private_jwk["jwk"] = TestKey(Algorithm::kES256).ToPrivateJson();
  EXPECT_EQ(ReasonOf(Forge(private_jwk, GoodClaims()), Check()), kReasonDpopPrivateKey);

  Json no_jwk = GoodHeader();
  no_jwk.erase("jwk");
  EXPECT_EQ(ReasonOf(Forge(no_jwk, GoodClaims()), Check()), kReasonDpopBadKey);
  Json wrong_curve = GoodHeader();
  wrong_curve["jwk"] = TestKey(Algorithm::kES384).ToPublicJson();
  EXPECT_EQ(ReasonOf(Forge(wrong_curve, GoodClaims()), Check()), kReasonDpopBadKey);
}

TEST(DpopProofTest, ASignatureByAnotherKeyOrOverOtherClaimsIsRefused) {
  Json header = GoodHeader();
  header["jwk"] = TestKey(Algorithm::kES256).ToPublicJson();
  // Signed by the right key type but a different key than the header names.
  auto other = Jwk::Generate(Algorithm::kES256);
  ASSERT_TRUE(other.ok());
  header["jwk"] = other->ToPublicJson();
  EXPECT_EQ(ReasonOf(Forge(header, GoodClaims()), Check()), kReasonDpopBadSignature);
  // Claims swapped after signing.
  auto parts = Parts(Proof(Input()));
  Json claims = GoodClaims();
  claims["htu"] = "https://idp.example/token";
  parts[1] = Base64UrlEncode(claims.dump());
  EXPECT_EQ(ReasonOf(testing::Join(parts), Check()), kReasonDpopBadSignature);
}

TEST(DpopProofTest, MissingOrMistypedClaimsAreMalformed) {
  for (const char* name : {"jti", "htm", "htu", "iat"}) {
    Json claims = GoodClaims();
    claims.erase(name);
    EXPECT_EQ(ReasonOf(Forge(GoodHeader(), claims), Check()), kReasonDpopMalformed) << name;
  }
  Json string_iat = GoodClaims();
  string_iat["iat"] = std::to_string(kNow);
  EXPECT_EQ(ReasonOf(Forge(GoodHeader(), string_iat), Check()), kReasonDpopMalformed);
  Json long_jti = GoodClaims();
  long_jti["jti"] = std::string(300, 'x');
  EXPECT_EQ(ReasonOf(Forge(GoodHeader(), long_jti), Check()), kReasonDpopMalformed);
  for (const char* junk : {"x", "a.b", "a.b.c.d", "....", "eyJ9.e30.AA"}) {
    EXPECT_EQ(ReasonOf(junk, Check()), kReasonDpopMalformed) << junk;
  }
  EXPECT_EQ(ReasonOf("", Check()), kReasonDpopMissing);
  EXPECT_EQ(ReasonOf(std::string(kMaxDpopProofBytes + 1, 'a'), Check()), kReasonDpopMalformed);
}

TEST(DpopKeyCacheTest, ACachedKeyChangesNothingButTheCost) {
  DpopKeyCache cache(2);
  DpopProofCheck check = Check();
  check.key_cache = &cache;
  for (int i = 0; i < 3; ++i) {
    auto verified = VerifyDpopProof(Proof(Input()), check);
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_EQ(verified->jkt, TestKey(Algorithm::kES256).Thumbprint());
  }
  Json sent = TestKey(Algorithm::kES256).ToPublicJson();
  sent.erase("kid");  // CreateDpopProof sends the key without its kid
  EXPECT_TRUE(cache.Find(DumpJson(sent)).has_value());
  // Every refusal still happens with the key cached: a private jwk (other text), a bad
  // signature, another alg than the cached key can make.
  Json private_jwk = GoodHeader();
  private_jwk["jwk"] = TestKey(Algorithm::kES256).ToPrivateJson();
  EXPECT_EQ(ReasonOf(Forge(private_jwk, GoodClaims()), check), kReasonDpopPrivateKey);
  auto parts = Parts(Proof(Input()));
  parts[1] = Base64UrlEncode(GoodClaims().dump());
  EXPECT_EQ(ReasonOf(testing::Join(parts), check), kReasonDpopBadSignature);
  Json es384 = GoodHeader();
  es384["alg"] = "ES384";
  EXPECT_EQ(ReasonOf(Forge(es384, GoodClaims()), check), kReasonDpopBadKey);
  // Bounded: more keys than room start it over, and proofs still verify.
  EXPECT_EQ(ReasonOf(Proof(Input(), Algorithm::kEdDSA), check), "ok");
  EXPECT_EQ(ReasonOf(Proof(Input(), Algorithm::kES384), check), "ok");
  EXPECT_EQ(ReasonOf(Proof(Input()), check), "ok");
}

TEST(DpopNoncesTest, ANonceIsRequiredCurrentAndSharedByEveryHolderOfTheKey) {
  auto nonces = DpopNonces::Create(Secret(std::string(32, 'n')), 300);
  auto same_key = DpopNonces::Create(Secret(std::string(32, 'n')), 300);
  auto other_key = DpopNonces::Create(Secret(std::string(32, 'o')), 300);
  ASSERT_TRUE(nonces.ok() && same_key.ok() && other_key.ok());
  std::string nonce = nonces->Current(kNow);
  EXPECT_TRUE(same_key->Accepts(nonce, kNow));
  EXPECT_FALSE(other_key->Accepts(nonce, kNow));
  EXPECT_TRUE(nonces->Accepts(nonce, kNow + 300));   // the next window still accepts it
  EXPECT_FALSE(nonces->Accepts(nonce, kNow + 600));  // two windows on, it is stale
  EXPECT_FALSE(nonces->Accepts(nonce + "x", kNow));

  DpopProofCheck check = Check();
  check.accept_nonce = [&](std::string_view n) { return nonces->Accepts(n, kNow); };
  EXPECT_EQ(ReasonOf(Proof(Input()), check), kReasonUseDpopNonce);
  DpopProofInput with_nonce = Input();
  with_nonce.nonce = nonce;
  auto verified = VerifyDpopProof(Proof(with_nonce), check);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->nonce, nonce);
  with_nonce.nonce = other_key->Current(kNow);
  EXPECT_EQ(ReasonOf(Proof(with_nonce), check), kReasonUseDpopNonce);

  EXPECT_FALSE(DpopNonces::Create(Secret("short"), 300).ok());
  EXPECT_FALSE(DpopNonces::Create(Secret(std::string(32, 'n')), 0).ok());
}

}  // namespace
}  // namespace zta::jose
