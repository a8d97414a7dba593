// Runs every Google Wycheproof vector in ../shared/testdata/wycheproof through zta::jose and
// asserts the file's verdict, so the JOSE layer is checked against known attacks, not only ours.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/base64url.h"
#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/jose/algorithm.h"
#include "zta/jose/jwk.h"
#include "zta/jose/jws.h"
#include "zta/jose/verify_error.h"

namespace zta::jose {
namespace {

constexpr char kVectorDir[] = ZTA_SHARED_DIR "/testdata/wycheproof/";

constexpr std::string_view kJwsFile = "json_web_signature_test.json";
constexpr std::string_view kJwkFile = "json_web_key_test.json";

// The only vectors whose file verdict is not applied. Each still runs, and must give the outcome
// written here (`zta_accepts`), so a change in behaviour shows up as a failure.
struct Skip {
  std::string_view file;
  int tc_id;
  bool zta_accepts;
  std::string_view reason;
};
constexpr Skip kSkips[] = {
    {kJwsFile, 346, false,
     "rfc7520 Figure20: the key's alg is PS256, the token's PS384. zta binds a key to its alg "
     "member (RFC 7517 §4.4, RFC 8725 §3.1) -- the binding this same file requires for the "
     "ps512 WrongPrimitive vectors 332-340 -- so it refuses (key_alg_mismatch)."},
    {kJwsFile, 350, false,
     "rfc7520WithKeyOps Figure20: as tcId 346 (key alg PS256, token PS384): key_alg_mismatch."},
    {kJwsFile, 347, false,
     "rfc7520 Figure27: the key's alg is \"ES521\", which is not a JWS algorithm (RFC 7518 §3.1 "
     "registers ES512 for P-521). A key whose alg is unknown is refused (unsupported_key), as "
     "json_web_key_test tcIds 19-20 expect for keys with alg ES521 and ES224."},
    {kJwsFile, 351, false, "rfc7520WithKeyOps Figure27: as tcId 347 (key alg \"ES521\")."},
    {kJwsFile, 367, true,
     "invalidBase64Padding: the token is byte-identical to tcId 357 (valid, same key); the '=' "
     "padding the comment names was lost when the file was generated (upstream has the same "
     "text). One token cannot be both valid and invalid; zta accepts it, as 357 requires."},
    {kJwsFile, 370, true,
     "invalidBase64PaddingInPayload: byte-identical to tcId 357 (valid), as tcId 367."},
    {kJwsFile, 372, false,
     "InvalidCharacterInsertedInHeader: a '?' inside the header with tcId 357's MAC. RFC 7515 §2 "
     "and §5.2 step 2 forbid characters outside base64url, and the MAC covers the bytes as sent, "
     "so only a decoder that drops bad characters accepts it -- the malleability tcIds 360-371 "
     "of the same group test against. zta refuses (malformed)."},
    {kJwsFile, 373, false,
     "InvalidCharacterInsertedInPayload: a '?' inside the payload with tcId 357's MAC; refused "
     "for the reason given for tcId 372."},
};

const Skip* FindSkip(std::string_view file, int64_t tc_id) {
  for (const Skip& skip : kSkips) {
    if (skip.file == file && skip.tc_id == tc_id) return &skip;
  }
  return nullptr;
}

// --- small helpers that never throw -------------------------------------------------------------

const Json& Member(const Json& object, const char* name) {
  static const Json kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

std::string Str(const Json& object, const char* name) {
  const Json& value = Member(object, name);
  return value.is_string() ? value.get<std::string>() : std::string();
}

int64_t Int(const Json& object, const char* name) {
  const Json& value = Member(object, name);
  return value.is_number_integer() ? value.get<int64_t>() : -1;
}

bool HasFlag(const Json& test, std::string_view flag) {
  for (const Json& f : Member(test, "flags")) {
    if (f.is_string() && f.get_ref<const std::string&>() == flag) return true;
  }
  return false;
}

Result<Json> LoadVectors(std::string_view file) {
  std::string path = std::string(kVectorDir) + std::string(file);
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path);
  std::stringstream text;
  text << in.rdbuf();
  JsonLimits limits;
  limits.max_depth = 64;
  limits.max_bytes = 64 << 20;
  auto json = ParseJsonStrict(text.str(), limits);
  if (!json.ok()) return json.status().WithContext(path);
  return json;
}

bool HexDecode(std::string_view hex, std::string& out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return true;
}

// Big-endian integer bytes at exactly `width` (leading zero octets dropped or added); an integer
// that does not fit is returned as is, for the key parser to refuse.
std::string FixedWidth(std::string bytes, size_t width) {
  while (bytes.size() > width && bytes.front() == '\0') bytes.erase(bytes.begin());
  if (bytes.size() < width) bytes.insert(0, width - bytes.size(), '\0');
  return bytes;
}

std::string Minimal(std::string bytes) {
  while (bytes.size() > 1 && bytes.front() == '\0') bytes.erase(bytes.begin());
  return bytes;
}

std::string Label(std::string_view file, const Json& test) {
  std::string flags;
  for (const Json& f : Member(test, "flags")) {
    if (!f.is_string()) continue;
    if (!flags.empty()) flags += ',';
    flags += f.get<std::string>();
  }
  return std::string(file) + " tcId " + std::to_string(Int(test, "tcId")) + " \"" +
         Str(test, "comment") + "\"" + (flags.empty() ? "" : " [" + flags + "]");
}

std::string ReasonOf(const Status& status) {
  if (status.ok()) return "ok";
  return status.reason().empty() ? "<" + std::string(StatusCodeName(status.code())) + ">"
                                 : status.reason();
}

std::string Describe(const Status& status) {
  return status.ok() ? "accepted" : "rejected (" + ReasonOf(status) + ": " + status.message() + ")";
}

AlgorithmSet AllAlgorithms() {
  AlgorithmSet all;
  for (int i = 0; i < kAlgorithmCount; ++i) all.Add(static_cast<Algorithm>(i));
  return all;
}

// What a caller who configured this key set would allow: every asymmetric algorithm, plus the
// HMAC ones when the caller configured a shared secret on purpose.
AlgorithmSet ConfiguredAlgorithms(bool symmetric) {
  AlgorithmSet set = AlgorithmSet::Asymmetric();
  if (symmetric) {
    set.Add(Algorithm::kHS256);
    set.Add(Algorithm::kHS384);
    set.Add(Algorithm::kHS512);
  }
  return set;
}

// Counts one file's vectors by verdict and asserts each against the file (or kSkips).
class Tally {
 public:
  explicit Tally(std::string_view file) : file_(file) {}

