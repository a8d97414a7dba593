// The authorization server's endpoints, one file each in this folder, and what they answer with.
// AuthorizationServer routes to them by exact path (authorization_server.cc).
#pragma once

#include <optional>
#include <utility>

#include "../server_context.h"
#include "zta/core/audit_sink.h"
#include "zta/core/json.h"
#include "zta/http/message.h"

namespace zta::idp {

// A response and the audit event to record before it may be sent.
struct Decision {
  http::Response response;
  std::optional<AuditEvent> event;
  bool grants = false;  // when recording fails: true → 503 instead (fail closed)

  static Decision Unrecorded(http::Response response) {
    return {std::move(response), std::nullopt, false};
  }
  static Decision Recorded(http::Response response, AuditEvent event, bool grants) {
    return {std::move(response), std::move(event), grants};
  }
};

// Every endpoint: the request has passed the route's method (and form Content-Type) check.
using EndpointHandler = Decision (*)(ServerContext& context, const http::Request& request);

// POST /token (RFC 6749 §3.2): authenticates the client and runs its grant. token.cc
Decision TokenEndpoint(ServerContext& context, const http::Request& request);
// POST /introspect (RFC 7662). introspect.cc
Decision IntrospectEndpoint(ServerContext& context, const http::Request& request);
// POST /revoke (RFC 7009). revoke.cc
Decision RevokeEndpoint(ServerContext& context, const http::Request& request);
// POST /bc-authorize: an agent asks a user for approval (OpenID CIBA Core 1.0 §7, poll mode).
// bc_authorize.cc
Decision BackchannelAuthorizeEndpoint(ServerContext& context, const http::Request& request);
// GET /healthz: 200 while the store answers, else 503. health.cc
Decision HealthEndpoint(ServerContext& context, const http::Request& request);
// GET /metrics: the Prometheus text of ServerContext::metrics. health.cc
Decision MetricsEndpoint(ServerContext& context, const http::Request& request);
// /jwks (RFC 7517 §5): the published public keys. jwks.cc
Decision JwksEndpoint(ServerContext& context, const http::Request& request);
// /.well-known/oauth-authorization-server (RFC 8414 §3). metadata.cc
Decision OAuthMetadataEndpoint(ServerContext& context, const http::Request& request);
// /.well-known/openid-configuration (OIDC Discovery §4). metadata.cc
Decision OpenIdConfigurationEndpoint(ServerContext& context, const http::Request& request);

// /userinfo (OIDC Core §5.3): GET or form POST with a bearer token (RFC 6750). userinfo.cc
Decision UserinfoEndpoint(ServerContext& context, const http::Request& request);

// The metadata document (RFC 8414 §2); `openid` adds the OIDC discovery members. metadata.cc
Json BuildMetadata(ServerContext& context, bool openid);

// Browser endpoints (HTML; src/idp/browser/ holds what they share). Their route lets through
// GET, HEAD and form POSTs; each endpoint checks which of those it takes.
// /authorize (RFC 6749 §4.1.1, RFC 9207, RFC 8707, RFC 9396, PKCE RFC 7636). authorize.cc
Decision AuthorizeEndpoint(ServerContext& context, const http::Request& request);
// POST /par: pushed authorization requests (RFC 9126). par.cc
Decision ParEndpoint(ServerContext& context, const http::Request& request);
// /login: the password form and the session cookie. login.cc
Decision LoginEndpoint(ServerContext& context, const http::Request& request);
// /consent: shows what the agent asks for; POST approves (a code) or denies. consent.cc
Decision ConsentEndpoint(ServerContext& context, const http::Request& request);
// /account: the user's remembered consents and grants. account.cc
Decision AccountEndpoint(ServerContext& context, const http::Request& request);
// POST /account/revoke: revokes one grant or remembered consent. account.cc
Decision AccountRevokeEndpoint(ServerContext& context, const http::Request& request);
// POST /account/backchannel: approves or denies a waiting backchannel request.
// account_backchannel.cc
Decision AccountBackchannelEndpoint(ServerContext& context, const http::Request& request);
// The /account page's "Waiting for you" section (HTML; "" when nothing waits): `user_id`'s
// pending backchannel requests, each with Approve / Deny forms carrying `csrf_field`. Audits
// backchannel.shown the first time each is listed. account_backchannel.cc
std::string BackchannelSection(ServerContext& context, const RegistrySnapshot& registry,
                               const std::string& user_id, const std::string& csrf_field);
// POST /logout: ends the session. logout.cc
Decision LogoutEndpoint(ServerContext& context, const http::Request& request);

}  // namespace zta::idp
