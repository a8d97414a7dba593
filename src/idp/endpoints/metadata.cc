// Authorization server metadata (RFC 8414) and its OIDC discovery twin: where the endpoints
// are and what they accept. grant_types_supported comes from the grant table and the
// authentication methods from client_auth.h, so the document cannot promise what is not there.
#include <set>

#include "endpoint.h"

namespace zta::idp {
namespace {

Decision ServeMetadata(ServerContext& context, bool openid) {
  auto r = http::Response::Json(200, BuildMetadata(context, openid));
  r.headers.Set("Cache-Control", "max-age=300");
  return Decision::Unrecorded(std::move(r));
}

}  // namespace

Json BuildMetadata(ServerContext& context, bool openid) {
  const std::string& iss = context.options.issuer;
  std::set<std::string> scopes;
  {
    // Metadata may be served while the registry reloads; a slightly old scope list is fine.
    auto reg = context.registry.Get(false);
    for (const auto& [uri, r] : reg->resources) scopes.insert(r.scopes.begin(), r.scopes.end());
  }
  Json signing_algs = {"ES256", "ES384", "RS256", "PS256", "EdDSA"};
  Json auth_methods = Json::array();
  for (std::string_view method : kClientAuthMethods) auth_methods.push_back(std::string(method));
  Json m = {
      {"issuer", iss},
      {"token_endpoint", iss + "/token"},
      {"jwks_uri", iss + "/jwks"},
      {"introspection_endpoint", iss + "/introspect"},
      {"revocation_endpoint", iss + "/revoke"},
      {"grant_types_supported", context.grants.Names()},
      {"response_types_supported", Json::array({"token"})},
      {"token_endpoint_auth_methods_supported", auth_methods},
      {"token_endpoint_auth_signing_alg_values_supported", signing_algs},
      {"introspection_endpoint_auth_methods_supported", auth_methods},
      {"revocation_endpoint_auth_methods_supported", auth_methods},
      {"scopes_supported", scopes},
      {"resource_indicators_supported", true},
  };
  if (openid) {
    m["subject_types_supported"] = {"public"};
    m["id_token_signing_alg_values_supported"] = {"ES256"};
  }
  return m;
}

Decision OAuthMetadataEndpoint(ServerContext& context, const http::Request& request) {
  return ServeMetadata(context, /*openid=*/false);
}

Decision OpenIdConfigurationEndpoint(ServerContext& context, const http::Request& request) {
  return ServeMetadata(context, /*openid=*/true);
}

}  // namespace zta::idp