  void Check(const Json& test, const Status& outcome) {
    const int64_t tc_id = Int(test, "tcId");
    const std::string label = Label(file_, test);
    EXPECT_TRUE(seen_.insert(tc_id).second) << label << ": tcId appears twice";
    if (!outcome.ok()) {
      ++reasons_[ReasonOf(outcome)];
      // Every refusal must be one of the documented reasons, not an internal error.
      EXPECT_TRUE(VerifyErrorOf(outcome).has_value())
          << label << ": rejected without a VerifyError reason: " << outcome;
    }
    if (const Skip* skip = FindSkip(file_, tc_id)) {
      ++skipped_;
      EXPECT_EQ(outcome.ok(), skip->zta_accepts)
          << label << ": skipped vector no longer behaves as kSkips says ("
          << (skip->zta_accepts ? "accepted" : "rejected") << "); got " << Describe(outcome);
      return;
    }
    const std::string result = Str(test, "result");
    if (result == "valid") {
      ++valid_;
      EXPECT_TRUE(outcome.ok()) << label << ": expected valid, got " << Describe(outcome);
    } else if (result == "invalid") {
      ++invalid_;
      EXPECT_FALSE(outcome.ok()) << label << ": expected invalid, got accepted";
    } else if (result == "acceptable") {
      ++acceptable_;  // Either verdict is fine; reaching here means it did not crash.
    } else {
      ADD_FAILURE() << label << ": unknown result \"" << result << "\"";
    }
  }

