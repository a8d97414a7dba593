// `zta gateway`: a reverse proxy that protects any HTTP API. Each request must match a route
// (method + path pattern → required scopes, optional introspection, upstream); its bearer token
// is validated, and the verified principal travels upstream in X-Zta-* headers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/metrics.h"
#include "zta/core/status.h"
#include "zta/guard/delegation.h"
#include "zta/guard/validator.h"
#include "zta/http/async_client.h"
#include "zta/http/message.h"
#include "zta/http/server.h"

namespace zta::guard {

// Reason codes of requests the gateway refuses before routing (400 invalid_request, audited),
// besides those of NormalizeRequestPath and the validator's malformed_query / malformed_body.
inline constexpr char kReasonAbsoluteFormTarget[] = "absolute_form_target";  // not origin-form
inline constexpr char kReasonMethodOverride[] = "method_override";  // `_method` in query or body
inline constexpr char kReasonLowerCaseMethod[] = "lowercase_method";  // "delete": see gateway.cc
inline constexpr char kReasonMultipleContentTypes[] = "multiple_content_types";
inline constexpr char kReasonUnsupportedTransferCoding[] = "unsupported_transfer_coding";  // 501

// The route label of requests no route matched (refused before or at routing), and of the
// RFC 9728 metadata the gateway answers itself, in the zta_gateway_* metrics. A route's own
// label is "METHOD PATTERN" ("GET /api/hotels*"), which always holds a space.
inline constexpr char kRouteLabelNone[] = "none";
inline constexpr char kRouteLabelMetadata[] = "metadata";

struct Route {
  // Request method, exact ("GET", "POST", ...), or "*" for any. REQUIRED.
  std::string method;
  // Path pattern: exact ("/api/bookings", which also matches "/api/bookings/"), or a prefix
  // when it ends in '*' ("/api/hotels*"). Matched against the request path's normal form
  // (NormalizeRequestPath in zta/guard/request_path.h); the pattern is normalized the same way
  // at Gateway::Create. REQUIRED, starts with '/'.
  std::string path;
  // Match the path's letters exactly. Default: false — ASCII case is folded, because the
  // gateway cannot know whether its upstream folds case ("/API/admin" is "/api/admin" to many),
  // and a route must not be bypassed by a spelling its upstream reads as the same path.
  bool case_sensitive = false;
  // Scopes the token must carry, all of them. Default: none (any valid token).
  std::vector<std::string> scopes;
  // Ask the issuer whether the token is still active (RFC 7662). Default: false.
  bool introspect = false;
  // Upstream base URL for this route. Default: GatewayOptions::upstream.
  std::string upstream;
  // Upstream request timeout for this route; 0 means GatewayOptions::upstream_timeout.
  // Default: 0.
  std::chrono::milliseconds upstream_timeout{0};
  // Who the caller must be: "any" (a valid token suffices) or "user" (an agent acting for a
  // user: an RFC 8693 act chain and a user sub, guard::ActsForUser; else 403 with reason
  // user_token_required). TOML key `acting`. Default: "any".
  std::string acting = "any";
  // Which chain of agents may call (RFC 8693 §4.1 act, current actor first), compared exactly:
  // any, none (no act at all) or a list of chains (guard::ActorPolicy); else 403 with reason
  // actor_chain_not_allowed. TOML key `actors` = "any" | "none" | [["booking-agent",
  // "guest-assistant"], ["booking-agent"]]. Default: any. With acting = "user", "none" (or an
  // empty chain) could never match and is refused by Validate.
  ActorPolicy actors;
  // DPoP for this route (RFC 9449 §7): "required", "allowed" or "off"; unset, the issuer's.
  // TOML key `dpop`. Default: unset.
  std::optional<DpopPolicy> dpop;

  bool Matches(std::string_view method, std::string_view path) const;
};

// Parses the flag form "METHOD PATH [SCOPE ...]", e.g. "GET /api/hotels* read_hotels".
Result<Route> ParseRoute(std::string_view spec);

// A route's path pattern in the normal form requests are matched in ("/api/%61dmin*" →
// "/api/admin*"); an error when no request path could ever have that form.
Result<std::string> NormalizeRoutePattern(std::string_view pattern);

// "HOST:PORT" (or "[v6]:PORT") as given to --listen.
Status ParseHostPort(std::string_view text, std::string* host, int* port);
// The same for metrics_listen / --metrics-listen, its errors naming that key.
Status ParseMetricsListen(std::string_view text, std::string* host, int* port);

struct GatewayOptions {
  // Token validation: issuers, audience, realm, ... (see ValidatorOptions).
  ValidatorOptions validator;
  // Routes, tried in order; the first match wins. A request matching none is refused (404).
  std::vector<Route> routes;
  // Default upstream base URL, e.g. "http://127.0.0.1:9000". REQUIRED unless every route has one.
  std::string upstream;
  // Where to listen. Defaults: 127.0.0.1 and 8080.
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;
  // Where GET /metrics (Prometheus text format) and GET /healthz are served: a listener of
  // their own, because the main one proxies arbitrary paths and /metrics there would shadow an
  // upstream route. TOML key `metrics_listen = "HOST:PORT"`, flag --metrics-listen; port 0
  // picks a free one. Any host is accepted; keep it on loopback or an admin network, since the
  // metrics name the routes. Default: "" (no metrics listener).
  std::string metrics_listen_host;
  int metrics_listen_port = 0;
  // Server I/O threads; 0 means the HTTP server's default (one per CPU, at most 8). Forwarding
  // is asynchronous (HandleAsync), so no thread waits for an upstream and a slow upstream never
  // stalls metadata, health or other routes. Default: 0.
  int threads = 0;
  // Upstream requests in flight at once; beyond, a request is answered 503 at once instead of
  // queueing without bound behind a slow upstream. Default: 1024.
  size_t max_upstream_in_flight = 1024;
  // Largest request body forwarded, bytes. Default: 1 MiB.
  size_t max_body_bytes = 1 << 20;
  // Upstream request timeout, for routes that set none. Default: 10 s — long enough for an API
  // call, short enough that a hung upstream frees its slot soon.
  std::chrono::milliseconds upstream_timeout{10'000};
  // Forward the client's Authorization header upstream. Default: false — the upstream trusts the
  // gateway's X-Zta-* headers, and a token that never leaves the gateway cannot leak from there.
  bool forward_authorization = false;

  Status Validate() const;
};

// Parses a gateway TOML file's text (docs/gateway.md). Secrets come from environment variables
// named in the file (client_secret_env), never from the file itself.
Result<GatewayOptions> ParseGatewayConfig(std::string_view toml_text);
Result<GatewayOptions> LoadGatewayConfig(const std::string& path);

// Thread-safe: Handle runs on the HTTP server's threads.
class Gateway {
 public:
  // `clock` and `audit` must outlive the gateway.
  ~Gateway();
  static Result<std::unique_ptr<Gateway>> Create(GatewayOptions options, const Clock& clock,
                                                 AuditSink& audit,
                                                 HttpFetcher fetcher = DefaultFetcher());

