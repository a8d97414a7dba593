// Authorization server metadata discovery (see discovery.h).
#include "zta/http/discovery.h"

namespace zta::http {
namespace {

constexpr size_t kMaxMetadataBytes = 512 * 1024;

bool IsHttpUrl(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

Status Unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message), kReasonMetadataUnavailable);
}

}  // namespace

Result<std::vector<std::string>> MetadataUrls(std::string_view issuer) {
  auto bad = [&] {
    return Status(StatusCode::kInvalidArgument,
                  "issuer is not an http(s) URL: " + std::string(issuer), kReasonBadIssuer);
  };
  if (!IsHttpUrl(issuer)) return bad();
  std::string base(issuer);
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto url = ParseUrl(base);
  if (!url.ok()) return bad();
  const std::string path = url->target == "/" ? "" : url->target;
  return std::vector<std::string>{
      url->Origin() + "/.well-known/oauth-authorization-server" + path,
      base + "/.well-known/openid-configuration",
  };
}

Result<Json> DiscoverMetadata(const Transport& transport, const std::string& issuer,
                              std::chrono::milliseconds timeout) {
  const std::string context = "discovering " + issuer;
  auto urls = MetadataUrls(issuer);
  if (!urls.ok()) return urls.status().WithContext(context);
  Status last = Unavailable("no metadata");
  for (const auto& url : *urls) {
    ClientRequest request;
    request.url = url;
    request.timeout = timeout;
    request.max_response_bytes = kMaxMetadataBytes;
    request.headers.Set("Accept", "application/json");
    auto response = transport(request);
    if (!response.ok()) return response.status().WithContext(context);
    if (response->status != 200) {
      last = Unavailable("HTTP " + std::to_string(response->status) + " from " + url);
      continue;
    }
    JsonLimits limits;
    limits.max_bytes = kMaxMetadataBytes;
    auto json = ParseJsonStrict(response->body, limits);
    if (!json.ok()) {
      last = Unavailable("bad JSON from " + url + ": " + json.status().message());
      continue;
    }
    if (!json->is_object()) {
      last = Unavailable("JSON from " + url + " is not an object");
      continue;
    }
    auto it = json->find("issuer");
    if (it == json->end() || !it->is_string() || it->get_ref<const std::string&>() != issuer) {
      // Not this issuer's document (some servers answer any path with 200): try the next
      // location, and never use this one.
      last = Status(StatusCode::kFailedPrecondition,
                    "metadata at " + url + " does not name issuer " + issuer, kReasonBadMetadata);
      continue;
    }
    return std::move(json).value();
  }
  return last.WithContext(context);
}

}  // namespace zta::http
