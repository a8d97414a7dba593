// A blocking HTTP client on libcurl, with connection reuse per thread and hard timeouts.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "zta/core/status.h"
#include "zta/http/message.h"

namespace zta::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  // Whole-request deadline. Default: 10 s.
  std::chrono::milliseconds timeout{10'000};
  // PEM file of CA certificates to trust for https instead of the system's. Default: empty.
  std::string ca_file;
  // Largest response body accepted; more → error. Default: 4 MiB.
  size_t max_response_bytes = 4 << 20;
  // Called with each piece of the response body as it arrives, with the response status (known
  // by then), for streamed responses (SSE). The body is still collected into Response::body.
  // Returning false aborts the transfer: Send then fails with kUnavailable, reason
  // "stopped_by_reader" (the reader knows why). Default: none.
  std::function<bool(int status, std::string_view piece)> on_body_piece;
};

// Sends a request and returns the response, whatever its status. Transport failures (refused,
// DNS, timeout, TLS, oversize) are errors: kUnavailable or kDeadlineExceeded. The URL's path is
// sent exactly as given: dot segments ("/../", "/./") are not resolved.
// Thread-safe; each thread keeps its own connection cache (keep-alive). Blocks the calling
// thread for up to request.timeout; see AsyncClient (async_client.h) for many at once.
Result<Response> Send(const ClientRequest& request);

// Sends one HTTP request and returns the response, as Send does. Whatever talks HTTP to another
// party (JWKS and metadata fetches, token requests, tools, model clients) takes one of these,
// so tests inject a fake that counts, scripts answers or fails, and no test needs the network.
// Thread safety is the function's own; DefaultTransport's is Send's (thread-safe).
using Transport = std::function<Result<Response>(const ClientRequest&)>;

// http::Send as a Transport.
Transport DefaultTransport();

// Convenience: GET `url` and parse a JSON body; non-2xx is an error carrying the status.
Result<Json> GetJson(const std::string& url,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));

}  // namespace zta::http
