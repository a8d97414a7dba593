// The gateway's request path: route match, token validation, header hygiene, forwarding.
#include "zta/guard/gateway.h"

#include <algorithm>
#include <cctype>

namespace zta::guard {
namespace {

// RFC 9110 §7.6.1: connection-specific fields are never forwarded.
constexpr std::string_view kHopByHop[] = {
    "Connection", "Keep-Alive", "Proxy-Connection",    "Transfer-Encoding",  "TE",
    "Trailer",    "Upgrade",    "Proxy-Authorization", "Proxy-Authenticate",
};

bool IsHopByHop(std::string_view name, const std::vector<std::string>& connection_options) {
  for (auto h : kHopByHop) {
    if (http::EqualsIgnoreCase(name, h)) return true;
  }
  for (const auto& option : connection_options) {
    if (http::EqualsIgnoreCase(name, option)) return true;
  }
  return false;
}

bool IsZtaHeader(std::string_view name) {
  return name.size() >= 6 && http::EqualsIgnoreCase(name.substr(0, 6), "X-Zta-");
}

std::vector<std::string> ConnectionOptions(const http::Headers& headers) {
  std::vector<std::string> out;
  for (const auto& value : headers.GetAll("Connection")) {
    size_t i = 0;
    while (i <= value.size()) {
      size_t j = value.find(',', i);
      if (j == std::string::npos) j = value.size();
      std::string item = value.substr(i, j - i);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) out.push_back(item);
      i = j + 1;
    }
  }
  return out;
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

// Paths whose meaning differs between the gateway's raw match and an upstream that decodes or
// normalizes them: dot segments (RFC 3986 §5.2.4), encoded dots, slashes and backslashes.
bool IsAmbiguousPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return true;
  std::string lower(path);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view bad : {"%2e", "%2f", "%5c", "\\", "%00"}) {
    if (lower.find(bad) != std::string::npos) return true;
  }
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i + 1);
    if (j == std::string_view::npos) j = path.size();
    std::string_view segment = path.substr(i + 1, j - i - 1);
    if (segment == "." || segment == "..") return true;
    i = j;
  }
  return false;
}

std::string TraceId(const http::Request& request) {
  // W3C Trace Context: traceparent = version "-" trace-id (32 hex) "-" ...
  auto tp = request.headers.Get("traceparent");
  if (tp && tp->size() >= 35 && (*tp)[2] == '-') return tp->substr(3, 32);
  return {};
}

}  // namespace

bool Route::Matches(std::string_view m, std::string_view p) const {
  if (method != "*" && method != m) return false;
  if (!path.empty() && path.back() == '*') {
    return p.substr(0, path.size() - 1) == std::string_view(path).substr(0, path.size() - 1);
  }
  return p == path;
}

Result<Route> ParseRoute(std::string_view spec) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < spec.size()) {
    while (i < spec.size() && (spec[i] == ' ' || spec[i] == '\t')) ++i;
    size_t j = i;
    while (j < spec.size() && spec[j] != ' ' && spec[j] != '\t') ++j;
    if (j > i) words.emplace_back(spec.substr(i, j - i));
    i = j;
  }
  if (words.size() < 2) {
    return InvalidArgument("route '" + std::string(spec) + "' is not 'METHOD PATH [SCOPE...]'");
  }
  Route route;
  route.method = words[0];
  for (auto& c : route.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  route.path = words[1];
  route.scopes.assign(words.begin() + 2, words.end());
  return route;
}

Status GatewayOptions::Validate() const {
  ZTA_RETURN_IF_ERROR(validator.Validate());
  if (routes.empty()) return InvalidArgument("at least one route is required");
  for (const auto& r : routes) {
    const std::string name = "route " + r.method + " " + r.path;
    if (r.method.empty()) return InvalidArgument(name + ": method required");
    if (r.path.empty() || r.path.front() != '/') {
      return InvalidArgument(name + ": path must start with '/'");
    }
    if (r.path.find('*') != std::string::npos && r.path.find('*') != r.path.size() - 1) {
      return InvalidArgument(name + ": '*' may only end a path");
    }
    const std::string& up = r.upstream.empty() ? upstream : r.upstream;
    if (up.empty()) return InvalidArgument(name + ": no upstream");
    auto url = http::ParseUrl(up);
    if (!url.ok()) return InvalidArgument(name + ": upstream: " + url.status().message());
  }
  if (listen_port < 0 || listen_port > 65535) return InvalidArgument("listen port out of range");
  if (threads < 1) return InvalidArgument("threads must be at least 1");
  return Status::Ok();
}

Gateway::Gateway(GatewayOptions options, std::unique_ptr<Validator> validator, AuditSink& audit,
                 HttpFetcher fetcher)
    : options_(std::move(options)),
      validator_(std::move(validator)),
      audit_(audit),
      fetcher_(std::move(fetcher)) {}

