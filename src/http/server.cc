// HttpServer on Boost.Beast: an accept loop and one session per connection, each reading a
// bounded request, calling the handler on an I/O thread and writing the response it answers
// with, at once or later from another thread.
#include "zta/http/server.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "zta/http/protocol.h"
#include "zta/core/mutex.h"

namespace zta::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// After an error response the server stops reading requests but keeps draining what the client
// still sends, for at most this long and this much, before closing. Closing a socket with unread
// input makes the kernel send RST, which can destroy the error response before the client reads
// it (RFC 9112 §9.6: a server should close in stages).
constexpr auto kMaxLinger = std::chrono::seconds(2);
constexpr size_t kMaxLingerBytes = 1 << 20;

// After accept() fails (e.g. EMFILE), wait this long before accepting again rather than spin.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);

// State shared by the listener and every session. Sessions hold it by shared_ptr, so it outlives
// the last of them however the io_context is torn down.
struct ServerState {
  ServerOptions options;
  // Set when options name a certificate and key: every connection is TLS.
  std::unique_ptr<asio::ssl::context> tls;
  AsyncHandler handler;
  std::atomic<int> open_connections{0};
  std::atomic<int64_t> accepted_connections{0};
  // Requests whose answer (and every reference to it) is still held by a handler; Stop() waits
  // for them while the I/O threads run.
  std::atomic<int> answers_owed{0};
  // Answers are posted to the io_context only while it runs: Stop() clears this under the
  // mutex before it destroys the io_context, so a late answer is dropped, never posted to a
  // dead executor.
  Mutex post_mu;
  bool accepting_answers ZTA_GUARDED_BY(post_mu) = true;
  // The io_context every session's socket belongs to. Each Exchange holds a strong reference,
  // so an answer a handler keeps past Stop() (which waits only 5 s) still has a live
  // io_context when it finally lets go of its session and the socket is closed.
  std::weak_ptr<asio::io_context> io_context;
  // How to close each live session's socket, by session: Stop() closes every connection
  // once the I/O threads are joined, even when a held answer keeps the io_context (and with it
  // the sessions parked in its handlers) alive.
  Mutex sessions_mu;
  std::unordered_map<const void*, std::function<void()>> session_closers
      ZTA_GUARDED_BY(sessions_mu);
};

std::string_view ToStd(beast::string_view s) { return {s.data(), s.size()}; }

// RFC 9110 §5.5: CR, LF and NUL are never valid in a field value. A handler that copies user
// input into a header must not be able to inject fields or split the response.
bool IsSafeFieldValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// The IMF-fixdate (FormatHttpDate) of the current second, formatted once per second per I/O
// thread (the field has one-second resolution; every response carries it).
const std::string& CurrentHttpDate() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  const auto now = std::chrono::system_clock::now();
  const std::time_t second = std::chrono::system_clock::to_time_t(now);
  if (second != cached_second) {
    cached = FormatHttpDate(static_cast<int64_t>(second));
    cached_second = second;
  }
  return cached;
}

// OAuth-style error body (RFC 6749 §5.2 shape), used for the errors the server itself produces.
Response ErrorResponse(int status, std::string_view error, std::string_view description) {
  return Response::Json(status, Json{{"error", error}, {"error_description", description}});
}

// Splits a request-target into path and query. RFC 9112 §3.2: origin-form is the norm,
// absolute-form must be accepted, asterisk-form is for OPTIONS only. Returns false when the
// target is none of those.
bool SplitTarget(std::string_view target, std::string& path, std::string& query) {
  std::string_view origin_form;
  std::string absolute_target;
  if (!target.empty() && target.front() == '/') {
    origin_form = target;
  } else if (target == "*") {
    path = "*";
    query.clear();
    return true;
  } else {
    auto url = ParseUrl(target);
    if (!url.ok()) return false;
    absolute_target = url->target;
    origin_form = absolute_target;
  }
  size_t q = origin_form.find('?');
  path = std::string(origin_form.substr(0, q));
  query = q == std::string_view::npos ? std::string() : std::string(origin_form.substr(q + 1));
  return true;
}

