// `zta jwk | jws | jwt`: generate keys, sign and verify tokens from the shell, thin over zta::jose.
// A token that fails a check exits 1 with "invalid: <reason_code>"; bad flags or files exit 2.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "zta/core/base64url.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/core/random.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/http/client.h"
#include "zta/http/message.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jws.h"
#include "zta/jose/jwt.h"
#include "zta/jose/verify_error.h"

namespace zta::cli {
namespace {

using jose::Algorithm;
using jose::AlgorithmSet;

// A JWKS is small; anything near this is not a key set (and must not fill memory).
constexpr size_t kMaxJwksBytes = 1 << 20;
constexpr std::chrono::seconds kJwksFetchTimeout{5};

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the commands.

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// The token from the command line, or from stdin for "-" (keeps it out of `ps` and shell
// history). Surrounding whitespace — a trailing newline from `echo` — is dropped.
bool ReadToken(const std::string& arg, std::string& token) {
  if (arg != "-") {
    token = Trim(arg);
    return true;
  }
  std::string raw, error;
  if (!ReadFileOrStdin("-", raw, &error)) return false;
  token = Trim(raw);
  return true;
}

// The stable reason code a failed verification carries.
std::string ReasonOf(const Status& status) {
  if (auto error = jose::VerifyErrorOf(status)) return std::string(jose::ReasonCode(*error));
  if (!status.reason().empty()) return status.reason();
  return std::string(StatusCodeName(status.code()));
}

// Token failures: one machine-readable line, never the token itself.
int InvalidToken(const Status& status) {
  std::cerr << "invalid: " << ReasonOf(status) << "\n";
  return kExitCheckFailed;
}

bool IsHmac(Algorithm alg) { return jose::Spec(alg).key_type == jose::KeyType::kOct; }

bool ContainsHmac(const AlgorithmSet& algs) {
  return algs.Contains(Algorithm::kHS256) || algs.Contains(Algorithm::kHS384) ||
         algs.Contains(Algorithm::kHS512);
}

// Parses --alg; empty means the default allow-list (every asymmetric algorithm).
Result<AlgorithmSet> ParseAllowList(const std::string& list) {
  if (list.empty()) return AlgorithmSet::Asymmetric();
  auto algs = AlgorithmSet::Parse(list);
  if (!algs.ok()) return InvalidArgument("--alg: " + algs.status().message());
  if (algs->empty()) return InvalidArgument("--alg names no algorithm");
  return algs;
}

// ---------------------------------------------------------------------------------------------
// Fetching a JWKS. Plain http is allowed only to loopback: a key set fetched in clear text from
// elsewhere could be swapped by anyone on the path.

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<std::string> FetchJwks(const std::string& source) {
  ZTA_ASSIGN_OR_RETURN(http::Url url, http::ParseUrl(source));
  if (url.scheme == "http" && !IsLoopbackHost(url.host)) {
    return InvalidArgument("plain http JWKS URLs must point to loopback (127.0.0.1, ::1)");
  }
  http::ClientRequest request;
  request.url = source;
  request.timeout = kJwksFetchTimeout;
  request.max_response_bytes = kMaxJwksBytes;
  request.headers.Set("Accept", "application/jwk-set+json, application/json");
  ZTA_ASSIGN_OR_RETURN(http::Response response, http::Send(request));
  if (response.status != 200) {
    return Unavailable("HTTP " + std::to_string(response.status) + " from " + source);
  }
  return std::move(response.body);
}

// ---------------------------------------------------------------------------------------------
// Keys.

// The text of a key file, or of a key set at an http:// URL on loopback.
Result<std::string> ReadKeySource(const std::string& source) {
  if (source.rfind("https://", 0) == 0 || source.rfind("http://", 0) == 0) {
    auto body = FetchJwks(source);
    if (!body.ok()) return body.status().WithContext("fetching " + source);
    return body;
  }
  std::string text, error;
  if (!ReadFileOrStdin(source, text, &error)) return NotFound(error);
  return text;
}

// Loads a public key or key set for verification. HMAC keys only when the caller allowed an HS
// algorithm on purpose (RFC 8725 §3.1: a public key must never double as an HMAC secret).
Result<jose::Jwks> LoadVerificationKeys(const std::string& source, bool allow_symmetric) {
  ZTA_ASSIGN_OR_RETURN(std::string text, ReadKeySource(source));
  jose::JwkParseOptions options;
  options.role = jose::KeyRole::kVerify;
  options.allow_symmetric = allow_symmetric;
  auto keys = jose::Jwks::ParseKeyOrSet(text, options);
  if (keys.ok()) return keys;
  const Status& st = keys.status();
  std::string hint;
  if (jose::VerifyErrorOf(st) == jose::VerifyError::kSymmetricKeyNotAllowed) {
    hint = " (name the HMAC algorithm with --alg HS256)";
  } else if (jose::VerifyErrorOf(st) == jose::VerifyError::kUnexpectedPrivateKey) {
    hint = " (verify with the public key file)";
  }
  return Status(st.code(), source + ": " + st.message() + hint, st.reason());
}

// A key file or URL that cannot be used is a configuration error (exit 2), not a bad token.
int KeyLoadError(const Status& status) {
  // "invalid_key: FILE: ..." when the key was refused; read and fetch errors say it themselves.
  return UsageError(status.reason().empty() ? status.message() : status.ToString());
}

// The algorithm a signing key implies when it carries no `alg` member. RSA keys can make both
// RS* and PS*, so they must say which.
Result<Algorithm> ImpliedAlgorithm(const jose::Jwk& key) {
  if (key.alg()) return *key.alg();
  switch (key.kty()) {
    case jose::KeyType::kEC:
      switch (key.crv()) {
        case jose::Curve::kP256:
          return Algorithm::kES256;
        case jose::Curve::kP384:
          return Algorithm::kES384;
        case jose::Curve::kP521:
          return Algorithm::kES512;
        default:
          break;
      }
      break;
    case jose::KeyType::kOKP:
      return Algorithm::kEdDSA;
    case jose::KeyType::kRSA:
      return InvalidArgument("the RSA key has no \"alg\"; pass --alg RS256 or PS256");
    case jose::KeyType::kOct:
      return InvalidArgument("the HMAC key has no \"alg\"; pass --alg HS256");
  }
  return InvalidArgument("cannot tell which algorithm this key is for; pass --alg");
}

// Writes `data` to a new file at `path` created with `mode`, so a private key is never readable
// by others, not even between create and chmod. Without `force` an existing file is an error;
// with it the file is replaced atomically (write a private temp file, then rename over).
Status WriteNewFile(const std::string& path, std::string_view data, mode_t mode, bool force) {
  int fd = -1;
  std::string temp;
  if (!force) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST) {
      return Status(StatusCode::kAlreadyExists, path + " exists (pass --force to replace it)");
    }
  } else {
    temp = path + ".tmp.XXXXXX";
    fd = ::mkstemp(temp.data());  // mode 0600
    if (fd >= 0) {
      mode_t mask = ::umask(0);
      ::umask(mask);
      if (::fchmod(fd, mode & ~mask) != 0) {
        ::close(fd);
        ::unlink(temp.c_str());
        return Internal("chmod " + temp + ": " + std::strerror(errno));
      }
    }
  }
  if (fd < 0) {
    return Status(StatusCode::kFailedPrecondition,
                  "cannot create " + path + ": " + std::strerror(errno));
  }
  const std::string& written = force ? temp : path;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string error = std::strerror(errno);
      ::close(fd);
      ::unlink(written.c_str());
      return Internal("writing " + path + ": " + error);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string error = std::strerror(errno);
    ::unlink(written.c_str());
    return Internal("writing " + path + ": " + error);
  }
  if (force && ::rename(temp.c_str(), path.c_str()) != 0) {
    std::string error = std::strerror(errno);
    ::unlink(temp.c_str());
    return Internal("replacing " + path + ": " + error);
  }
  return Status::Ok();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// ---------------------------------------------------------------------------------------------
