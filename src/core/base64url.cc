// Strict base64url / base64 codecs.
#include "zta/core/base64url.h"

#include <array>
#include <cstdint>

namespace zta {
namespace {

constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kStdAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeTable(const char* alphabet) {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return table;
}

constexpr auto kUrlTable = MakeTable(kUrlAlphabet);
constexpr auto kStdTable = MakeTable(kStdAlphabet);

std::string Encode(std::string_view in, const char* alphabet, bool pad) {
  const size_t full = in.size() / 3, rest = in.size() % 3;
  const size_t size = full * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1);
  // Sized once and written through a pointer: tokens are encoded on every request, and
  // per-character push_back showed in the token endpoint's profile.
  std::string out(size, '=');
  char* o = out.data();
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  for (size_t n = 0; n < full; ++n, p += 3) {
    uint32_t v = (p[0] << 16) | (p[1] << 8) | p[2];
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = alphabet[(v >> 6) & 63];
    *o++ = alphabet[v & 63];
  }
  if (rest != 0) {
    uint32_t v = (p[0] << 16) | (rest == 2 ? p[1] << 8 : 0);
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    if (rest == 2) *o++ = alphabet[(v >> 6) & 63];
    // With padding, the '=' the string was filled with stays in the remaining places.
  }
  return out;
}

// Decodes unpadded text; false on a bad character, bad length or non-zero trailing bits.
bool DecodeUnpadded(std::string_view in, const std::array<int8_t, 256>& table, std::string& out) {
  out.clear();
  if (in.size() % 4 == 1) return false;
  out.reserve(in.size() / 4 * 3 + 2);
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  size_t i = 0;
  for (; i + 4 <= in.size(); i += 4) {
    int a = table[p[i]], b = table[p[i + 1]], c = table[p[i + 2]], d = table[p[i + 3]];
    if ((a | b | c | d) < 0) return false;
    uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out.push_back(static_cast<char>(v >> 16));
    out.push_back(static_cast<char>((v >> 8) & 0xff));
    out.push_back(static_cast<char>(v & 0xff));
  }
  size_t rest = in.size() - i;
  if (rest == 2) {
    int a = table[p[i]], b = table[p[i + 1]];
    if ((a | b) < 0) return false;
    if (b & 0x0f) return false;  // non-canonical: unused low 4 bits must be zero
    out.push_back(static_cast<char>((a << 2) | (b >> 4)));
  } else if (rest == 3) {
    int a = table[p[i]], b = table[p[i + 1]], c = table[p[i + 2]];
    if ((a | b | c) < 0) return false;
    if (c & 0x03) return false;  // non-canonical: unused low 2 bits must be zero
    uint32_t v = (a << 10) | (b << 4) | (c >> 2);
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xff));
  }
  return true;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kUrlAlphabet, false); }

bool Base64UrlDecodeInto(std::string_view text, std::string& out) {
  return DecodeUnpadded(text, kUrlTable, out);
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  std::string out;
  if (!DecodeUnpadded(text, kUrlTable, out)) {
    return Status(StatusCode::kInvalidArgument, "invalid base64url (RFC 4648 §5, unpadded)",
                  "malformed");
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kStdAlphabet, true); }

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return InvalidArgument("invalid base64: length not a multiple of 4");
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  std::string out;
  if (!DecodeUnpadded(text.substr(0, text.size() - pad), kStdTable, out)) {
    return InvalidArgument("invalid base64");
  }
  return out;
}

}  // namespace zta
