// libFuzzer target: arbitrary bytes through zta::ParseJsonStrict and the base64url/base64
// codecs, checking limits, JSON dump/re-parse, DumpJson == nlohmann's dump and
// decode(encode(x)) == x.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "zta/core/base64url.h"
#include "zta/core/json.h"

namespace zta::fuzz {
namespace {

int Depth(const Json& j) {
  if (!j.is_structured()) return 0;
  int d = 0;
  for (const auto& child : j) d = std::max(d, Depth(child));
  return d + 1;
}

void CheckJson(std::string_view text) {
  auto parsed = ParseJsonStrict(text);
  if (!parsed.ok()) {
    const auto& reason = parsed.status().reason();
    if (reason != "malformed" && reason != "too_large") {
      InvariantFailed("ParseJsonStrict refusal without a known reason", parsed.status().ToString());
    }
  } else {
    if (Depth(*parsed) > JsonLimits{}.max_depth) InvariantFailed("depth limit not enforced");
    // What we accepted, serialized, must parse again to the same value.
    const std::string dumped = DumpJson(*parsed);
    auto again = ParseJsonStrict(dumped);
    if (!again.ok())
      InvariantFailed("DumpJson output does not re-parse", again.status().ToString());
    if (*again != *parsed) InvariantFailed("JSON changed across dump/re-parse", dumped);
    // zta's compact writer promises nlohmann's bytes exactly (audit hashes depend on them).
    if (dumped != parsed->dump(-1, ' ', false, Json::error_handler_t::replace)) {
      InvariantFailed("DumpJson differs from nlohmann's dump", dumped);
    }
  }
  // Any bytes as a string value, valid UTF-8 or not: the same promise on the string path.
  const Json as_string = std::string(text);
  if (DumpJson(as_string) != as_string.dump(-1, ' ', false, Json::error_handler_t::replace)) {
    InvariantFailed("DumpJson differs from nlohmann's dump for a string");
  }
  // Tight limits: anything accepted must be within them.
  JsonLimits tight;
  tight.max_depth = 2;
  tight.max_bytes = 64;
  auto small = ParseJsonStrict(text, tight);
  if (small.ok()) {
    if (text.size() > tight.max_bytes) InvariantFailed("max_bytes not enforced");
    if (Depth(*small) > tight.max_depth) InvariantFailed("max_depth not enforced");
    if (!parsed.ok()) InvariantFailed("accepted under tight limits, refused under defaults");
  }
}

void CheckBase64(std::string_view text) {
  // base64url: strict and canonical, so whatever decodes re-encodes to exactly the input.
  auto decoded = Base64UrlDecode(text);
  std::string into = "junk";
  const bool into_ok = Base64UrlDecodeInto(text, into);
  if (into_ok != decoded.ok()) InvariantFailed("Base64UrlDecodeInto disagrees with Decode");
  if (decoded.ok()) {
    if (into != *decoded) InvariantFailed("Base64UrlDecodeInto output differs");
    if (Base64UrlEncode(*decoded) != text) InvariantFailed("non-canonical base64url accepted");
  }
  const std::string encoded = Base64UrlEncode(text);
  auto round = Base64UrlDecode(encoded);
  if (!round.ok() || *round != text) InvariantFailed("base64url decode(encode(x)) != x");

  // Standard base64 with padding.
  auto std_decoded = Base64Decode(text);
  if (std_decoded.ok()) {
    auto again = Base64Decode(Base64Encode(*std_decoded));
    if (!again.ok() || *again != *std_decoded) {
      InvariantFailed("base64 decode(encode(decode(x))) != decode(x)");
    }
  }
  auto std_round = Base64Decode(Base64Encode(text));
  if (!std_round.ok() || *std_round != text) InvariantFailed("base64 decode(encode(x)) != x");
}

}  // namespace
}  // namespace zta::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  zta::fuzz::CheckJson(text);
  zta::fuzz::CheckBase64(text);
  return 0;
}
