// `zta jwt walkthrough`: a short walk through the JOSE layer alone — issue an access token,
// verify it, and watch four forgeries fail for the right reason. (`zta demo` tells the whole
// hotel story, demo_command.cc.)
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "commands.h"
#include "zta/core/base64url.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/core/random.h"
#include "zta/core/status.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jwt.h"
#include "zta/jose/verify_error.h"

namespace zta::cli {
namespace {

using jose::Algorithm;

constexpr char kIssuer[] = "http://127.0.0.1/idp";
constexpr char kHotelApi[] = "https://hotel.example/api";
constexpr char kOtherApi[] = "https://payments.example/api";
constexpr char kAgent[] = "guest-assistant";
constexpr int64_t kLifetime = 300;

// Tokens are credentials: show only enough to recognize one.
std::string Abbreviate(const std::string& token) {
  return token.substr(0, 10) + "…(" + std::to_string(token.size()) + " bytes)";
}

// A temporary folder (mode 0700) removed when the demo ends, whatever happens.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "zta-demo-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  bool ok() const { return !path_.empty(); }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

// The hotel API's check: exact issuer, its own audience, ES256 only, typ, scope, lifetime.
jose::JwtValidationOptions HotelValidationOptions() {
  jose::JwtValidationOptions hotel;
  hotel.issuer = kIssuer;
  hotel.audience = kHotelApi;
  hotel.allowed_algorithms = {Algorithm::kES256};
  hotel.required_typ = "at+jwt";
  hotel.max_lifetime_seconds = kLifetime;
  hotel.required_scopes = {"hotels:read"};
  return hotel;
}

// Runs the walkthrough; counts each check that did (or did not) behave as expected.
class Walkthrough {
 public:
  int Run();

 private:
  // The steps of Run, in order; those returning int stop the walk with any code but kExitOk.
  int PublishSigningKey(const TempDir& dir);
  int IssueAccessToken();
  void VerifyAtHotel();
  void ForgeWiderScope();
  int PresentExpiredToken();
  void ReplayAtOtherApi();
  void ForgeAlgNone();
  int Summary() const;
  // A step that must be refused with `expected`.
  void ExpectRejected(std::string_view what, const std::string& token,
                      const jose::JwtValidationOptions& options, jose::VerifyError expected);
  void Check(bool ok, std::string_view note) {
    if (ok) {
      ++passed_;
    } else {
      ++failed_;
      std::cout << "   UNEXPECTED: " << note << "\n";
    }
  }

