// An HTTP/1.1 server on Boost.Beast: keep-alive, bounded header/body sizes, a connection limit
// and timeouts for slow clients. Handlers are plain functions of Request → Response, or
// asynchronous ones that answer later through a Respond callback.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "zta/core/status.h"
#include "zta/http/message.h"

namespace zta::http {

using Handler = std::function<Response(const Request&)>;

// Answers one request. Call it once, from any thread; later calls are ignored. When the last
// copy is destroyed without a call the client gets 500, so a lost callback cannot hang a
// connection. Calls after the server stopped are dropped.
using Respond = std::function<void(Response)>;
// Starts handling a request and answers through `respond`, now or later (e.g. from the audit
// writer once the request's record is durable), so one I/O thread keeps many requests in
// flight. Copy what you need from the request: it lives only for the call.
using AsyncHandler = std::function<void(const Request&, Respond respond)>;

struct ServerOptions {
  // Address to listen on. Default: 127.0.0.1 (loopback only).
  std::string host = "127.0.0.1";
  // Port; 0 picks a free one (see HttpServer::port()). Default: 0.
  int port = 0;
  // I/O threads running handlers; 0: one per CPU this process may run on (its affinity mask,
  // so `taskset -c 0` gives one), at most 8. More threads than cores only add context switches.
  // Default: 0.
  int threads = 0;
  // Largest request header block, bytes (Beast header_limit). Default: 8 KiB.
  size_t max_header_bytes = 8 * 1024;
  // Largest request body, bytes; larger → 413. Default: 64 KiB.
  size_t max_body_bytes = 64 * 1024;
  // Open connections beyond this are closed at once. Default: 1024.
  int max_connections = 1024;
  // A request must arrive completely within this many seconds of the previous one (slowloris
  // bound); idle keep-alive connections close after it too. Default: 15.
  int read_timeout_seconds = 15;
  // TLS: PEM files of the certificate chain and its private key. Both set → every connection
  // is HTTPS (TLS 1.2 or later); both empty → plain HTTP, the default (for loopback).
  std::string tls_certificate_file;
  std::string tls_private_key_file;
  // Value of the Server header. Default: "zta".
  std::string server_name = "zta";
};

// Thread-safe. Start() returns once the socket listens; the destructor stops and joins.
class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> Start(ServerOptions options, Handler handler);
  static Result<std::unique_ptr<HttpServer>> StartAsync(ServerOptions options,
                                                        AsyncHandler handler);
  ~HttpServer();

  int port() const;
  const std::string& host() const;
  // "http://127.0.0.1:PORT" ("https://…" with TLS)
  std::string BaseUrl() const;
  // Connections accepted since Start(), including ones closed at once by max_connections.
  // For metrics and tests (e.g. proving that keep-alive reuses one connection).
  int64_t accepted_connections() const;
  // Stops accepting, closes connections, joins the threads. Idempotent. A handler still running
  // is waited for, and so are asynchronous answers still owed (for up to 5 s). An answer owed
  // longer is dropped when it comes; its connection closes when its Respond is let go of, even
  // after the server is destroyed.
  // REQUIRES: not called from a handler (it joins the threads handlers run on).
  void Stop();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Blocks until SIGINT or SIGTERM (for `serve` commands). Returns the signal number.
// Self-contained: installs its own handlers for the wait (whichever thread the signal lands on)
// and unblocks both signals in the calling thread, so it works whether or not the caller blocked
// them; the previous dispositions are restored on return, so a second Ctrl-C during shutdown
// acts as it did before. Call from one thread at a time (normally main).
int WaitForTerminationSignal();

}  // namespace zta::http