Result<std::unique_ptr<Gateway>> Gateway::Create(GatewayOptions options, const Clock& clock,
                                                 AuditSink& audit, HttpFetcher fetcher) {
  ZTA_RETURN_IF_ERROR(options.Validate());
  if (options.validator.audit_component == "guard") options.validator.audit_component = "gateway";
  ZTA_ASSIGN_OR_RETURN(auto validator, Validator::Create(options.validator, clock, audit, fetcher));
  return std::unique_ptr<Gateway>(
      new Gateway(std::move(options), std::move(validator), audit, std::move(fetcher)));
}

http::Response Gateway::Refuse(const http::Request& request, int status, std::string_view error,
                               std::string_view reason) {
  AuditEvent event;
  event.trace_id = TraceId(request);
  event.component = validator_->options().audit_component;
  event.action = "request.authorize";
  event.resource = validator_->options().audience;
  event.decision = AuditDecision::kDeny;
  event.reason = std::string(reason);
  event.attributes["http.request.method"] = request.method;
  event.attributes["url.path"] = request.path;
  (void)audit_.Append(std::move(event));  // a refusal stands whether or not it was recorded
  return http::Response::Json(status, Json{{"error", std::string(error)}});
}

http::Response Gateway::Handle(const http::Request& request) {
  if (auto metadata = validator_->HandleMetadataRequest(request)) return *metadata;
  if (IsAmbiguousPath(request.path)) {
    return Refuse(request, 400, "invalid_request", "ambiguous_path");
  }
  const Route* route = nullptr;
  for (const auto& r : options_.routes) {
    if (r.Matches(request.method, request.path)) {
      route = &r;
      break;
    }
  }
  // Deny by default: only what a route names is reachable.
  if (route == nullptr) return Refuse(request, 404, "not_found", "no_route");

  AuthorizeOptions authorize;
  authorize.required_scopes = route->scopes;
  authorize.introspect = route->introspect;
  authorize.trace_id = TraceId(request);
  auto principal = validator_->Authorize(request, authorize);
  if (!principal.ok()) return validator_->DenialResponse(principal.status(), route->scopes);
  return Forward(request, *route, *principal);
}

http::Response Gateway::Forward(const http::Request& request, const Route& route,
                                const Principal& principal) {
  std::string base = route.upstream.empty() ? options_.upstream : route.upstream;
  while (!base.empty() && base.back() == '/') base.pop_back();
  http::ClientRequest up;
  up.method = request.method;
  up.url = base + request.target;
  up.timeout = options_.upstream_timeout;
  up.max_response_bytes = 16 << 20;
  up.body = request.body;

  const auto connection_options = ConnectionOptions(request.headers);
  std::string forwarded_for;
  for (const auto& [name, value] : request.headers.fields()) {
    if (IsHopByHop(name, connection_options) || IsZtaHeader(name) ||
        http::EqualsIgnoreCase(name, "Host") || http::EqualsIgnoreCase(name, "Content-Length")) {
      continue;  // X-Zta-* from a client would impersonate the gateway's verdict
    }
    if (http::EqualsIgnoreCase(name, "Authorization") && !options_.forward_authorization) continue;
    if (http::EqualsIgnoreCase(name, "X-Forwarded-For")) {
      forwarded_for = value;
      continue;
    }
    up.headers.Add(name, value);
  }
  if (!request.remote_address.empty()) {
    up.headers.Set("X-Forwarded-For", forwarded_for.empty()
                                          ? request.remote_address
                                          : forwarded_for + ", " + request.remote_address);
  }
  if (auto host = request.headers.Get("Host")) up.headers.Set("X-Forwarded-Host", *host);
  up.headers.Set("X-Zta-Issuer", HeaderSafe(principal.issuer));
  up.headers.Set("X-Zta-Subject", HeaderSafe(principal.subject));
  up.headers.Set("X-Zta-Client-Id", HeaderSafe(principal.client_id));
  std::string actors;
  for (const auto& a : principal.actor_chain) {
    if (!actors.empty()) actors += ',';
    actors += HeaderSafe(a);
  }
  up.headers.Set("X-Zta-Actor", actors);
  std::string scopes;
  for (const auto& s : principal.scopes) {
    if (!scopes.empty()) scopes += ' ';
    scopes += HeaderSafe(s);
  }
  up.headers.Set("X-Zta-Scopes", scopes);
  if (!principal.jti.empty()) up.headers.Set("X-Zta-Jti", HeaderSafe(principal.jti));

  auto answer = fetcher_(up);
  if (!answer.ok()) {
    return http::Response::Json(answer.status().code() == StatusCode::kDeadlineExceeded ? 504 : 502,
                                Json{{"error", "bad_gateway"}});
  }
  http::Response response;
  response.status = answer->status;
  response.body = std::move(answer->body);
  const auto upstream_options = ConnectionOptions(answer->headers);
  for (const auto& [name, value] : answer->headers.fields()) {
    if (IsHopByHop(name, upstream_options) || http::EqualsIgnoreCase(name, "Content-Length")) {
      continue;
    }
    response.headers.Add(name, value);
  }
  return response;
}

}  // namespace zta::guard
