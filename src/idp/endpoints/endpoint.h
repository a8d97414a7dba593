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
// /jwks (RFC 7517 §5): the published public keys. jwks.cc
Decision JwksEndpoint(ServerContext& context, const http::Request& request);
// /.well-known/oauth-authorization-server (RFC 8414 §3). metadata.cc
Decision OAuthMetadataEndpoint(ServerContext& context, const http::Request& request);
// /.well-known/openid-configuration (OIDC Discovery §4). metadata.cc
Decision OpenIdConfigurationEndpoint(ServerContext& context, const http::Request& request);

// The metadata document (RFC 8414 §2); `openid` adds the OIDC discovery members. metadata.cc
Json BuildMetadata(ServerContext& context, bool openid);

}  // namespace zta::idp
