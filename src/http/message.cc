// HTTP message values and the small codecs around them: case-insensitive header fields,
// percent-encoding, application/x-www-form-urlencoded and absolute http(s) URLs.
#include "zta/http/message.h"

#include <charconv>
#include <string>
#include <utility>

namespace zta::http {
namespace {

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 3986 §2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
bool IsUnreserved(char c) { return IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kHexUpper[] = "0123456789ABCDEF";

// RFC 3986 §2.1: producers should use uppercase hex digits.
void AppendEscaped(std::string& out, unsigned char c) {
  out += '%';
  out += kHexUpper[c >> 4];
  out += kHexUpper[c & 0x0f];
}

std::string EncodeForm(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsUnreserved(c)) {
      out += c;
    } else if (c == ' ') {
      out += '+';  // the form serializer writes space as '+'
    } else {
      AppendEscaped(out, static_cast<unsigned char>(c));
    }
  }
  return out;
}

// Bytes that may never appear raw in a URL we accept: controls, space, DEL and non-ASCII
// (RFC 3986 §2: such bytes must be percent-encoded; a raw one is a sign of injection or typo).
bool IsForbiddenUrlByte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u >= 0x7f;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

void Headers::Add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::Set(std::string name, std::string value) {
  Remove(name);
  Add(std::move(name), std::move(value));
}

void Headers::Remove(std::string_view name) {
  std::erase_if(fields_, [name](const auto& f) { return EqualsIgnoreCase(f.first, name); });
}

std::optional<std::string> Headers::Get(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Headers::GetAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) out.push_back(v);
  }
  return out;
}

Response Response::Json(int status, const zta::Json& body) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.body = DumpJson(body);
  return r;
}

Response Response::Text(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

std::string PercentEncode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsUnreserved(c)) {
      out += c;
    } else {
      AppendEscaped(out, static_cast<unsigned char>(c));
    }
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      // RFC 3986 §2.1: '%' is always followed by exactly two hex digits. Lenient decoders
      // that pass a bare '%' through let two parsers read one string differently.
      if (i + 2 >= s.size()) {
        return InvalidArgument("truncated percent-escape");
      }
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return InvalidArgument("bad percent-escape");
      out += static_cast<char>((hi << 4) | lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseForm(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> fields;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;  // "a=1&&b=2" and a trailing '&' are harmless (WHATWG URL §5.1)
    size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    auto name = PercentDecode(raw_name, /*plus_is_space=*/true);
    if (!name.ok()) return name.status().WithContext("form field name");
    auto value = PercentDecode(raw_value, /*plus_is_space=*/true);
    if (!value.ok()) return value.status().WithContext("form field '" + *name + "'");
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return fields;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!tchar) return false;
  }
  return true;
}

std::string MediaType(const Headers& headers) {
  auto type = headers.Get("Content-Type");
  if (!type) return {};
  std::string_view media = TrimOws(std::string_view(*type).substr(0, type->find(';')));
  std::string out;
  out.reserve(media.size());
  for (char c : media) out += ToLowerAscii(c);
  return out;
}

bool IsFormUrlEncoded(const Headers& headers) {
  return MediaType(headers) == "application/x-www-form-urlencoded";
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += EncodeForm(name);
    out += '=';
    out += EncodeForm(value);
  }
  return out;
}

std::string Url::Origin() const {
  std::string out = scheme + "://";
  // RFC 3986 §3.2.2: an IPv6 literal is written in brackets.
  if (host.find(':') != std::string::npos) {
    out += '[' + host + ']';
  } else {
    out += host;
  }
  // RFC 6454 §6.2: the default port is omitted from a serialized origin.
  bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  if (!default_port) out += ':' + std::to_string(port);
  return out;
}

