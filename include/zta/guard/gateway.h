// `zta gateway`: a reverse proxy that protects any HTTP API. Each request must match a route
// (method + path pattern → required scopes, optional introspection, upstream); its bearer token
// is validated, and the verified principal travels upstream in X-Zta-* headers.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/status.h"
#include "zta/guard/validator.h"
#include "zta/http/message.h"

namespace zta::guard {

struct Route {
  // Request method, exact ("GET", "POST", ...), or "*" for any. REQUIRED.
  std::string method;
  // Path pattern: exact ("/api/bookings"), or a prefix when it ends in '*' ("/api/hotels*").
  // Matched against the raw (not percent-decoded) path. REQUIRED, starts with '/'.
  std::string path;
  // Scopes the token must carry, all of them. Default: none (any valid token).
  std::vector<std::string> scopes;
  // Ask the issuer whether the token is still active (RFC 7662). Default: false.
  bool introspect = false;
  // Upstream base URL for this route. Default: GatewayOptions::upstream.
  std::string upstream;

  bool Matches(std::string_view method, std::string_view path) const;
};

// Parses the flag form "METHOD PATH [SCOPE ...]", e.g. "GET /api/hotels* read_hotels".
Result<Route> ParseRoute(std::string_view spec);

// "HOST:PORT" (or "[v6]:PORT") as given to --listen.
Status ParseHostPort(std::string_view text, std::string* host, int* port);

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
  // Server threads, at least 1. Default: 2, not the HTTP server's one per CPU: Handle holds its
  // thread while the upstream answers, so one slow upstream call must not stall every client
  // on a one-CPU machine.
  int threads = 2;
  // Largest request body forwarded, bytes. Default: 1 MiB.
  size_t max_body_bytes = 1 << 20;
  // Upstream request timeout. Default: 30 s.
  std::chrono::milliseconds upstream_timeout{30'000};
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
  static Result<std::unique_ptr<Gateway>> Create(GatewayOptions options, const Clock& clock,
                                                 AuditSink& audit,
                                                 HttpFetcher fetcher = DefaultFetcher());

  // Authorizes and forwards one request; 400/401/403/404 on denial, 502 when the upstream fails.
  http::Response Handle(const http::Request& request);

  const GatewayOptions& options() const { return options_; }
  Validator& validator() { return *validator_; }

 private:
  Gateway(GatewayOptions options, std::unique_ptr<Validator> validator, AuditSink& audit,
          HttpFetcher fetcher);
  http::Response Refuse(const http::Request& request, int status, std::string_view error,
                        std::string_view reason);
  http::Response Forward(const http::Request& request, const Route& route,
                         const Principal& principal);

  const GatewayOptions options_;
  std::unique_ptr<Validator> validator_;
  AuditSink& audit_;
  const HttpFetcher fetcher_;
};

}  // namespace zta::guard
