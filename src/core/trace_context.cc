// W3C Trace Context §3.2 traceparent: parse, format, new ids.
#include "zta/core/trace_context.h"

#include "zta/core/random.h"

namespace zta {
namespace {

constexpr size_t kVersion00Size = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2

bool IsLowerHex(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZeros(std::string_view text) {
  return text.find_first_not_of('0') == std::string_view::npos;
}

uint8_t HexByte(std::string_view two) {
  auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  return static_cast<uint8_t>(digit(two[0]) * 16 + digit(two[1]));
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

Result<std::string> RandomHexId(size_t n_bytes) {
  // §3.2.2.3: all zeros is invalid; draw again in the (2^-64 or less) case it comes up.
  for (int attempt = 0; attempt < 4; ++attempt) {
    ZTA_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(n_bytes));
    std::string hex = Hex(bytes);
    if (!AllZeros(hex)) return hex;
  }
  return Internal("the system random generator returned zeros");
}

std::string_view TrimOws(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

bool IsTraceId(std::string_view id) { return id.size() == 32 && IsLowerHex(id) && !AllZeros(id); }
bool IsSpanId(std::string_view id) { return id.size() == 16 && IsLowerHex(id) && !AllZeros(id); }

std::optional<TraceParent> ParseTraceParent(std::string_view value) {
  value = TrimOws(value);
  // §3.2.4: shorter than 55 characters cannot be parsed, whatever the version.
  if (value.size() < kVersion00Size) return std::nullopt;
  std::string_view version = value.substr(0, 2);
  // §3.2.2.2: version is 2 lowercase hex digits; ff is forbidden.
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  std::string_view trace_id = value.substr(3, 32);
  std::string_view parent_id = value.substr(36, 16);
  std::string_view flags = value.substr(53, 2);
  if (!IsTraceId(trace_id) || !IsSpanId(parent_id) || !IsLowerHex(flags)) return std::nullopt;
  if (version == "00") {
    // §3.2.2: version 00 is exactly these four fields.
    if (value.size() != kVersion00Size) return std::nullopt;
  } else if (value.size() > kVersion00Size && value[kVersion00Size] != '-') {
    // §3.2.4: a later version's flags are followed by the end of the value or a dash.
    return std::nullopt;
  }
  TraceParent parent;
  parent.version = HexByte(version);
  parent.trace_id = std::string(trace_id);
  parent.parent_id = std::string(parent_id);
  parent.flags = HexByte(flags);
  return parent;
}

std::string FormatTraceParent(std::string_view trace_id, std::string_view parent_id, bool sampled) {
  std::string out = "00-";
  out += trace_id;
  out += '-';
  out += parent_id;
  out += sampled ? "-01" : "-00";
  return out;
}

std::string FormatTraceParent(const TraceParent& parent) {
  std::string out = FormatTraceParent(parent.trace_id, parent.parent_id, false);
  out.resize(out.size() - 2);
  out += Hex(std::string(1, static_cast<char>(parent.flags)));
  return out;
}

Result<std::string> NewTraceId() { return RandomHexId(16); }
Result<std::string> NewSpanId() { return RandomHexId(8); }

std::string TraceIdOf(const std::optional<std::string>& traceparent) {
  if (!traceparent) return {};
  std::optional<TraceParent> parsed = ParseTraceParent(*traceparent);
  return parsed ? parsed->trace_id : std::string();
}

}  // namespace zta
