// GET /healthz and GET /metrics: what a load balancer and a monitoring system ask every node
// (docs/scale.md, "Health and metrics"). Neither is audited, and neither names a client.
#include "endpoint.h"

namespace zta::idp {

// 200 when this node can answer token requests: its store answers now. 503 otherwise, so a
// load balancer takes the node out while it would only refuse (fail closed).
Decision HealthEndpoint(ServerContext& context, const http::Request& request) {
  (void)request;
  (void)context.registry.Get(true);  // asks the store now, not the last poll's answer
  const bool store_ok = context.registry.StoreReachable();
  auto r = http::Response::Json(store_ok ? 200 : 503,
                                {{"status", store_ok ? "ok" : "unavailable"},
                                 {"store", store_ok ? "ok" : "unreachable"}});
  r.headers.Set("Cache-Control", "no-store");
  return Decision::Unrecorded(std::move(r));
}

Decision MetricsEndpoint(ServerContext& context, const http::Request& request) {
  (void)request;
  http::Response r;
  r.status = 200;
  r.body = context.metrics.Render();
  r.headers.Set("Content-Type", kMetricsContentType);
  r.headers.Set("Cache-Control", "no-store");
  return Decision::Unrecorded(std::move(r));
}

}  // namespace zta::idp
