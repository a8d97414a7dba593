// Private to zta::http: the libcurl transfer setup that Send and AsyncClient share.
#pragma once

#include <memory>

#include "zta/core/status.h"
#include "zta/http/client.h"
#include "zta/http/message.h"

namespace zta::http::internal {

// Not part of the API. The one place a libcurl transfer is configured for a ClientRequest
// (options, header list, body and header callbacks) and its outcome turned into a Response or a
// Status, shared by Send (easy API) and AsyncClient (multi API) so both behave alike.
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

}  // namespace zta::http::internal