  // Authorizes and forwards one request; 400/401/403/404 on denial, 502 when the upstream fails,
  // 504 when it times out. Blocks while the upstream answers.
  http::Response Handle(const http::Request& request);
  // The same, answering through `respond`: the upstream call runs on the gateway's own
  // http::AsyncClient, so no server thread waits for an upstream (`zta gateway` serves this
  // way). Validation still runs on the calling thread; it waits only for a JWKS refresh or an
  // introspection call, each bounded by its own timeout.
  void HandleAsync(const http::Request& request, http::Respond respond);

  const GatewayOptions& options() const { return options_; }
  Validator& validator() { return *validator_; }

  // The zta_gateway_* counters (docs/gateway.md, "Metrics"), labelled by route and reason
  // code only: never a request path, header value or token.
  Metrics& metrics() { return metrics_; }
  // The metrics listener's answer: GET (or HEAD) /metrics and /healthz; 404 for any other
  // path, 405 for any other method. Requests to it are not counted.
  http::Response HandleMetricsRequest(const http::Request& request);
  // Starts the metrics listener on options().metrics_listen_host/_port (FailedPrecondition
  // when no host is set); its port() is the bound one. Stop or destroy it before the gateway.
  Result<std::unique_ptr<http::HttpServer>> StartMetricsListener();

 private:
  // A route's upstream, resolved once at Create: requests go to origin + prefix + path, and a
  // Location on that origin and under that prefix is rewritten.
  struct Upstream {
    std::string origin;  // scheme://host[:port]
    std::string prefix;  // the upstream URL's path without a trailing '/'; may be ""
  };
  // Either the answer to send now (a denial, metadata) or the upstream call to make.
  struct Decision {
    std::optional<http::Response> answer;
    http::ClientRequest upstream;
    const Upstream* target = nullptr;  // the route's upstream, for rewriting Location
    // For the metrics: the route label (route_labels_, or kRouteLabelNone/kRouteLabelMetadata)
    // and, for a refusal, its reason code (empty when allowed or answered by metadata).
    std::string_view route;
    std::string refusal;
  };

  Gateway(GatewayOptions options, std::unique_ptr<Validator> validator, AuditSink& audit,
          HttpFetcher fetcher, std::vector<Upstream> upstreams,
          std::vector<std::string> route_labels, std::unique_ptr<http::AsyncClient> async_client);
  Decision Decide(const http::Request& request);
  // The first route matching (method, path), with its upstream in *target; nullptr if none.
  const Route* MatchRoute(std::string_view method, std::string_view path,
                          const Upstream** target) const;
  // The call to forward an authorized request on path (its normal form) to target.
  http::ClientRequest UpstreamRequest(const http::Request& request, const std::string& path,
                                      const Route& route, const Upstream& target,
                                      const Principal& principal) const;
  static http::Response Relay(Result<http::Response> answer, const Upstream& upstream);
  // A refusal, audited with `reason` and, when the token was verified, who presented it.
  http::Response Refuse(const http::Request& request, int status, std::string_view error,
                        std::string_view reason, const Principal* principal = nullptr);

  // gateway_metrics.cc: the families' help, and one answered request counted.
  void DescribeMetrics();
  void RecordRequest(std::string_view route, std::string_view refusal,
                     std::chrono::steady_clock::time_point started);
  void RecordUpstreamError(std::string_view route);

  const GatewayOptions options_;
  std::unique_ptr<Validator> validator_;
  AuditSink& audit_;
  const HttpFetcher fetcher_;
  const std::vector<Upstream> upstreams_;  // one per route, in options_.routes' order
  // The metrics label of each route, "METHOD PATTERN" (a configured string, bounded).
  const std::vector<std::string> route_labels_;
  Metrics metrics_;
  std::atomic<int64_t> in_flight_{0};  // requests arrived and not yet answered
  // Last member: destroyed first, answering the calls it still holds before the rest goes.
  std::unique_ptr<http::AsyncClient> async_client_;
};

}  // namespace zta::guard
