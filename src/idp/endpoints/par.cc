// Pushed authorization requests (RFC 9126): the app authenticates as at the token endpoint
// (client_secret_basic or client_secret_post against its secret digest; a public app by
// client_id alone), the request is checked exactly as /authorize checks it, and it waits under
// a single-use request_uri for its /authorize.
#include "../browser/pages.h"
#include "../client_auth.h"

namespace zta::idp {
namespace {

http::Response JsonError(int status, const std::string& error, const std::string& description) {
  Json body = {{"error", error}};
  if (!description.empty()) body["error_description"] = description;
  http::Response r = http::Response::Json(status, body);
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace

Decision ParEndpoint(ServerContext& context, const http::Request& request) {
  AuditEvent event;
  event.action = "par.push";
  event.decision = AuditDecision::kDeny;
  auto refuse = [&](int status, const std::string& error, const std::string& description) {
    event.reason = error;
    http::Response r = JsonError(status, error, description);
    if (status == 401) r.headers.Set("WWW-Authenticate", "Basic realm=\"zta\"");
    return Decision::Recorded(std::move(r), std::move(event), false);
  };
  if (request.method != "POST") {
    return Decision::Unrecorded(OAuthError::MethodNotAllowed("POST").ToResponse());
  }
  if (!http::IsFormUrlEncoded(request.headers)) {
    return Decision::Unrecorded(JsonError(
        400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"));
  }
  std::string why;
  auto fields = browser::ReadParameters(request, &why);
  if (!fields) return Decision::Unrecorded(JsonError(400, "invalid_request", why));
  auto presented = ReadCredentials(request, *fields);
  if (!presented.ok()) return Decision::Unrecorded(presented.error().ToResponse());

  auto registry = context.registry.Get(true);
  std::string client_id =
      presented->client_id.empty() ? Field(*fields, "client_id") : presented->client_id;
  event.client_id = client_id.substr(0, 200);
  // RFC 9126 §2.1: client_id in the body, when sent, names the authenticated client.
  if (!Field(*fields, "client_id").empty() && Field(*fields, "client_id") != client_id) {
    return refuse(400, "invalid_request", "client_id does not match the credentials");
  }
  const App* app = registry->FindApp(client_id);
  if (app == nullptr || !app->enabled) {
    return refuse(401, "invalid_client", "unknown client");
  }
  if (app->is_public) {
    if (!presented->method.empty())
      return refuse(401, "invalid_client", "public clients have no secret");
  } else {
    bool secret_ok =
        (presented->method == kClientSecretBasic || presented->method == kClientSecretPost) &&
        !app->secret_digest.empty() && SecretMatchesDigest(presented->secret, app->secret_digest);
    if (!secret_ok) return refuse(401, "invalid_client", "client authentication failed");
  }
  // RFC 9126 §2.1: request_uri is not allowed in a pushed request.
  if (!Field(*fields, "request_uri").empty()) {
    return refuse(400, "invalid_request", "request_uri is not allowed here");
  }
  // RFC 9101 §10.3 / RFC 9126 §2.1: zta takes no request objects, so a `request` parameter is
  // refused rather than ignored (its claims would otherwise silently not apply).
  if (fields->count("request") > 0) {
    return refuse(400, "request_not_supported", "request objects are not supported");
  }
  browser::AuthorizationRefusal refusal;
  FormFields with_client = *fields;
  with_client["client_id"] = client_id;
  if (browser::CheckClient(with_client, *registry, &refusal) == nullptr) {
    return refuse(400, "invalid_request", refusal.description);
  }
  browser::AuthorizationRequest authorization;
  if (auto bad = browser::ReadAuthorizationRequest(with_client, *app, *registry, &authorization)) {
    return refuse(400, bad->error, bad->description);
  }
  int64_t ttl = std::max<int64_t>(context.options.par_ttl_seconds, 1);
  event.resource = authorization.resource;
  event.scopes_requested = authorization.scopes;
  if (!authorization.agent_id.empty()) event.actor_chain = {authorization.agent_id};
  // Keyed by source address, so one address pushing without end evicts only its own oldest.
  auto uri = browser::BrowserState::For(context).AddPushed(
      std::move(authorization), context.clock.NowSeconds() + ttl, request.remote_address);
  if (!uri) {
    return Decision::Unrecorded(JsonError(503, "temporarily_unavailable", "try again later"));
  }
  http::Response created = http::Response::Json(201, {{"request_uri", *uri}, {"expires_in", ttl}});
  created.headers.Set("Cache-Control", "no-store");
  event.decision = AuditDecision::kAllow;
  return Decision::Recorded(std::move(created), std::move(event), false);
}

}  // namespace zta::idp
