// Tests for JWT claim validation, the caching verifier and the builder. Includes a check that
// every VerifyError reason code is produced by some input.
#include "zta/jose/jwt.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "test_util.h"

namespace zta::jose {
namespace {

using testing::PublicSet;
using testing::TestKey;
using testing::WithClaims;
using testing::WithHeader;

constexpr int64_t kNow = 1'700'000'000;
constexpr char kIssuer[] = "https://idp.example";
constexpr char kAudience[] = "https://hotel.example/api";

JwtValidationOptions Options() {
  JwtValidationOptions o;
  o.issuer = kIssuer;
  o.audience = kAudience;
  o.allowed_algorithms = AlgorithmSet::Asymmetric();
  o.required_typ = "at+jwt";
  o.max_lifetime_seconds = 3600;
  return o;
}

JwtBuilder AccessToken() {
  JwtBuilder b;
  b.Type("at+jwt")
      .Issuer(kIssuer)
      .Subject("agent-1")
      .Audience(kAudience)
      .Claim("client_id", "agent-1")
      .Scopes({"hotels:read", "bookings:create"})
      .Id("jti-1")
      .IssuedAt(kNow)
      .ExpiresAt(kNow + 300);
  return b;
}

std::string Sign(const JwtBuilder& b, Algorithm alg = Algorithm::kES256) {
  auto t = b.Sign(alg, TestKey(alg));
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : std::string();
}

Status Check(const std::string& token, const JwtValidationOptions& o = Options(),
             int64_t now = kNow, Algorithm alg = Algorithm::kES256) {
  return VerifyJwt(token, PublicSet(alg), o, now).status();
}

// A well-formed access token verifies and exposes its claims.
TEST(Jwt, ValidAccessTokenVerifies) {
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kRS256, Algorithm::kPS256,
                        Algorithm::kEdDSA}) {
    auto v = VerifyJwt(Sign(AccessToken(), alg), PublicSet(alg), Options(), kNow);
    ASSERT_TRUE(v.ok()) << AlgorithmName(alg) << ": " << v.status();
    EXPECT_EQ((*v)->subject, "agent-1");
    EXPECT_EQ((*v)->client_id, "agent-1");
    EXPECT_EQ((*v)->jti, "jti-1");
    EXPECT_EQ((*v)->issuer, kIssuer);
    EXPECT_EQ((*v)->expires_at, kNow + 300);
    EXPECT_TRUE((*v)->HasScope("hotels:read"));
    EXPECT_FALSE((*v)->HasScope("hotels"));
    EXPECT_EQ((*v)->alg, alg);
  }
}

// A table of inputs, one or more per reason code; the last test checks every code is covered.
struct ReasonCase {
  std::string name;
  std::string expected;
  std::function<Status()> run;
};

