// FunctionTool, SecureFunctionTool and the Scrubber: argument validation, just-in-time tokens,
// and keeping credentials out of what goes back to the model.
#include "zta/agent/tool.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <utility>

#include "zta/agent/reasons.h"
#include "zta/auth/dpop_key.h"
#include "zta/core/trace_context.h"

namespace zta::agent {
namespace {

bool IsB64Url(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}
bool IsToken68(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-._~+/").find(c) != std::string_view::npos;
}

bool StartsWithIgnoreCase(std::string_view s, size_t at, std::string_view prefix) {
  if (s.size() - at < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[at + i])) != prefix[i]) return false;
  }
  return true;
}

// Names of JSON members whose string values are credentials.
bool IsCredentialKey(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (k == "token" || k.ends_with("_token") || k.ends_with("-token")) return true;
  for (std::string_view word : {"secret", "password", "passwd", "api_key", "apikey", "api-key",
                                "authorization", "assertion", "private_key"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

// "key": "value" with a credential key → "key": "[redacted]".
std::string RedactCredentialMembers(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t quote = text.find('"', i);
    if (quote == std::string_view::npos) break;
    size_t key_end = text.find('"', quote + 1);
    if (key_end == std::string_view::npos) break;
    std::string_view key = text.substr(quote + 1, key_end - quote - 1);
    size_t j = key_end + 1;
    while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j >= text.size() || text[j] != ':' || !IsCredentialKey(key)) {
      out.append(text.substr(i, key_end - i));
      i = key_end;  // the closing quote may open the next string
      out.push_back('"');
      ++i;
      continue;
    }
    ++j;
    while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j >= text.size() || text[j] != '"') {
      out.append(text.substr(i, j - i));
      i = j;
      continue;
    }
    size_t end = j + 1;
    while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
    out.append(text.substr(i, j + 1 - i));
    out.append(Scrubber::kRedacted);
    if (end >= text.size()) return out;  // unterminated: the rest was the value
    out.push_back('"');
    i = end + 1;
  }
  if (i < text.size()) out.append(text.substr(i));
  return out;
}

// Compact JWS (3 segments) and JWE (5): "eyJ" starts the base64url of a JSON header.
// "Bearer x" / "Basic x" / "DPoP x": the credential after the scheme.
std::string RedactTokenShapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool boundary = i == 0 || !IsB64Url(text[i - 1]);
    if (boundary && text.compare(i, 3, "eyJ") == 0) {
      size_t j = i;
      int dots = 0;
      size_t first_segment = 0;
      while (j < text.size() && (IsB64Url(text[j]) || text[j] == '.')) {
        if (text[j] == '.') {
          if (dots == 0) first_segment = j - i;
          ++dots;
        }
        ++j;
      }
      if (dots >= 2 && first_segment >= 10) {
        out.append(Scrubber::kRedacted);
        i = j;
        continue;
      }
    }
    if (boundary) {
      for (std::string_view scheme : {"bearer ", "basic ", "dpop "}) {
        if (!StartsWithIgnoreCase(text, i, scheme)) continue;
        size_t j = i + scheme.size();
        while (j < text.size() && text[j] == ' ') ++j;
        size_t start = j;
        while (j < text.size() && IsToken68(text[j])) ++j;
        while (j < text.size() && text[j] == '=') ++j;
        if (j - start >= 8) {
          out.append(text.substr(i, start - i));
          out.append(Scrubber::kRedacted);
          i = j;
        }
        break;
      }
    }
    if (i < text.size()) out.push_back(text[i++]);
  }
  return out;
}

void ReplaceAll(std::string& text, std::string_view needle) {
  if (needle.empty()) return;
  size_t at = 0;
  while ((at = text.find(needle, at)) != std::string::npos) {
    text.replace(at, needle.size(), Scrubber::kRedacted);
    at += Scrubber::kRedacted.size();
  }
}

// ---- Reshaped secrets: the forms of a value (verbatim, base64, hex, JWT segments) and finding
// them in text whose writer may have wrapped or JSON-escaped them.

