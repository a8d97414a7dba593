// RFC 9449 §7 at the guard: a DPoP-bound token is accepted only as "DPoP" with a fresh proof of
// its key for this request; every way a proof can be wrong is refused with its reason; the
// policy per issuer and per route; nonces; the bounded replay cache.
#include <gtest/gtest.h>

#include "dpop_replay_cache.h"
#include "test_util.h"
#include "zta/core/base64url.h"
#include "zta/guard/validator.h"
#include "zta/jose/dpop.h"

namespace zta::guard {
namespace {

using testing::FakeIssuer;
using testing::kAudience;

constexpr char kBase[] = "https://hotel.example";
constexpr char kPath[] = "/api/hotels";

jose::Jwk NewKey(jose::Algorithm alg = jose::Algorithm::kES256) {
  auto key = jose::Jwk::Generate(alg);
  EXPECT_TRUE(key.ok());
  return *key;
}

class GuardDpopTest : public ::testing::Test {
 protected:
  std::unique_ptr<Validator> Make(DpopPolicy policy = DpopPolicy::kAllowed,
                                  bool nonce = false, size_t cache = 1000) {
    ValidatorOptions o;
    TrustedIssuer t;
    t.issuer = issuer_.issuer();
    t.dpop = policy;
    o.issuers = {t};
    o.audience = kAudience;
    o.public_base_url = kBase;
    o.dpop_require_nonce = nonce;
    o.dpop_replay_cache_entries = cache;
    auto v = Validator::Create(std::move(o), clock_, audit_);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? std::move(v).value() : nullptr;
  }
  std::string BoundToken(const jose::Jwk& key) {
    return issuer_.Sign(issuer_.Token(clock_).Claim("cnf", Json{{"jkt", key.Thumbprint()}}));
  }
  std::string Proof(const jose::Jwk& key, const std::string& token, std::string method = "GET",
                    std::string url = std::string(kBase) + kPath, int64_t iat = 0,
                    std::string nonce = "") {
    jose::DpopProofInput in;
    in.method = std::move(method);
    in.url = std::move(url);
    in.issued_at = iat != 0 ? iat : clock_.NowSeconds();
    in.access_token = token;
    in.nonce = std::move(nonce);
    auto proof = jose::CreateDpopProof(key.alg().value_or(jose::Algorithm::kES256), key, in);
    EXPECT_TRUE(proof.ok()) << proof.status();
    return proof.ok() ? *proof : "";
  }
  static http::Request Request(const std::string& scheme, const std::string& token,
                               std::vector<std::string> proofs, std::string target = kPath) {
    http::Request r;
    r.method = "GET";
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    r.headers.Set("Authorization", scheme + " " + token);
    for (auto& p : proofs) r.headers.Add("DPoP", std::move(p));
    return r;
  }
  std::string Reason(Validator& v, const http::Request& r, AuthorizeOptions o = {}) {
    auto p = v.Authorize(r, o);
    return p.ok() ? "ok" : p.status().reason();
  }

