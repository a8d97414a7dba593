// Test helpers for zta::http: a raw loopback TCP connection (to send what no well-behaved client
// would), a one-shot raw HTTP responder (to return what no well-behaved server would) and a port
// that refuses connections.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "zta/http/message.h"

namespace zta::http::testing {

// A handler that answers with what it received: method, target, body, the Authorization
// fields, X-Empty and whether Expect was sent; and an X-Reply header padded with spaces (to
// see the client trim it). For client tests of what arrives as sent.
inline Response EchoRequest(const Request& r) {
  Response resp = Response::Json(200, zta::Json{{"method", r.method},
                                                {"target", r.target},
                                                {"body", r.body},
                                                {"auth", r.headers.GetAll("authorization")},
                                                {"empty", r.headers.Get("x-empty").value_or("?")},
                                                {"expect", r.headers.Has("expect")}});
  resp.headers.Add("X-Reply", "  padded value  ");
  return resp;
}

// The Content-Length of a header block (0 when absent); test peers only, no validation.
inline size_t ContentLength(std::string head) {
  for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = head.find("content-length:");
  return at == std::string::npos ? 0 : std::stoul(head.substr(at + 15));
}

// A blocking TCP connection to 127.0.0.1:port with a receive timeout. Not thread-safe.
class RawConnection {
 public:
  explicit RawConnection(
      int port, std::chrono::milliseconds receive_timeout = std::chrono::milliseconds(5000)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{};
    tv.tv_sec = receive_timeout.count() / 1000;
    tv.tv_usec = (receive_timeout.count() % 1000) * 1000;
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  // Sends everything; false if the peer closed or reset.
  bool Write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // How a read ended.
  enum class End { kData, kEof, kTimeout, kError };

  // Reads until EOF, timeout or error; returns what arrived. `end` says why it stopped.
  std::string ReadToEnd(End* end = nullptr) {
    std::string out;
    End why = End::kEof;
    for (;;) {
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) {
        why = End::kEof;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        why = End::kTimeout;
      } else {
        why = End::kError;  // e.g. ECONNRESET
      }
      break;
    }
    if (end != nullptr) *end = why;
    return out;
  }

  // Reads one response with a Content-Length body (what HttpServer always sends).
  // Returns "" on EOF/timeout before a complete response.
  std::string ReadResponse() {
    for (;;) {
      size_t header_end = pending_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        size_t total = header_end + 4 + ContentLength(pending_.substr(0, header_end));
        if (pending_.size() >= total) {
          std::string response = pending_.substr(0, total);
          pending_.erase(0, total);
          return response;
        }
      }
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return "";
      pending_.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

// Listens on an ephemeral loopback port; Serve() answers one connection with `reply` bytes
// after reading the request (header, and a Content-Length body), then closes. Given several
// parts, sends them in order and calls between(i) after part i (to hold the rest back until the
// client has shown what it did with the first). Not thread-safe; Serve() runs on its own thread.
class RawResponder {
 public:
  explicit RawResponder(std::string reply)
      : RawResponder(std::vector<std::string>{std::move(reply)}) {}
  RawResponder(std::vector<std::string> parts, std::function<void(size_t)> between = {})
      : parts_(std::move(parts)), between_(std::move(between)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 4);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawResponder() {
    shutdown(fd_, SHUT_RDWR);  // unblocks accept() if no client came
    thread_.join();
    close(fd_);
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  void Serve() {
    int client = accept(fd_, nullptr, nullptr);
    if (client < 0) return;
    std::string request;
    char buf[4096];
    size_t header_end = std::string::npos;
    while ((header_end = request.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(client, buf, sizeof(buf), 0);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    // Read the body too: closing with unread bytes would reset the connection.
    if (header_end != std::string::npos) {
      size_t length = ContentLength(request.substr(0, header_end));
      while (request.size() < header_end + 4 + length) {
        ssize_t n = recv(client, buf, sizeof(buf), 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
    }
    for (size_t i = 0; i < parts_.size(); ++i) {
      std::string_view out = parts_[i];
      while (!out.empty()) {
        ssize_t n = send(client, out.data(), out.size(), MSG_NOSIGNAL);
        if (n <= 0) break;
        out.remove_prefix(static_cast<size_t>(n));
      }
      if (i + 1 < parts_.size() && between_) between_(i);
    }
    close(client);
  }

  std::vector<std::string> parts_;
  std::function<void(size_t)> between_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// A loopback port that is bound but not listening: connecting to it is refused, and nobody
// else can take it while the test runs. Not thread-safe.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace zta::http::testing
