// Redirect URI registration rules and matching (RFC 8252 §7, RFC 9700 §4.1.3).
#include "redirect_uri.h"

#include <cctype>
#include <optional>
#include <string>

namespace zta::idp {
namespace {

// The parts of an http(s) URI that the loopback rule needs.
struct HierUri {
  std::string scheme;  // lowercase
  std::string host;    // as written ("[::1]" keeps its brackets)
  std::string port;    // digits, "" when absent
  std::string rest;    // path, query (everything after the authority)
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Returns its length.
size_t SchemeLength(std::string_view uri) {
  if (uri.empty() || !std::isalpha(static_cast<unsigned char>(uri[0]))) return 0;
  size_t i = 1;
  while (i < uri.size() && (std::isalnum(static_cast<unsigned char>(uri[i])) || uri[i] == '+' ||
                            uri[i] == '-' || uri[i] == '.')) {
    ++i;
  }
  return i < uri.size() && uri[i] == ':' ? i : 0;
}

// Splits scheme://authority rest; nullopt when there is no authority or it is malformed.
std::optional<HierUri> SplitHier(std::string_view uri) {
  size_t n = SchemeLength(uri);
  if (n == 0 || uri.substr(n, 3) != "://") return std::nullopt;
  HierUri u;
  u.scheme = Lower(uri.substr(0, n));
  std::string_view after = uri.substr(n + 3);
  size_t end = after.find_first_of("/?");
  std::string_view authority = after.substr(0, end);
  u.rest = end == std::string_view::npos ? "" : std::string(after.substr(end));
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view hostport = authority;
  size_t colon;
  if (!hostport.empty() && hostport[0] == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(hostport.substr(0, close + 1));
    hostport.remove_prefix(close + 1);
    if (!hostport.empty() && hostport[0] != ':') return std::nullopt;
    colon = hostport.empty() ? std::string_view::npos : 0;
  } else {
    colon = hostport.find(':');
    u.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) hostport.remove_prefix(colon);
    colon = colon == std::string_view::npos ? colon : 0;
  }
  if (colon != std::string_view::npos) {
    std::string_view port = hostport.substr(1);
    if (port.empty() || port.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    u.port = std::string(port);
  }
  if (u.host.empty()) return std::nullopt;
  return u;
}

bool IsLoopbackHost(std::string_view host) {
  std::string h = Lower(host);
  return h == "127.0.0.1" || h == "[::1]" || h == "localhost";
}

}  // namespace

Status ValidateRedirectUri(std::string_view uri) {
  const std::string shown(uri);
  if (uri.empty()) return InvalidArgument("a redirect URI must not be empty");
  for (char c : uri) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidArgument("redirect URI contains whitespace or control characters: " + shown);
    }
  }
  if (uri.find('#') != std::string_view::npos) {
    return InvalidArgument("a redirect URI must not contain a fragment (RFC 6749 §3.1.2): " +
                           shown);
  }
  size_t n = SchemeLength(uri);
  if (n == 0) return InvalidArgument("a redirect URI must be absolute (RFC 6749 §3.1.2): " + shown);
  std::string scheme = Lower(uri.substr(0, n));
  if (scheme == "https" || scheme == "http") {
    auto u = SplitHier(uri);
    if (!u) return InvalidArgument("malformed host or port in redirect URI: " + shown);
    if (scheme == "http" && !IsLoopbackHost(u->host)) {
      return InvalidArgument(
          "http redirect URIs are allowed only on loopback (127.0.0.1, [::1], localhost; "
          "RFC 8252 §7.3); use https: " +
          shown);
    }
    return Status::Ok();
  }
  // RFC 8252 §7.1: private-use schemes are reverse domain names, so they contain a period; this
  // also keeps out javascript:, data:, file: and the like.
  if (scheme.find('.') == std::string::npos) {
    return InvalidArgument(
        "redirect URI scheme must be https, http on loopback, or a private-use scheme such as "
        "com.example.app (RFC 8252 §7.1): " +
        shown);
  }
  if (uri.size() == n + 1) return InvalidArgument("redirect URI has no path: " + shown);
  return Status::Ok();
}

bool RedirectUriMatches(const App& app, std::string_view presented) {
  for (const auto& registered : app.redirect_uris) {
    if (registered == presented) return true;
  }
  auto p = SplitHier(presented);
  if (!p || p->scheme != "http" || !IsLoopbackHost(p->host) || p->port.empty()) return false;
  for (const auto& registered : app.redirect_uris) {
    auto r = SplitHier(registered);
    // RFC 8252 §7.3: registered without a port, any port; host, path and query must be equal.
    if (r && r->scheme == "http" && r->port.empty() && IsLoopbackHost(r->host) &&
        r->host == p->host && r->rest == p->rest &&
        registered.substr(0, 4) == presented.substr(0, 4)) {
      return true;
    }
  }
  return false;
}

}  // namespace zta::idp