// One TCP connection: read a request, answer it, repeat while keep-alive holds. Every step runs
// on the connection's strand, so the session's members need no lock.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<ServerState> state)
      : stream_(MakeStream(std::move(socket), *state)), state_(std::move(state)) {
    beast::error_code ec;
    // A response is one write; Nagle's algorithm would only hold its tail back waiting for the
    // client's delayed ACK of the previous one.
    Lowest().socket().set_option(tcp::no_delay(true), ec);
    tcp::endpoint peer = Lowest().socket().remote_endpoint(ec);
    if (!ec) {
      asio::ip::address address = peer.address();
      // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; report them as IPv4 so rate
      // limits and audit records key on one spelling.
      if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
      }
      remote_address_ = address.to_string();
    }
  }
  ~Session() {
    {
      MutexLock lock(state_->sessions_mu);
      state_->session_closers.erase(this);
    }
    state_->open_connections.fetch_sub(1);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Run() {
    {
      MutexLock lock(state_->sessions_mu);
      state_->session_closers.emplace(this, [weak = this->weak_from_this()] {
        if (auto self = weak.lock()) {
          beast::error_code ignored;
          self->Lowest().socket().close(ignored);
        }
      });
    }
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::Start, this->shared_from_this()));
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  static Stream MakeStream(tcp::socket&& socket, ServerState& state) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void Start() {
    if constexpr (kTls) {
      // The handshake shares the first request's deadline: a client that opens a connection
      // and never finishes the handshake is dropped like a slow one.
      Lowest().expires_after(std::chrono::seconds(state_->options.read_timeout_seconds));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              beast::bind_front_handler(&Session::OnHandshake,
                                                        this->shared_from_this()));
    } else {
      ReadHeader();
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) return;  // not TLS, bad certificate, timeout: nothing can be answered
    ReadHeader();
  }

  void ReadHeader() {
    const ServerOptions& options = state_->options;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(static_cast<std::uint64_t>(options.max_body_bytes));
    // One deadline for the whole request, header and body: a client trickling bytes cannot
    // hold the connection longer than read_timeout (slowloris). It also bounds keep-alive idle.
    request_deadline_ =
        std::chrono::steady_clock::now() + std::chrono::seconds(options.read_timeout_seconds);
    Lowest().expires_at(request_deadline_);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::OnHeader, this->shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    const auto& req = parser_->get();
    // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host field MUST get 400.
    if (req.version() == 11 && req.count(bhttp::field::host) != 1) {
      return SendError(400, "an HTTP/1.1 request needs exactly one Host field");
    }
    // RFC 9112 §6.3: a request Transfer-Encoding whose final coding is not chunked cannot be
    // framed; guessing would let a proxy in front and this server split the stream differently
    // (request smuggling). Beast already refuses Transfer-Encoding together with Content-Length.
    if (req.count(bhttp::field::transfer_encoding) != 0 && !parser_->chunked()) {
      return SendError(400, "unsupported Transfer-Encoding");
    }
    // RFC 9110 §10.1.1: a client sending "Expect: 100-continue" waits for a 100 before the body;
    // the size check already passed (an over-long Content-Length fails in async_read_header).
    if (!parser_->is_done() && req.version() >= 11 &&
        EqualsIgnoreCase(ToStd(req[bhttp::field::expect]), "100-continue")) {
      continue_.emplace(bhttp::status::continue_, 11);
      Lowest().expires_at(request_deadline_);
      bhttp::async_write(stream_, *continue_,
                         beast::bind_front_handler(&Session::OnContinue, this->shared_from_this()));
      return;
    }
    ReadBody();
  }

  void OnContinue(beast::error_code ec, size_t) {
    if (ec) return;  // the peer went away; the session ends
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return OnRequest();
    Lowest().expires_at(request_deadline_);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnBody, this->shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    OnRequest();
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream) {
      // The client closed between requests: a normal end of a keep-alive connection.
      beast::error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    if (ec == bhttp::error::body_limit) {
      return SendError(413, "request body larger than " +
                                std::to_string(state_->options.max_body_bytes) + " bytes");
    }
    if (ec == bhttp::error::header_limit) {
      // RFC 6585 §5: 431 Request Header Fields Too Large.
      return SendError(431, "request header larger than " +
                                std::to_string(state_->options.max_header_bytes) + " bytes");
    }
    if (ec == bhttp::error::bad_version) {
      // Beast parses only HTTP/1.0 and HTTP/1.1 (RFC 9112 §2.6); 505 names the problem.
      return SendError(505, "HTTP version not supported");
    }
    if (ec == bhttp::error::partial_message || ec == bhttp::error::short_read) {
      return;  // the client vanished mid-request; nobody to answer
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
      return SendError(400, "malformed HTTP request");
    }
    // beast::error::timeout (the stream has already closed the socket), operation_aborted,
    // connection reset: nothing can be written; dropping the last reference closes the socket.
  }

  void OnRequest() {
    auto& msg = parser_->get();
    Request request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    if (!SplitTarget(request.target, request.path, request.query)) {
      return SendError(400, "malformed request-target");
    }
    for (const auto& field : msg) {
      request.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(msg.body());
    request.remote_address = remote_address_;
    // HTTP/1.1 is persistent unless "Connection: close" (RFC 9112 §9.3). HTTP/1.0 keep-alive
    // would need "Connection: keep-alive" echoed back; such clients are rare, so they get close.
    bool keep_alive = msg.keep_alive() && msg.version() >= 11;
    bool is_head = msg.method() == bhttp::verb::head;

    auto exchange = std::make_shared<Exchange>(this->shared_from_this(), keep_alive, is_head);
    state_->answers_owed.fetch_add(1);
    InvokeHandler(request, exchange);
    // Answered inline (every synchronous handler): write now, on this strand, without a hop.
    exchange->handler_running.store(false);
    if (exchange->inline_response) {
      Send(std::move(*exchange->inline_response), keep_alive, is_head);
    }
  }

  // One request's answer, however and wherever it comes. The handler's Respond holds it; when
  // the last holder drops it unanswered, the client gets 500.
  struct Exchange {
    Exchange(std::shared_ptr<Session> s, bool keep, bool head)
        : session(std::move(s)),
          io_context(session->state_->io_context.lock()),
          keep_alive(keep),
          is_head(head),
          handler_thread(std::this_thread::get_id()) {}
    ~Exchange() {
      if (!answered.load()) Answer(ErrorResponse(500, "server_error", "internal error"));
      // Counted down only once nothing holds the session through us any more: Stop() may then
      // tear the server down. The session (and its socket) goes first, the io_context after it:
      // if Stop() gave up waiting for us, ours may be the last reference to it.
      std::shared_ptr<ServerState> state = session->state_;
      session.reset();
      // Before the count drops: while it is not 0, Stop() still holds its own reference, so a
      // normal stop always destroys the io_context itself, on its own thread.
      io_context.reset();
      state->answers_owed.fetch_sub(1);
    }

    void Answer(Response response) {
      if (answered.exchange(true)) return;
      if (handler_running.load() && std::this_thread::get_id() == handler_thread) {
        inline_response = std::move(response);  // OnRequest sends it when the handler returns
      } else {
        session->PostResponse(std::move(response), keep_alive, is_head);
      }
    }

    std::shared_ptr<Session> session;
    std::shared_ptr<asio::io_context> io_context;
    const bool keep_alive;
    const bool is_head;
    const std::thread::id handler_thread;
    std::atomic<bool> handler_running{true};
    std::atomic<bool> answered{false};
    std::optional<Response> inline_response;  // written by the handler thread only
  };

  void InvokeHandler(const Request& request, const std::shared_ptr<Exchange>& exchange) {
    try {
      state_->handler(request, [exchange](Response response) {
        exchange->Answer(std::move(response));
      });
      return;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "zta http: handler for %s %s threw: %s\n", request.method.c_str(),
                   request.path.c_str(), e.what());
    } catch (...) {
      std::fprintf(stderr, "zta http: handler for %s %s threw a non-exception\n",
                   request.method.c_str(), request.path.c_str());
    }
    exchange->Answer(ErrorResponse(500, "server_error", "internal error"));
  }

  // Keeps an answer counted as owed from when it is posted until its write has finished, so
  // Stop() cannot stop the I/O threads between the end of the Exchange (which counted it until
  // then) and the write it posted.
  struct OwedWrite {
    explicit OwedWrite(std::shared_ptr<ServerState> s) : state(std::move(s)) {
      state->answers_owed.fetch_add(1);
    }
    ~OwedWrite() { state->answers_owed.fetch_sub(1); }
    OwedWrite(const OwedWrite&) = delete;
    OwedWrite& operator=(const OwedWrite&) = delete;
    std::shared_ptr<ServerState> state;
  };

  // From any thread: writes the response on this connection's strand.
  void PostResponse(Response response, bool keep_alive, bool is_head) {
    MutexLock lock(state_->post_mu);
    if (!state_->accepting_answers) return;  // the server stopped; the connection is gone
    asio::post(stream_.get_executor(),
               [self = this->shared_from_this(), owed = std::make_shared<OwedWrite>(state_),
                response = std::move(response), keep_alive, is_head]() mutable {
                 self->owed_write_ = std::move(owed);
                 self->Send(std::move(response), keep_alive, is_head);
               });
  }

  void SendError(int status, std::string description) {
    Send(ErrorResponse(status, "invalid_request", description), /*keep_alive=*/false,
         /*is_head=*/false);
  }

  // Fills res_ from `response`. Returns false if the handler's response cannot be sent as is.
  bool BuildResponse(Response response, bool& keep_alive, bool is_head) {
    if (response.status < 200 || response.status > 599) return false;  // 1xx is not final
    for (const auto& [name, value] : response.headers.fields()) {
      if (!IsToken(name) || !IsSafeFieldValue(value)) return false;
    }
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(response.status));
    res_.set(bhttp::field::server, state_->options.server_name);
    // RFC 9110 §6.6.1: an origin server with a clock must send Date.
    res_.set(bhttp::field::date, CurrentHttpDate());
    for (const auto& [name, value] : response.headers.fields()) {
      // RFC 9112 §6: message framing belongs to the server, never to a handler.
      if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding")) {
        continue;
      }
      if (EqualsIgnoreCase(name, "Connection")) {
        if (value.find("close") != std::string::npos) keep_alive = false;
        continue;
      }
      if (EqualsIgnoreCase(name, "Server") || EqualsIgnoreCase(name, "Date")) {
        res_.set(name, value);
      } else {
        res_.insert(name, value);
      }
    }
    // RFC 9110 §15.3.5, §15.4.5: 204 and 304 never carry content.
    if (response.status == 204 || response.status == 304) response.body.clear();
    res_.body() = std::move(response.body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();  // Content-Length (RFC 9112 §6.3)
    // RFC 9110 §9.3.2: HEAD gets the GET header, Content-Length included, and no content.
    if (is_head) res_.body().clear();
    return true;
  }

  void Send(Response response, bool keep_alive, bool is_head) {
    bool built = false;
    try {
      built = BuildResponse(std::move(response), keep_alive, is_head);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "zta http: cannot serialize response: %s\n", e.what());
    }
    if (!built) {
      std::fprintf(stderr, "zta http: handler returned an invalid response; sending 500\n");
      bool ignored = keep_alive;
      if (!BuildResponse(ErrorResponse(500, "server_error", "internal error"), ignored, is_head)) {
        return;  // cannot happen: the error response is valid by construction
      }
    }
    close_after_write_ = !keep_alive;
    Lowest().expires_after(std::chrono::seconds(state_->options.read_timeout_seconds));
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&Session::OnWrite, this->shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    owed_write_.reset();  // written (or failed): Stop() need not wait for it any more
    if (ec) return;
    if (close_after_write_) return Linger();
    ReadHeader();  // buffer_ keeps any pipelined bytes for the next request
  }

  void Linger() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Lowest().expires_after(std::min<std::chrono::seconds>(
        kMaxLinger, std::chrono::seconds(state_->options.read_timeout_seconds)));
    Drain();
  }

  void Drain() {
    if (drained_ > kMaxLingerBytes) return;
    drain_buffer_.resize(16 * 1024);
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return;  // EOF, timeout or reset: done; the socket closes
                              self->drained_ += n;
                              self->Drain();
                            });
  }

  Stream stream_;
  std::shared_ptr<ServerState> state_;
  std::string remote_address_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  bhttp::response<bhttp::string_body> res_;
  std::chrono::steady_clock::time_point request_deadline_;
  std::shared_ptr<OwedWrite> owed_write_;  // the posted answer being written, if any
  bool close_after_write_ = false;
  std::vector<char> drain_buffer_;
  size_t drained_ = 0;
};

