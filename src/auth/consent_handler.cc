// The two shipped ConsentHandlers: a loopback redirect listener (RFC 8252 §7.3) and one a web
// front end completes from its own callback route.
#include "zta/auth/consent_handler.h"

#include <iostream>

#include "redirect_waiters.h"
#include "zta/http/server.h"
#include "zta/http/web.h"

namespace zta::auth {

class WebConsentHandler::Waiters : public RedirectWaiters {};

class LoopbackConsentHandler::Impl {
 public:
  explicit Impl(LoopbackConsentOptions options) : options_(std::move(options)) {}

  Status Start() {
    http::ServerOptions server;
    server.host = options_.host;
    server.port = options_.port;
    server.threads = 1;
    auto started =
        http::HttpServer::Start(server, [this](const http::Request& r) { return Serve(r); });
    if (!started.ok()) return started.status().WithContext("loopback redirect listener");
    server_ = std::move(started).value();
    return Status::Ok();
  }

  http::Response Serve(const http::Request& r) {
    if (r.method != "GET" || r.path != options_.path) {
      return http::HtmlPage(404, "<h1>Not found</h1>");
    }
    if (!waiters_.DeliverByQuery(r.query, /*to_only_waiter=*/true)) {
      return http::HtmlPage(400,
                            "<h1>No sign-in is waiting for this answer</h1>"
                            "<p>Start again from the application.</p>");
    }
    return http::HtmlPage(200,
                          "<h1>Done</h1><p>You can close this window and return to the "
                          "application.</p>");
  }

  std::string RedirectUri() const {
    const bool v6 = options_.host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + options_.host + "]" : options_.host) + ":" +
           std::to_string(server_->port()) + options_.path;
  }

  Result<std::string> Await(const ConsentRequest& request, std::chrono::milliseconds timeout) {
    waiters_.Add(request.state);
    if (options_.present) {
      options_.present(request);
    } else {
      std::ostream& out = options_.out != nullptr ? *options_.out : std::cerr;
      out << "Open this URL to approve: " << request.authorization_url << std::endl;
    }
    return waiters_.Wait(request.state, timeout);
  }

  int port() const { return server_->port(); }

 private:
  const LoopbackConsentOptions options_;
  RedirectWaiters waiters_;
  std::unique_ptr<http::HttpServer> server_;  // last: stops before waiters_ goes
};

Result<std::unique_ptr<LoopbackConsentHandler>> LoopbackConsentHandler::Start(
    LoopbackConsentOptions options) {
  if (options.host != "127.0.0.1" && options.host != "::1" && options.host != "localhost") {
    return InvalidArgument("the loopback consent listener listens on 127.0.0.1 or ::1 only");
  }
  if (options.host == "localhost") options.host = "127.0.0.1";  // RFC 8252 §8.3: not "localhost"
  if (options.path.empty() || options.path.front() != '/') {
    return InvalidArgument("the redirect path must start with '/'");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  ZTA_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<LoopbackConsentHandler>(new LoopbackConsentHandler(std::move(impl)));
}

LoopbackConsentHandler::LoopbackConsentHandler(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
LoopbackConsentHandler::~LoopbackConsentHandler() = default;
std::string LoopbackConsentHandler::RedirectUri() const { return impl_->RedirectUri(); }
int LoopbackConsentHandler::port() const { return impl_->port(); }
Result<std::string> LoopbackConsentHandler::AwaitRedirect(const ConsentRequest& request,
                                                          std::chrono::milliseconds timeout) {
  return impl_->Await(request, timeout);
}

WebConsentHandler::WebConsentHandler(std::string redirect_uri, ConsentPresenter present)
    : redirect_uri_(std::move(redirect_uri)),
      present_(std::move(present)),
      waiters_(std::make_unique<Waiters>()) {}
WebConsentHandler::~WebConsentHandler() = default;

Result<std::string> WebConsentHandler::AwaitRedirect(const ConsentRequest& request,
                                                     std::chrono::milliseconds timeout) {
  waiters_->Add(request.state);
  if (present_) present_(request);
  return waiters_->Wait(request.state, timeout);
}

bool WebConsentHandler::Complete(std::string_view state, std::string_view query) {
  return waiters_->Deliver(state, query);
}

bool WebConsentHandler::Complete(std::string_view query) {
  return waiters_->DeliverByQuery(query, /*to_only_waiter=*/false);
}

size_t WebConsentHandler::waiting() const { return waiters_->size(); }

}  // namespace zta::auth
