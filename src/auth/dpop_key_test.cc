// Tests of auth::DpopKey and AccessToken::Attach: proofs that jose::VerifyDpopProof accepts
// (htm, htu, jkt, ath, nonce), nonces per origin and bounded, keys from files, and that neither
// the private key nor a token reaches a stream or an error message.
#include "zta/auth/dpop_key.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "zta/auth/auth_config.h"
#include "zta/auth/token_source.h"
#include "zta/http/client.h"
#include "zta/jose/dpop.h"

namespace zta::auth {
namespace {

constexpr char kUrl[] = "https://hotel.example/api/bookings?page=2";

// A private file with `text`, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char path[] = "/tmp/zta-dpop-key-XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = path;
    std::ofstream(path_) << text;
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

jose::DpopProofCheck Check(const FakeClock& clock, std::string method, std::string url) {
  jose::DpopProofCheck check;
  check.method = std::move(method);
  check.url = std::move(url);
  check.now = clock.NowSeconds();
  return check;
}

// A generated ES256 key signs proofs the server side accepts: htm, htu without the query, iat
// from the injected clock, and the key's thumbprint as jkt.
TEST(DpopKeyTest, ProofVerifiesWithMethodUrlAndThumbprint) {
  FakeClock clock;
  auto key = DpopKey::Generate(clock);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ((*key)->algorithm(), jose::Algorithm::kES256);
  EXPECT_EQ((*key)->thumbprint(), (*key)->PublicKey().Thumbprint());
  auto proof = (*key)->Proof("POST", kUrl);
  ASSERT_TRUE(proof.ok()) << proof.status();
  jose::DpopProofCheck check = Check(clock, "POST", "https://hotel.example/api/bookings");
  check.expected_jkt = (*key)->thumbprint();
  auto verified = jose::VerifyDpopProof(*proof, check);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->htu, "https://hotel.example/api/bookings");
  EXPECT_EQ(verified->issued_at, clock.NowSeconds());
  EXPECT_TRUE(verified->nonce.empty());
  // Another method, or the clock far ahead, and the same proof is refused.
  EXPECT_FALSE(jose::VerifyDpopProof(*proof, Check(clock, "GET", kUrl)).ok());
  FakeClock later(clock.NowSeconds() + 3600);
  EXPECT_EQ(jose::VerifyDpopProof(*proof, Check(later, "POST", kUrl)).status().reason(),
            jose::kReasonDpopStale);
  // Each proof has its own jti (§4.2, §11.1).
  auto again = (*key)->Proof("POST", kUrl);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(jose::VerifyDpopProof(*again, check)->jti, verified->jti);
}

// §8: a nonce learnt from one origin goes into later proofs to that origin only; an invalid
// nonce (not NQCHARs) is ignored; the newest replaces the old one.
TEST(DpopKeyTest, RemembersNoncesPerOrigin) {
  FakeClock clock;
  auto key = *DpopKey::Generate(clock);
  key->RememberNonce("https://as.example/token", "n-1");
  EXPECT_EQ(key->NonceFor("https://AS.example:443/other?x=1"), "n-1");  // same origin
  EXPECT_EQ(key->NonceFor("https://as.example:8443/token"), "");        // another port
  EXPECT_EQ(key->NonceFor("http://as.example/token"), "");              // another scheme
  key->RememberNonce("https://as.example/token", "bad \"nonce\"");
  key->RememberNonce("https://as.example/token", "");
  EXPECT_EQ(key->NonceFor("https://as.example/token"), "n-1");
  key->RememberNonce("https://as.example/token", "n-2");
  EXPECT_EQ(key->NonceFor("https://as.example/token"), "n-2");

  auto proof = key->Proof("POST", "https://as.example/token");
  ASSERT_TRUE(proof.ok());
  jose::DpopProofCheck check = Check(clock, "POST", "https://as.example/token");
  check.accept_nonce = [](std::string_view n) { return n == "n-2"; };
  auto verified = jose::VerifyDpopProof(*proof, check);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->nonce, "n-2");
  // A proof to another origin carries no nonce, so a server that demands one refuses it.
  auto other = key->Proof("POST", "https://rs.example/api");
  check.url = "https://rs.example/api";
  EXPECT_EQ(jose::VerifyDpopProof(*other, check).status().reason(), jose::kReasonUseDpopNonce);
}