// zta jwk generate

struct JwkGenerateFlags {
  std::string alg;
  std::string kid;
  std::string out;
  std::string public_out;
  bool force = false;
};

int JwkGenerate(const JwkGenerateFlags& f) {
  auto alg = jose::AlgorithmFromName(f.alg);
  if (!alg) {
    return UsageError("--alg " + f.alg +
                      " is not a JWS algorithm (ES256, ES384, ES512, RS256, PS256, EdDSA, ...)");
  }
  if (IsHmac(*alg) && !f.public_out.empty()) {
    return UsageError("an HMAC key has no public half: --public-out would export the secret");
  }
  if (!f.public_out.empty() && f.public_out == f.out) {
    return UsageError("--out and --public-out name the same file");
  }
  // Refuse before generating anything, so a half-written pair is never left behind.
  if (!f.force) {
    for (const std::string* path : {&f.out, &f.public_out}) {
      if (!path->empty() && FileExists(*path)) {
        return UsageError(*path + " exists (pass --force to replace it)");
      }
    }
  }
  auto key = jose::Jwk::Generate(*alg, f.kid);
  if (!key.ok()) return UsageError("generating the key: " + key.status().ToString());

  // Held as a Secret so the buffer is wiped once written.
  Secret private_text(DumpJson(key->ToPrivateJson(), 2) + "\n");
  if (Status st = WriteNewFile(f.out, private_text.Reveal(), 0600, f.force); !st.ok()) {
    return UsageError(st.message());
  }
  std::cout << "private key: " << f.out << " (mode 0600; keep it secret)\n";
  if (!f.public_out.empty()) {
    std::string public_text = DumpJson(key->ToPublicJson(), 2) + "\n";
    if (Status st = WriteNewFile(f.public_out, public_text, 0644, f.force); !st.ok()) {
      return UsageError(st.message());
    }
    std::cout << "public key:  " << f.public_out << "\n";
  }
  std::cout << "alg: " << jose::AlgorithmName(*alg) << "\nkid: " << key->kid() << "\n";
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// zta jws verify

struct JwsVerifyFlags {
  std::string jwk;
  std::string jwks;
  std::string alg;
  std::string token;
};

int JwsVerify(const JwsVerifyFlags& f) {
  if (f.jwk.empty() == f.jwks.empty()) return UsageError("give exactly one of --jwk or --jwks");
  auto algs = ParseAllowList(f.alg);
  if (!algs.ok()) return UsageError(algs.status().message());
  auto keys = LoadVerificationKeys(f.jwk.empty() ? f.jwks : f.jwk, ContainsHmac(*algs));
  if (!keys.ok()) return KeyLoadError(keys.status());
  std::string token;
  if (!ReadToken(f.token, token)) return UsageError("cannot read the token from stdin");

  jose::JwsVerifyOptions options;
  options.allowed_algorithms = *algs;
  auto jws = jose::VerifyCompact(token, *keys, options);
  if (!jws.ok()) return InvalidToken(jws.status());
  // The payload exactly as signed: it may be any bytes, not only JSON.
  std::cout.write(jws->payload.data(), static_cast<std::streamsize>(jws->payload.size()));
  std::cout.flush();
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// zta jwt sign

struct JwtSignFlags {
  std::string jwk;
  std::string claims;
  std::string typ;
  std::string alg;
  int64_t ttl = 0;
  CLI::Option* ttl_option = nullptr;
};

int JwtSign(const JwtSignFlags& f) {
  std::optional<Algorithm> wanted;
  if (!f.alg.empty()) {
    wanted = jose::AlgorithmFromName(f.alg);
    if (!wanted) return UsageError("--alg " + f.alg + " is not a JWS algorithm");
  }
  std::string key_text, error;
  if (!ReadFileOrStdin(f.jwk, key_text, &error)) return UsageError(error);
  Secret key_secret(std::move(key_text));
  jose::JwkParseOptions key_options;
  key_options.role = jose::KeyRole::kSign;
  // Symmetric keys are dangerous where a verifier might take a public key for a secret; a
  // signer was handed this secret file on purpose, and an oct key without alg is refused below.
  key_options.allow_symmetric = true;
  auto key = jose::Jwk::ParseText(key_secret.Reveal(), key_options);
  if (!key.ok()) {
    return UsageError(ReasonOf(key.status()) + ": " + f.jwk + ": " + key.status().message());
  }
  Algorithm alg;
  if (wanted) {
    if (!key->CanUse(*wanted)) {
      return UsageError("the key in " + f.jwk + " cannot make " +
                        std::string(jose::AlgorithmName(*wanted)));
    }
    alg = *wanted;
  } else {
    auto implied = ImpliedAlgorithm(*key);
    if (!implied.ok()) return UsageError(implied.status().message());
    alg = *implied;
  }

  std::string claims_text;
  if (!f.claims.empty() && f.claims[0] == '@') {
    if (!ReadFileOrStdin(f.claims.substr(1), claims_text, &error)) return UsageError(error);
  } else {
    claims_text = f.claims;
  }
  auto claims = ParseJsonStrict(claims_text);
  if (!claims.ok()) return UsageError("--claims: " + claims.status().ToString());
  if (!claims->is_object()) return UsageError("--claims must be a JSON object");

  const int64_t now = SystemClock::Instance().NowSeconds();
  jose::JwtBuilder builder;
  builder.Claims(*claims);
  if (f.ttl_option->count() > 0) {
    if (f.ttl <= 0) return UsageError("--ttl must be a positive number of seconds");
    // --ttl wins over iat/exp in the claims: it says "valid from now for this long".
    builder.IssuedAt(now).ExpiresAt(now + f.ttl);
  } else {
    // Tokens that never expire are what this project exists to avoid (DESIGN.md).
    if (!claims->contains("exp")) {
      return UsageError("the claims have no exp; pass --ttl SECONDS");
    }
    if (!claims->contains("iat")) builder.IssuedAt(now);
  }
  if (!claims->contains("jti")) {
    auto jti = RandomToken(16);
    if (!jti.ok()) return UsageError(jti.status().ToString());
    builder.Id(*jti);
  }
  if (!f.typ.empty()) builder.Type(f.typ);
  auto token = builder.Sign(alg, *key);
  if (!token.ok()) return UsageError("signing: " + token.status().ToString());
  // Printing the token is this command's purpose; it goes to stdout only, never to a log.
  std::cout << *token << "\n";
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// zta jwt verify

struct JwtVerifyFlags {
  std::string jwks;
  std::string issuer;
  std::string audience;
  std::string alg;
  std::vector<std::string> scopes;
  std::string typ;
  int64_t leeway = 60;
  int64_t max_lifetime = 0;
  int64_t now = 0;
  CLI::Option* now_option = nullptr;
  std::string token;
};

int JwtVerify(const JwtVerifyFlags& f) {
  auto algs = ParseAllowList(f.alg);
  if (!algs.ok()) return UsageError(algs.status().message());
  jose::JwtValidationOptions options;
  options.issuer = f.issuer;
  options.audience = f.audience;
  options.allowed_algorithms = *algs;
  if (!f.typ.empty()) options.required_typ = f.typ;
  options.leeway_seconds = f.leeway;
  options.max_lifetime_seconds = f.max_lifetime;
  options.required_scopes = f.scopes;
  if (Status st = options.Validate(); !st.ok()) return UsageError(st.message());

  auto keys = LoadVerificationKeys(f.jwks, ContainsHmac(*algs));
  if (!keys.ok()) return KeyLoadError(keys.status());
  std::string token;
  if (!ReadToken(f.token, token)) return UsageError("cannot read the token from stdin");

  const int64_t now = f.now_option->count() > 0 ? f.now : SystemClock::Instance().NowSeconds();
  auto verified = jose::VerifyJwt(token, *keys, options, now);
  if (!verified.ok()) return InvalidToken(verified.status());
  std::cout << DumpJson((*verified)->claims, 2) << "\n";
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// zta jwt decode

Result<Json> DecodeJsonPart(std::string_view part, const char* what) {
  auto bytes = Base64UrlDecode(part);
  if (!bytes.ok()) {
    return jose::VerifyFailure(jose::VerifyError::kMalformed,
                               std::string(what) + " is not base64url");
  }
  JsonLimits limits;
  limits.max_depth = jose::kMaxJsonDepth;
  limits.max_bytes = jose::kMaxTokenBytes;
  auto json = ParseJsonStrict(*bytes, limits);
  if (!json.ok()) {
    auto error = json.status().reason() == "too_large" ? jose::VerifyError::kTooLarge
                                                       : jose::VerifyError::kMalformed;
    return jose::VerifyFailure(error, std::string(what) + ": " + json.status().message());
  }
  if (!json->is_object()) {
    return jose::VerifyFailure(jose::VerifyError::kMalformed,
                               std::string(what) + " is not a JSON object");
  }
  return json;
}

int JwtDecode(const std::string& token_arg) {
  std::string token;
  if (!ReadToken(token_arg, token)) return UsageError("cannot read the token from stdin");
  if (token.size() > jose::kMaxTokenBytes) {
    return InvalidToken(jose::VerifyFailure(jose::VerifyError::kTooLarge, "token too large"));
  }
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string::npos || token.find('.', dot2 + 1) != std::string::npos) {
    return InvalidToken(jose::VerifyFailure(jose::VerifyError::kMalformed, "not three parts"));
  }
  auto header = DecodeJsonPart(std::string_view(token).substr(0, dot1), "header");
  if (!header.ok()) return InvalidToken(header.status());
  auto claims = DecodeJsonPart(std::string_view(token).substr(dot1 + 1, dot2 - dot1 - 1), "claims");
  if (!claims.ok()) return InvalidToken(claims.status());
  std::cout << "UNVERIFIED — the signature was not checked\n"
            << "header:\n"
            << DumpJson(*header, 2) << "\nclaims:\n"
            << DumpJson(*claims, 2) << "\n";
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// Registration.

constexpr char kAllowListHelp[] =
    "Accepted algorithms, comma-separated (default: every asymmetric one). An HMAC (oct) key "
    "is used only when an HS algorithm is named here";
constexpr char kTokenHelp[] = "The compact token, or - to read it from stdin";

void RegisterJwk(CLI::App& app) {
  CLI::App* jwk = app.add_subcommand("jwk", "JSON Web Keys (RFC 7517)");
  jwk->require_subcommand(1);

  auto f = std::make_shared<JwkGenerateFlags>();
  CLI::App* gen = jwk->add_subcommand(
      "generate", "Generate a signing key pair; the private key file is created with mode 0600");
  gen->add_option("--alg", f->alg, "ES256, ES384, ES512, RS256, PS256, EdDSA, ... (RSA: 2048 bits)")
      ->required();
  gen->add_option("--kid", f->kid, "Key id (default: the RFC 7638 thumbprint)");
  gen->add_option("--out", f->out, "Where to write the private JWK (created 0600)")->required();
  gen->add_option("--public-out", f->public_out, "Where to write the public JWK");
  gen->add_flag("--force", f->force, "Replace existing files");
  SetAction(gen, [f] { return JwkGenerate(*f); });
}

void RegisterJws(CLI::App& app) {
  CLI::App* jws = app.add_subcommand("jws", "JSON Web Signatures (RFC 7515)");
  jws->require_subcommand(1);

  auto f = std::make_shared<JwsVerifyFlags>();
  CLI::App* verify = jws->add_subcommand(
      "verify", "Check a compact JWS signature only (no claims); print the payload on success");
  CLI::Option* jwk = verify->add_option("--jwk", f->jwk, "A public JWK (or key set) file");
  CLI::Option* jwks =
      verify->add_option("--jwks", f->jwks, "A JWKS file, or an https:// URL (http:// only on loopback)");
  jwk->excludes(jwks);
  verify->add_option("--alg", f->alg, kAllowListHelp);
  verify->add_option("token", f->token, kTokenHelp)->required();
  SetAction(verify, [f] { return JwsVerify(*f); });
}

void RegisterJwt(CLI::App& app) {
  CLI::App* jwt = app.add_subcommand("jwt", "JSON Web Tokens (RFC 7519)");
  jwt->require_subcommand(1);

  auto s = std::make_shared<JwtSignFlags>();
  CLI::App* sign = jwt->add_subcommand("sign", "Sign a JWT and print it");
  sign->add_option("--jwk", s->jwk, "The private JWK file")->required();
  sign->add_option("--claims", s->claims, "Claims as a JSON object, or @FILE (@- for stdin)")
      ->required();
  sign->add_option("--typ", s->typ, "The typ header, e.g. at+jwt (RFC 9068)");
  s->ttl_option = sign->add_option(
      "--ttl", s->ttl, "Lifetime in seconds: sets iat=now and exp=now+TTL, replacing any given");
  sign->add_option("--alg", s->alg,
                   "Algorithm (default: the key's alg; EC and OKP keys imply theirs)");
  SetAction(sign, [s] { return JwtSign(*s); });

  auto v = std::make_shared<JwtVerifyFlags>();
  CLI::App* verify =
      jwt->add_subcommand("verify", "Verify a JWT's signature and claims; print the claims");
  verify
      ->add_option("--jwks", v->jwks, "A JWKS (or single JWK) file, or an https:// URL (http:// only on loopback)")
      ->required();
  verify->add_option("--iss", v->issuer, "The exact expected issuer")->required();
  verify->add_option("--aud", v->audience, "The audience that aud must contain")->required();
  verify->add_option("--alg", v->alg, kAllowListHelp);
  verify->add_option("--scope", v->scopes, "A scope the token must carry (repeatable)")
      ->allow_extra_args(false);
  verify->add_option("--typ", v->typ, "Required typ header, e.g. at+jwt");
  verify->add_option("--leeway", v->leeway, "Clock skew tolerated, in seconds (0-300)")
      ->capture_default_str();
  verify->add_option("--max-lifetime", v->max_lifetime,
                     "Maximum exp - iat in seconds (default: 0 = no limit)");
  v->now_option = verify->add_option("--now", v->now, "Verify as of this Unix time (default: now)");
  verify->add_option("token", v->token, kTokenHelp)->required();
  SetAction(verify, [v] { return JwtVerify(*v); });

  auto token = std::make_shared<std::string>();
  CLI::App* decode = jwt->add_subcommand(
      "decode", "Print a JWT's header and claims WITHOUT verifying it (for debugging)");
  decode->add_option("token", *token, kTokenHelp)->required();
  SetAction(decode, [token] { return JwtDecode(*token); });
  RegisterJoseWalkthrough(*jwt);
}

}  // namespace

void RegisterJoseCommands(CLI::App& app) {
  RegisterJwk(app);
  RegisterJws(app);
  RegisterJwt(app);
}

}  // namespace zta::cli