constexpr size_t kMinSecretBytes = 6;    // AddSecret's rule for the value itself
constexpr size_t kMinDerivedChars = 16;  // for any form but the value verbatim
// Forms are indexed by their first kAnchorChars characters, packed into an integer; no form is
// shorter, since kAnchorChars == kMinSecretBytes <= kMinDerivedChars.
constexpr size_t kAnchorChars = 6;
constexpr uint64_t kAnchorMask = (uint64_t{1} << (8 * kAnchorChars)) - 1;
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHexDigits[] = "0123456789abcdef";

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The index's view of a character: case folded (hex may be in either case) and the base64url
// characters as their base64 twins (RFC 4648 §5), so one key serves every variant of a form.
// The match itself is exact but for those two allowances.
uint8_t Fold(char c) {
  if (c == '-') return '+';
  if (c == '_') return '/';
  return static_cast<uint8_t>(AsciiLower(c));
}

// A base64 character of the text against one of a form (written in the standard alphabet):
// either alphabet matches.
bool SameBase64(char text, char form) {
  return text == form || (form == '+' && text == '-') || (form == '/' && text == '_');
}

// What a byte is to NeedleSet::Add, which classifies each call's token in one pass to learn
// which of its forms need work.
enum CharClass : uint8_t {
  kStartsGap = 1,    // Compact may drop or rewrite text from here: whitespace or a backslash
  kJsonEscaped = 2,  // a JSON string may write it otherwise: '"', '\\', controls, non-ASCII
  kJwtChar = 4,      // base64url or '.'
};
constexpr std::array<uint8_t, 256> kCharClasses = [] {
  std::array<uint8_t, 256> classes{};
  for (int c = 0; c < 256; ++c) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\\') classes[c] |= kStartsGap;
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) classes[c] |= kJsonEscaped;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.') {
      classes[c] |= kJwtChar;
    }
  }
  return classes;
}();
uint8_t ClassOf(char c) { return kCharClasses[static_cast<unsigned char>(c)]; }

// The base64 characters of a group of 1-3 bytes, without padding; returns how many (2-4).
size_t EncodeGroup(std::string_view bytes, char out[4]) {
  uint32_t v = 0;
  for (size_t i = 0; i < 3; ++i) {
    v = v << 8 | (i < bytes.size() ? static_cast<unsigned char>(bytes[i]) : 0u);
  }
  for (int k = 0; k < 4; ++k) out[k] = kBase64Alphabet[(v >> (18 - 6 * k)) & 63];
  return bytes.size() + 1;
}

// Text without what a writer inserts into long values: spaces, tabs and line breaks (base64
// wrapped at 60 or 76 columns, RFC 2045 §6.8), and the JSON escapes \n \r \t, which it drops,
// and \/, which it reads as '/' (RFC 8259 §7). Forms are searched for in this text, so a
// match may span any of them.
struct Compacted {
  std::string chars;
  // (index in chars, index in the text) where the mapping between the two moves; from (0, 0).
  std::vector<std::pair<size_t, size_t>> jumps;

  size_t Origin(size_t k) const {
    auto it = std::upper_bound(jumps.begin(), jumps.end(), k,
                               [](size_t k, const auto& jump) { return k < jump.first; });
    --it;
    return it->second + (k - it->first);
  }
};

Compacted Compact(std::string_view text) {
  Compacted c;
  c.chars.reserve(text.size());
  c.jumps.emplace_back(0, 0);
  bool moved = false;
  auto emit = [&c, &moved](char ch, size_t at) {
    if (moved) c.jumps.emplace_back(c.chars.size(), at);
    moved = false;
    c.chars.push_back(ch);
  };
  for (size_t i = 0; i < text.size();) {
    char ch = text[i];
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
      ++i;
      moved = true;
      continue;
    }
    if (ch == '\\' && i + 1 < text.size()) {
      char next = text[i + 1];
      if (next == 'n' || next == 'r' || next == 't') {
        i += 2;
        moved = true;
        continue;
      }
      if (next == '/') {
        emit('/', i);
        i += 2;
        moved = true;
        continue;
      }
      if (next == '\\') {  // an escaped backslash: the second one starts no escape
        emit('\\', i);
        emit('\\', i + 1);
        i += 2;
        continue;
      }
    }
    emit(ch, i);
    ++i;
  }
  return c;
}