// The nonce memory is bounded: past kMaxOrigins origins the least recently learnt is dropped.
TEST(DpopKeyTest, NonceMemoryIsBounded) {
  FakeClock clock;
  auto key = *DpopKey::Generate(clock);
  for (size_t i = 0; i <= DpopKey::kMaxOrigins; ++i) {
    key->RememberNonce("https://h" + std::to_string(i) + ".example/", "n" + std::to_string(i));
  }
  EXPECT_EQ(key->NonceFor("https://h0.example/"), "");
  EXPECT_EQ(key->NonceFor("https://h1.example/"), "n1");
  const std::string last = std::to_string(DpopKey::kMaxOrigins);
  EXPECT_EQ(key->NonceFor("https://h" + last + ".example/"), "n" + last);
}

// LearnNonce: the authorization server's 400 use_dpop_nonce and the resource server's 401
// challenge are challenges; a nonce on any other answer is remembered without a retry.
TEST(DpopKeyTest, LearnNonceRecognisesBothChallenges) {
  FakeClock clock;
  auto key = *DpopKey::Generate(clock);
  http::Response as = http::Response::Json(400, Json{{"error", "use_dpop_nonce"}});
  as.headers.Set("DPoP-Nonce", "as-1");
  EXPECT_TRUE(key->LearnNonce("https://as.example/token", as));
  EXPECT_EQ(key->NonceFor("https://as.example/"), "as-1");

  http::Response rs;
  rs.status = 401;
  rs.headers.Set("WWW-Authenticate", "DPoP error=\"use_dpop_nonce\", algs=\"ES256\"");
  rs.headers.Set("DPoP-Nonce", "rs-1");
  EXPECT_TRUE(key->LearnNonce("https://rs.example/api", rs));
  EXPECT_EQ(key->NonceFor("https://rs.example/"), "rs-1");

  http::Response ok = http::Response::Json(200, Json::object());
  ok.headers.Set("DPoP-Nonce", "rs-2");
  EXPECT_FALSE(key->LearnNonce("https://rs.example/api", ok));
  EXPECT_EQ(key->NonceFor("https://rs.example/"), "rs-2");
  // A challenge without a nonce to answer with is not retried.
  http::Response bare = http::Response::Json(400, Json{{"error", "use_dpop_nonce"}});
  EXPECT_FALSE(key->LearnNonce("https://as.example/token", bare));
  http::Response invalid = http::Response::Json(400, Json{{"error", "invalid_dpop_proof"}});
  invalid.headers.Set("DPoP-Nonce", "as-2");
  EXPECT_FALSE(key->LearnNonce("https://as.example/token", invalid));
}

// Attach on a bound token: "Authorization: DPoP <token>" and a proof for the request's method
// and URL whose ath is this token's hash, signed by the token's key. A bearer token gets no
// proof; a DPoP token that lost its key is refused without naming the token.
TEST(DpopKeyTest, AttachBindsTheProofToTheToken) {
  FakeClock clock;
  auto key = *DpopKey::Generate(clock);
  AccessToken token;
  token.value = Secret("at-secret-token-value");
  token.token_type = "DPoP";
  token.dpop_key = key;
  token.jti = "jti-7";
  http::ClientRequest request;
  request.method = "PUT";
  request.url = "https://rs.example/api/bookings/42";
  ASSERT_TRUE(token.Attach(request).ok());
  EXPECT_EQ(request.headers.Get("Authorization").value_or(""), "DPoP at-secret-token-value");
  auto proof = request.headers.Get("DPoP");
  ASSERT_TRUE(proof.has_value());
  jose::DpopProofCheck check = Check(clock, "PUT", request.url);
  check.access_token = "at-secret-token-value";
  check.expected_jkt = key->thumbprint();
  EXPECT_TRUE(jose::VerifyDpopProof(*proof, check).ok());
  check.access_token = "another-token";
  EXPECT_EQ(jose::VerifyDpopProof(*proof, check).status().reason(), jose::kReasonDpopAthMismatch);

  AccessToken bearer;
  bearer.value = Secret("bearer-token-value");
  http::ClientRequest plain;
  plain.url = "https://rs.example/api";
  ASSERT_TRUE(bearer.Attach(plain).ok());
  EXPECT_EQ(plain.headers.Get("Authorization").value_or(""), "Bearer bearer-token-value");
  EXPECT_FALSE(plain.headers.Has("DPoP"));

  token.dpop_key = nullptr;
  http::ClientRequest lost;
  lost.url = "https://rs.example/api";
  Status refused = token.Attach(lost);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.message().find("at-secret-token-value"), std::string::npos);
  EXPECT_FALSE(lost.headers.Has("Authorization"));
}