  // Prints the totals and checks that every vector in the file was asserted exactly once.
  void Finish(const Json& vectors) {
    const int total = valid_ + invalid_ + acceptable_ + skipped_;
    EXPECT_EQ(total, Int(vectors, "numberOfTests")) << file_ << ": not every vector was checked";
    int skips_listed = 0;
    for (const Skip& skip : kSkips) {
      if (skip.file != file_) continue;
      ++skips_listed;
      EXPECT_TRUE(seen_.count(skip.tc_id)) << file_ << ": kSkips names missing tcId " << skip.tc_id;
    }
    EXPECT_EQ(skipped_, skips_listed);
    std::cout << "[ wycheproof ] " << file_ << ": " << total << " vectors: valid " << valid_
              << ", invalid " << invalid_ << ", acceptable " << acceptable_ << ", skipped "
              << skipped_ << (skipped_ ? " (reasons in kSkips; outcome still asserted)" : "")
              << "\n[ wycheproof ]   rejections by reason:";
    for (const auto& [reason, count] : reasons_) std::cout << " " << reason << "=" << count;
    std::cout << std::endl;
  }

 private:
  std::string file_;
  int valid_ = 0, invalid_ = 0, acceptable_ = 0, skipped_ = 0;
  std::set<int64_t> seen_;
  std::map<std::string, int> reasons_;
};

// --- JWS and JWK vectors ------------------------------------------------------------------------

// Reasons a JWK vector may be refused with, beyond "refused": the file's notes name these
// defects, and jwk.h documents the code for each. Empty: any reason.
std::vector<std::string> ExpectedJwkReasons(const Json& test) {
  if (HasFlag(test, "MixedKeySet")) return {"mixed_key_set"};
  // tcId 4's second key has k "...Bingge", whose last character carries non-zero unused bits:
  // strict base64url (RFC 7515 §2) refuses that key before the duplicate kid is seen.
  if (HasFlag(test, "DuplicateKid")) return {"duplicate_kid", "invalid_key"};
  static const std::map<std::string, std::string> kByComment = {
      {"rejectsKeyWithRocaVulnerability", "weak_key"},
      {"rejects1024bitRsaKey", "weak_key"},
      {"rejectsPublicExponent1", "weak_key"},
      {"key_too_short", "weak_key"},
      {"empty_key", "weak_key"},
      {"rejectsModifiedSignature", "bad_signature"},
  };
  auto it = kByComment.find(Str(test, "comment"));
  if (it == kByComment.end()) return {};
  return {it->second};
}

// The `alg` of a token's protected header, decoded without zta::jose; empty when unreadable.
std::string HeaderAlg(const std::string& token) {
  auto header = Base64UrlDecode(std::string_view(token).substr(0, token.find('.')));
  if (!header.ok()) return {};
  auto json = ParseJsonStrict(*header);
  return json.ok() ? Str(*json, "alg") : std::string();
}

// Verifies each vector's compact JWS with the group's key set: the public key (set) when the
// group has one, else the private (symmetric) one, which a caller must enable on purpose.
void RunJoseVectors(std::string_view file) {
  auto vectors = LoadVectors(file);
  ASSERT_TRUE(vectors.ok()) << vectors.status();
  Tally tally(file);
  int key_binding_checks = 0;
  for (const Json& group : Member(*vectors, "testGroups")) {
    const bool symmetric = !group.contains("public");
    const Json& key_json = symmetric ? Member(group, "private") : Member(group, "public");
    JwkParseOptions key_options;
    key_options.allow_symmetric = symmetric;
    Result<Jwks> keys = Jwks::ParseKeyOrSet(key_json.dump(), key_options);
    Status key_status = keys.ok() ? Status::Ok() : keys.status().WithContext("group key set");

    JwsVerifyOptions configured;
    configured.allowed_algorithms = ConfiguredAlgorithms(symmetric);
    JwsVerifyOptions everything;
    everything.allowed_algorithms = AllAlgorithms();

    for (const Json& test : Member(group, "tests")) {
      const std::string label = Label(file, test);
      const std::string jws = Str(test, "jws");
      Status outcome = keys.ok() ? VerifyCompact(jws, *keys, configured).status() : key_status;
      tally.Check(test, outcome);

      // The verdict must not hinge on the allow-list: with every algorithm allowed (HMAC too, on
      // an asymmetric key), key binding alone has to refuse the same tokens.
      Status with_all = keys.ok() ? VerifyCompact(jws, *keys, everything).status() : key_status;
      EXPECT_EQ(with_all.ok(), outcome.ok())
          << label << ": verdict depends on the allow-list: configured " << Describe(outcome)
          << ", every algorithm " << Describe(with_all);

      if (HasFlag(test, "JsonSerialization")) {
        EXPECT_EQ(ReasonOf(outcome), "malformed") << label << ": only compact JWS is supported";
      }
      if (HasFlag(test, "AlgIsNone")) {
        EXPECT_EQ(ReasonOf(with_all), "alg_not_allowed") << label << ": alg none";
      }
      // A token whose alg differs from the alg member of the group's one key (type confusion,
      // wrong primitive) must be refused for that reason, not for its signature.
      const std::string key_alg = Str(key_json, "alg");
      const std::string token_alg = HeaderAlg(jws);
      if (keys.ok() && key_json.contains("kty") && AlgorithmFromName(key_alg) &&
          AlgorithmFromName(token_alg) && key_alg != token_alg) {
        ++key_binding_checks;
        EXPECT_EQ(ReasonOf(with_all), "key_alg_mismatch")
            << label << ": key alg " << key_alg << ", token alg " << token_alg;
      }
      if (file == kJwkFile) {
        const std::vector<std::string> reasons = ExpectedJwkReasons(test);
        if (!reasons.empty()) {
          EXPECT_NE(std::find(reasons.begin(), reasons.end(), ReasonOf(outcome)), reasons.end())
              << label << ": expected reason " << reasons.front() << ", got " << Describe(outcome);
        }
      }
    }
  }
  tally.Finish(*vectors);
  std::cout << "[ wycheproof ]   key-binding refusals asserted: " << key_binding_checks
            << std::endl;
}

// Compact JWS verification gives every Wycheproof verdict, whatever the algorithm allow-list.
TEST(WycheproofTest, JsonWebSignature) { RunJoseVectors(kJwsFile); }

// Mixed, duplicate-kid, weak, misused and broken key sets are refused; good sets verify tokens.
TEST(WycheproofTest, JsonWebKey) { RunJoseVectors(kJwkFile); }

// --- raw signature vectors ----------------------------------------------------------------------

std::string_view WycheproofHashName(HashAlg hash) {
  switch (hash) {
    case HashAlg::kSha256:
      return "SHA-256";
    case HashAlg::kSha384:
      return "SHA-384";
    case HashAlg::kSha512:
      return "SHA-512";
    case HashAlg::kNone:
      return "";
  }
  return "";
}

// A JWK built from the group's raw public key (hex), for groups that carry no JWK form.
Json JwkFromRawKey(const Json& group) {
  const Json& pk = Member(group, "publicKey");
  std::string a, b;
  if (Str(pk, "type") == "EcPublicKey") {
    static const std::map<std::string, std::pair<std::string, size_t>> kCurves = {
        {"secp256r1", {"P-256", 32}}, {"secp384r1", {"P-384", 48}}, {"secp521r1", {"P-521", 66}}};
    auto curve = kCurves.find(Str(pk, "curve"));
    if (curve == kCurves.end() || !HexDecode(Str(pk, "wx"), a) || !HexDecode(Str(pk, "wy"), b)) {
      return Json();
    }
    const auto& [crv, width] = curve->second;
    return {{"kty", "EC"},
            {"crv", crv},
            {"x", Base64UrlEncode(FixedWidth(a, width))},
            {"y", Base64UrlEncode(FixedWidth(b, width))}};
  }
  if (Str(pk, "type") == "EDDSAPublicKey" && Str(pk, "curve") == "edwards25519" &&
      HexDecode(Str(pk, "pk"), a)) {
    return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", Base64UrlEncode(a)}};
  }
  if (pk.contains("modulus") && HexDecode(Str(pk, "modulus"), a) &&
      HexDecode(Str(pk, "publicExponent"), b)) {
    return {{"kty", "RSA"}, {"n", Base64UrlEncode(Minimal(a))}, {"e", Base64UrlEncode(Minimal(b))}};
  }
  return Json();
}

// The group's public key as a JWK: its `publicKeyJwk` or `keyJwk`, else built from the raw key.
// When both forms exist they must name the same key, which proves JwkFromRawKey right for the
// groups that need it.
Json GroupJwk(const Json& group) {
  Json raw = JwkFromRawKey(group);
  for (const char* name : {"publicKeyJwk", "keyJwk"}) {
    const Json& jwk = Member(group, name);
    if (!jwk.is_object()) continue;
    auto given = Jwk::Parse(jwk), built = Jwk::Parse(raw);
    if (given.ok()) {
      EXPECT_TRUE(built.ok()) << "publicKey gives no usable JWK: " << raw.dump() << ": "
                              << built.status();
      if (built.ok()) {
        EXPECT_EQ(given->Thumbprint(), built->Thumbprint())
            << name << " and publicKey disagree: " << jwk.dump();
      }
    }
    return jwk;
  }
  return raw;
}

// Checks each group is for exactly what `alg` does (hash, PSS MGF and salt), then verifies every
// (msg, sig) pair with VerifySignature on the group's key.
void RunSignatureVectors(std::string_view file, Algorithm alg) {
  auto vectors = LoadVectors(file);
  ASSERT_TRUE(vectors.ok()) << vectors.status();
  const AlgorithmSpec& spec = Spec(alg);
  Tally tally(file);
  for (const Json& group : Member(*vectors, "testGroups")) {
    if (spec.hash != HashAlg::kNone) {
      EXPECT_EQ(Str(group, "sha"), WycheproofHashName(spec.hash)) << file;
    }
    if (spec.padding == Padding::kPss) {
      EXPECT_EQ(Str(group, "mgf"), "MGF1") << file;
      EXPECT_EQ(Str(group, "mgfSha"), WycheproofHashName(spec.hash)) << file;
      EXPECT_EQ(Int(group, "sLen"), spec.hash == HashAlg::kSha256   ? 32
                                    : spec.hash == HashAlg::kSha384 ? 48
                                                                    : 64)
          << file;
    }
    const Json jwk = GroupJwk(group);
    Result<Jwk> key = Jwk::Parse(jwk);
    Status key_status =
        key.ok() ? Status::Ok() : key.status().WithContext("group key " + jwk.dump());
    for (const Json& test : Member(group, "tests")) {
      std::string msg, sig;
      if (!HexDecode(Str(test, "msg"), msg) || !HexDecode(Str(test, "sig"), sig)) {
        ADD_FAILURE() << Label(file, test) << ": msg or sig is not hex";
        continue;
      }
      Status outcome = key.ok() ? VerifySignature(alg, *key, msg, sig) : key_status;
      tally.Check(test, outcome);
    }
  }
  tally.Finish(*vectors);
}

// ES256 (r‖s) accepts every valid P-256 signature and refuses every invalid one.
TEST(WycheproofTest, EcdsaP256Sha256P1363) {
  RunSignatureVectors("ecdsa_secp256r1_sha256_p1363_test.json", Algorithm::kES256);
}

// EdDSA accepts every valid Ed25519 signature and refuses every invalid one.
TEST(WycheproofTest, Ed25519) { RunSignatureVectors("ed25519_test.json", Algorithm::kEdDSA); }

// RS256 accepts valid PKCS#1 v1.5 signatures (e = 3 keys too) and refuses padding forgeries.
TEST(WycheproofTest, RsaPkcs1Sha256) {
  RunSignatureVectors("rsa_signature_2048_sha256_test.json", Algorithm::kRS256);
}

// PS256 (MGF1-SHA-256, 32-byte salt) accepts every valid signature and refuses every invalid one.
TEST(WycheproofTest, RsaPssSha256) {
  RunSignatureVectors("rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::kPS256);
}

}  // namespace
}  // namespace zta::jose