// The default number of I/O threads: the CPUs this process may run on, 1..8.
int UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 2;
  return std::clamp(n, 1, 8);
}

// Blocks the termination signals in I/O threads so they land on a thread that is waiting for
// them (WaitForTerminationSignal, or a caller's own sigwait) rather than on a handler.
void BlockTerminationSignalsInThisThread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

// Owns the io_context, the acceptor and the I/O threads. The acceptor is touched only by the
// accept handlers (one outstanding accept at a time) and by Stop() after the threads are joined.
class HttpServer::Impl {
 public:
  Impl(ServerOptions options, AsyncHandler handler)
      : state_(std::make_shared<ServerState>()), ioc_(std::make_shared<asio::io_context>()) {
    state_->options = std::move(options);
    state_->handler = std::move(handler);
    state_->io_context = ioc_;
  }

  ~Impl() {
    Stop();
    if (!threads_.empty()) {
      // Only when destroyed from one of its own handlers (a REQUIRES violation): the threads
      // cannot be joined and the io_context is still running on this stack, so both are
      // abandoned rather than destroyed under our feet.
      for (auto& t : threads_) t.detach();
      acceptor_.release();
      retry_timer_.release();
      (void)new std::shared_ptr<asio::io_context>(std::move(ioc_));  // abandoned, never freed
    }
  }

