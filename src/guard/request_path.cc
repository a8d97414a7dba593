// Request-path normalization for route matching (RFC 3986 §3.3, §5.2.4, §6.2.2).
#include "zta/guard/request_path.h"

namespace zta::guard {
namespace {

Status Malformed(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message), kReasonMalformedPath);
}
Status Ambiguous(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message), kReasonAmbiguousPath);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 3986 §2.3.
bool IsUnreserved(unsigned char c) {
  return IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// RFC 3986 §3.3 pchar, less the escape (handled apart) and ';' (refused: path parameters).
bool IsPlainPathChar(unsigned char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case '=':
    case ':':
    case '@':
      return true;
    default:
      return false;
  }
}

char FoldCase(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

Result<std::string> NormalizeRequestPath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (path.empty() || path.front() != '/') return Malformed("path does not start with '/'");
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == '/') {
      out += '/';
      continue;
    }
    if (c == ';') return Ambiguous("path parameters (';') are not accepted");
    if (c != '%') {
      if (!IsPlainPathChar(c)) return Malformed("the path holds a byte that is not a pchar");
      out += static_cast<char>(c);
      continue;
    }
    if (i + 2 >= path.size()) {
      return Malformed("truncated percent-escape");
    }
    const int hi = HexValue(path[i + 1]);
    const int lo = HexValue(path[i + 2]);
    if (hi < 0 || lo < 0) return Malformed("bad percent-escape");
    i += 2;
    const unsigned char decoded = static_cast<unsigned char>((hi << 4) | lo);
    if (IsUnreserved(decoded)) {
      out += static_cast<char>(decoded);  // RFC 3986 §6.2.2.2: "%61" is "a"
      continue;
    }
    if (decoded == '/' || decoded == '\\' || decoded == ';' || decoded == '%' || decoded < 0x20 ||
        decoded == 0x7f) {
      return Ambiguous("the path encodes '/', '\\', ';', '%' or a control byte");
    }
    out += '%';
    out += kHex[decoded >> 4];
    out += kHex[decoded & 15];
  }
  // Segments of the normal form: dot segments and inner empty segments are refused.
  size_t start = 1;
  while (start <= out.size()) {
    size_t end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    std::string_view segment = std::string_view(out).substr(start, end - start);
    if (segment == "." || segment == "..") return Ambiguous("the path has a dot segment");
    if (segment.empty() && end != out.size()) return Ambiguous("the path has an empty segment");
    start = end + 1;
  }
  return out;
}

bool PathEquals(std::string_view a, std::string_view b, bool case_sensitive) {
  if (a.size() != b.size()) return false;
  if (case_sensitive) return a == b;
  for (size_t i = 0; i < a.size(); ++i) {
    if (FoldCase(a[i]) != FoldCase(b[i])) return false;
  }
  return true;
}

}  // namespace zta::guard