// One form in which a value may appear. Its characters are computed from `bytes` when its
// anchor is seen rather than stored, so deriving the forms of a call's token copies nothing of
// it (a few microseconds were per tool call otherwise, for a 1 KB token).
struct Needle {
  enum class Form : uint8_t {
    kText,    // `bytes` are the characters
    kBase64,  // `bytes` (a multiple of 3) encoded from a group boundary; `tail` the 1-2 bytes
              // after them, as the final group of the encoded data (then '=' padding, optional)
    kHex,     // `bytes`, two hex digits each, in either case
  };
  Form form = Form::kText;
  std::string_view bytes;
  std::string_view tail;
  uint64_t anchor = 0;  // the first kAnchorChars characters, folded
};

uint64_t AnchorOf(const Needle& n) {
  char chars[8];
  switch (n.form) {
    case Needle::Form::kText:
      std::copy_n(n.bytes.begin(), kAnchorChars, chars);
      break;
    case Needle::Form::kBase64:
      EncodeGroup(n.bytes.substr(0, 3), chars);
      EncodeGroup(n.bytes.substr(3, 3), chars + 4);
      break;
    case Needle::Form::kHex:
      for (size_t i = 0; i < kAnchorChars / 2; ++i) {
        auto b = static_cast<unsigned char>(n.bytes[i]);
        chars[2 * i] = kHexDigits[b >> 4];
        chars[2 * i + 1] = kHexDigits[b & 15];
      }
      break;
  }
  uint64_t key = 0;
  for (size_t k = 0; k < kAnchorChars; ++k) key = key << 8 | Fold(chars[k]);
  return key;
}

// How many characters of `c` from `p` on the needle matches; 0 when it does not.
size_t MatchLength(const Needle& n, std::string_view c, size_t p) {
  std::string_view rest = c.substr(p);
  switch (n.form) {
    case Needle::Form::kText:
      return rest.starts_with(n.bytes) ? n.bytes.size() : 0;
    case Needle::Form::kHex: {
      if (rest.size() / 2 < n.bytes.size()) return 0;
      for (size_t i = 0; i < n.bytes.size(); ++i) {
        auto b = static_cast<unsigned char>(n.bytes[i]);
        if (AsciiLower(rest[2 * i]) != kHexDigits[b >> 4] ||
            AsciiLower(rest[2 * i + 1]) != kHexDigits[b & 15]) {
          return 0;
        }
      }
      return 2 * n.bytes.size();
    }
    case Needle::Form::kBase64: {
      size_t length = n.bytes.size() / 3 * 4;
      if (rest.size() < length) return 0;
      char group[4];
      for (size_t i = 0; i < n.bytes.size(); i += 3) {
        EncodeGroup(n.bytes.substr(i, 3), group);
        for (size_t k = 0; k < 4; ++k) {
          if (!SameBase64(rest[i / 3 * 4 + k], group[k])) return 0;
        }
      }
      if (n.tail.empty()) return length;
      // The value ends the encoded data: its last bytes make a short group, maybe padded.
      size_t chars = EncodeGroup(n.tail, group);
      if (rest.size() - length < chars) return length;
      for (size_t k = 0; k < chars; ++k) {
        if (!SameBase64(rest[length + k], group[k])) return length;
      }
      length += chars;
      for (size_t pad = chars; pad < 4 && length < rest.size() && rest[length] == '='; ++pad) {
        ++length;
      }
      return length;
    }
  }
  return 0;
}