  Status Listen() {
    const ServerOptions& options = state_->options;
    beast::error_code ec;
    ZTA_RETURN_IF_ERROR(LoadTls());
    tcp::resolver resolver(*ioc_);
    auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || endpoints.empty()) {
      return InvalidArgument("cannot resolve listen address '" + options.host +
                             "': " + (ec ? ec.message() : std::string("no address")));
    }
    tcp::endpoint endpoint = endpoints.begin()->endpoint();
    std::string where = options.host + ":" + std::to_string(options.port);

    acceptor_ = std::make_unique<tcp::acceptor>(*ioc_);
    acceptor_->open(endpoint.protocol(), ec);
    if (ec) return Unavailable("cannot open socket for " + where + ": " + ec.message());
    // Lets a restarted server bind while old connections sit in TIME_WAIT.
    acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return Unavailable("cannot set SO_REUSEADDR for " + where + ": " + ec.message());
    acceptor_->bind(endpoint, ec);
    if (ec) return Unavailable("cannot bind " + where + ": " + ec.message());
    acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Unavailable("cannot listen on " + where + ": " + ec.message());
    tcp::endpoint local = acceptor_->local_endpoint(ec);
    if (ec) return Internal("cannot read the bound port: " + ec.message());
    port_ = local.port();
    retry_timer_ = std::make_unique<asio::steady_timer>(*ioc_);
    return Status::Ok();
  }

  void StartThreads() {
    work_.emplace(asio::make_work_guard(*ioc_));
    DoAccept();
    int threads = state_->options.threads > 0 ? state_->options.threads : UsableCpus();
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { RunIoThread(); });
    }
  }

  void Stop() {
    MutexLock lock(stop_mu_);
    if (stopped_) return;
    if (OnIoThread()) {
      // Cannot join ourselves (REQUIRES violation); stop the loop and leave the rest undone.
      ioc_->stop();
      return;
    }
    stopped_ = true;
    // Let answers still owed by asynchronous handlers (e.g. waiting for an audit commit) reach
    // their clients while the I/O threads run, then refuse later ones.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (state_->answers_owed.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    {
      MutexLock post_lock(state_->post_mu);
      state_->accepting_answers = false;
    }
    ioc_->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    // Close every connection now, with no thread running: destroying the io_context below does
    // that too, unless an answer still owed keeps it alive; then the other clients would hang.
    std::vector<std::function<void()>> closers;
    {
      MutexLock sessions_lock(state_->sessions_mu);
      for (auto& [id, close] : state_->session_closers) closers.push_back(close);
    }
    for (auto& close : closers) close();
    // No thread runs the io_context now, so these can be torn down from here. Destroying the
    // io_context destroys every pending handler and with it every session and its socket. An
    // answer still owed after the wait keeps the io_context alive (Exchange::io_context) until
    // its handler lets go of it; that answer is dropped (accepting_answers is false).
    work_.reset();
    beast::error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
    retry_timer_.reset();
    acceptor_.reset();
    ioc_.reset();
  }

  int port() const { return port_; }
  const std::string& host() const { return state_->options.host; }
  bool tls() const { return state_->tls != nullptr; }
  int64_t accepted_connections() const { return state_->accepted_connections.load(); }

 private:
  // A TLS server context from the options' PEM files: TLS 1.2 or later, the key checked against
  // the certificate, so a mismatched pair fails at start rather than at the first handshake.
  Status LoadTls() {
    const ServerOptions& options = state_->options;
    if (options.tls_certificate_file.empty() && options.tls_private_key_file.empty()) {
      return Status::Ok();
    }
    if (options.tls_certificate_file.empty() || options.tls_private_key_file.empty()) {
      return InvalidArgument("TLS needs both a certificate file and a private key file");
    }
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);
    beast::error_code ec;
    ctx->use_certificate_chain_file(options.tls_certificate_file, ec);
    if (ec) {
      return FailedPrecondition("cannot load TLS certificate " + options.tls_certificate_file +
                                ": " + ec.message());
    }
    ctx->use_private_key_file(options.tls_private_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return FailedPrecondition("cannot load TLS private key " + options.tls_private_key_file +
                                ": " + ec.message());
    }
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return FailedPrecondition("the TLS private key does not match the certificate");
    }
    state_->tls = std::move(ctx);
    return Status::Ok();
  }

  bool OnIoThread() const {
    for (const auto& t : threads_) {
      if (t.get_id() == std::this_thread::get_id()) return true;
    }
    return false;
  }

  void RunIoThread() {
    BlockTerminationSignalsInThisThread();
    // Handlers catch their own exceptions; this is the last line so an unexpected throw from
    // Beast or Asio costs one connection, not the process.
    for (;;) {
      try {
        ioc_->run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "zta http: I/O thread caught: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "zta http: I/O thread caught a non-exception\n");
      }
    }
  }

  void DoAccept() {
    // Each connection gets its own strand: its handlers never run concurrently.
    acceptor_->async_accept(
        asio::make_strand(*ioc_),
        [this](beast::error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      retry_timer_->expires_after(kAcceptRetryDelay);
      retry_timer_->async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) DoAccept();
      });
      return;
    }
    state_->accepted_connections.fetch_add(1);
    if (state_->open_connections.fetch_add(1) >= state_->options.max_connections) {
      state_->open_connections.fetch_sub(1);
      beast::error_code ignored;
      socket.close(ignored);  // over the limit: shed load before reading a byte
    } else {
      if (state_->tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket),
                                                                        state_)
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), state_)->Run();
      }
    }
    DoAccept();
  }

  std::shared_ptr<ServerState> state_;
  // Declared first among the Asio objects: everything below is reset before it in Stop().
  std::shared_ptr<asio::io_context> ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<asio::steady_timer> retry_timer_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  Mutex stop_mu_;
  bool stopped_ ZTA_GUARDED_BY(stop_mu_) = false;
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(ServerOptions options, Handler handler) {
  if (!handler) return InvalidArgument("HttpServer needs a handler");
  return StartAsync(std::move(options),
                    [handler = std::move(handler)](const Request& request, Respond respond) {
                      respond(handler(request));
                    });
}

