// The gateway's request path: target and path normalization, route match, token validation,
// header hygiene, forwarding (blocking or asynchronous).
#include "zta/guard/gateway.h"

#include <algorithm>
#include <cctype>

#include "forwarding.h"
#include "zta/core/trace_context.h"
#include "zta/guard/delegation.h"
#include "zta/guard/request_path.h"

namespace zta::guard {
namespace {

// W3C Trace Context §3.2: the trace id of the request's traceparent ("" when absent or invalid).
std::string TraceId(const http::Request& request) {
  return TraceIdOf(request.headers.Get(kTraceParentHeader));
}

// `_method` in a query or form makes Rails, Laravel and Symfony act as another method than the
// one the route authorized; its spelling is read as such servers read it.
bool HasMethodOverride(const std::vector<std::pair<std::string, std::string>>& fields) {
  for (const auto& [name, value] : fields) {
    if (ParameterNameIs(name, "_method")) return true;
  }
  return false;
}

// RFC 3986 §3.4: query = *( pchar / "/" / "?" ), escapes checked by ParseForm. A raw '#'
// would end the URL for the upstream's client (the fragment is never sent), so the gateway
// would have inspected more than it forwards; controls, space and non-ASCII are not URL bytes.
bool IsQueryText(std::string_view query) {
  for (unsigned char c : query) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("#\"<>\\^`{|}").find(static_cast<char>(c)) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// multipart/form-data (RFC 7578) part names, read loosely: `name="_method"` anywhere in a part
// header is enough to refuse, since Rack, Symfony and Laravel read multipart fields as POST
// parameters too.
bool MultipartNamesMethod(std::string_view body) {
  std::string lower(body.substr(0, std::min<size_t>(body.size(), 1 << 20)));
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = 0;
  while ((at = lower.find("name=", at)) != std::string::npos) {
    at += 5;
    size_t start = at < lower.size() && lower[at] == '"' ? at + 1 : at;
    size_t end = lower.find_first_of("\";\r\n", start);
    if (end == std::string::npos) end = lower.size();
    if (ParameterNameIs(std::string_view(lower).substr(start, end - start), "_method")) return true;
  }
  return false;
}

// A JSON object body with a top-level `_method` (Laravel and Symfony read JSON bodies as input).
bool JsonNamesMethod(std::string_view body) {
  auto json = ParseJsonStrict(body);
  if (!json.ok() || !json->is_object()) return false;
  for (auto it = json->begin(); it != json->end(); ++it) {
    if (ParameterNameIs(it.key(), "_method")) return true;
  }
  return false;
}

// What a request may not be, before any route or token is looked at: one Content-Type at most;
// query and urlencoded body must decode (a malformed one would be read differently by the
// upstream); nothing may override the method.
Status InspectQueryAndForm(const http::Request& request) {
  auto invalid = [](std::string message, const char* reason) {
    return Status(StatusCode::kInvalidArgument, std::move(message), reason);
  };
  if (request.headers.GetAll("Content-Type").size() > 1) {
    return invalid("more than one Content-Type", kReasonMultipleContentTypes);
  }
  if (!request.query.empty()) {
    if (!IsQueryText(request.query)) return invalid("malformed query", kReasonMalformedQuery);
    auto fields = http::ParseForm(request.query);
    if (!fields.ok()) return invalid("malformed query", kReasonMalformedQuery);
    if (HasMethodOverride(*fields)) return invalid("_method in the query", kReasonMethodOverride);
  }
  if (request.body.empty()) return Status::Ok();
  const std::string media = http::MediaType(request.headers);
  if (media == "application/x-www-form-urlencoded") {
    auto fields = http::ParseForm(request.body);
    if (!fields.ok()) return invalid("malformed form body", kReasonMalformedBody);
    if (HasMethodOverride(*fields)) return invalid("_method in the form", kReasonMethodOverride);
  } else if (media.starts_with("multipart/")) {
    if (MultipartNamesMethod(request.body)) {
      return invalid("_method in a multipart part", kReasonMethodOverride);
    }
  } else if (media.find("/json") != std::string::npos || media.find("+json") != std::string::npos) {
    // Laravel's isJson() reads a body as JSON input for any such type.
    if (JsonNamesMethod(request.body)) return invalid("_method in JSON", kReasonMethodOverride);
  }
  return Status::Ok();
}

// RFC 9110 §9.1: methods are case-sensitive, and every standard one is upper case. Werkzeug and
// ASP.NET upper-case what they receive, so "delete" would miss a DELETE route here and still
// run as DELETE there: refused, as Tomcat and Node refuse it.
bool HasLowerCase(std::string_view method) {
  return std::any_of(method.begin(), method.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// RFC 9112 §6.1: only "chunked" is decoded here; a body in any other transfer coding would
// reach the upstream still coded, without the field that said so.
bool HasUnsupportedTransferCoding(const http::Headers& headers) {
  for (const auto& value : headers.GetAll("Transfer-Encoding")) {
    if (!http::EqualsIgnoreCase(http::TrimOws(value), "chunked")) return true;
  }
  return false;
}

// RFC 9110 §4.2.3-style comparison of a route pattern with a normalized path, one trailing '/'
// aside: Express, Spring and others route "/a/" to "/a", so an exact route owns both spellings.
std::string_view WithoutTrailingSlash(std::string_view p) {
  if (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  return p;
}

// True when some token with an act chain could pass `policy`.
bool AdmitsSomeActor(const ActorPolicy& policy) {
  if (policy.kind == ActorPolicy::Kind::kNone) return false;
  if (policy.kind == ActorPolicy::Kind::kAny) return true;
  return std::any_of(policy.chains.begin(), policy.chains.end(),
                     [](const auto& chain) { return !chain.empty(); });
}

// The route's rules on who calls, after the token and its scopes verified (docs/gateway.md).
// acting = "user": an agent acting for a person, so the agent's own client-credentials token is
// refused even with every scope (docs/delegation.md); actors: exactly which agents, in order.
Status CheckCaller(const Route& route, const Principal& principal) {
  if (route.acting == "user" && !ActsForUser(principal)) {
    return Status(StatusCode::kPermissionDenied, "the route needs an agent acting for a user",
                  kReasonUserTokenRequired);
  }
  return CheckActorPolicy(principal, route.actors);
}

}  // namespace

bool Route::Matches(std::string_view m, std::string_view p) const {
  if (method != "*" && method != m) return false;
  if (!path.empty() && path.back() == '*') {
    std::string_view prefix = std::string_view(path).substr(0, path.size() - 1);
    return p.size() >= prefix.size() &&
           PathEquals(p.substr(0, prefix.size()), prefix, case_sensitive);
  }
  return PathEquals(WithoutTrailingSlash(p), WithoutTrailingSlash(path), case_sensitive);
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

Result<std::string> NormalizeRoutePattern(std::string_view pattern) {
  const bool prefix = !pattern.empty() && pattern.back() == '*';
  if (prefix) pattern.remove_suffix(1);
  if (pattern.find('*') != std::string_view::npos) {
    return InvalidArgument("'*' may only end a path");
  }
  auto normalized = NormalizeRequestPath(pattern);
  if (!normalized.ok()) {
    return InvalidArgument("path is not in a form requests can match: " +
                           normalized.status().message());
  }
  return prefix ? *normalized + "*" : *normalized;
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
    ZTA_RETURN_IF_ERROR(NormalizeRoutePattern(r.path).status().WithContext(name));
    const std::string& up = r.upstream.empty() ? upstream : r.upstream;
    if (up.empty()) return InvalidArgument(name + ": no upstream");
    auto url = http::ParseUrl(up);
    if (!url.ok()) return InvalidArgument(name + ": upstream: " + url.status().message());
    if (up.find('?') != std::string::npos) return InvalidArgument(name + ": upstream has a query");
    if (r.upstream_timeout.count() < 0) return InvalidArgument(name + ": negative timeout");
    if (r.acting != "any" && r.acting != "user") {
      return InvalidArgument(name + ": acting must be \"any\" or \"user\"");
    }
    ZTA_RETURN_IF_ERROR(r.actors.Validate().WithContext(name));
    if (r.acting == "user" && !AdmitsSomeActor(r.actors)) {
      return InvalidArgument(name + ": acting = \"user\" needs an act chain, which actors = " +
                             r.actors.ToString() + " refuses");
    }
  }
  if (listen_port < 0 || listen_port > 65535) return InvalidArgument("listen port out of range");
  if (!metrics_listen_host.empty()) {
    if (metrics_listen_port < 0 || metrics_listen_port > 65535) {
      return InvalidArgument("metrics_listen port out of range");
    }
    if (metrics_listen_port != 0 && metrics_listen_port == listen_port &&
        metrics_listen_host == listen_host) {
      return InvalidArgument("metrics_listen must differ from listen (" + listen_host + ":" +
                             std::to_string(listen_port) + ")");
    }
  }
  if (threads < 0) return InvalidArgument("threads must not be negative");
  if (max_upstream_in_flight < 1) return InvalidArgument("max_upstream_in_flight must be >= 1");
  if (upstream_timeout.count() <= 0) return InvalidArgument("upstream timeout must be positive");
  return Status::Ok();
}

Gateway::Gateway(GatewayOptions options, std::unique_ptr<Validator> validator, AuditSink& audit,
                 HttpFetcher fetcher, std::vector<Upstream> upstreams,
                 std::vector<std::string> route_labels,
                 std::unique_ptr<http::AsyncClient> async_client)
    : options_(std::move(options)),
      validator_(std::move(validator)),
      audit_(audit),
      fetcher_(std::move(fetcher)),
      upstreams_(std::move(upstreams)),
      route_labels_(std::move(route_labels)),
      async_client_(std::move(async_client)) {
  DescribeMetrics();
}

Gateway::~Gateway() = default;

Result<std::unique_ptr<Gateway>> Gateway::Create(GatewayOptions options, const Clock& clock,
                                                 AuditSink& audit, HttpFetcher fetcher) {
  ZTA_RETURN_IF_ERROR(options.Validate());
  // Routes are matched in the requests' normal form, so their patterns are brought to it too:
  // a pattern "/api/%61dmin*" must guard "/api/admin".
  std::vector<Upstream> upstreams;
  std::vector<std::string> route_labels;
  for (auto& r : options.routes) {
    r.path = *NormalizeRoutePattern(r.path);
    route_labels.push_back(r.method + " " + r.path);
    auto url = http::ParseUrl(r.upstream.empty() ? options.upstream : r.upstream);  // validated
    std::string prefix = url->target == "/" ? "" : url->target;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    upstreams.push_back({url->Origin(), std::move(prefix)});
  }
  if (options.validator.audit_component == "guard") options.validator.audit_component = "gateway";
  ZTA_ASSIGN_OR_RETURN(auto validator, Validator::Create(options.validator, clock, audit, fetcher));
  http::AsyncClientOptions async;
  async.max_in_flight = options.max_upstream_in_flight;
  ZTA_ASSIGN_OR_RETURN(auto async_client, http::AsyncClient::Create(async));
  return std::unique_ptr<Gateway>(new Gateway(std::move(options), std::move(validator), audit,
                                              std::move(fetcher), std::move(upstreams),
                                              std::move(route_labels), std::move(async_client)));
}

http::Response Gateway::Refuse(const http::Request& request, int status, std::string_view error,
                               std::string_view reason, const Principal* principal) {
  AuditEvent event;
  if (principal != nullptr) {
    event.subject = principal->subject;
    event.actor_chain = principal->actor_chain;
    event.client_id = principal->client_id;
    event.jti = principal->jti;
  }
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

Gateway::Decision Gateway::Decide(const http::Request& request) {
  Decision decision;
  decision.route = kRouteLabelNone;
  // The gateway's own refusals: audited, and noted for the metrics with the same reason.
  auto refuse = [&](int status, std::string_view error, std::string_view reason,
                    const Principal* principal = nullptr) {
    decision.answer = Refuse(request, status, error, reason, principal);
    decision.refusal = std::string(reason);
  };
  // RFC 9112 §3.2.2: a proxy is sent absolute-form; this gateway is not one, and forwarding
  // "http://other/..." after authorizing its path would send the request somewhere else.
  if (request.target.empty() || request.target.front() != '/') {
    refuse(400, "invalid_request", kReasonAbsoluteFormTarget);
    return decision;
  }
  if (HasLowerCase(request.method)) {
    refuse(400, "invalid_request", kReasonLowerCaseMethod);
    return decision;
  }
  if (HasUnsupportedTransferCoding(request.headers)) {
    refuse(501, "not_implemented", kReasonUnsupportedTransferCoding);
    return decision;
  }
  if (auto metadata = validator_->HandleMetadataRequest(request)) {
    decision.answer = std::move(*metadata);
    decision.route = kRouteLabelMetadata;
    return decision;
  }
  auto path = NormalizeRequestPath(request.path);
  if (!path.ok()) {
    refuse(400, "invalid_request", path.status().reason());
    return decision;
  }
  if (Status inspected = InspectQueryAndForm(request); !inspected.ok()) {
    refuse(400, "invalid_request", inspected.reason());
    return decision;
  }
  const Route* route = MatchRoute(request.method, *path, &decision.target);
  // Deny by default: only what a route names is reachable.
  if (route == nullptr) {
    refuse(404, "not_found", "no_route");
    return decision;
  }
  decision.route = route_labels_[static_cast<size_t>(route - options_.routes.data())];

  AuthorizeOptions authorize;
  authorize.required_scopes = route->scopes;
  authorize.introspect = route->introspect;
  authorize.dpop = route->dpop;
  authorize.trace_id = TraceId(request);
  auto principal = validator_->Authorize(request, authorize);
  if (!principal.ok()) {
    decision.answer = validator_->DenialResponse(principal.status(), route->scopes);
    // The reason the validator audited; a refusal all the same should it have none.
    decision.refusal = principal.status().reason();
    if (decision.refusal.empty()) decision.refusal = "unknown";
    return decision;
  }
  if (Status caller = CheckCaller(*route, *principal); !caller.ok()) {
    refuse(403, "insufficient_scope", caller.reason(), &*principal);
    decision.answer->headers.Set(
        "WWW-Authenticate", BearerChallenge(validator_->options().realm, "insufficient_scope", "",
                                            "", validator_->options().resource_metadata_url));
    return decision;
  }

  decision.upstream = UpstreamRequest(request, *path, *route, *decision.target, *principal);
  return decision;
}

const Route* Gateway::MatchRoute(std::string_view method, std::string_view path,
                                 const Upstream** target) const {
  for (size_t i = 0; i < options_.routes.size(); ++i) {
    if (options_.routes[i].Matches(method, path)) {
      *target = &upstreams_[i];
      return &options_.routes[i];
    }
  }
  return nullptr;
}

http::ClientRequest Gateway::UpstreamRequest(const http::Request& request, const std::string& path,
                                             const Route& route, const Upstream& target,
                                             const Principal& principal) const {
  // The upstream receives the path that was authorized: its normal form, not the raw one.
  http::ClientRequest up;
  up.method = request.method;
  up.url =
      target.origin + target.prefix + path + (request.query.empty() ? "" : "?" + request.query);
  up.timeout =
      route.upstream_timeout.count() > 0 ? route.upstream_timeout : options_.upstream_timeout;
  up.max_response_bytes = 16 << 20;
  up.body = request.body;
  const auto connection_options = forwarding::ConnectionOptions(request.headers);
  for (const auto& [name, value] : request.headers.fields()) {
    if (!forwarding::DropsRequestHeader(name, connection_options, options_.forward_authorization)) {
      up.headers.Add(name, value);
    }
  }
  forwarding::SetForwardedHeaders(request, &up.headers);
  forwarding::SetPrincipalHeaders(principal, &up.headers);
  return up;
}

http::Response Gateway::Relay(Result<http::Response> answer, const Upstream& upstream) {
  if (!answer.ok()) {
    switch (answer.status().code()) {
      case StatusCode::kDeadlineExceeded:
        return http::Response::Json(504, Json{{"error", "gateway_timeout"}});
      case StatusCode::kResourceExhausted: {  // max_upstream_in_flight reached
        http::Response busy = http::Response::Json(503, Json{{"error", "temporarily_unavailable"}});
        busy.headers.Set("Retry-After", "1");
        return busy;
      }
      default:
        return http::Response::Json(502, Json{{"error", "bad_gateway"}});
    }
  }
  http::Response response;
  response.status = answer->status;
  response.body = std::move(answer->body);
  const auto upstream_options = forwarding::ConnectionOptions(answer->headers);
  for (const auto& [name, value] : answer->headers.fields()) {
    if (forwarding::DropsResponseHeader(name, upstream_options)) continue;
    if (http::EqualsIgnoreCase(name, "Location") ||
        http::EqualsIgnoreCase(name, "Content-Location")) {
      auto rewritten = forwarding::RewriteUpstreamLocation(value, upstream.origin, upstream.prefix);
      if (rewritten) response.headers.Add(name, std::move(*rewritten));
      continue;
    }
    response.headers.Add(name, value);
  }
  return response;
}

http::Response Gateway::Handle(const http::Request& request) {
  const auto started = std::chrono::steady_clock::now();
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  Decision decision = Decide(request);
  if (decision.answer) {
    RecordRequest(decision.route, decision.refusal, started);
    return std::move(*decision.answer);
  }
  auto answer = fetcher_(decision.upstream);
  if (!answer.ok()) RecordUpstreamError(decision.route);
  http::Response response = Relay(std::move(answer), *decision.target);
  RecordRequest(decision.route, "", started);
  return response;
}

void Gateway::HandleAsync(const http::Request& request, http::Respond respond) {
  const auto started = std::chrono::steady_clock::now();
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  Decision decision = Decide(request);
  if (decision.answer) {
    RecordRequest(decision.route, decision.refusal, started);
    return respond(std::move(*decision.answer));
  }
  // The callback runs on the client's thread and must not block: Relay only copies headers,
  // the metrics take a short lock. `target` and `route` live in upstreams_ and route_labels_,
  // and metrics_ is a member too: all outlive async_client_ (destroyed first, answering all).
  async_client_->Send(std::move(decision.upstream),
                      [this, respond = std::move(respond), target = decision.target,
                       route = decision.route, started](Result<http::Response> answer) {
                        if (!answer.ok()) RecordUpstreamError(route);
                        http::Response response = Relay(std::move(answer), *target);
                        RecordRequest(route, "", started);
                        respond(std::move(response));
                      });
}

}  // namespace zta::guard
