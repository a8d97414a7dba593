// RFC 7662 introspection calls and their cache.
#include "introspector.h"

#include <algorithm>

#include "zta/core/base64url.h"
#include "zta/core/sha256.h"
#include "zta/http/client.h"
#include "zta/http/discovery.h"

namespace zta::guard {
namespace {

Status Unavailable401(std::string message) {
  return Status(StatusCode::kUnauthenticated, std::move(message), kReasonIntrospectionFailed);
}

// RFC 7662 §2: POST token, authenticated as this resource server; active=false or any failure
// means the token is not accepted (fail closed).
Result<bool> CallIntrospection(const http::Transport& fetcher, const std::string& endpoint,
                               const IntrospectionOptions& o, std::string_view token) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = endpoint;
  request.timeout = o.timeout;
  request.max_response_bytes = 256 * 1024;
  request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  request.headers.Set("Accept", "application/json");
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
  request.headers.Set("Authorization",
                      "Basic " + Base64Encode(http::PercentEncode(o.client_id) + ":" +
                                              http::PercentEncode(o.client_secret.Reveal())));
  request.body =
      http::FormEncode({{"token", std::string(token)}, {"token_type_hint", "access_token"}});
  ZTA_ASSIGN_OR_RETURN(http::Response response, fetcher(request));
  if (response.status != 200) {
    return Unavailable("introspection answered HTTP " + std::to_string(response.status));
  }
  auto json = ParseJsonStrict(response.body);
  if (!json.ok() || !json->is_object()) return Unavailable("introspection answer is not JSON");
  auto it = json->find("active");
  if (it == json->end() || !it->is_boolean()) return Unavailable("introspection lacks active");
  return it->get<bool>();
}

}  // namespace

Introspector::Introspector(std::string issuer, IntrospectionOptions options,
                           const http::Transport& fetcher, const Clock& clock)
    : issuer_(std::move(issuer)),
      options_(std::move(options)),
      fetcher_(fetcher),
      clock_(clock),
      endpoint_(options_.endpoint) {}

Result<std::string> Introspector::Endpoint() {
  {
    MutexLock lock(mu_);
    if (!endpoint_.empty()) return endpoint_;
  }
  auto metadata = http::DiscoverMetadata(fetcher_, issuer_, options_.timeout);
  if (!metadata.ok() || !metadata->contains("introspection_endpoint") ||
      !(*metadata)["introspection_endpoint"].is_string()) {
    return Unavailable401("no introspection endpoint");
  }
  MutexLock lock(mu_);
  endpoint_ = (*metadata)["introspection_endpoint"].get<std::string>();
  return endpoint_;
}

Status Introspector::CheckActive(std::string_view token, int64_t expires_at) {
  const int64_t now = clock_.NowSeconds();
  // The cache is keyed by a digest: a token never sits in memory longer than its request.
  const std::string key = Sha256(token);
  std::optional<bool> active;
  {
    MutexLock lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now < it->second.until) active = it->second.active;
  }
  if (!active) {
    ZTA_ASSIGN_OR_RETURN(std::string endpoint, Endpoint());
    auto answer = CallIntrospection(fetcher_, endpoint, options_, token);
    if (!answer.ok()) return Unavailable401(answer.status().message());
    active = *answer;
    MutexLock lock(mu_);
    if (cache_.size() > 10'000) cache_.clear();  // bound memory
    cache_[key] = {*answer, std::min(now + options_.cache_seconds, expires_at)};
  }
  if (!*active) {
    return Status(StatusCode::kUnauthenticated, "the issuer says the token is inactive",
                  kReasonTokenInactive);
  }
  return Status::Ok();
}

}  // namespace zta::guard