  FakeClock clock_;
  InMemoryAuditSink audit_;
  FakeIssuer issuer_;
  const jose::Jwk key_ = NewKey();
};

TEST_F(GuardDpopTest, ABoundTokenWithItsProofIsAllowedAndAudited) {
  auto v = Make();
  std::string token = BoundToken(key_);
  auto p = v->Authorize(Request("DPoP", token, {Proof(key_, token)}));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->dpop_jkt, key_.Thumbprint());
  EXPECT_EQ(audit_.Events().back().attributes["zta.dpop_jkt"], key_.Thumbprint());
  // The scheme is case-insensitive (RFC 9110 §11.1); the query is not part of htu.
  std::string proof = Proof(key_, token, "GET", std::string(kBase) + kPath + "?city=paris");
  EXPECT_EQ(Reason(*v, Request("dpop", token, {proof}, std::string(kPath) + "?city=paris")), "ok");
  // Bearer tokens without cnf still work under the default policy.
  EXPECT_EQ(Reason(*v, Request("Bearer", issuer_.Sign(issuer_.Token(clock_)), {})), "ok");
}

TEST_F(GuardDpopTest, EveryWrongProofIsRefusedWithItsReason) {
  auto v = Make();
  std::string token = BoundToken(key_);
  const std::string url = std::string(kBase) + kPath;
  const int64_t now = clock_.NowSeconds();
  const jose::Jwk other = NewKey();
  struct Case {
    const char* what;
    http::Request request;
    std::string reason;
  } cases[] = {
      {"another method", Request("DPoP", token, {Proof(key_, token, "POST")}),
       jose::kReasonDpopHtmMismatch},
      {"another path", Request("DPoP", token, {Proof(key_, token, "GET", std::string(kBase) + "/api/admin")}),
       jose::kReasonDpopHtuMismatch},
      {"another host", Request("DPoP", token, {Proof(key_, token, "GET", "https://evil.example/api/hotels")}),
       jose::kReasonDpopHtuMismatch},
      {"another port", Request("DPoP", token, {Proof(key_, token, "GET", "https://hotel.example:8443/api/hotels")}),
       jose::kReasonDpopHtuMismatch},
      {"iat too old", Request("DPoP", token, {Proof(key_, token, "GET", url, now - 61)}),
       jose::kReasonDpopStale},
      {"iat in the future", Request("DPoP", token, {Proof(key_, token, "GET", url, now + 30)}),
       jose::kReasonDpopStale},
      {"ath of another token", Request("DPoP", token, {Proof(key_, "other-token")}),
       jose::kReasonDpopAthMismatch},
      {"proof by another key", Request("DPoP", token, {Proof(other, token)}),
       jose::kReasonDpopKeyMismatch},
      {"no proof", Request("DPoP", token, {}), jose::kReasonDpopMissing},
      {"two proofs", Request("DPoP", token, {Proof(key_, token), Proof(key_, token)}),
       jose::kReasonDpopMalformed},
      {"bound token as Bearer", Request("Bearer", token, {Proof(key_, token)}),
       jose::kReasonDpopMissing},
      {"unbound token as DPoP",
       Request("DPoP", issuer_.Sign(issuer_.Token(clock_)), {Proof(key_, token)}),
       jose::kReasonDpopKeyMismatch},
      {"garbage proof", Request("DPoP", token, {"a.b.c"}), jose::kReasonDpopMalformed},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Reason(*v, c.request), c.reason) << c.what;
    EXPECT_EQ(audit_.Events().back().reason, c.reason) << c.what;
  }
  // none, HS256 and a private key in the header: forged proofs, each refused.
  auto forge = [&](Json header, const jose::Jwk& signer, jose::Algorithm alg) {
    Json claims = {{"jti", "x"}, {"htm", "GET"}, {"htu", url}, {"iat", now},
                   {"ath", jose::AccessTokenHash(token)}};
    std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
    auto sig = jose::Sign(alg, signer, input);
    return input + "." + Base64UrlEncode(sig.ok() ? *sig : "");
  };
  Json none = {{"typ", "dpop+jwt"}, {"alg", "none"}, {"jwk", key_.ToPublicJson()}};
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {forge(none, key_, jose::Algorithm::kES256)})),
            jose::kReasonDpopAlgNotAllowed);
  auto hmac = jose::Jwk::FromSecret(Secret(std::string(32, 's')), jose::Algorithm::kHS256);
  ASSERT_TRUE(hmac.ok());
  Json hs = {{"typ", "dpop+jwt"}, {"alg", "HS256"}, {"jwk", key_.ToPublicJson()}};
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {forge(hs, *hmac, jose::Algorithm::kHS256)})),
            jose::kReasonDpopAlgNotAllowed);
  Json priv = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", key_.ToPrivateJson()}};
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {forge(priv, key_, jose::Algorithm::kES256)})),
            jose::kReasonDpopPrivateKey);
}

TEST_F(GuardDpopTest, AProofIsUsedOnce) {
  auto v = Make();
  std::string token = BoundToken(key_);
  std::string proof = Proof(key_, token);
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {proof})), "ok");
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {proof})), jose::kReasonDpopReplay);
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {Proof(key_, token)})), "ok");
}

TEST_F(GuardDpopTest, DenialsSpeakRfc9449) {
  auto v = Make();
  std::string token = BoundToken(key_);
  http::Response bad = v->DenialResponse(
      v->Authorize(Request("DPoP", token, {Proof(key_, token, "POST")})).status());
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.headers.Get("WWW-Authenticate").value_or("").find("DPoP algs=\""),
            std::string::npos);
  EXPECT_NE(bad.body.find("invalid_dpop_proof"), std::string::npos);
  EXPECT_EQ(bad.body.find("htm"), std::string::npos);  // never the internal reason
  http::Request none;
  none.method = "GET";
  none.path = none.target = kPath;
  http::Response challenge = v->DenialResponse(v->Authorize(none).status());
  auto schemes = challenge.headers.GetAll("WWW-Authenticate");
  ASSERT_EQ(schemes.size(), 2u);  // Bearer and DPoP
  EXPECT_EQ(schemes[1].rfind("DPoP ", 0), 0u);
}

