// internal::CurlTransfer: the one place a libcurl transfer is configured for a ClientRequest and
// its outcome turned into a Response or a Status, for Send (easy API) and AsyncClient (multi).
#include "curl_transfer.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace zta::http {
namespace {

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

}  // namespace

// What the write and header callbacks fill in during one transfer, and what libcurl points to.
struct internal::CurlTransfer::State {
  CURL* curl = nullptr;
  const ClientRequest* request = nullptr;
  std::string what;  // Describe(): for error messages
  std::string body;
  bool body_too_large = false;
  Headers headers;
  bool cancelled = false;
  CurlHeaderList header_list;
  char error_buffer[CURL_ERROR_SIZE] = {0};
};

namespace {

using TransferState = internal::CurlTransfer::State;

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<TransferState*>(user);
  size_t n = size * count;
  if (transfer->body.size() + n > transfer->request->max_response_bytes) {
    transfer->body_too_large = true;
    return 0;  // any value other than n aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, n);
  if (transfer->request->on_body_piece) {
    long status = 0;
    curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &status);
    if (!transfer->request->on_body_piece(static_cast<int>(status), std::string_view(data, n))) {
      transfer->cancelled = true;
      return 0;
    }
  }
  return n;
}

// curl calls this once per header line, status line included, for every response it reads
// (interim 1xx ones too), so a status line starts a fresh field list.
size_t OnHeaderLine(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<TransferState*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    transfer->headers = Headers();
    return n;
  }
  // RFC 9112 §5.5 (and §2.2): a bare CR inside a field line is not a line break; a recipient
  // that passed it on could split one field into two (response splitting). Refuse the response.
  std::string_view content = line;
  if (content.ends_with('\n')) content.remove_suffix(1);
  if (content.ends_with('\r')) content.remove_suffix(1);
  if (content.find('\r') != std::string_view::npos) return 0;  // aborts: CURLE_WRITE_ERROR
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return n;  // blank line ending the block
  std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) return n;
  transfer->headers.Add(std::string(name), std::string(TrimOws(content.substr(colon + 1))));
  return n;
}

// Where a request went, for error messages: origin and path, never the query (which might carry
// a code or a token) and never the headers.
std::string Describe(const std::string& method, const Url& url) {
  std::string path = url.target.substr(0, url.target.find('?'));
  return method + " " + url.Origin() + path;
}

Status TransportError(CURLcode code, const char* detail, const std::string& what,
                      bool body_too_large, size_t max_body) {
  std::string message = what + ": " + curl_easy_strerror(code);
  if (detail[0] != '\0') {
    message += " (";
    message += detail;
    message += ")";
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Status(StatusCode::kDeadlineExceeded, what + ": timed out", "timeout");
    case CURLE_FILESIZE_EXCEEDED:
      body_too_large = true;
      break;
    case CURLE_WRITE_ERROR:
      break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return InvalidArgument(message);
    default:
      break;
  }
  if (body_too_large) {
    return Status(StatusCode::kUnavailable,
                  what + ": response body larger than " + std::to_string(max_body) + " bytes",
                  "response_too_large");
  }
  // Refused, DNS, reset, TLS: the peer could not be reached or did not answer; retrying may help.
  return Unavailable(message);
}

}  // namespace

Status internal::CurlTransfer::GlobalInit() {
  // curl_global_init is not thread-safe and must run before any other curl call.
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result == CURLE_OK ? Status::Ok() : Internal("curl_global_init failed");
}

internal::CurlTransfer::CurlTransfer(std::unique_ptr<State> state) : state_(std::move(state)) {}
internal::CurlTransfer::CurlTransfer(CurlTransfer&& other) noexcept = default;