// The parts of a compact JWS (3) or JWE (5) serialization (RFC 7515 §7.1, RFC 7516 §7.1);
// empty when `value`, made of base64url characters and dots, has another number of parts.
std::vector<std::string_view> JwtSegments(std::string_view value) {
  std::vector<std::string_view> parts;
  for (size_t begin = 0;;) {
    size_t dot = value.find('.', begin);
    parts.push_back(value.substr(begin, dot == std::string_view::npos ? dot : dot - begin));
    if (dot == std::string_view::npos) break;
    begin = dot + 1;
  }
  if (parts.size() != 3 && parts.size() != 5) parts.clear();
  return parts;
}

// The forms of some values, indexed by anchor. Values added must outlive the set; it keeps the
// few forms that are not ranges of a value (compacted or JSON-escaped text) itself.
class NeedleSet {
 public:
  NeedleSet() = default;
  NeedleSet(const NeedleSet&) = delete;
  NeedleSet& operator=(const NeedleSet&) = delete;

  void Add(std::string_view value) {
    uint8_t any = 0, all = 0xff;
    for (char c : value) {
      any |= ClassOf(c);
      all &= ClassOf(c);
    }
    AddText(value, any & kStartsGap);
    if (any & kJsonEscaped) {
      std::string json;
      AppendJsonString(json, value);
      std::string escaped = json.substr(1, json.size() - 2);
      if (escaped != value) AddText(Own(std::move(escaped)), true);
    }
    AddEncoded(value);
    if ((all & kJwtChar) == 0) return;
    std::vector<std::string_view> segments = JwtSegments(value);
    // Not the first, the JOSE header: it is public and the same in every token of the issuer,
    // so redacting it would cut another of its tokens in the text out of its JWT shape (and so
    // out of RedactTokenShapes' sight).
    for (size_t i = 1; i < segments.size(); ++i) {
      std::string_view segment = segments[i];
      if (segment.size() < kMinDerivedChars) continue;
      Push({Needle::Form::kText, segment, {}});  // base64url: nothing to compact
      AddEncoded(segment);
    }
  }

  // Builds the index; after the last Add.
  void Index() {
    std::sort(needles_.begin(), needles_.end(),
              [](const Needle& a, const Needle& b) { return a.anchor < b.anchor; });
    size_t size = 8;
    while (size < 2 * needles_.size()) size *= 2;
    slots_.assign(size, Slot{});
    bits_ = std::countr_zero(size);
    for (size_t begin = 0; begin < needles_.size();) {
      size_t end = begin + 1;
      while (end < needles_.size() && needles_[end].anchor == needles_[begin].anchor) ++end;
      uint64_t key = needles_[begin].anchor | kUsed;
      size_t h = Hash(key);
      while (slots_[h].key != 0) h = (h + 1) & (size - 1);
      slots_[h] = {key, static_cast<uint32_t>(begin), static_cast<uint32_t>(end)};
      begin = end;
    }
  }

  bool empty() const { return needles_.empty(); }

  // The longest match at c[p..] among the forms whose first characters fold to `anchor`.
  size_t LongestMatch(std::string_view c, size_t p, uint64_t anchor) const {
    if (slots_.empty()) return 0;
    uint64_t key = anchor | kUsed;
    for (size_t h = Hash(key); slots_[h].key != 0; h = (h + 1) & (slots_.size() - 1)) {
      if (slots_[h].key != key) continue;
      size_t longest = 0;
      for (uint32_t i = slots_[h].begin; i < slots_[h].end; ++i) {
        longest = std::max(longest, MatchLength(needles_[i], c, p));
      }
      return longest;
    }
    return 0;
  }

 private:
  static constexpr uint64_t kUsed = uint64_t{1} << 63;  // anchors use 48 bits
  struct Slot {
    uint64_t key = 0;  // anchor | kUsed; 0: empty
    uint32_t begin = 0, end = 0;
  };