// A key from a file is the key used; a public-only, symmetric or unreadable key file is refused
// with an error that names the file and never a key member.
TEST(DpopKeyTest, LoadsAPrivateKeyFileAndRefusesOthers) {
  FakeClock clock;
  auto jwk = jose::Jwk::Generate(jose::Algorithm::kES256, "dpop-1");
  ASSERT_TRUE(jwk.ok());
  const Json private_json = jwk->ToPrivateJson();
  const std::string d = private_json.at("d").get<std::string>();
  TempFile good(private_json.dump());
  auto loaded = LoadDpopKeyFile(good.path(), clock);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->thumbprint(), jwk->Thumbprint());

  TempFile public_only(jwk->ToPublicJson().dump());
  auto refused = LoadDpopKeyFile(public_only.path(), clock);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(public_only.path()), std::string::npos);

  Json broken = private_json;
  broken["x"] = "not-a-coordinate";  // a key that does not parse, its d still in the file
  TempFile bad(broken.dump());
  auto bad_key = LoadDpopKeyFile(bad.path(), clock);
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().ToString().find(d), std::string::npos);

  auto hmac = jose::Jwk::FromSecret(Secret(std::string(32, 'k')), jose::Algorithm::kHS256);
  ASSERT_TRUE(hmac.ok());
  EXPECT_FALSE(DpopKey::FromJwk(*hmac, clock).ok());
  EXPECT_FALSE(DpopKey::FromJwk(jwk->PublicKey(), clock).ok());
  EXPECT_FALSE(DpopKey::Generate(clock, jose::Algorithm::kHS256).ok());
  EXPECT_FALSE(LoadDpopKeyFile("/nonexistent/dpop.jwk", clock).ok());
}

// Streaming a key prints its thumbprint only; streaming a bound token prints no token.
TEST(DpopKeyTest, StreamsOnlyTheThumbprint) {
  FakeClock clock;
  auto jwk = *jose::Jwk::Generate(jose::Algorithm::kES256);
  auto key = *DpopKey::FromJwk(jwk, clock);
  std::ostringstream out;
  out << *key;
  EXPECT_EQ(out.str(), "DpopKey{jkt=" + key->thumbprint() + "}");
  EXPECT_EQ(out.str().find(jwk.ToPrivateJson().at("d").get<std::string>()), std::string::npos);
  AccessToken token;
  token.value = Secret("at-bound-secret");
  token.dpop_key = key;
  std::ostringstream t;
  t << token;
  EXPECT_EQ(t.str().find("at-bound-secret"), std::string::npos);
}

// TOML: dpop = true with dpop_key_file loads the key; a key file without dpop, or a public-only
// key file, is refused when the config loads.
TEST(DpopKeyTest, AuthConfigKeys) {
  setenv("ZTA_TEST_DPOP_SECRET", "s3cret-s3cret", 1);
  const std::string base =
      "issuer = \"http://x\"\nclient_id = \"a\"\nclient_secret_env = \"ZTA_TEST_DPOP_SECRET\"\n";
  auto plain = ParseAuthConfig(base);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->dpop);
  auto generated = ParseAuthConfig(base + "dpop = true\n");
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_TRUE(generated->dpop);
  EXPECT_FALSE(generated->dpop_key.has_value());

  auto jwk = *jose::Jwk::Generate(jose::Algorithm::kES256);
  TempFile file(jwk.ToPrivateJson().dump());
  auto with_key = ParseAuthConfig(base + "dpop = true\ndpop_key_file = \"" + file.path() + "\"\n");
  ASSERT_TRUE(with_key.ok()) << with_key.status();
  ASSERT_TRUE(with_key->dpop_key.has_value());
  EXPECT_EQ(with_key->dpop_key->Thumbprint(), jwk.Thumbprint());
  EXPECT_FALSE(ParseAuthConfig(base + "dpop_key_file = \"" + file.path() + "\"\n").ok());
  TempFile public_only(jwk.ToPublicJson().dump());
  EXPECT_FALSE(
      ParseAuthConfig(base + "dpop = true\ndpop_key_file = \"" + public_only.path() + "\"\n").ok());
  EXPECT_FALSE(ParseAuthConfig(base + "dpop = \"yes\"\n").ok());
}

}  // namespace
}  // namespace zta::auth
