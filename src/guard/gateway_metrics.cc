// The gateway's Prometheus metrics (docs/gateway.md, "Metrics") and the separate listener that
// serves them with /healthz. Labels are route labels and reason codes, both fixed sets: the
// request path, its headers and its token are chosen by the caller and never become a label.
#include <utility>

#include "zta/guard/gateway.h"

namespace zta::guard {

void Gateway::DescribeMetrics() {
  metrics_.Describe("zta_gateway_requests_total", "counter",
                    "Requests answered, by route and decision (allow: forwarded or metadata).");
  metrics_.Describe("zta_gateway_refusals_total", "counter",
                    "Requests refused, by the reason code their audit event records.");
  metrics_.Describe("zta_gateway_request_duration_seconds", "histogram",
                    "Time from a request's arrival to its answer, upstream call included.");
  metrics_.Describe("zta_gateway_upstream_errors_total", "counter",
                    "Forwarded requests the upstream did not answer (502, 503, 504).");
  metrics_.Describe("zta_gateway_requests_in_flight", "gauge",
                    "Requests arrived and not yet answered.");
  // Read at render time: a gauge set at each change could be overwritten out of order.
  metrics_.AddCollector([this](Metrics& self) {
    self.SetGauge("zta_gateway_requests_in_flight", {},
                  static_cast<double>(in_flight_.load(std::memory_order_relaxed)));
  });
}

void Gateway::RecordRequest(std::string_view route, std::string_view refusal,
                            std::chrono::steady_clock::time_point started) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::string route_label(route);
  metrics_.ObserveSeconds("zta_gateway_request_duration_seconds", {{"route", route_label}},
                          seconds);
  metrics_.Count("zta_gateway_requests_total",
                 {{"route", route_label}, {"decision", refusal.empty() ? "allow" : "deny"}});
  if (!refusal.empty()) {
    metrics_.Count("zta_gateway_refusals_total", {{"reason", std::string(refusal)}});
  }
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

void Gateway::RecordUpstreamError(std::string_view route) {
  metrics_.Count("zta_gateway_upstream_errors_total", {{"route", std::string(route)}});
}

http::Response Gateway::HandleMetricsRequest(const http::Request& request) {
  const bool is_metrics = request.path == "/metrics";
  if (!is_metrics && request.path != "/healthz") {
    return http::Response::Json(404, Json{{"error", "not_found"}});
  }
  // RFC 9110 §9.1: GET and HEAD, as the idp's /metrics; §15.5.6: a 405 names what is allowed.
  if (request.method != "GET" && request.method != "HEAD") {
    http::Response refused = http::Response::Json(405, Json{{"error", "method_not_allowed"}});
    refused.headers.Set("Allow", "GET, HEAD");
    return refused;
  }
  http::Response r;
  if (is_metrics) {
    r.status = 200;
    r.body = metrics_.Render();
    r.headers.Set("Content-Type", kMetricsContentType);
  } else {
    // The process answers; a gateway has no store of its own to ask (the idp's adds "store").
    r = http::Response::Json(200, Json{{"status", "ok"}});
  }
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

Result<std::unique_ptr<http::HttpServer>> Gateway::StartMetricsListener() {
  if (options_.metrics_listen_host.empty()) {
    return FailedPrecondition("no metrics_listen address is configured");
  }
  http::ServerOptions server;
  server.host = options_.metrics_listen_host;
  server.port = options_.metrics_listen_port;
  server.threads = 1;  // a scrape every few seconds
  server.server_name = "zta-gateway";
  auto started = http::HttpServer::Start(
      server, [this](const http::Request& r) { return HandleMetricsRequest(r); });
  if (!started.ok()) return started.status().WithContext("metrics_listen");
  return started;
}

}  // namespace zta::guard