  int64_t now_ = SystemClock::Instance().NowSeconds();
  jose::Jwks hotel_keys_;
  std::optional<jose::Jwk> key_;  // the identity provider's signing key
  jose::JwtBuilder access_;       // the claims of the agent's access token
  std::string token_;             // that token, signed
  const jose::JwtValidationOptions hotel_ = HotelValidationOptions();
  int step_ = 0;
  int passed_ = 0;
  int failed_ = 0;
};

void Walkthrough::ExpectRejected(std::string_view what, const std::string& token,
                                 const jose::JwtValidationOptions& options,
                                 jose::VerifyError expected) {
  std::cout << "\n" << ++step_ << ". " << what << "\n";
  auto result = jose::VerifyJwt(token, hotel_keys_, options, now_);
  if (result.ok()) {
    Check(false, "the token was accepted");
    return;
  }
  auto error = jose::VerifyErrorOf(result.status());
  std::string reason = error ? std::string(jose::ReasonCode(*error)) : result.status().ToString();
  std::cout << "   rejected: " << reason << "\n";
  Check(error == expected, "expected " + std::string(jose::ReasonCode(expected)));
}

int Walkthrough::Run() {
  std::cout << "zta jwt walkthrough: the JOSE layer, step by step\n";
  TempDir dir;
  if (!dir.ok()) return UsageError("cannot create a temporary folder");
  if (int rc = PublishSigningKey(dir); rc != kExitOk) return rc;
  if (int rc = IssueAccessToken(); rc != kExitOk) return rc;
  VerifyAtHotel();
  ForgeWiderScope();
  if (int rc = PresentExpiredToken(); rc != kExitOk) return rc;
  ReplayAtOtherApi();
  ForgeAlgNone();
  return Summary();
}

// 1. The identity provider's signing key. Generated in memory, stored as the CLI would.
int Walkthrough::PublishSigningKey(const TempDir& dir) {
  std::cout << "\n" << ++step_ << ". The identity provider generates an ES256 signing key\n";
  auto key = jose::Jwk::Generate(Algorithm::kES256);
  if (!key.ok()) return UsageError("generating a key: " + key.status().ToString());
  const std::string private_path = dir.File("idp-key.json");
  const std::string jwks_path = dir.File("idp-jwks.json");
  // The folder is mode 0700, so the private key is never visible to other users.
  const jose::Jwks public_set(std::vector<jose::Jwk>{key->PublicKey()});
  if (!WriteFile(private_path, DumpJson(key->ToPrivateJson(), 2)) ||
      ::chmod(private_path.c_str(), 0600) != 0 ||
      !WriteFile(jwks_path, DumpJson(public_set.ToPublicJson(), 2))) {
    return UsageError("cannot write into the temporary folder");
  }
  std::cout << "   kid " << key->kid() << "\n   private key " << private_path
            << " (mode 0600), public key set " << jwks_path << "\n";

  // The hotel API knows only the public key set, read back as it would fetch it.
  std::string jwks_text, error;
  if (!ReadFileOrStdin(jwks_path, jwks_text, &error)) return UsageError(error);
  auto keys = jose::Jwks::ParseText(jwks_text);
  if (!keys.ok()) return UsageError("loading the key set: " + keys.status().ToString());
  hotel_keys_ = *keys;
  key_ = std::move(*key);
  return kExitOk;
}

// 2. An RFC 9068 access token for the guest assistant, acting as itself.
int Walkthrough::IssueAccessToken() {
  std::cout << "\n"
            << ++step_ << ". It issues an RFC 9068 access token to the agent \"" << kAgent
            << "\"\n";
  auto jti = RandomToken(16);
  if (!jti.ok()) return UsageError(jti.status().ToString());
  access_.Type("at+jwt")
      .Issuer(kIssuer)
      .Subject(kAgent)
      .Audience(kHotelApi)
      .Claim("client_id", kAgent)
      .Scopes({"hotels:read"})
      .Id(*jti)
      .IssuedAt(now_)
      .ExpiresAt(now_ + kLifetime);
  auto token = access_.Sign(Algorithm::kES256, *key_);
  if (!token.ok()) return UsageError("signing: " + token.status().ToString());
  token_ = std::move(*token);
  std::cout << "   token " << Abbreviate(token_) << "  jti " << *jti << "\n";
  return kExitOk;
}

// 3. The hotel API verifies the token and shows its claims.
void Walkthrough::VerifyAtHotel() {
  std::cout << "\n"
            << ++step_ << ". The hotel API verifies it (iss, aud, exp, alg ES256, typ, scope)\n";
  auto verified = jose::VerifyJwt(token_, hotel_keys_, hotel_, now_);
  if (verified.ok()) {
    std::string claims = DumpJson((*verified)->claims, 2);
    for (size_t start = 0; start < claims.size();) {
      size_t end = claims.find('\n', start);
      if (end == std::string::npos) end = claims.size();
      std::cout << "   " << std::string_view(claims).substr(start, end - start) << "\n";
      start = end + 1;
    }
    std::cout << "   valid\n";
  } else {
    std::cout << "   rejected: " << verified.status().ToString() << "\n";
  }
  Check(verified.ok(), "a valid token was refused");
}

// 4. Escalation attempt: widen the scope in the payload and keep the original signature.
void Walkthrough::ForgeWiderScope() {
  const size_t dot1 = token_.find('.');
  const size_t dot2 = token_.find('.', dot1 + 1);
  Json claims = access_.claims();
  claims["scope"] = "hotels:read bookings:create";
  std::string forged =
      token_.substr(0, dot1) + "." + Base64UrlEncode(DumpJson(claims)) + token_.substr(dot2);
  ExpectRejected("Someone widens the scope to bookings:create, keeping the signature", forged,
                 hotel_, jose::VerifyError::kBadSignature);
}

// 5. A correctly signed token whose lifetime ended five minutes ago (beyond the 60 s leeway).
int Walkthrough::PresentExpiredToken() {
  jose::JwtBuilder old = access_;
  old.IssuedAt(now_ - 2 * kLifetime).ExpiresAt(now_ - kLifetime);
  auto expired = old.Sign(Algorithm::kES256, *key_);
  if (!expired.ok()) return UsageError("signing: " + expired.status().ToString());
  ExpectRejected("A genuine token that expired five minutes ago", *expired, hotel_,
                 jose::VerifyError::kExpired);
  return kExitOk;
}

// 6. Replay at another API: the signature is fine, but the token was not issued for it.
void Walkthrough::ReplayAtOtherApi() {
  jose::JwtValidationOptions other = hotel_;
  other.audience = kOtherApi;
  ExpectRejected(std::string("The hotel token replayed at another API (") + kOtherApi + ")", token_,
                 other, jose::VerifyError::kBadAudience);
}

// 7. The classic forgery (RFC 8725 §2.1): "alg":"none" and an empty signature.
void Walkthrough::ForgeAlgNone() {
  Json header = {{"alg", "none"}, {"typ", "at+jwt"}};
  Json claims = access_.claims();
  claims["scope"] = "hotels:read bookings:create";
  std::string unsigned_token =
      Base64UrlEncode(DumpJson(header)) + "." + Base64UrlEncode(DumpJson(claims)) + ".";
  ExpectRejected("A forged token with \"alg\":\"none\" and no signature", unsigned_token, hotel_,
                 jose::VerifyError::kAlgNotAllowed);
}

int Walkthrough::Summary() const {
  std::cout << "\n";
  if (failed_ == 0) {
    std::cout << "All " << passed_ << " checks behaved as expected.\n";
    return kExitOk;
  }
  std::cout << failed_ << " of " << passed_ + failed_ << " checks did NOT behave as expected.\n";
  return kExitCheckFailed;
}

}  // namespace

void RegisterJoseWalkthrough(CLI::App& jwt) {
  CLI::App* walk = jwt.add_subcommand(
      "walkthrough", "Walk through issuing and verifying an agent's access token, and four forgeries");
  SetAction(walk, [] { return Walkthrough().Run(); });
}

}  // namespace zta::cli