namespace {

// RFC 3986 §3.1: the scheme, case-insensitive; only http and https, with their default ports.
Status ParseScheme(std::string_view scheme, Url& url) {
  for (char c : scheme) url.scheme += ToLowerAscii(c);
  if (url.scheme == "http") {
    url.port = 80;
  } else if (url.scheme == "https") {
    url.port = 443;
  } else {
    return InvalidArgument("URL scheme must be http or https");
  }
  return Status::Ok();
}

// The host of an authority and, after its colon, the port text (`has_port` when there is one).
struct HostAndPort {
  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
};

// RFC 3986 §3.2.2: "[v6]" or "[v6]:port".
Result<HostAndPort> SplitIpv6Authority(std::string_view authority) {
  HostAndPort out;
  size_t close = authority.find(']');
  if (close == std::string_view::npos) return InvalidArgument("URL has an unclosed IPv6 literal");
  out.host = authority.substr(1, close - 1);
  if (out.host.empty() || out.host.find(':') == std::string_view::npos) {
    return InvalidArgument("URL has a bad IPv6 literal");
  }
  for (char c : out.host) {
    if (HexValue(c) < 0 && c != ':' && c != '.') {
      return InvalidArgument("URL has a bad IPv6 literal");
    }
  }
  std::string_view after = authority.substr(close + 1);
  if (!after.empty()) {
    if (after.front() != ':') return InvalidArgument("URL has junk after the IPv6 literal");
    out.has_port = true;
    out.port_text = after.substr(1);
  }
  return out;
}

// "name" or "name:port", the name limited to what DNS and IPv4 literals use; percent-encoded
// or sub-delimiter hosts are legal in RFC 3986 but only ever seen in attacks.
Result<HostAndPort> SplitNameAuthority(std::string_view authority) {
  HostAndPort out;
  size_t port_colon = authority.find(':');
  out.host = authority.substr(0, port_colon);
  if (port_colon != std::string_view::npos) {
    out.has_port = true;
    out.port_text = authority.substr(port_colon + 1);
  }
  if (out.host.empty()) return InvalidArgument("URL has no host");
  for (char c : out.host) {
    if (!IsUnreserved(c)) return InvalidArgument("URL host has an invalid character");
  }
  return out;
}

// The authority's host (lower-cased, RFC 3986 §3.2.2) and port into `url`.
Status ParseAuthority(std::string_view authority, Url& url) {
  // Userinfo (RFC 3986 §3.2.1) is refused: credentials do not belong in URLs, and
  // "http://trusted@evil/" is a classic way to make a URL look like it goes elsewhere.
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("URL must not contain userinfo");
  }
  ZTA_ASSIGN_OR_RETURN(HostAndPort parts, !authority.empty() && authority.front() == '['
                                              ? SplitIpv6Authority(authority)
                                              : SplitNameAuthority(authority));
  for (char c : parts.host) url.host += ToLowerAscii(c);
  if (!parts.has_port) return Status::Ok();
  const std::string_view& port_text = parts.port_text;
  if (port_text.empty() || port_text.size() > 5) return InvalidArgument("URL has a bad port");
  int port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
      port > 65535) {
    return InvalidArgument("URL has a bad port");
  }
  url.port = port;
  return Status::Ok();
}

}  // namespace

Result<Url> ParseUrl(std::string_view text) {
  for (char c : text) {
    if (IsForbiddenUrlByte(c)) {
      return InvalidArgument("URL contains a space, control or non-ASCII character");
    }
  }
  size_t colon = text.find("://");
  if (colon == std::string_view::npos) return InvalidArgument("URL has no scheme");
  Url url;
  ZTA_RETURN_IF_ERROR(ParseScheme(text.substr(0, colon), url));

  std::string_view rest = text.substr(colon + 3);
  // The fragment is never sent to a server (RFC 9110 §4.2.4).
  rest = rest.substr(0, rest.find('#'));
  size_t authority_end = rest.find_first_of("/?");
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  ZTA_RETURN_IF_ERROR(ParseAuthority(rest.substr(0, authority_end), url));

  // RFC 9112 §3.2.1: an empty path is sent as "/".
  if (target.empty()) {
    url.target = "/";
  } else if (target.front() == '?') {
    url.target = "/" + std::string(target);
  } else {
    url.target = std::string(target);
  }
  return url;
}

}  // namespace zta::http