  size_t Hash(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - bits_));
  }
  std::string_view Own(std::string text) {
    owned_.push_back(std::make_unique<const std::string>(std::move(text)));
    return *owned_.back();
  }
  void Push(Needle n) {
    n.anchor = AnchorOf(n);
    needles_.push_back(n);
  }
  // The value as text, as found after compaction (`gaps`: it has something Compact changes).
  void AddText(std::string_view text, bool gaps) {
    if (!gaps) {
      if (text.size() >= kAnchorChars) Push({Needle::Form::kText, text, {}});
      return;
    }
    std::string compact = Compact(text).chars;
    if (compact.size() < kAnchorChars) return;
    Push({Needle::Form::kText, Own(std::move(compact)), {}});
  }
  // Base64 from each of the three byte alignments, and hex.
  void AddEncoded(std::string_view bytes) {
    for (size_t shift = 0; shift < 3 && shift < bytes.size(); ++shift) {
      size_t whole = (bytes.size() - shift) / 3 * 3;
      if (whole / 3 * 4 < kMinDerivedChars) continue;
      Push({Needle::Form::kBase64, bytes.substr(shift, whole), bytes.substr(shift + whole)});
    }
    if (2 * bytes.size() >= kMinDerivedChars) Push({Needle::Form::kHex, bytes, {}});
  }

  std::vector<std::unique_ptr<const std::string>> owned_;
  std::vector<Needle> needles_;  // sorted by anchor once indexed
  std::vector<Slot> slots_;      // open addressing: anchor → a run of needles_
  int bits_ = 3;
};

// Replaces what the needles of `sets` match in `text` by kRedacted, each match with the line
// breaks and escapes it spans; overlapping or touching matches become one.
std::string RedactForms(std::string text, std::span<const NeedleSet* const> sets) {
  Compacted c = Compact(text);
  std::string out;
  size_t copied = 0;                          // text[0, copied) is accounted for in out
  size_t begin = std::string::npos, end = 0;  // the pending match, in c.chars
  auto flush = [&] {
    size_t first = c.Origin(begin), last = c.Origin(end - 1);
    last += c.chars[end - 1] == '/' && text[last] == '\\' ? 2 : 1;  // "\/" is one character
    out.append(text, copied, first - copied);
    out.append(Scrubber::kRedacted);
    copied = last;
  };
  uint64_t anchor = 0;
  for (size_t i = 0; i < c.chars.size(); ++i) {
    anchor = (anchor << 8 | Fold(c.chars[i])) & kAnchorMask;
    if (i + 1 < kAnchorChars) continue;
    size_t p = i + 1 - kAnchorChars;
    size_t length = 0;
    for (const NeedleSet* set : sets) {
      length = std::max(length, set->LongestMatch(c.chars, p, anchor));
    }
    if (length == 0) continue;
    if (begin != std::string::npos && p <= end) {
      end = std::max(end, p + length);
      continue;
    }
    if (begin != std::string::npos) flush();
    begin = p;
    end = p + length;
  }
  if (begin == std::string::npos) return text;
  flush();
  out.append(text, copied);
  return out;
}

std::string ContentOf(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return DumpJson(value);
}

}  // namespace

// A token source's reason code as the model may see it: RFC 6749 §5.2 error codes are short
// snake_case words, but an IdP may send any text as "error". Anything else becomes "no_token".
std::string SafeTokenReason(const std::string& reason) {
  bool ok = !reason.empty() && reason.size() <= 64 &&
            std::all_of(reason.begin(), reason.end(), [](unsigned char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
            });
  return ok ? reason : kReasonNoToken;
}

struct Scrubber::Forms {
  std::vector<std::string> secrets;  // never resized once `needles` points into them
  NeedleSet needles;
};

void Scrubber::AddSecret(std::string value) {
  if (value.size() < kMinSecretBytes) return;
  auto forms = std::make_shared<Forms>();
  if (forms_ != nullptr) forms->secrets = forms_->secrets;
  forms->secrets.push_back(std::move(value));
  for (const std::string& secret : forms->secrets) forms->needles.Add(secret);
  forms->needles.Index();
  forms_ = std::move(forms);
}

