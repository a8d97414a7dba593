// The authorization server's front: the path → endpoint table, the method and Content-Type
// checks every route makes, and recording each endpoint's audit event before its answer
// leaves. Errors follow RFC 6749 §5.2.
#include "zta/idp/authorization_server.h"

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
};

// The token endpoint first: it is the hot path.
constexpr Route kRoutes[] = {
    {"/token", Accepts::kFormPost, TokenEndpoint},
    {"/introspect", Accepts::kFormPost, IntrospectEndpoint},
    {"/revoke", Accepts::kFormPost, RevokeEndpoint},
    {"/jwks", Accepts::kGetOrHead, JwksEndpoint},
    {"/.well-known/oauth-authorization-server", Accepts::kGetOrHead, OAuthMetadataEndpoint},
    {"/.well-known/openid-configuration", Accepts::kGetOrHead, OpenIdConfigurationEndpoint},
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
    return route.handler(context, request);
  }
  return Decision::Unrecorded(http::Response::Json(404, {{"error", "not_found"}}));
}

}  // namespace

AuthorizationServer::AuthorizationServer(AuthorizationServerOptions options, IdpStore& store,
                                         KeyManager& keys, AuditSink& audit, const Clock& clock)
    : context_(std::make_unique<ServerContext>(std::move(options), store, keys, audit, clock)) {}

// The browser endpoints' in-memory state (pending requests, login failures) ends with the server.
AuthorizationServer::~AuthorizationServer() { browser::BrowserState::Forget(*context_); }

const AuthorizationServerOptions& AuthorizationServer::options() const { return context_->options; }

http::Response AuthorizationServer::Handle(const http::Request& request) {
  ServerContext::RequestTrace trace(TraceIdOf(request.headers.Get(kTraceParentHeader)));
  Decision decision = Dispatch(*context_, request);
  if (!decision.event) return std::move(decision.response);
  Status recorded = context_->Audit(std::move(*decision.event));
  if (!recorded.ok() && decision.grants) return AuditUnavailable();
  return std::move(decision.response);
}

void AuthorizationServer::HandleAsync(const http::Request& request, http::Respond respond) {
  ServerContext::RequestTrace trace(TraceIdOf(request.headers.Get(kTraceParentHeader)));
  Decision decision = Dispatch(*context_, request);
  if (!decision.event) return respond(std::move(decision.response));
  AuditEvent& event = *decision.event;
  context_->Stamp(event);
  // The response waits in the callback until the record's commit (shared with every other
  // request in flight) is on disk; the I/O thread meanwhile serves other connections.
  context_->audit.AppendAsync(
      std::move(event), [this, response = std::move(decision.response), grants = decision.grants,
                         respond = std::move(respond)](Status recorded) mutable {
        if (!recorded.ok() && grants) return respond(AuditUnavailable());
        respond(std::move(response));
      });
}

http::Response AuthorizationServer::AuditUnavailable() const {
  return OAuthError::TemporarilyUnavailable("the audit log is unavailable").ToResponse();
}

Json AuthorizationServer::Metadata(bool openid) { return BuildMetadata(*context_, openid); }

}  // namespace zta::idp