Result<std::unique_ptr<HttpServer>> HttpServer::StartAsync(ServerOptions options,
                                                           AsyncHandler handler) {
  if (!handler) return InvalidArgument("HttpServer needs a handler");
  if (options.port < 0 || options.port > 65535) {
    return InvalidArgument("port must be in [0, 65535], got " + std::to_string(options.port));
  }
  if (options.threads < 0) return InvalidArgument("threads must be 0 (one per CPU) or more");
  if (options.max_connections < 1) return InvalidArgument("max_connections must be at least 1");
  if (options.read_timeout_seconds < 1) {
    return InvalidArgument("read_timeout_seconds must be at least 1");
  }
  if (options.max_header_bytes < 64) return InvalidArgument("max_header_bytes must be >= 64");
  if (options.max_header_bytes > std::numeric_limits<std::uint32_t>::max()) {
    return InvalidArgument("max_header_bytes is too large");
  }
  if (!IsSafeFieldValue(options.server_name)) {
    return InvalidArgument("server_name must not contain CR, LF or NUL");
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  try {
    ZTA_RETURN_IF_ERROR(impl->Listen());
    impl->StartThreads();
  } catch (const std::exception& e) {  // std::system_error from thread creation, bad_alloc
    return Internal(std::string("cannot start HTTP server: ") + e.what());
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() = default;  // ~Impl stops and joins

int HttpServer::port() const { return impl_->port(); }

const std::string& HttpServer::host() const { return impl_->host(); }

std::string HttpServer::BaseUrl() const {
  std::string host = impl_->host();
  // A wildcard address is where to listen, not where to connect: point at loopback instead.
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::" || host == "[::]") host = "::1";
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return (impl_->tls() ? "https://" : "http://") + host + ":" + std::to_string(impl_->port());
}

int64_t HttpServer::accepted_connections() const { return impl_->accepted_connections(); }

void HttpServer::Stop() { impl_->Stop(); }

// WaitForTerminationSignal: a self-pipe. The handler only write()s (async-signal-safe), and it
// runs on whichever thread the kernel picks, so no thread's signal mask needs to cooperate.
namespace {

int g_signal_pipe[2] = {-1, -1};

extern "C" void OnTerminationSignal(int signal_number) {
  int saved_errno = errno;
  unsigned char byte = static_cast<unsigned char>(signal_number);
  ssize_t ignored = write(g_signal_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved_errno;
}

int WaitWithSigwait(const sigset_t& set) {
  // Fallback when no pipe can be made: correct if the caller blocked both signals in every
  // thread; otherwise a signal may still take its default action elsewhere.
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &set, &old_mask);
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  return signal_number;
}

}  // namespace

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);

  static std::once_flag once;
  static bool have_pipe = false;
  std::call_once(once, [] { have_pipe = pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) == 0; });
  if (!have_pipe) return WaitWithSigwait(set);

  unsigned char byte = 0;
  while (read(g_signal_pipe[0], &byte, 1) == 1) {
  }  // forget signals from an earlier wait

  struct sigaction action {};
  action.sa_handler = OnTerminationSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  struct sigaction old_int {};
  struct sigaction old_term {};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  // A caller that blocked the signals (e.g. for its own sigwait) leaves them pending; unblocking
  // them here lets them be delivered to this thread and reach the handler.
  sigset_t old_mask;
  pthread_sigmask(SIG_UNBLOCK, &set, &old_mask);

  int signal_number = 0;
  bool poll_failed = false;
  while (signal_number == 0 && !poll_failed) {
    pollfd pfd{g_signal_pipe[0], POLLIN, 0};
    poll_failed = poll(&pfd, 1, -1) < 0 && errno != EINTR;
    if (read(g_signal_pipe[0], &byte, 1) == 1) signal_number = byte;
  }

  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return signal_number != 0 ? signal_number : WaitWithSigwait(set);
}

}  // namespace zta::http
