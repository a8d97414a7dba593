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

namespace internal {

// Not part of the API. The one place a libcurl transfer is configured for a ClientRequest
// (options, header list, body and header callbacks) and its outcome turned into a Response or a
// Status, shared by Send (easy API) and AsyncClient (multi API) so both behave alike. It lives
// in this header only because both src/http/client.cc and src/http/async_client.cc need it.
// Thread-compatible: one thread drives a transfer at a time (the body callbacks run on it).
class CurlTransfer {
 public:
  // curl_global_init, once per process; must precede every other libcurl call.
  static Status GlobalInit();

  // Validates `request` (URL, method, header fields, time left) and configures `easy` (a CURL*;
  // reset first, so a reused handle keeps only its connection cache) to send it. Errors here
  // mean nothing was sent.
  // REQUIRES: `request` and `easy` outlive the transfer and `request` is not modified meanwhile
  // (libcurl reads the body in place).
  static Result<CurlTransfer> Prepare(const ClientRequest& request, void* easy);

  CurlTransfer(CurlTransfer&& other) noexcept;
  CurlTransfer& operator=(CurlTransfer&&) = delete;
  // Leaves the handle pointing at nothing of the transfer's.
  ~CurlTransfer();

  // The outcome once libcurl has finished the transfer with `code` (a CURLcode): the response
  // whatever its status, or the transport error Send documents.
  Result<Response> Finish(int code);

  // What libcurl's callbacks fill in; defined in client.cc.
  struct State;

 private:
  explicit CurlTransfer(std::unique_ptr<State> state);
  // On the heap: libcurl keeps pointers into it (callback data, error buffer, header list).
  std::unique_ptr<State> state_;
};

}  // namespace internal

}  // namespace zta::http
