// Strict JSON parsing on nlohmann's SAX interface: the DOM builder is wrapped so depth and
// duplicate names are checked as the parser goes, and it stops at the first violation.
#include "zta/core/json.h"

#include <array>
#include <charconv>
#include <string>
#include <unordered_set>
#include <vector>

namespace zta {
namespace {

using DomParser = nlohmann::detail::json_sax_dom_parser<Json>;

class StrictSax {
 public:
  StrictSax(Json& root, int max_depth) : dom_(root, /*allow_exceptions=*/false),
                                         max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const std::string& s) {
    return dom_.number_float(v, s);
  }
  bool string(std::string& v) { return dom_.string(v); }
  bool binary(Json::binary_t& v) { return dom_.binary(v); }

  bool start_object(std::size_t n) {
    if (!Enter()) return false;
    keys_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(std::string& k) {
    // A set, not a list: a header with thousands of members must not cost quadratic time
    // before its signature is even checked.
    if (!keys_.back().insert(k).second) {
      duplicate_ = true;
      return false;
    }
    return dom_.key(k);
  }
  bool end_object() {
    keys_.pop_back();
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    if (!Enter()) return false;
    return dom_.start_array(n);
  }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t pos, const std::string& tok, const nlohmann::detail::exception& e) {
    syntax_error_ = true;
    return dom_.parse_error(pos, tok, e);
  }

  bool too_deep() const { return too_deep_; }
  bool duplicate() const { return duplicate_; }

 private:
  bool Enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  DomParser dom_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  bool duplicate_ = false;
  bool syntax_error_ = false;
  std::vector<std::unordered_set<std::string>> keys_;
};

}  // namespace

Result<Json> ParseJsonStrict(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status(StatusCode::kResourceExhausted, "JSON text too large", "too_large");
  }
  Json root;
  StrictSax sax(root, limits.max_depth);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json,
                         /*strict=*/true);
  } catch (...) {
    ok = false;
  }
  if (sax.too_deep()) {
    return Status(StatusCode::kResourceExhausted, "JSON nested too deeply", "too_large");
  }
  if (sax.duplicate()) {
    return Status(StatusCode::kInvalidArgument, "JSON object has a duplicate member name",
                  "malformed");
  }
  if (!ok || root.is_discarded()) {
    return Status(StatusCode::kInvalidArgument, "invalid JSON", "malformed");
  }
  return root;
}

namespace {

// nlohmann's own serialization, the reference for every byte the fast path writes.
std::string ReferenceDump(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// Length of the well-formed UTF-8 sequence (RFC 3629 §4: no overlong forms, no surrogates,
// nothing above U+10FFFF) that starts at s[i] with a byte >= 0x80, or 0 when it is ill-formed.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto continuation = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  unsigned char b = byte(i);
  if (b >= 0xC2 && b <= 0xDF) return continuation(i + 1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    unsigned char lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    return continuation(i + 1, lo, hi) && continuation(i + 2) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    unsigned char lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    return continuation(i + 1, lo, hi) && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
  }
  return 0;
}

// Appends `s` as a JSON string the way nlohmann writes it with ensure_ascii off: the two-letter
// escapes of RFC 8259 §7 where they exist, \u00xx (lower-case hex) for other control
// characters, every other character as it is. False, with nothing appended, when `s` is not
// valid UTF-8: nlohmann's replacement rules are then followed by calling nlohmann itself.
bool AppendString(std::string& out, std::string_view s) {
  // kPlain[c]: byte c is copied as it is (printable ASCII other than '"' and '\\'); the scan
  // skips runs of those with one table lookup per byte.
  static constexpr auto kPlain = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
    return plain;
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t start = out.size();
  out += '"';
  size_t run = 0;  // start of the pending bytes that need no escaping
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (kPlain[c]) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out.resize(start);
        return false;
      }
      i += n;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
  return true;
}

template <typename Integer>
void AppendInteger(std::string& out, Integer n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

// Compact serialization, byte for byte what ReferenceDump(value, -1) gives (json_test.cc
// compares them on random documents): object members in the map's order, no spaces. Numbers
// with a fraction and strings that are not valid UTF-8 are left to nlohmann. Token claims,
// token responses and audit events are written through here on every request, where nlohmann's
// character-at-a-time writer was the largest single cost after the signature.
void AppendCompact(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [name, member] : value.get_ref<const Json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, name);
        out += ':';
        AppendCompact(out, member);
      }
      out += '}';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const Json& element : value.get_ref<const Json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        AppendCompact(out, element);
      }
      out += ']';
      return;
    }
    case Json::value_t::string:
      AppendJsonString(out, value.get_ref<const std::string&>());
      return;
    case Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::null:
      out += "null";
      return;
    case Json::value_t::number_integer:
      AppendInteger(out, value.get<Json::number_integer_t>());
      return;
    case Json::value_t::number_unsigned:
      AppendInteger(out, value.get<Json::number_unsigned_t>());
      return;
    default:  // number_float, binary, discarded
      out += ReferenceDump(value, -1);
      return;
  }
}

}  // namespace

void AppendJson(std::string& out, const Json& value) { AppendCompact(out, value); }

void AppendJsonString(std::string& out, std::string_view text) {
  if (!AppendString(out, text)) out += ReferenceDump(Json(std::string(text)), -1);
}

std::string DumpJson(const Json& value, int indent) {
  if (indent >= 0) return ReferenceDump(value, indent);
  std::string out;
  out.reserve(256);
  AppendCompact(out, value);
  return out;
}

}  // namespace zta