std::string Scrubber::Scrub(std::string_view text) const { return Scrub(text, {}); }

std::string Scrubber::Scrub(std::string_view text, std::string_view extra) const {
  // Verbatim secrets first: they may not look like anything.
  std::string s(text);
  bool has_extra = extra.size() >= kMinSecretBytes;
  if (has_extra) ReplaceAll(s, extra);
  if (forms_ != nullptr) {
    for (const std::string& secret : forms_->secrets) ReplaceAll(s, secret);
  }
  // Then the same values reshaped: encoded, wrapped, escaped, split into JWT segments.
  NeedleSet call;
  if (has_extra) {
    call.Add(extra);
    call.Index();
  }
  std::array<const NeedleSet*, 2> sets{};
  size_t count = 0;
  if (forms_ != nullptr && !forms_->needles.empty()) sets[count++] = &forms_->needles;
  if (!call.empty()) sets[count++] = &call;
  if (count > 0) s = RedactForms(std::move(s), std::span(sets.data(), count));
  return RedactTokenShapes(RedactCredentialMembers(s));
}

Result<http::Response> ToolContext::Send(http::ClientRequest request) const {
  // Authorization, and for a DPoP-bound token a proof for this method and URL (RFC 9449 §7.1).
  if (token != nullptr) ZTA_RETURN_IF_ERROR(token->Attach(request));
  // W3C Trace Context §3.2: the API's audit events join this conversation's trace. Each request
  // is a span of its own (fresh parent-id); a traceparent the handler set itself is kept.
  if (IsTraceId(trace_id) && !request.headers.Has(kTraceParentHeader)) {
    if (Result<std::string> span = NewSpanId(); span.ok()) {
      request.headers.Set(kTraceParentHeader, FormatTraceParent(trace_id, *span));
    }
  }
  Result<http::Response> response = transport ? transport(request) : http::Send(request);
  auth::DpopKey* dpop = token != nullptr ? token->dpop_key.get() : nullptr;
  if (dpop != nullptr && response.ok() && dpop->LearnNonce(request.url, *response)) {
    // RFC 9449 §9: the resource server wants a nonce in the proof. It refused before doing
    // anything, so the same request goes once more with a fresh proof carrying it.
    ZTA_RETURN_IF_ERROR(token->Attach(request));
    response = transport ? transport(request) : http::Send(request);
    if (response.ok()) (void)dpop->LearnNonce(request.url, *response);
  }
  ++requests_sent;
  if (requests_sent == 1 && token != nullptr && response.ok() && response->status == 401) {
    first_request_refused_token = true;
  }
  return response;
}

std::string_view ToolStatusName(ToolStatus status) {
  switch (status) {
    case ToolStatus::kOk:
      return "ok";
    case ToolStatus::kError:
      return "error";
    case ToolStatus::kDenied:
      return "denied";
  }
  return "error";
}

FunctionTool::FunctionTool(std::string name, std::string description, const Schema& parameters,
                           ToolHandler handler)
    : handler_(std::move(handler)) {
  spec_.name = std::move(name);
  spec_.description = std::move(description);
  spec_.parameters = parameters.json();
  spec_.strict = IsStrictSchema(spec_.parameters);
  assert(ValidateToolName(spec_.name).ok());
}

FunctionTool::FunctionTool(ToolSpec spec, ToolHandler handler)
    : spec_(std::move(spec)), handler_(std::move(handler)) {}

Result<std::unique_ptr<FunctionTool>> FunctionTool::Create(std::string name,
                                                           std::string description, Json parameters,
                                                           ToolHandler handler) {
  ZTA_RETURN_IF_ERROR(ValidateToolName(name));
  if (!parameters.is_object() || parameters.value("type", "") != "object") {
    return InvalidArgument("tool " + name + ": parameters must be an object schema");
  }
  ToolSpec spec{std::move(name), std::move(description), CloseObjects(std::move(parameters))};
  spec.strict = IsStrictSchema(spec.parameters);
  return std::unique_ptr<FunctionTool>(new FunctionTool(std::move(spec), std::move(handler)));
}

