// Header hygiene of the gateway: spoofed identity and forwarding headers out, the gateway's own
// in, the upstream's address kept from the client.
#include "forwarding.h"

#include <cctype>

#include "zta/core/base64url.h"
#include "zta/core/json.h"

namespace zta::guard::forwarding {
namespace {

// RFC 9110 §7.6.1: connection-specific fields are never forwarded.
constexpr std::string_view kHopByHop[] = {
    "connection", "keep-alive", "proxy-connection",    "transfer-encoding",  "te",
    "trailer",    "upgrade",    "proxy-authorization", "proxy-authenticate",
};

// Headers whose meaning the gateway alone may state: who the caller is, where the request came
// from, and which method or URL the upstream should act on (Symfony, Laravel, Rails and IIS
// rewrite the method or path from these, which would bypass the route that was authorized).
constexpr std::string_view kReservedExact[] = {
    "forwarded",         "x-real-ip",    "x-http-method-override", "x-http-method",
    "x-method-override", "x-original-url", "x-original-uri",       "x-rewrite-url",
};
constexpr std::string_view kReservedPrefixes[] = {"x-zta-", "x-forwarded-"};

// The spelling a CGI/WSGI server would see: lower case, '_' as '-'.
std::string Canonical(std::string_view name) {
  std::string out(name);
  for (auto& c : out) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsHopByHop(std::string_view name, const std::vector<std::string>& connection_options) {
  for (auto h : kHopByHop) {
    if (http::EqualsIgnoreCase(name, h)) return true;
  }
  for (const auto& option : connection_options) {
    if (http::EqualsIgnoreCase(name, option)) return true;
  }
  return false;
}

// Claim values come from a token: percent-encode anything that could break a header line or a
// comma-separated list (controls, non-ASCII, '%', ',').
std::string HeaderSafe(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '%' || c == ',') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// RFC 7239 §4: a value is a token or a quoted-string; an IPv6 address and a host with a port
// are not tokens.
std::string ForwardedValue(std::string_view value) {
  if (http::IsToken(value)) return std::string(value);
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) continue;
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<char>(c);
  }
  return out + '"';
}

}  // namespace

bool DropsRequestHeader(std::string_view name, const std::vector<std::string>& connection_options,
                        bool forward_authorization) {
  if (name.find('_') != std::string_view::npos) return true;
  if (IsHopByHop(name, connection_options)) return true;
  const std::string canonical = Canonical(name);
  if (canonical == "host" || canonical == "content-length") return true;
  if (canonical == "authorization") return !forward_authorization;
  // RFC 9449: a proof names this gateway's URL and is spent here; the upstream never needs it.
  if (canonical == "dpop") return true;
  for (auto reserved : kReservedExact) {
    if (canonical == reserved) return true;
  }
  for (auto prefix : kReservedPrefixes) {
    if (canonical.starts_with(prefix)) return true;
  }
  return false;
}

std::vector<std::string> ConnectionOptions(const http::Headers& headers) {
  std::vector<std::string> out;
  for (const auto& value : headers.GetAll("Connection")) {
    size_t i = 0;
    while (i <= value.size()) {
      size_t j = value.find(',', i);
      if (j == std::string::npos) j = value.size();
      std::string_view item = http::TrimOws(std::string_view(value).substr(i, j - i));
      if (!item.empty()) out.emplace_back(item);
      i = j + 1;
    }
  }
  return out;
}

bool DropsResponseHeader(std::string_view name,
                         const std::vector<std::string>& connection_options) {
  return IsHopByHop(name, connection_options) || http::EqualsIgnoreCase(name, "Content-Length");
}

void SetForwardedHeaders(const http::Request& request, http::Headers* upstream) {
  // The gateway listens on plain HTTP (TLS terminates in front of it, if anywhere).
  constexpr std::string_view kProto = "http";
  const auto host = request.headers.Get("Host");
  std::string forwarded;
  if (!request.remote_address.empty()) {
    const bool v6 = request.remote_address.find(':') != std::string::npos;
    forwarded = "for=" + ForwardedValue(v6 ? "[" + request.remote_address + "]"
                                           : request.remote_address);
    upstream->Set("X-Forwarded-For", request.remote_address);
  }
  if (host) {
    forwarded += (forwarded.empty() ? "" : ";") + std::string("host=") + ForwardedValue(*host);
    upstream->Set("X-Forwarded-Host", *host);
  }
  forwarded += (forwarded.empty() ? "" : ";") + std::string("proto=") + std::string(kProto);
  upstream->Set("Forwarded", forwarded);
  upstream->Set("X-Forwarded-Proto", std::string(kProto));
}

void SetPrincipalHeaders(const Principal& principal, http::Headers* upstream) {
  upstream->Set("X-Zta-Issuer", HeaderSafe(principal.issuer));
  upstream->Set("X-Zta-Subject", HeaderSafe(principal.subject));
  upstream->Set("X-Zta-Client-Id", HeaderSafe(principal.client_id));
  std::string actors;
  for (const auto& a : principal.actor_chain) {
    if (!actors.empty()) actors += ',';
    actors += HeaderSafe(a);
  }
  upstream->Set("X-Zta-Actor", actors);
  // The validator refused any scope holding a space (RFC 6749 §3.3), so the list reads back as
  // exactly the scopes granted.
  std::string scopes;
  for (const auto& s : principal.scopes) {
    if (!scopes.empty()) scopes += ' ';
    scopes += HeaderSafe(s);
  }
  upstream->Set("X-Zta-Scopes", scopes);
  if (!principal.jti.empty()) upstream->Set("X-Zta-Jti", HeaderSafe(principal.jti));
  // RFC 9449 §6.1: the key the caller proved it holds, for an upstream that pins it.
  if (!principal.dpop_jkt.empty()) upstream->Set("X-Zta-Dpop-Jkt", HeaderSafe(principal.dpop_jkt));
  // RFC 9396 authorization_details as verified: base64url (no padding) of its compact JSON, so
  // any value survives a header line intact.
  if (!principal.authorization_details.is_null()) {
    upstream->Set("X-Zta-Authorization-Details",
                  Base64UrlEncode(DumpJson(principal.authorization_details)));
  }
}

std::optional<std::string> RewriteUpstreamLocation(std::string_view value,
                                                   std::string_view upstream_origin,
                                                   std::string_view upstream_prefix) {
  auto url = http::ParseUrl(value);
  if (!url.ok()) return std::string(value);  // already relative, or not a URL we can judge
  if (!http::EqualsIgnoreCase(url->Origin(), upstream_origin)) return std::string(value);
  std::string_view target = url->target;
  if (!upstream_prefix.empty()) {
    if (!target.starts_with(upstream_prefix)) return std::nullopt;
    target.remove_prefix(upstream_prefix.size());
    if (target.empty() || target.front() == '?') return "/" + std::string(target);
    if (target.front() != '/') return std::nullopt;  // "/v1x" is not under "/v1"
  }
  if (target.size() >= 2 && target[0] == '/' && (target[1] == '/' || target[1] == '\\')) {
    return std::nullopt;
  }
  return std::string(target);
}

}  // namespace zta::guard::forwarding
