// The JWKS (RFC 7517 §5): the public halves of the keys that sign now, will sign next, or
// signed tokens that have not yet expired. Cacheable for jwks_max_age_seconds.
#include "endpoint.h"

namespace zta::idp {

Decision JwksEndpoint(ServerContext& context, const http::Request& request) {
  (void)context.registry.Get(false);  // picks up keys rotated by another process
  auto r = http::Response::Json(200, context.keys.PublishedKeys()->ToPublicJson());
  r.headers.Set("Content-Type", "application/jwk-set+json");
  r.headers.Set("Cache-Control",
                "public, max-age=" + std::to_string(context.options.jwks_max_age_seconds));
  return Decision::Unrecorded(std::move(r));
}

}  // namespace zta::idp