Status FunctionTool::ValidateArguments(const Json& args) const {
  if (!args.is_object()) {
    return Status(StatusCode::kInvalidArgument, "$: arguments must be a JSON object",
                  kReasonInvalidArguments);
  }
  return ValidateJson(spec_.parameters, args);
}

ToolOutcome FunctionTool::RunHandler(const Json& args, ToolContext& context) const {
  ToolOutcome outcome;
  Result<Json> result = Internal("tool handler did not run");
  try {
    result = handler_(args, context);
  } catch (const std::exception&) {
    // A handler's exception text might hold anything; the model gets only the fact.
    result = Status(StatusCode::kInternal, "the tool failed", kReasonToolException);
  } catch (...) {
    result = Status(StatusCode::kInternal, "the tool failed", kReasonToolException);
  }
  if (result.ok()) {
    outcome.content = ContentOf(*result);
    return outcome;
  }
  const Status& s = result.status();
  bool denied =
      s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kUnauthenticated;
  outcome.status = denied ? ToolStatus::kDenied : ToolStatus::kError;
  outcome.reason = !s.reason().empty() ? s.reason()
                   : denied            ? kReasonUpstreamDenied
                                       : kReasonToolFailed;
  outcome.content = std::string(denied ? "denied: " : "error: ") + s.message();
  return outcome;
}

ToolOutcome FunctionTool::Invoke(const Json& args, ToolContext& context) const {
  if (Status valid = ValidateArguments(args); !valid.ok()) {
    return ToolOutcome::Failure(ToolStatus::kError, "error: invalid arguments: " + valid.message(),
                                kReasonInvalidArguments);
  }
  return RunHandler(args, context);
}

SecureFunctionTool::SecureFunctionTool(std::string name, std::string description,
                                       const Schema& parameters, ToolRequirement requirement,
                                       auth::TokenSource& tokens, ToolHandler handler)
    : FunctionTool(std::move(name), std::move(description), parameters, std::move(handler)),
      requirement_(std::move(requirement)),
      tokens_(tokens) {
  assert(!requirement_.resource.empty());
}

SecureFunctionTool::SecureFunctionTool(ToolSpec spec, ToolRequirement requirement,
                                       auth::TokenSource& tokens, ToolHandler handler)
    : FunctionTool(std::move(spec), std::move(handler)),
      requirement_(std::move(requirement)),
      tokens_(tokens) {}

Result<std::unique_ptr<SecureFunctionTool>> SecureFunctionTool::Create(
    std::string name, std::string description, Json parameters, ToolRequirement requirement,
    auth::TokenSource& tokens, ToolHandler handler) {
  if (requirement.resource.empty()) {
    return InvalidArgument("tool " + name + ": the requirement has no resource");
  }
  ZTA_ASSIGN_OR_RETURN(auto plain, FunctionTool::Create(std::move(name), std::move(description),
                                                        std::move(parameters), nullptr));
  return std::unique_ptr<SecureFunctionTool>(
      new SecureFunctionTool(plain->spec(), std::move(requirement), tokens, std::move(handler)));
}

