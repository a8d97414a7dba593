// Authorization server metadata (RFC 8414) and its OIDC discovery twin: where the endpoints
// are and what they accept. grant_types_supported comes from the grant table and the
// authentication methods from client_auth.h, so the document cannot promise what is not there.
#include <set>

#include "endpoint.h"
#include "zta/jose/algorithm.h"

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
  std::set<std::string> scopes = {"openid", "profile", "email"};  // OIDC Core §5.4
  std::set<std::string> details_types;
  {
    // Metadata may be served while the registry reloads; a slightly old scope list is fine.
    auto reg = context.registry.Get(false);
    for (const auto& [uri, r] : reg->resources) {
      scopes.insert(r.scopes.begin(), r.scopes.end());
      for (const auto& [type, unused] : r.details_types) details_types.insert(type);
    }
  }
  Json signing_algs = {"ES256", "ES384", "RS256", "PS256", "EdDSA"};
  Json auth_methods = Json::array();
  for (std::string_view method : kClientAuthMethods) auth_methods.push_back(std::string(method));
  // Public apps authenticate with nothing but their client_id (and PKCE) at the token endpoint.
  Json token_auth_methods = auth_methods;
  token_auth_methods.push_back(kAuthNone);
  // What signs ID tokens: the algorithm of the key signing now (ES256 unless configured).
  Json id_token_algs = Json::array();
  if (auto signing = context.keys.CurrentSigningKey(); signing.ok()) {
    id_token_algs.push_back(std::string(jose::AlgorithmName(signing->alg)));
  } else {
    id_token_algs.push_back("ES256");
  }
  Json m = {
      {"issuer", iss},
      {"authorization_endpoint", iss + "/authorize"},
      {"pushed_authorization_request_endpoint", iss + "/par"},
      {"token_endpoint", iss + "/token"},
      {"jwks_uri", iss + "/jwks"},
      {"userinfo_endpoint", iss + "/userinfo"},
      {"introspection_endpoint", iss + "/introspect"},
      {"revocation_endpoint", iss + "/revoke"},
      {"grant_types_supported", context.grants.Names()},
      {"response_types_supported", Json::array({"code"})},
      {"response_modes_supported", Json::array({"query"})},
      {"code_challenge_methods_supported", Json::array({"S256"})},  // RFC 7636, never plain
      {"token_endpoint_auth_methods_supported", token_auth_methods},
      {"token_endpoint_auth_signing_alg_values_supported", signing_algs},
      {"introspection_endpoint_auth_methods_supported", auth_methods},
      {"revocation_endpoint_auth_methods_supported", auth_methods},
      {"scopes_supported", scopes},
      {"resource_indicators_supported", true},
      {"authorization_details_types_supported", details_types},  // RFC 9396 §10
      {"authorization_response_iss_parameter_supported", true},  // RFC 9207 §3
      // OpenID CIBA Core 1.0 §4: poll mode only, no user codes.
      {"backchannel_authentication_endpoint", iss + "/bc-authorize"},
      {"backchannel_token_delivery_modes_supported", Json::array({"poll"})},
      {"backchannel_user_code_parameter_supported", false},
  };
  // RFC 9449 §5.1: the algorithms a DPoP proof may use at the token endpoint.
  Json dpop_algs = Json::array();
  for (int i = 0; i < jose::kAlgorithmCount; ++i) {
    auto alg = static_cast<jose::Algorithm>(i);
    if (context.options.dpop_algorithms.Contains(alg)) {
      dpop_algs.push_back(std::string(jose::AlgorithmName(alg)));
    }
  }
  m["dpop_signing_alg_values_supported"] = dpop_algs;
  if (openid) {
    m["subject_types_supported"] = {"public"};
    m["id_token_signing_alg_values_supported"] = id_token_algs;
    m["claims_supported"] = {"iss",       "sub",  "aud",   "exp",   "iat",
                             "auth_time", "nonce", "azp",  "at_hash", "name",
                             "preferred_username", "email", "act", "authorization_details"};
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
