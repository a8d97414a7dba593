// An asynchronous HTTP client: one background thread drives a libcurl multi handle, so any
// number of requests are in flight at once without a thread (or a blocked server thread) each.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "zta/core/status.h"
#include "zta/http/client.h"
#include "zta/http/message.h"

namespace zta::http {

struct AsyncClientOptions {
  // Requests accepted and not yet answered. A Send beyond this is answered at once with
  // kResourceExhausted (reason "too_many_requests") and sends nothing, so a slow upstream cannot
  // make the client hold unbounded memory and sockets. REQUIRES: > 0. Default: 1024.
  size_t max_in_flight = 1024;
};

// Called once with the response (whatever its status) or the transport error.
using ResponseCallback = std::function<void(Result<Response>)>;

// Thread-safe: Send may be called from any thread, callbacks included. Every callback runs on the
// client's own thread, one at a time, never inside Send; a callback must not block (it holds up
// every other request) and must not destroy the client. Requests share the multi handle's
// connection cache (keep-alive to each origin) and DNS cache.
class AsyncClient {
 public:
  static Result<std::unique_ptr<AsyncClient>> Create(AsyncClientOptions options = {});
  // Stops the thread. Every request not yet answered is abandoned (its connection closed) and its
  // callback runs once, on the client's thread, with kUnavailable, reason "client_stopped".
  // REQUIRES: no Send racing with it from another thread; not called from a callback.
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Starts `request`; `done` runs exactly once with what http::Send would have returned for it:
  // the same validation, the same statuses and reasons (kDeadlineExceeded "timeout" once
  // request.timeout has passed since Send, kUnavailable for refused, DNS, TLS and reset,
  // kUnavailable "response_too_large" over max_response_bytes, kInvalidArgument for a malformed
  // request), no redirects followed, http(s) only. request.on_body_piece runs on the client's
  // thread. A Send from a callback while the destructor runs is answered inside Send with
  // kUnavailable "client_stopped".
  void Send(ClientRequest request, ResponseCallback done);

  // Requests accepted and not yet answered, for metrics and tests.
  size_t in_flight() const;

  class Impl;

 private:
  explicit AsyncClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zta::http