// One row per case, in reason order: a table that reads best whole, so one function.
std::vector<ReasonCase> Cases() {
  std::vector<ReasonCase> c;
  auto add = [&](std::string name, std::string expected, std::function<Status()> run) {
    c.push_back({std::move(name), std::move(expected), std::move(run)});
  };
  const std::string good = Sign(AccessToken());
  const std::string kid = TestKey(Algorithm::kES256).kid();

  add("two parts", "malformed", [] { return Check("abc.def"); });
  add("claims not an object", "malformed", [] {
    return VerifyJwt(*SignCompact(Algorithm::kES256, TestKey(Algorithm::kES256), "[1]",
                                  Json{{"typ", "at+jwt"}}),
                     PublicSet(Algorithm::kES256), Options(), kNow).status();
  });
  add("exp not a number", "malformed", [] { return Check(Sign(AccessToken().Claim("exp", "soon"))); });
  add("scope not a string", "malformed", [] { return Check(Sign(AccessToken().Claim("scope", 5))); });
  add("oversized token", "too_large", [] { return Check(std::string(20000, 'a')); });
  add("deep claims", "too_large", [] {
    Json deep = 1;
    for (int i = 0; i < 20; ++i) deep = Json::array({deep});
    return Check(Sign(AccessToken().Claim("deep", deep)));
  });
  add("forged claims", "bad_signature", [good] {
    Json claims = AccessToken().claims();
    claims["scope"] = "admin";
    return Check(WithClaims(good, claims));
  });
  add("alg none", "alg_not_allowed",
      [good] { return Check(WithHeader(good, Json{{"alg", "none"}, {"typ", "at+jwt"}})); });
  add("alg outside allow-list", "alg_not_allowed", [good] {
    auto o = Options();
    o.allowed_algorithms = AlgorithmSet{Algorithm::kRS256};
    return Check(good, o);
  });
  add("HS256 with public key", "key_alg_mismatch", [good, kid] {
    auto o = Options();
    o.allowed_algorithms.Add(Algorithm::kHS256);
    return Check(WithHeader(good, Json{{"alg", "HS256"}, {"typ", "at+jwt"}, {"kid", kid}}), o);
  });
  add("unknown kid", "unknown_kid", [good] {
    return Check(WithHeader(good, Json{{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", "zzz"}}));
  });
  add("crit", "crit_unsupported", [] {
    return Check(Sign(AccessToken().HeaderParam("crit", {"foo"}).HeaderParam("foo", 1)));
  });
  add("typ JWT where at+jwt required", "bad_typ", [] { return Check(Sign(AccessToken().Type("JWT"))); });
  add("typ missing", "bad_typ", [good, kid] {
    return Check(WithHeader(good, Json{{"alg", "ES256"}, {"kid", kid}}));
  });
  add("expired", "expired", [good] { return Check(good, Options(), kNow + 300 + 60); });
  add("not yet valid", "not_yet_valid",
      [] { return Check(Sign(AccessToken().NotBefore(kNow + 61))); });
  add("issued in future", "issued_in_future", [] {
    return Check(Sign(AccessToken().IssuedAt(kNow + 61).ExpiresAt(kNow + 400)));
  });
  add("lifetime too long", "lifetime_too_long",
      [] { return Check(Sign(AccessToken().ExpiresAt(kNow + 3601))); });
  add("wrong issuer", "bad_issuer", [] { return Check(Sign(AccessToken().Issuer("https://evil"))); });
  add("issuer prefix", "bad_issuer",
      [] { return Check(Sign(AccessToken().Issuer(std::string(kIssuer) + "/"))); });
  add("wrong audience", "bad_audience",
      [] { return Check(Sign(AccessToken().Audience("https://other"))); });
  add("audience array without us", "bad_audience",
      [] { return Check(Sign(AccessToken().Audiences({"a", "b"}))); });
  add("missing exp", "missing_claim", [] {
    JwtBuilder b = AccessToken();
    Json claims = b.claims();
    claims.erase("exp");
    return Check(Sign(JwtBuilder().Type("at+jwt").Claims(claims)));
  });
  add("missing iss", "missing_claim", [] {
    Json claims = AccessToken().claims();
    claims.erase("iss");
    return Check(Sign(JwtBuilder().Type("at+jwt").Claims(claims)));
  });
  add("missing required claim", "missing_claim", [good] {
    auto o = Options();
    o.required_claims = {"act"};
    return Check(good, o);
  });
  add("missing scope", "insufficient_scope", [good] {
    auto o = Options();
    o.required_scopes = {"bookings:cancel"};
    return Check(good, o);
  });
  // Key errors.
  add("EC x wrong size", "invalid_key",
      [] { return Jwk::Parse(Json{{"kty", "EC"}, {"crv", "P-256"}, {"x", "AA"}, {"y", "AA"}}).status(); });
  add("HMAC key too short", "weak_key", [] {
    return Jwk::FromSecret(Secret("short"), Algorithm::kHS256).status();
  });
  add("unknown kty", "unsupported_key", [] { return Jwk::Parse(Json{{"kty", "PQC"}}).status(); });
  add("use enc", "bad_key_use", [] {
    Json k = TestKey(Algorithm::kES256).ToPublicJson();
    k["use"] = "enc";
    return Jwk::Parse(k).status();
  });
  add("private in public", "unexpected_private_key",
      [] { return Jwk::Parse(TestKey(Algorithm::kES256).ToPrivateJson()).status(); });
  add("oct without opt-in", "symmetric_key_not_allowed", [] {
    return Jwk::Parse(Json{{"kty", "oct"}, {"k", Base64UrlEncode(std::string(32, 'x'))}}).status();
  });
  add("duplicate kid", "duplicate_kid", [] {
    Json k = TestKey(Algorithm::kES256).ToPublicJson();
    return Jwks::Parse(Json{{"keys", {k, k}}}).status();
  });
  add("mixed set", "mixed_key_set", [] {
    JwkParseOptions sym;
    sym.allow_symmetric = true;
    Json oct = {{"kty", "oct"}, {"k", Base64UrlEncode(std::string(32, 'x'))}};
    return Jwks::Parse(Json{{"keys", {oct, TestKey(Algorithm::kES256).ToPublicJson()}}}, sym)
        .status();
  });
  add("empty set", "no_key", [] { return Jwks::Parse(Json{{"keys", Json::array()}}).status(); });
  return c;
}

// Each case fails with exactly its reason code.
TEST(JwtReasons, EachCaseGivesItsReason) {
  for (const auto& c : Cases()) {
    Status s = c.run();
    EXPECT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.reason(), c.expected) << c.name << ": " << s;
  }
}

// Every VerifyError value is produced by at least one case above.
TEST(JwtReasons, EveryReasonCodeIsCovered) {
  std::set<std::string> produced;
  for (const auto& c : Cases()) produced.insert(c.run().reason());
  for (VerifyError e : kAllVerifyErrors) {
    EXPECT_TRUE(produced.count(std::string(ReasonCode(e)))) << "no test produces " << ReasonCode(e);
    EXPECT_EQ(VerifyErrorFromReason(ReasonCode(e)), e);
  }
}

// insufficient_scope maps to 403 semantics, a bad token to 401.
TEST(JwtReasons, StatusCodesSplit401And403) {
  EXPECT_EQ(VerifyFailure(VerifyError::kInsufficientScope, "").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyFailure(VerifyError::kExpired, "").code(), StatusCode::kUnauthenticated);
}

// Leeway: a token is accepted up to leeway seconds past exp and before nbf, not beyond.
TEST(Jwt, LeewayBoundaries) {
  std::string t = Sign(AccessToken());
  EXPECT_TRUE(Check(t, Options(), kNow + 359).ok());
  EXPECT_EQ(Check(t, Options(), kNow + 360).reason(), "expired");
  auto strict = Options();
  strict.leeway_seconds = 0;
  EXPECT_EQ(Check(t, strict, kNow + 300).reason(), "expired");
  EXPECT_TRUE(Check(Sign(AccessToken().NotBefore(kNow + 60)), Options(), kNow).ok());
}

// aud as an array containing our audience, scp arrays and typ variants are accepted.
TEST(Jwt, AcceptsStandardVariants) {
  JwtBuilder b = AccessToken();
  b.Audiences({"x", kAudience}).Claim("scp", {"extra:scope"}).Type("application/AT+JWT");
  auto v = VerifyJwt(Sign(b), PublicSet(Algorithm::kES256), Options(), kNow);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE((*v)->HasScope("extra:scope"));
  EXPECT_TRUE((*v)->HasScope("hotels:read"));
  EXPECT_EQ((*v)->audience.size(), 2u);
}

// Options must name issuer, audience and algorithms.
TEST(Jwt, OptionsValidate) {
  EXPECT_TRUE(Options().Validate().ok());
  auto o = Options();
  o.issuer.clear();
  EXPECT_FALSE(o.Validate().ok());
  o = Options();
  o.allowed_algorithms = AlgorithmSet();
  EXPECT_FALSE(o.Validate().ok());
}

// The verifier caches successes, re-checks per-call scopes and never serves past exp.
TEST(JwtVerifier, CachesAndExpires) {
  FakeClock clock(kNow);
  auto keys = std::make_shared<const Jwks>(PublicSet(Algorithm::kES256));
  JwtVerifier verifier(Options(), keys, clock, 100);
  std::string t = Sign(AccessToken());
  auto first = verifier.Verify(t);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = verifier.Verify(t);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->get(), second->get());  // served from the cache
  std::vector<std::string> need = {"bookings:cancel"};
  EXPECT_EQ(verifier.Verify(t, need).status().reason(), "insufficient_scope");
  clock.SetSeconds(kNow + 300);  // exp reached: cache entry gone, leeway still accepts
  auto third = verifier.Verify(t);
  ASSERT_TRUE(third.ok());
  EXPECT_NE(third->get(), first->get());
  clock.SetSeconds(kNow + 360);
  EXPECT_EQ(verifier.Verify(t).status().reason(), "expired");
}

// Replacing the key set drops cached verifications made with the old keys.
TEST(JwtVerifier, KeyChangeDropsCache) {
  FakeClock clock(kNow);
  JwtVerifier verifier(Options(), std::make_shared<const Jwks>(PublicSet(Algorithm::kES256)),
                       clock);
  std::string t = Sign(AccessToken());
  ASSERT_TRUE(verifier.Verify(t).ok());
  verifier.SetKeys(std::make_shared<const Jwks>(PublicSet(Algorithm::kEdDSA)));
  EXPECT_EQ(verifier.Verify(t).status().reason(), "unknown_kid");
}

// A forged token never enters the cache, even after a genuine one was cached.
TEST(JwtVerifier, FailuresAreNotCached) {
  FakeClock clock(kNow);
  JwtVerifier verifier(Options(), std::make_shared<const Jwks>(PublicSet(Algorithm::kES256)),
                       clock);
  std::string t = Sign(AccessToken());
  ASSERT_TRUE(verifier.Verify(t).ok());
  Json claims = AccessToken().claims();
  claims["sub"] = "attacker";
  std::string forged = WithClaims(t, claims);
  EXPECT_EQ(verifier.Verify(forged).status().reason(), "bad_signature");
  EXPECT_EQ(verifier.Verify(forged).status().reason(), "bad_signature");
}

}  // namespace
}  // namespace zta::jose