TEST_F(GuardDpopTest, PolicyRequiredRefusesBearerAndOffRefusesDpop) {
  auto required = Make(DpopPolicy::kRequired);
  std::string bearer = issuer_.Sign(issuer_.Token(clock_));
  EXPECT_EQ(Reason(*required, Request("Bearer", bearer, {})), jose::kReasonDpopMissing);
  std::string token = BoundToken(key_);
  EXPECT_EQ(Reason(*required, Request("DPoP", token, {Proof(key_, token)})), "ok");

  auto off = Make(DpopPolicy::kOff);
  EXPECT_EQ(Reason(*off, Request("DPoP", token, {Proof(key_, token)})), kReasonDpopNotAccepted);
  EXPECT_EQ(Reason(*off, Request("Bearer", token, {})), jose::kReasonDpopMissing);
  EXPECT_EQ(Reason(*off, Request("Bearer", bearer, {})), "ok");
  // A route's policy overrides the issuer's.
  AuthorizeOptions route;
  route.dpop = DpopPolicy::kRequired;
  auto allowed = Make();
  EXPECT_EQ(Reason(*allowed, Request("Bearer", bearer, {}), route), jose::kReasonDpopMissing);
}

TEST_F(GuardDpopTest, ANonceIsDemandedThenAccepted) {
  auto v = Make(DpopPolicy::kAllowed, /*nonce=*/true);
  std::string token = BoundToken(key_);
  auto refused = v->Authorize(Request("DPoP", token, {Proof(key_, token)}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason(), jose::kReasonUseDpopNonce);
  http::Response r = v->DenialResponse(refused.status());
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers.Get("WWW-Authenticate").value_or("").find("use_dpop_nonce"),
            std::string::npos);
  std::string nonce = r.headers.Get("DPoP-Nonce").value_or("");
  ASSERT_FALSE(nonce.empty());
  std::string url = std::string(kBase) + kPath;
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {Proof(key_, token, "GET", url, 0, nonce)})), "ok");
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {Proof(key_, token, "GET", url, 0, "1.bogus")})),
            jose::kReasonUseDpopNonce);
}

TEST_F(GuardDpopTest, AFullReplayCacheRefusesRatherThanForgets) {
  auto v = Make(DpopPolicy::kAllowed, false, /*cache=*/2);
  std::string token = BoundToken(key_);
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {Proof(key_, token)})), "ok");
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {Proof(key_, token)})), "ok");
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {Proof(key_, token)})), kReasonDpopReplayCacheFull);
  clock_.AdvanceSeconds(71);  // the first proofs' window has passed: room again
  token = BoundToken(key_);
  EXPECT_EQ(Reason(*v, Request("DPoP", token, {Proof(key_, token)})), "ok");
}

TEST(DpopReplayCacheTest, RemembersUntilTheWindowCloses) {
  DpopReplayCache cache(10);
  using O = DpopReplayCache::Outcome;
  EXPECT_EQ(cache.Record("k1", "j", 100, 50), O::kFresh);
  EXPECT_EQ(cache.Record("k1", "j", 100, 60), O::kReplay);
  EXPECT_EQ(cache.Record("k2", "j", 100, 60), O::kFresh);  // per key
  EXPECT_EQ(cache.Record("k1", "j", 200, 101), O::kFresh);  // expired, then new
  EXPECT_EQ(cache.size(), 1u);
}

TEST(DpopPolicyTest, NamesRoundTrip) {
  for (DpopPolicy p : {DpopPolicy::kOff, DpopPolicy::kAllowed, DpopPolicy::kRequired}) {
    EXPECT_EQ(*ParseDpopPolicy(DpopPolicyName(p)), p);
  }
  EXPECT_FALSE(ParseDpopPolicy("Required").ok());
}

TEST(DpopOptionsTest, ABadPublicBaseUrlIsRefused) {
  ValidatorOptions o;
  TrustedIssuer t;
  t.issuer = "https://idp.example";
  o.issuers = {t};
  o.audience = kAudience;
  o.public_base_url = "hotel.example";
  EXPECT_FALSE(o.Validate().ok());
  o.public_base_url = "http://127.0.0.1:8080";
  EXPECT_TRUE(o.Validate().ok());
}

}  // namespace
}  // namespace zta::guard
