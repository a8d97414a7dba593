// Tests for HttpServer over loopback: round trips, keep-alive, size limits, malformed input,
// failing handlers, slow clients, the connection limit, lifecycle and signals.
#include "zta/http/server.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"
#include "zta/http/client.h"

namespace zta::http {
namespace {

using testing::RawConnection;
using namespace std::chrono_literals;

ClientRequest GetRequest(std::string url) {
  ClientRequest request;
  request.url = std::move(url);
  return request;
}

// Answers with a JSON echo of what the server parsed.
Response Echo(const Request& r) {
  Json headers = Json::object();
  for (const auto& [name, value] : r.headers.fields()) headers[name] = value;
  return Response::Json(200, Json{{"method", r.method},
                                  {"target", r.target},
                                  {"path", r.path},
                                  {"query", r.query},
                                  {"body", r.body},
                                  {"remote", r.remote_address},
                                  {"x_test", r.headers.Get("x-test").value_or("")}});
}

std::unique_ptr<HttpServer> StartServer(Handler handler, ServerOptions options = {}) {
  auto server = HttpServer::Start(std::move(options), std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(server).value() : nullptr;
}

Json ParseBody(const Response& r) {
  auto json = ParseJsonStrict(r.body);
  EXPECT_TRUE(json.ok()) << json.status() << " in " << r.body;
  return json.ok() ? *json : Json();
}

// A GET with a query and a custom header reaches the handler split into its parts.
TEST(HttpServerTest, GetRoundTrip) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  EXPECT_EQ(server->BaseUrl(), "http://127.0.0.1:" + std::to_string(server->port()));

  ClientRequest req;
  req.url = server->BaseUrl() + "/things/a%20b?x=1&y=two";
  req.headers.Add("X-Test", "hello");
  auto resp = Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->headers.Get("content-type"), "application/json");
  EXPECT_EQ(resp->headers.Get("server"), "zta");
  EXPECT_TRUE(resp->headers.Get("date").has_value());
  Json body = ParseBody(*resp);
  EXPECT_EQ(body["method"], "GET");
  EXPECT_EQ(body["target"], "/things/a%20b?x=1&y=two");
  EXPECT_EQ(body["path"], "/things/a%20b");
  EXPECT_EQ(body["query"], "x=1&y=two");
  EXPECT_EQ(body["x_test"], "hello");
  EXPECT_EQ(body["remote"], "127.0.0.1");
  EXPECT_EQ(body["body"], "");
}

// A POST body arrives whole; the response body and status come back unchanged.
TEST(HttpServerTest, PostRoundTrip) {
  auto server = StartServer([](const Request& r) {
    Response resp = Response::Text(201, "got " + std::to_string(r.body.size()) + " " + r.method);
    resp.headers.Add("X-Multi", "1");
    resp.headers.Add("X-Multi", "2");
    return resp;
  });
  ASSERT_NE(server, nullptr);
  ClientRequest req;
  req.method = "POST";
  req.url = server->BaseUrl() + "/token";
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  req.body = std::string(20000, 'x');  // above curl's 100-continue threshold
  auto resp = Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->body, "got 20000 POST");
  EXPECT_EQ(resp->headers.GetAll("x-multi"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(resp->headers.Get("content-length"), "14");
}

// HEAD gets the GET header, including Content-Length, without the body (RFC 9110 §9.3.2).
TEST(HttpServerTest, HeadHasNoBody) {
  auto server = StartServer([](const Request&) { return Response::Text(200, "0123456789"); });
  ASSERT_NE(server, nullptr);
  RawConnection conn(server->port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.Write("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string raw = conn.ReadToEnd();
  EXPECT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw;
  EXPECT_NE(raw.find("Content-Length: 10\r\n"), std::string::npos) << raw;
  EXPECT_EQ(raw.substr(raw.size() - 4), "\r\n\r\n") << raw;  // nothing after the header
}

// Sequential client requests reuse one connection: the server accepts exactly once.
TEST(HttpServerTest, ClientKeepAliveReusesConnection) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  std::thread worker([&] {  // a fresh thread: a fresh curl handle with an empty cache
    for (int i = 0; i < 20; ++i) {
      ClientRequest req;
      req.method = i % 2 ? "POST" : "GET";
      req.body = i % 2 ? "body" : "";
      req.url = server->BaseUrl() + "/n?i=" + std::to_string(i);
      auto resp = Send(req);
      ASSERT_TRUE(resp.ok()) << resp.status();
      EXPECT_EQ(resp->status, 200);
    }
  });
  worker.join();
  EXPECT_EQ(server->accepted_connections(), 1);
}

// Pipelined requests on one raw connection are answered in order; "Connection: close" ends it.
TEST(HttpServerTest, PipelinedRequestsAndConnectionClose) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  RawConnection conn(server->port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(
      conn.Write("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                 "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                 "GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string first = conn.ReadResponse();
  std::string second = conn.ReadResponse();
  std::string third = conn.ReadResponse();
  EXPECT_NE(first.find("\"path\":\"/one\""), std::string::npos) << first;
  EXPECT_NE(second.find("\"body\":\"abc\""), std::string::npos) << second;
  EXPECT_NE(third.find("\"path\":\"/three\""), std::string::npos) << third;
  EXPECT_NE(third.find("Connection: close"), std::string::npos) << third;
  RawConnection::End end;
  EXPECT_EQ(conn.ReadToEnd(&end), "");
  EXPECT_EQ(end, RawConnection::End::kEof);
  EXPECT_EQ(server->accepted_connections(), 1);
}

// A body over max_body_bytes gets 413 with an OAuth-style JSON error, then the connection closes.
TEST(HttpServerTest, OversizedBodyIs413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  std::atomic<int> calls{0};
  auto server = StartServer(
      [&](const Request&) {
        ++calls;
        return Response::Text(200, "ok");
      },
      options);
  ASSERT_NE(server, nullptr);

  RawConnection conn(server->port());
  ASSERT_TRUE(conn.connected());
  std::string body(100000, 'b');
  conn.Write("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n\r\n" + body);
  std::string raw = conn.ReadToEnd();
  EXPECT_EQ(raw.rfind("HTTP/1.1 413", 0), 0u) << raw.substr(0, 200);
  EXPECT_NE(raw.find("\"error\":\"invalid_request\""), std::string::npos) << raw;
  EXPECT_NE(raw.find("error_description"), std::string::npos) << raw;

  // Chunked bodies are bounded too, and the client sees the same 413.
  ClientRequest req;
  req.method = "POST";
  req.url = server->BaseUrl() + "/x";
  req.body = std::string(1025, 'c');
  auto resp = Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 413);

  RawConnection chunked(server->port());
  chunked.Write("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                std::string(0x800, 'd') + "\r\n0\r\n\r\n");
  std::string chunked_raw = chunked.ReadToEnd();
  EXPECT_EQ(chunked_raw.rfind("HTTP/1.1 413", 0), 0u) << chunked_raw.substr(0, 200);
  EXPECT_EQ(calls.load(), 0);

  // Exactly the limit is fine.
  req.body = std::string(1024, 'c');
  resp = Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
}

// A header block over max_header_bytes gets 431 (RFC 6585 §5), then the connection closes.
TEST(HttpServerTest, OversizedHeaderIs431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  auto server = StartServer(Echo, options);
  ASSERT_NE(server, nullptr);
  RawConnection conn(server->port());
  ASSERT_TRUE(conn.connected());
  conn.Write("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'h') + "\r\n\r\n");
  RawConnection::End end;
  std::string raw = conn.ReadToEnd(&end);
  EXPECT_EQ(raw.rfind("HTTP/1.1 431", 0), 0u) << raw.substr(0, 200);
  EXPECT_NE(raw.find("invalid_request"), std::string::npos);
  EXPECT_EQ(end, RawConnection::End::kEof);

  // Through the client, too.
  ClientRequest req;
  req.url = server->BaseUrl() + "/";
  req.headers.Add("X-Big", std::string(2000, 'h'));
  auto resp = Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 431);
}

// Bytes that are not HTTP get 400 and a close; the server keeps serving other clients.
TEST(HttpServerTest, GarbageIs400AndServerSurvives) {
  std::atomic<int> calls{0};
  auto server = StartServer([&](const Request& r) {
    ++calls;
    return Echo(r);
  });
  ASSERT_NE(server, nullptr);
  for (std::string garbage : {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),
                              std::string("GET / HTTP/1.1\r\n\r\n"),  // no Host
                              std::string("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                              std::string("GET nonsense HTTP/1.1\r\nHost: a\r\n\r\n"),
                              std::string("POST / HTTP/1.1\r\nHost: a\r\n"
                                          "Transfer-Encoding: gzip\r\n\r\n"),
                              std::string("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n"),
                              std::string("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
                              std::string("POST / HTTP/1.1\r\nContent-Length: zz\r\n\r\n"),
                              std::string("G@T / HTTP/1.1\r\n\r\n")}) {
    RawConnection conn(server->port());
    ASSERT_TRUE(conn.connected());
    conn.Write(garbage);
    std::string raw = conn.ReadToEnd();
    EXPECT_EQ(raw.rfind("HTTP/1.1 400", 0), 0u) << garbage << " -> " << raw;
  }
  // RFC 9112 §2.6: other major versions get 505.
  RawConnection future(server->port());
  future.Write("GET / HTTP/2.0\r\nHost: x\r\n\r\n");
  std::string raw = future.ReadToEnd();
  EXPECT_EQ(raw.rfind("HTTP/1.1 505", 0), 0u) << raw;

  EXPECT_EQ(calls.load(), 0);
  auto resp = Send(GetRequest(server->BaseUrl() + "/after"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(calls.load(), 1);
}

// A handler that throws produces 500; the server and the connection stay usable.
TEST(HttpServerTest, ThrowingHandlerIs500) {
  auto server = StartServer([](const Request& r) -> Response {
    if (r.path == "/throw") throw std::runtime_error("boom");
    if (r.path == "/throw-int") throw 42;
    return Response::Text(200, "fine");
  });
  ASSERT_NE(server, nullptr);
  for (const char* path : {"/throw", "/throw-int"}) {
    auto resp = Send(GetRequest(server->BaseUrl() + path));
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->status, 500);
    EXPECT_EQ(ParseBody(*resp)["error"], "server_error");
    EXPECT_EQ(resp->body.find("boom"), std::string::npos);  // internals are not leaked
  }
  auto resp = Send(GetRequest(server->BaseUrl() + "/ok"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "fine");
}

// A handler cannot split the response with CR/LF in a header value or send a 1xx as final.
TEST(HttpServerTest, InvalidHandlerResponsesBecome500) {
  auto server = StartServer([](const Request& r) {
    if (r.path == "/inject") {
      Response resp = Response::Text(200, "x");
      resp.headers.Add("Location", "/a\r\nSet-Cookie: evil=1");
      return resp;
    }
    if (r.path == "/status") return Response::Text(99, "x");
    Response resp = Response::Text(204, "dropped");  // 204 never carries content
    resp.headers.Add("Content-Length", "999");       // framing is the server's
    return resp;
  });
  ASSERT_NE(server, nullptr);
  RawConnection conn(server->port());
  ASSERT_TRUE(conn.Write("GET /inject HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string inject = conn.ReadResponse();
  EXPECT_EQ(inject.rfind("HTTP/1.1 500", 0), 0u) << inject;
  EXPECT_EQ(inject.find("evil"), std::string::npos) << inject;
  ASSERT_TRUE(conn.Write("GET /status HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string status = conn.ReadResponse();
  EXPECT_EQ(status.rfind("HTTP/1.1 500", 0), 0u) << status;
  ASSERT_TRUE(conn.Write("GET /nocontent HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string no_content = conn.ReadToEnd();
  EXPECT_EQ(no_content.rfind("HTTP/1.1 204", 0), 0u) << no_content;
  EXPECT_EQ(no_content.find("999"), std::string::npos) << no_content;
  EXPECT_EQ(no_content.find("dropped"), std::string::npos) << no_content;
}

// "Expect: 100-continue" gets an interim 100 before the client sends the body (RFC 9110 §10.1.1).
TEST(HttpServerTest, ExpectContinue) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  RawConnection conn(server->port());
  ASSERT_TRUE(
      conn.Write("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                 "Expect: 100-continue\r\n\r\n"));
  std::string interim = conn.ReadResponse();
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << interim;
  ASSERT_TRUE(conn.Write("hello"));
  std::string final_response = conn.ReadResponse();
  EXPECT_EQ(final_response.rfind("HTTP/1.1 200", 0), 0u) << final_response;
  EXPECT_NE(final_response.find("\"body\":\"hello\""), std::string::npos) << final_response;
}

// A client that sends half a header and stalls is cut off after read_timeout (slowloris).
TEST(HttpServerTest, SlowClientIsDisconnected) {
  ServerOptions options;
  options.read_timeout_seconds = 1;
  auto server = StartServer(Echo, options);
  ASSERT_NE(server, nullptr);
  RawConnection conn(server->port(), /*receive_timeout=*/5000ms);
  ASSERT_TRUE(conn.Write("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  RawConnection::End end;
  std::string raw = conn.ReadToEnd(&end);
  EXPECT_EQ(raw, "");
  // The server closed it (EOF or reset) well before our own 5 s receive timeout.
  EXPECT_NE(end, RawConnection::End::kTimeout);

  // An idle keep-alive connection is closed after the same timeout.
  RawConnection idle(server->port(), 5000ms);
  ASSERT_TRUE(idle.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(idle.ReadResponse(), "");
  idle.ReadToEnd(&end);
  EXPECT_EQ(end, RawConnection::End::kEof);
}

// Connections over max_connections are closed at once; capacity returns when one closes.
TEST(HttpServerTest, ConnectionLimit) {
  ServerOptions options;
  options.max_connections = 1;
  auto server = StartServer(Echo, options);
  ASSERT_NE(server, nullptr);
  auto first = std::make_unique<RawConnection>(server->port());
  ASSERT_TRUE(first->Write("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_NE(first->ReadResponse(), "");  // accepted and being served, still open

  RawConnection second(server->port());
  second.Write("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  RawConnection::End end;
  EXPECT_EQ(second.ReadToEnd(&end), "");
  EXPECT_NE(end, RawConnection::End::kTimeout);

  first.reset();
  // The session ends asynchronously after the close; retry briefly.
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    RawConnection again(server->port());
    again.Write("GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
    served = !again.ReadResponse().empty();
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

// Binding a port that is in use fails with a Status, not an exception.
TEST(HttpServerTest, StartFailsOnPortInUse) {
  auto first = StartServer(Echo);
  ASSERT_NE(first, nullptr);
  ServerOptions options;
  options.port = first->port();
  auto second = HttpServer::Start(options, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("in use"), std::string::npos)
      << second.status().message();
}

// Bad options and unresolvable hosts are refused before anything listens.
TEST(HttpServerTest, StartRejectsBadOptions) {
  auto bad = [](auto mutate) {
    ServerOptions options;
    mutate(options);
    auto r = HttpServer::Start(options, Echo);
    return r.ok() ? StatusCode::kOk : r.status().code();
  };
  EXPECT_EQ(bad([](ServerOptions& o) { o.port = 70000; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](ServerOptions& o) { o.threads = -1; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](ServerOptions& o) { o.max_connections = 0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](ServerOptions& o) { o.read_timeout_seconds = 0; }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](ServerOptions& o) { o.host = "not an address"; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](ServerOptions& o) { o.server_name = "zta\r\nX: y"; }),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(HttpServer::Start({}, Handler()).ok());
}

// Listening on the IPv6 loopback works and reports ::1 as the peer.
TEST(HttpServerTest, Ipv6Loopback) {
  ServerOptions options;
  options.host = "::1";
  auto server = HttpServer::Start(options, Echo);
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << server.status();
  EXPECT_EQ((*server)->BaseUrl(), "http://[::1]:" + std::to_string((*server)->port()));
  auto resp = Send(GetRequest((*server)->BaseUrl() + "/v6"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(ParseBody(*resp)["remote"], "::1");
}

// A wildcard listener is reachable through BaseUrl(), which points at loopback.
TEST(HttpServerTest, WildcardHostBaseUrlIsLoopback) {
  ServerOptions options;
  options.host = "0.0.0.0";
  auto server = StartServer(Echo, options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->host(), "0.0.0.0");
  auto resp = Send(GetRequest(server->BaseUrl() + "/"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
}

// Stop() closes open connections and the listener, and is idempotent.
TEST(HttpServerTest, StopClosesEverything) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  int port = server->port();
  RawConnection open_conn(port);
  ASSERT_TRUE(open_conn.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_NE(open_conn.ReadResponse(), "");
  server->Stop();
  server->Stop();
  RawConnection::End end;
  open_conn.ReadToEnd(&end);
  EXPECT_NE(end, RawConnection::End::kTimeout);
  RawConnection after(port);
  EXPECT_FALSE(after.connected());
  server.reset();  // the destructor after Stop() is fine too
}

// Eight threads × 200 requests, each thread on its own keep-alive connection, all succeed.
TEST(HttpServerTest, ConcurrentClients) {
  ServerOptions options;
  options.threads = 4;
  auto server = StartServer(Echo, options);
  ASSERT_NE(server, nullptr);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        ClientRequest req;
        req.method = "POST";
        req.url = server->BaseUrl() + "/c?t=" + std::to_string(t);
        req.body = std::to_string(t) + ":" + std::to_string(i);
        auto resp = Send(req);
        if (!resp.ok() || resp->status != 200) continue;
        auto json = ParseJsonStrict(resp->body);
        if (json.ok() && (*json)["body"] == req.body) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8 * 200);
  EXPECT_EQ(server->accepted_connections(), 8);
}

// An asynchronous handler answers from another thread later: one I/O thread keeps many
// requests in flight (a worker answers in bursts every few milliseconds, so 16 clients wait
// at once), each client gets its own answer, and pipelined requests on one connection stay in
// order.
TEST(HttpServerTest, AsyncHandlerAnswersFromAnotherThread) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, Respond>> owed;
  bool stop_worker = false;  // answer at once from now on
  bool finished = false;     // the worker may exit
  size_t peak_in_flight = 0;
  std::thread worker([&] {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait_for(lock, 5ms, [&] {
        return owed.size() >= 16 || (stop_worker && !owed.empty()) || finished;
      });
      if (finished) return;
      peak_in_flight = std::max(peak_in_flight, owed.size());
      auto batch = std::move(owed);
      owed.clear();
      lock.unlock();
      for (auto& [body, respond] : batch) respond(Response::Text(200, "answer:" + body));
      lock.lock();
    }
  });
  ServerOptions options;
  options.threads = 1;  // every request is in flight on the same I/O thread
  auto server = HttpServer::StartAsync(options, [&](const Request& r, Respond respond) {
    std::lock_guard<std::mutex> lock(mu);
    owed.emplace_back(r.body, std::move(respond));
    cv.notify_one();
  });
  ASSERT_TRUE(server.ok()) << server.status();
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        ClientRequest req;
        req.method = "POST";
        req.url = (*server)->BaseUrl() + "/a";
        req.body = std::to_string(t) + "-" + std::to_string(i);
        auto resp = Send(req);
        if (resp.ok() && resp->status == 200 && resp->body == "answer:" + req.body) ++ok;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 16 * 20);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_GT(peak_in_flight, 1u) << "one I/O thread should hold several requests in flight";
  }

  // Pipelined: both requests are read before either is answered, answers keep request order.
  RawConnection conn((*server)->port());
  ASSERT_TRUE(conn.Write("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nA"
                         "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nB"));
  {
    std::lock_guard<std::mutex> lock(mu);
    stop_worker = true;
    cv.notify_one();
  }
  std::string first = conn.ReadResponse();
  std::string second = conn.ReadResponse();
  EXPECT_NE(first.find("answer:A"), std::string::npos) << first;
  EXPECT_NE(second.find("answer:B"), std::string::npos) << second;
  {
    std::lock_guard<std::mutex> lock(mu);
    finished = true;
    cv.notify_one();
  }
  (*server)->Stop();
  worker.join();
}

// A Respond dropped without being called answers 500 instead of hanging the connection; a
// second call is ignored; an answer after Stop() is dropped without harm.
TEST(HttpServerTest, AsyncHandlerLostOrLateAnswers) {
  Respond kept;
  std::mutex mu;
  auto server = HttpServer::StartAsync({}, [&](const Request& r, Respond respond) {
    if (r.path == "/drop") return;  // respond goes out of scope unanswered
    if (r.path == "/twice") {
      respond(Response::Text(200, "first"));
      respond(Response::Text(201, "second"));
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    kept = std::move(respond);  // answered only after Stop()
  });
  ASSERT_TRUE(server.ok()) << server.status();
  auto dropped = Send(GetRequest((*server)->BaseUrl() + "/drop"));
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(dropped->status, 500);
  auto twice = Send(GetRequest((*server)->BaseUrl() + "/twice"));
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(twice->status, 200);
  EXPECT_EQ(twice->body, "first");

  RawConnection conn((*server)->port());
  ASSERT_TRUE(conn.Write("GET /late HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 5000; ++i) {  // until the handler holds the request
    {
      std::lock_guard<std::mutex> lock(mu);
      if (kept) break;
    }
    std::this_thread::sleep_for(1ms);
  }
  // Stop waits (bounded) for the owed answer; answer it from another thread meanwhile.
  std::thread late([&] {
    std::this_thread::sleep_for(50ms);
    std::lock_guard<std::mutex> lock(mu);
    if (kept) kept(Response::Text(200, "late"));
    kept = nullptr;
  });
  (*server)->Stop();
  late.join();
  std::string response = conn.ReadResponse();
  EXPECT_NE(response.find("late"), std::string::npos) << response;
}

// An answer a handler keeps past Stop()'s bounded wait and past the server's destruction is
// dropped, and letting go of it then is safe (the socket's io_context is kept alive by the
// answer, not freed under it; `make sanitize` checks the memory side). Every connection is
// closed when Stop() returns all the same: the holder's and an idle keep-alive one.
TEST(HttpServerTest, AnswerHeldPastServerDestructionIsDroppedSafely) {
  Respond kept;
  std::mutex mu;
  auto server = HttpServer::StartAsync({}, [&](const Request& r, Respond respond) {
    if (r.path == "/quick") return respond(Response::Text(200, "quick"));
    std::lock_guard<std::mutex> lock(mu);
    kept = std::move(respond);
  });
  ASSERT_TRUE(server.ok()) << server.status();
  RawConnection idle((*server)->port(), 10s);
  ASSERT_TRUE(idle.Write("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(idle.ReadResponse().find("quick"), std::string::npos);  // now idle, kept alive
  RawConnection holder((*server)->port(), 10s);
  ASSERT_TRUE(holder.Write("GET /held HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 5000; ++i) {  // until the handler holds the request
    {
      std::lock_guard<std::mutex> lock(mu);
      if (kept) break;
    }
    std::this_thread::sleep_for(1ms);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_TRUE(kept);
  }
  server->reset();  // Stop() waits its 5 s for the answer, gives up, and the server is gone
  RawConnection::End end{};
  idle.ReadToEnd(&end);
  EXPECT_EQ(end, RawConnection::End::kEof) << "the idle connection was left open";
  std::lock_guard<std::mutex> lock(mu);
  kept(Response::Text(200, "too late"));  // dropped: nobody is there to write it
  kept = nullptr;                          // the session and the io_context go now
  std::string rest = holder.ReadToEnd(&end);
  EXPECT_EQ(end, RawConnection::End::kEof) << "the held connection was left open";
  EXPECT_EQ(rest.find("too late"), std::string::npos) << rest;
}

// Writes a self-signed P-256 certificate for 127.0.0.1 (IP SAN) and its key as PEM files.
bool WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "IP:127.0.0.1");
    ok = san != nullptr && X509_add_ext(cert, san, -1) == 1 &&
         X509_sign(cert, key, EVP_sha256()) > 0;
    X509_EXTENSION_free(san);
  }
  if (ok) {
    FILE* c = std::fopen(cert_path.c_str(), "w");
    FILE* k = std::fopen(key_path.c_str(), "w");
    ok = c && k && PEM_write_X509(c, cert) == 1 &&
         PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (c) std::fclose(c);
    if (k) std::fclose(k);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

// With a certificate and key the server speaks HTTPS: a client trusting the certificate gets
// answers over keep-alive, one that does not trust it fails the handshake, plain HTTP to the TLS
// port gets no HTTP answer, and a half-configured or mismatched pair refuses to start.
TEST(HttpServerTest, TlsWhenGivenACertificate) {
  char tmpl[] = "/tmp/zta-tls-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  std::string other_cert = dir + "/other.pem", other_key = dir + "/other-key.pem";
  ASSERT_TRUE(WriteSelfSignedCertificate(cert, key));
  ASSERT_TRUE(WriteSelfSignedCertificate(other_cert, other_key));

  ServerOptions options;
  options.tls_certificate_file = cert;
  options.tls_private_key_file = key;
  auto server = StartServer(Echo, options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->BaseUrl().rfind("https://127.0.0.1:", 0), 0u) << server->BaseUrl();
  for (int i = 0; i < 3; ++i) {
    ClientRequest req = GetRequest(server->BaseUrl() + "/secure?i=" + std::to_string(i));
    req.ca_file = cert;
    auto resp = Send(req);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->status, 200);
    EXPECT_EQ(ParseBody(*resp)["query"], "i=" + std::to_string(i));
  }
  EXPECT_EQ(server->accepted_connections(), 1) << "keep-alive over TLS";

  ClientRequest untrusted = GetRequest(server->BaseUrl() + "/secure");
  untrusted.ca_file = other_cert;  // a different self-signed certificate
  EXPECT_FALSE(Send(untrusted).ok());

  RawConnection plain(server->port(), 2000ms);
  ASSERT_TRUE(plain.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(plain.ReadResponse().find("HTTP/1.1 200"), std::string::npos);
  server.reset();

  ServerOptions half;
  half.tls_certificate_file = cert;
  EXPECT_EQ(HttpServer::Start(half, Echo).status().code(), StatusCode::kInvalidArgument);
  ServerOptions mismatched;
  mismatched.tls_certificate_file = cert;
  mismatched.tls_private_key_file = other_key;
  EXPECT_EQ(HttpServer::Start(mismatched, Echo).status().code(),
            StatusCode::kFailedPrecondition);
  ServerOptions missing;
  missing.tls_certificate_file = dir + "/nope.pem";
  missing.tls_private_key_file = key;
  EXPECT_EQ(HttpServer::Start(missing, Echo).status().code(), StatusCode::kFailedPrecondition);
  std::filesystem::remove_all(dir);
}

// WaitForTerminationSignal returns the signal number, whichever thread receives it, and puts
// the previous disposition back.
TEST(WaitForTerminationSignalTest, ReturnsOnSigterm) {
  struct sigaction before {};
  sigaction(SIGTERM, nullptr, &before);
  std::thread sender([] {
    // Send only once the handler is installed, so the default action cannot kill the test.
    for (int i = 0; i < 500; ++i) {
      struct sigaction current {};
      sigaction(SIGTERM, nullptr, &current);
      if (current.sa_handler != SIG_DFL) break;
      std::this_thread::sleep_for(10ms);
    }
    kill(getpid(), SIGTERM);
  });
  int signal_number = WaitForTerminationSignal();
  sender.join();
  EXPECT_EQ(signal_number, SIGTERM);
  struct sigaction after {};
  sigaction(SIGTERM, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

}  // namespace
}  // namespace zta::http