internal::CurlTransfer::~CurlTransfer() {
  if (state_ == nullptr) return;  // moved from
  // The handle may outlive this transfer (Send's is per thread); the list and the buffer go now.
  curl_easy_setopt(state_->curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(state_->curl, CURLOPT_ERRORBUFFER, nullptr);
}

namespace {

// RFC 9110 §5.5, §9.1: the request is one we may send at all; returns what Describe() says of it.
Result<std::string> CheckRequest(const ClientRequest& request, const Url& url) {
  if (!IsToken(request.method)) {
    return InvalidArgument("HTTP method is not a token: '" + request.method + "'");
  }
  std::string what = Describe(request.method, url);
  for (const auto& [name, value] : request.headers.fields()) {
    // RFC 9110 §5.5: no CR/LF/NUL, or a caller could inject fields into the request.
    if (!IsToken(name) || value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return InvalidArgument(what + ": invalid header field '" + name + "'");
    }
  }
  if (request.timeout.count() <= 0) {
    return Status(StatusCode::kDeadlineExceeded, what + ": no time left", "timeout");
  }
  return what;
}

// The request's fields as curl's header list in `state`.
Status BuildHeaderList(const ClientRequest& request, TransferState& state) {
  // Field lines in curl's syntax: "Name: value", and "Name;" for an empty value ("Name:" alone
  // would tell curl to drop one of its own headers).
  auto append = [&state](const std::string& line) {
    // Returns the head of the list: the old head once the list is non-empty.
    curl_slist* head = curl_slist_append(state.header_list.get(), line.c_str());
    if (head == nullptr) return false;
    if (!state.header_list) state.header_list.reset(head);
    return true;
  };
  bool ok = true;
  for (const auto& [name, value] : request.headers.fields()) {
    ok = ok && append(value.empty() ? name + ";" : name + ": " + value);
  }
  // curl sends "Expect: 100-continue" for larger bodies and then waits up to a second for the
  // interim response; requests here are small, so skip the extra round trip.
  if (!request.headers.Has("Expect")) ok = ok && append("Expect:");
  // libcurl labels a body it sends with no Content-Type as a form
  // (application/x-www-form-urlencoded): the receiver would then parse a body nobody said was a
  // form, which the gateway never inspected as one. "Content-Type:" turns that default off.
  if (!request.headers.Has("Content-Type")) ok = ok && append("Content-Type:");
  return ok ? Status::Ok() : Internal("curl_slist_append failed");
}

// Every option of the transfer on `curl`; false when libcurl refused one.
bool SetOptions(CURL* curl, const ClientRequest& request, TransferState& state) {
  bool setup_ok = true;
  auto set = [&setup_ok](CURLcode rc) { setup_ok = setup_ok && rc == CURLE_OK; };
  set(curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str()));
  // zta builds every URL itself (a route's upstream plus the checked request target, a tool's
  // URL template plus escaped arguments): the path must go out as built. Without this libcurl
  // resolves "/../" and "/./" (RFC 3986 §5.2.4), so a ".." that reached a path segment would
  // move the request to a different resource than the one that was authorized.
  set(curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L));
  set(curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, state.error_buffer));
  // Only http(s), also on redirects (which are not followed anyway): a URL from configuration
  // or from a peer must never reach file://, gopher:// or the like.
  set(curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L));
  // No SIGALRM-based timeouts: signals and a multi-threaded process do not mix.
  set(curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count())));
  set(curl_easy_setopt(curl, CURLOPT_USERAGENT, "zta"));
  // The handle may be reused: always set the CA file, back to the default when empty.
  set(curl_easy_setopt(curl, CURLOPT_CAINFO,
                       request.ca_file.empty() ? nullptr : request.ca_file.c_str()));
  set(curl_easy_setopt(curl, CURLOPT_HTTPHEADER, state.header_list.get()));
  set(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody));
  set(curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state));
  set(curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeaderLine));
  set(curl_easy_setopt(curl, CURLOPT_HEADERDATA, &state));
  // Refuses early when Content-Length already says too much; OnBody catches the rest.
  set(curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.max_response_bytes)));

  if (request.method == "HEAD") {
    set(curl_easy_setopt(curl, CURLOPT_NOBODY, 1L));
  } else if (request.method == "GET" && request.body.empty()) {
    set(curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L));
  } else {
    if (request.method == "POST" || !request.body.empty()) {
      // The body is sent from request.body in place; it outlives the transfer.
      set(curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(request.body.size())));
      set(curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data()));
    }
    if (request.method != "POST") {
      set(curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
    }
  }
  return setup_ok;
}

}  // namespace

Result<internal::CurlTransfer> internal::CurlTransfer::Prepare(const ClientRequest& request,
                                                               void* easy) {
  ZTA_ASSIGN_OR_RETURN(Url url, ParseUrl(request.url));
  ZTA_ASSIGN_OR_RETURN(std::string what, CheckRequest(request, url));
  if (easy == nullptr) return Internal("curl_easy_init failed");
  CURL* curl = static_cast<CURL*>(easy);
  curl_easy_reset(curl);

  auto state = std::make_unique<State>();
  state->curl = curl;
  state->request = &request;
  state->what = std::move(what);
  ZTA_RETURN_IF_ERROR(BuildHeaderList(request, *state));
  bool setup_ok = SetOptions(curl, request, *state);
  // Built before the check so that its destructor unhooks what was set.
  CurlTransfer transfer(std::move(state));
  if (!setup_ok) return Internal(transfer.state_->what + ": cannot configure libcurl");
  return transfer;
}

Result<Response> internal::CurlTransfer::Finish(int code) {
  State& state = *state_;
  if (state.cancelled) {
    return Status(StatusCode::kUnavailable, state.what + ": stopped by the body reader",
                  "stopped_by_reader");
  }
  auto rc = static_cast<CURLcode>(code);
  if (rc != CURLE_OK) {
    return TransportError(rc, state.error_buffer, state.what, state.body_too_large,
                          state.request->max_response_bytes);
  }
  long status = 0;
  curl_easy_getinfo(state.curl, CURLINFO_RESPONSE_CODE, &status);
  Response response;
  response.status = static_cast<int>(status);
  response.headers = std::move(state.headers);
  response.body = std::move(state.body);
  return response;
}

}  // namespace zta::http
