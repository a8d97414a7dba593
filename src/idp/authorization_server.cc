// The authorization server's front: the path → endpoint table, the method and Content-Type
// checks every route makes, and recording each endpoint's audit event before its answer
// leaves. Errors follow RFC 6749 §5.2.
#include "zta/idp/authorization_server.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "browser/browser_state.h"
#include "browser/pages.h"
#include "endpoints/endpoint.h"
#include "server_context.h"
#include "zta/core/trace_context.h"
#include "zta/idp/oauth_error.h"

namespace zta::idp {
namespace {

// What a route lets through to its endpoint.
enum class Accepts {
  kGetOrHead,  // JWKS and metadata documents
  kFormPost,   // POST with an application/x-www-form-urlencoded body (RFC 6749 §3.2)
  kBrowser,    // pages: GET, HEAD, or POST of a form; refused with an HTML page
};

struct Route {
  std::string_view path;  // matched exactly, not percent-decoded
  Accepts accepts;
  EndpointHandler handler;
  // Whether the endpoint decides anything from the store. While the store does not answer
  // these are refused with 503 (fail closed: a revocation or disabled agent recorded by another
  // node would not be seen); keys and metadata go on being published.
  bool needs_store = true;
};

// The token endpoint first: it is the hot path.
constexpr Route kRoutes[] = {
    {"/token", Accepts::kFormPost, TokenEndpoint},
    {"/introspect", Accepts::kFormPost, IntrospectEndpoint},
    {"/revoke", Accepts::kFormPost, RevokeEndpoint},
    {"/jwks", Accepts::kGetOrHead, JwksEndpoint, false},
    {"/.well-known/oauth-authorization-server", Accepts::kGetOrHead, OAuthMetadataEndpoint, false},
    {"/.well-known/openid-configuration", Accepts::kGetOrHead, OpenIdConfigurationEndpoint, false},
    {"/healthz", Accepts::kGetOrHead, HealthEndpoint, false},
    {"/metrics", Accepts::kGetOrHead, MetricsEndpoint, false},
    {"/authorize", Accepts::kBrowser, AuthorizeEndpoint},
    {"/par", Accepts::kFormPost, ParEndpoint},
    {"/bc-authorize", Accepts::kFormPost, BackchannelAuthorizeEndpoint},
    {"/login", Accepts::kBrowser, LoginEndpoint},
    {"/consent", Accepts::kBrowser, ConsentEndpoint},
    {"/account", Accepts::kBrowser, AccountEndpoint},
    {"/account/revoke", Accepts::kBrowser, AccountRevokeEndpoint},
    {"/account/backchannel", Accepts::kBrowser, AccountBackchannelEndpoint},
    {"/logout", Accepts::kBrowser, LogoutEndpoint},
    {"/userinfo", Accepts::kBrowser, UserinfoEndpoint},
};

// The pages' CSS and images (AuthorizationServerOptions::static_files) live under this.
constexpr std::string_view kStaticPrefix = "/static/";

// The answer to a request the route does not let through, if any.
std::optional<http::Response> RefuseAtRoute(Accepts accepts, const http::Request& request) {
  switch (accepts) {
    case Accepts::kGetOrHead: {
      if (request.method == "GET" || request.method == "HEAD") return std::nullopt;
      // RFC 9110 §15.5.6: a 405 names the methods the resource does allow.
      http::Response refused = http::Response::Json(405, {{"error", "invalid_request"}});
      refused.headers.Set("Allow", "GET, HEAD");
      return refused;
    }
    case Accepts::kFormPost: {
      if (request.method != "POST") return OAuthError::MethodNotAllowed("POST").ToResponse();
      // The media type compared as RFC 9110 §8.3.1 says (case-insensitive, parameters aside),
      // as the guard compares it: "Application/X-WWW-Form-Urlencoded" is a form, and
      // "application/x-www-form-urlencodedX" is not.
      if (!http::IsFormUrlEncoded(request.headers)) {
        return OAuthError::InvalidRequest("Content-Type must be application/x-www-form-urlencoded")
            .ToResponse();
      }
      return std::nullopt;
    }
    case Accepts::kBrowser: {
      if (request.method == "GET" || request.method == "HEAD") return std::nullopt;
      if (request.method != "POST") {
        http::Response refused =
            browser::ErrorPage(405, "Request refused", "This page takes GET and POST only.");
        refused.headers.Set("Allow", "GET, HEAD, POST");
        return refused;
      }
      if (!http::IsFormUrlEncoded(request.headers)) {
        return browser::ErrorPage(415, "Request refused", "The form could not be read.");
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Decision Dispatch(ServerContext& context, const http::Request& request) {
  if (request.path.starts_with(kStaticPrefix)) {
    http::StaticFiles files(context.options.static_files, std::string(kStaticPrefix));
    if (auto served = files.Serve(request)) return Decision::Unrecorded(std::move(*served));
  }
  for (const Route& route : kRoutes) {
    if (route.path != request.path) continue;
    if (auto refused = RefuseAtRoute(route.accepts, request)) {
      return Decision::Unrecorded(std::move(*refused));
    }
    if (route.needs_store) {
      (void)context.registry.Get(false);  // a check when one is due
      if (!context.registry.StoreReachable()) {
        return Decision::Unrecorded(
            OAuthError::TemporarilyUnavailable("the identity store is unreachable").ToResponse());
      }
    }
    return route.handler(context, request);
  }
  return Decision::Unrecorded(http::Response::Json(404, {{"error", "not_found"}}));
}

// The endpoint label of /metrics: a route's path, or "other" (never the raw path, which an
// attacker chooses).
std::string_view EndpointLabel(const http::Request& request) {
  for (const Route& route : kRoutes) {
    if (route.path == request.path) return route.path;
  }
  return request.path.starts_with(kStaticPrefix) ? kStaticPrefix : "other";
}

using SteadyClock = std::chrono::steady_clock;

// Counts one answered request (and its token decision) into `metrics`.
void RecordRequest(Metrics& metrics, std::string_view endpoint, int status,
                   const AuditEvent* event, SteadyClock::time_point started) {
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  metrics.ObserveSeconds("zta_idp_request_duration_seconds", {{"endpoint", std::string(endpoint)}},
                         seconds);
  metrics.Count("zta_idp_requests_total",
                {{"endpoint", std::string(endpoint)}, {"code", std::to_string(status)}});
  if (event != nullptr && event->action == "token.issue") {
    metrics.Count("zta_idp_tokens_total",
                  {{"decision", std::string(AuditDecisionName(event->decision))},
                   {"reason", event->decision == AuditDecision::kAllow ? "" : event->reason}});
  }
}

void DescribeMetrics(ServerContext& context) {
  Metrics& m = context.metrics;
  m.Describe("zta_idp_requests_total", "counter", "Requests answered, by endpoint and status.");
  m.Describe("zta_idp_request_duration_seconds", "histogram",
             "Time from a request's arrival to its answer (audit commit included).");
  m.Describe("zta_idp_tokens_total", "counter",
             "Token requests: issued (allow) or refused (deny, error) with the reason.");
  m.Describe("zta_idp_audit_commit_seconds", "histogram",
             "Time an audit event waited for its durable commit.");
  m.Describe("zta_idp_audit_in_flight", "gauge", "Audit events waiting for their commit.");
  m.Describe("zta_idp_store_up", "gauge", "1 while the store answers, 0 when it does not.");
  m.Describe("zta_idp_store_errors_total", "counter",
             "Requests refused because the store did not answer.");
  RegistryCache* registry = &context.registry;
  m.AddCollector([registry](Metrics& self) {
    self.SetGauge("zta_idp_store_up", {}, registry->StoreReachable() ? 1 : 0);
  });
}

}  // namespace

AuthorizationServer::AuthorizationServer(AuthorizationServerOptions options, IdpStore& store,
                                         KeyManager& keys, AuditSink& audit, const Clock& clock)
    : context_(std::make_unique<ServerContext>(std::move(options), store, keys, audit, clock)) {
  DescribeMetrics(*context_);
  context_->metrics.AddCollector([this](Metrics& self) {
    self.SetGauge("zta_idp_audit_in_flight", {}, static_cast<double>(audit_in_flight_.load()));
  });
}

void AuthorizationServer::NoteStoreChanged() { (void)context_->registry.Get(true); }

Metrics& AuthorizationServer::metrics() { return context_->metrics; }

// The browser endpoints' in-memory state (pending requests, login failures) ends with the server.
AuthorizationServer::~AuthorizationServer() { browser::BrowserState::Forget(*context_); }

const AuthorizationServerOptions& AuthorizationServer::options() const { return context_->options; }

http::Response AuthorizationServer::Handle(const http::Request& request) {
  const auto started = SteadyClock::now();
  ServerContext::RequestTrace trace(TraceIdOf(request.headers.Get(kTraceParentHeader)));
  Decision decision = Dispatch(*context_, request);
  http::Response response = std::move(decision.response);
  if (decision.event) {
    Status recorded = context_->Audit(*decision.event);
    if (!recorded.ok() && decision.grants) response = AuditUnavailable();
  }
  Finish(request, response.status, decision, started);
  return response;
}

void AuthorizationServer::HandleAsync(const http::Request& request, http::Respond respond) {
  const auto started = SteadyClock::now();
  ServerContext::RequestTrace trace(TraceIdOf(request.headers.Get(kTraceParentHeader)));
  Decision decision = Dispatch(*context_, request);
  if (!decision.event) {
    Finish(request, decision.response.status, decision, started);
    return respond(std::move(decision.response));
  }
  AuditEvent& event = *decision.event;
  context_->Stamp(event);
  // Kept for the metrics; the event itself moves into the sink.
  auto kept = std::make_shared<Decision>(Decision{http::Response(), event, decision.grants});
  audit_in_flight_.fetch_add(1);
  const auto queued = SteadyClock::now();
  // The response waits in the callback until the record's commit (shared with every other
  // request in flight) is on disk; the I/O thread meanwhile serves other connections.
  context_->audit.AppendAsync(
      std::move(event),
      [this, endpoint = std::string(EndpointLabel(request)), kept, started, queued,
       response = std::move(decision.response), respond = std::move(respond)](
          Status recorded) mutable {
        audit_in_flight_.fetch_sub(1);
        context_->metrics.ObserveSeconds(
            "zta_idp_audit_commit_seconds", {},
            std::chrono::duration<double>(SteadyClock::now() - queued).count());
        if (!recorded.ok() && kept->grants) response = AuditUnavailable();
        RecordRequest(context_->metrics, endpoint, response.status, &*kept->event, started);
        respond(std::move(response));
      });
}

void AuthorizationServer::Finish(const http::Request& request, int status,
                                 const Decision& decision,
                                 std::chrono::steady_clock::time_point started) {
  if (status == 503 && !context_->registry.StoreReachable()) {
    context_->metrics.Count("zta_idp_store_errors_total", {});
  }
  RecordRequest(context_->metrics, EndpointLabel(request), status,
                decision.event ? &*decision.event : nullptr, started);
}

http::Response AuthorizationServer::AuditUnavailable() const {
  return OAuthError::TemporarilyUnavailable("the audit log is unavailable").ToResponse();
}

Json AuthorizationServer::Metadata(bool openid) { return BuildMetadata(*context_, openid); }

}  // namespace zta::idp