ToolOutcome SecureFunctionTool::BuildTokenRequest(const Json& args, const ToolContext& context,
                                                  auth::TokenRequest& request,
                                                  ToolOutcome& outcome) const {
  auto fail = [&outcome](ToolStatus status, std::string reason, std::string content) {
    outcome.status = status;
    outcome.reason = std::move(reason);
    outcome.content = std::move(content);
    return outcome;
  };
  request.resource = requirement_.resource;
  request.scopes = requirement_.scopes;
  request.trace_id = context.trace_id;  // the idp's events join the conversation's trace
  if (requirement_.acting == Acting::kOnBehalfOfUser) {
    if (context.user.empty()) {
      return fail(ToolStatus::kDenied, kReasonNoUser,
                  "denied: " + spec().name + " acts for a signed-in user and there is none");
    }
    request.on_behalf_of = context.user;
    outcome.subject = context.user;
    if (!context.subject_token.empty()) {
      // Another agent handed over the user's authority: exchange it (RFC 8693 §2.1).
      request.subject_token = context.subject_token;
      request.subject_token_type = context.subject_token_type;
    } else {
      request.approval = requirement_.approval;
    }
  }
  if (requirement_.authorization_details) {
    Result<Json> details = requirement_.authorization_details(args);
    if (!details.ok()) {
      return fail(ToolStatus::kError, kReasonInvalidArguments,
                  "error: invalid arguments: " + details.status().message());
    }
    request.authorization_details = std::move(details).value();
  }
  if (request.approval == auth::Approval::kBackchannel && requirement_.binding_message) {
    request.binding_message = requirement_.binding_message(args);
  }
  return ToolOutcome();
}

ToolOutcome SecureFunctionTool::Invoke(const Json& args, ToolContext& context) const {
  ToolOutcome outcome;
  outcome.secured = true;
  outcome.resource = requirement_.resource;
  outcome.scopes_requested = requirement_.scopes;
  auto fail = [&outcome](ToolStatus status, std::string reason, std::string content) {
    outcome.status = status;
    outcome.reason = std::move(reason);
    outcome.content = std::move(content);
    return outcome;
  };
  if (Status valid = ValidateArguments(args); !valid.ok()) {
    return fail(ToolStatus::kError, kReasonInvalidArguments,
                "error: invalid arguments: " + valid.message());
  }
  if (requirement_.resource_id) outcome.resource_id = requirement_.resource_id(args);

  auth::TokenRequest request;
  if (ToolOutcome refused = BuildTokenRequest(args, context, request, outcome);
      refused.status != ToolStatus::kOk) {
    return refused;
  }

  Result<auth::AccessToken> token = tokens_.GetToken(request);
  if (!token.ok()) {
    // Only the reason code reaches the model: an IdP's error_description could say anything.
    std::string reason = SafeTokenReason(token.status().reason());
    return fail(
        ToolStatus::kDenied, reason,
        "denied: this agent is not authorized to call " + spec().name + " (" + reason + ")");
  }
  outcome.jti = token->jti;
  outcome.scopes_granted = token->scopes.empty() ? requirement_.scopes : token->scopes;

  auto run = [&] {
    context.requests_sent = 0;
    context.first_request_refused_token = false;
    context.token = &*token;
    ToolOutcome ran = RunHandler(args, context);
    context.token = nullptr;
    return ran;
  };
  ToolOutcome ran = run();
  if (ran.status == ToolStatus::kDenied && context.first_request_refused_token &&
      context.requests_sent == 1) {
    // A cached token the resource server no longer accepts: one retry with a fresh token.
    tokens_.Invalidate(request);
    Result<auth::AccessToken> fresh = tokens_.GetToken(request);
    if (fresh.ok()) {
      token = std::move(fresh);
      outcome.jti = token->jti;
      outcome.scopes_granted = token->scopes.empty() ? requirement_.scopes : token->scopes;
      ran = run();
    }
  }
  outcome.status = ran.status;
  outcome.reason = std::move(ran.reason);
  // The handler may echo what the upstream sent back, Authorization header included.
  Scrubber none;
  outcome.content = none.Scrub(ran.content, token->value.Reveal());
  if (outcome.status == ToolStatus::kDenied) outcome.scopes_granted.clear();
  return outcome;
}

Json ToolSpec::ToJson() const {
  Json function = {{"name", name}, {"description", description}, {"parameters", parameters}};
  if (strict) function["strict"] = true;
  return {{"type", "function"}, {"function", std::move(function)}};
}

Status ValidateToolName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && (IsB64Url(c));
  if (!ok) {
    return InvalidArgument("tool name '" + name +
                           "' must be 1-64 characters of a-z, A-Z, 0-9, _ and -");
  }
  return Status::Ok();
}

}  // namespace zta::agent
