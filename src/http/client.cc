// The blocking HTTP client on libcurl's easy API: one reusable handle per thread (so its
// connection cache gives keep-alive), bounded response size, no redirects, http(s) only; the
// transfer itself is set up by internal::CurlTransfer (curl_transfer.h), as AsyncClient's are.
#include "zta/http/client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "curl_transfer.h"

namespace zta::http {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

// The calling thread's handle. curl_easy_reset() between requests clears the options but keeps
// the connection cache, so consecutive requests to one origin reuse the TCP (and TLS) session.
CURL* ThreadHandle() {
  thread_local CurlHandle handle(curl_easy_init());
  return handle.get();
}

}  // namespace

Result<Response> Send(const ClientRequest& request) {
  ZTA_RETURN_IF_ERROR(internal::CurlTransfer::GlobalInit());
  CURL* curl = ThreadHandle();
  ZTA_ASSIGN_OR_RETURN(internal::CurlTransfer transfer,
                       internal::CurlTransfer::Prepare(request, curl));
  return transfer.Finish(curl_easy_perform(curl));
}

Transport DefaultTransport() {
  return [](const ClientRequest& request) { return Send(request); };
}

Result<Json> GetJson(const std::string& url, std::chrono::milliseconds timeout) {
  ClientRequest request;
  request.url = url;
  request.timeout = timeout;
  request.headers.Set("Accept", "application/json");
  ZTA_ASSIGN_OR_RETURN(Response response, Send(request));
  if (response.status < 200 || response.status > 299) {
    return Unavailable("HTTP " + std::to_string(response.status) + " from " + url);
  }
  JsonLimits limits;
  limits.max_depth = 64;
  limits.max_bytes = request.max_response_bytes;
  auto json = ParseJsonStrict(response.body, limits);
  if (!json.ok()) return json.status().WithContext("JSON from " + url);
  return std::move(json).value();
}

}  // namespace zta::http
