// Tests for the libcurl client: methods and headers, error mapping (refused, DNS, timeout,
// oversize), no redirects, http(s) only, and GetJson.
#include "zta/http/client.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <utility>
#include <vector>

#include "test_util.h"
#include "zta/http/server.h"

namespace zta::http {
namespace {

using namespace std::chrono_literals;
using testing::RefusingPort;

ClientRequest GetRequest(std::string url) {
  ClientRequest request;
  request.url = std::move(url);
  return request;
}

std::unique_ptr<HttpServer> StartServer(Handler handler) {
  auto server = HttpServer::Start({}, std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(server).value() : nullptr;
}

// Methods, request headers and bodies reach the server as sent, PUT and DELETE included.
TEST(ClientTest, SendsMethodsHeadersAndBodies) {
  auto server = StartServer(testing::EchoRequest);
  ASSERT_NE(server, nullptr);
  for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
    ClientRequest req;
    req.method = method;
    req.url = server->BaseUrl() + "/m";
    req.headers.Add("Authorization", "Bearer one");
    req.headers.Add("Authorization", "Bearer two");
    req.headers.Add("X-Empty", "");
    if (std::string(method) != "GET" && std::string(method) != "DELETE") {
      req.body = std::string("payload-") + method + std::string(3000, '.');
    }
    auto resp = Send(req);
    ASSERT_TRUE(resp.ok()) << method << ": " << resp.status();
    EXPECT_EQ(resp->status, 200);
    auto json = ParseJsonStrict(resp->body);
    ASSERT_TRUE(json.ok()) << json.status();
    EXPECT_EQ((*json)["method"], method);
    EXPECT_EQ((*json)["body"], req.body);
    EXPECT_EQ((*json)["auth"], Json({"Bearer one", "Bearer two"}));
    EXPECT_EQ((*json)["empty"], "");
    EXPECT_EQ((*json)["expect"], false);  // no 100-continue round trip
    EXPECT_EQ(resp->headers.Get("x-reply"), "padded value");
  }
}

// The path goes out exactly as built: libcurl does not resolve dot segments (RFC 3986 §5.2.4),
// so a ".." that reached a URL cannot move the request to a resource nobody authorized.
TEST(ClientTest, SendsDotSegmentsAsIs) {
  auto server = StartServer([](const Request& r) { return Response::Text(200, r.target); });
  ASSERT_NE(server, nullptr);
  for (const char* target : {"/a/../b", "/a/./b", "/a/b/..", "/a/%2e%2e/b", "/../../etc?x=/../y"}) {
    auto resp = Send(GetRequest(server->BaseUrl() + target));
    ASSERT_TRUE(resp.ok()) << target << ": " << resp.status();
    EXPECT_EQ(resp->body, target);
  }
}

// Connecting to a port nobody listens on is kUnavailable, with the target in the message.
TEST(ClientTest, ConnectionRefusedIsUnavailable) {
  RefusingPort refusing;
  ClientRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(refusing.port()) + "/x?secret=s3cr3t";
  auto resp = Send(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable) << resp.status();
  EXPECT_NE(resp.status().message().find("127.0.0.1"), std::string::npos) << resp.status();
  EXPECT_EQ(resp.status().message().find("s3cr3t"), std::string::npos) << resp.status();
}

// A name that does not resolve is kUnavailable (RFC 6761 §6.4: .invalid never resolves).
TEST(ClientTest, UnresolvableHostIsUnavailable) {
  ClientRequest req;
  req.url = "http://zta-no-such-host.invalid/";
  req.timeout = 3000ms;
  auto resp = Send(req);
  ASSERT_FALSE(resp.ok());
  if (resp.status().code() == StatusCode::kDeadlineExceeded) {
    GTEST_SKIP() << "the resolver here is too slow to fail: " << resp.status();
  }
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable) << resp.status();
}

// A server slower than the request's timeout gives kDeadlineExceeded.
TEST(ClientTest, TimeoutIsDeadlineExceeded) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  auto server = StartServer([&](const Request&) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, 5s, [&] { return release; });
    return Response::Text(200, "late");
  });
  ASSERT_NE(server, nullptr);
  ClientRequest req;
  req.url = server->BaseUrl() + "/slow";
  req.timeout = 200ms;
  auto resp = Send(req);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kDeadlineExceeded) << resp.status();

  req.timeout = 0ms;
  resp = Send(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kDeadlineExceeded);
}

// A body over max_response_bytes is an error whether or not Content-Length announced it.
TEST(ClientTest, OversizedResponseIsError) {
  auto server =
      StartServer([](const Request&) { return Response::Text(200, std::string(10000, 'z')); });
  ASSERT_NE(server, nullptr);
  ClientRequest req;
  req.url = server->BaseUrl() + "/big";
  req.max_response_bytes = 1000;
  auto resp = Send(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable) << resp.status();
  EXPECT_EQ(resp.status().reason(), "response_too_large");
  req.max_response_bytes = 10000;  // exactly the limit is fine
  resp = Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body.size(), 10000u);

  // Chunked: no Content-Length, so only the write callback can notice.
  std::string chunk(4096, 'q');
  std::string reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (int i = 0; i < 4; ++i) reply += "1000\r\n" + chunk + "\r\n";
  reply += "0\r\n\r\n";
  testing::RawResponder responder(reply);
  ClientRequest chunked;
  chunked.url = responder.url();
  chunked.max_response_bytes = 5000;
  resp = Send(chunked);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable) << resp.status();
  EXPECT_EQ(resp.status().reason(), "response_too_large");
}

// A bare CR inside a response header line is refused (RFC 9112 §5.5): passed on, it would split
// one field into two for whoever relays it (the gateway). A body without a Content-Type is sent
// without one, not labelled a form by libcurl.
TEST(ClientTest, RefusesBareCrInResponseHeadersAndInventsNoContentType) {
  testing::RawResponder responder(
      "HTTP/1.1 302 Found\r\nLocation: http://x.example/\rSet-Cookie: pwn=1\r\n"
      "Content-Length: 0\r\nConnection: close\r\n\r\n");
  ClientRequest r;
  r.url = responder.url();
  auto resp = Send(r);
  EXPECT_FALSE(resp.ok());
  std::string content_type = "unset";
  auto typed = HttpServer::Start({}, [&content_type](const Request& req) {
    content_type = req.headers.Get("Content-Type").value_or("none");
    return Response::Text(200, "ok");
  });
  ASSERT_TRUE(typed.ok());
  ClientRequest post;
  post.method = "POST";
  post.url = (*typed)->BaseUrl() + "/x";
  post.body = "_method=DELETE";
  ASSERT_TRUE(Send(post).ok());
  EXPECT_EQ(content_type, "none");
}

// on_body_piece sees the body while it arrives: the first piece is read before the server has
// sent the rest (the server holds it back until the reader has seen the first), with the status
// already known; returning false stops the transfer.
TEST(ClientTest, ReadsTheBodyPieceByPieceAsItArrives) {
  std::promise<void> first_seen;
  std::future<void> first_seen_future = first_seen.get_future();
  bool reader_was_first = false;
  testing::RawResponder responder(
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
       "5\r\nfirst\r\n",
       "6\r\nsecond\r\n0\r\n\r\n"},
      [&](size_t) {
        reader_was_first =
            first_seen_future.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
      });
  ClientRequest req = GetRequest(responder.url());
  std::vector<std::pair<int, std::string>> pieces;
  req.on_body_piece = [&](int status, std::string_view piece) {
    if (pieces.empty()) first_seen.set_value();
    pieces.emplace_back(status, std::string(piece));
    return true;
  };
  auto resp = Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body, "firstsecond");
  EXPECT_TRUE(reader_was_first);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], (std::pair<int, std::string>{200, "first"}));
  EXPECT_EQ(pieces[1], (std::pair<int, std::string>{200, "second"}));

  testing::RawResponder stopped(
      "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope");
  ClientRequest stop = GetRequest(stopped.url());
  stop.on_body_piece = [](int, std::string_view) { return false; };
  resp = Send(stop);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().reason(), "stopped_by_reader") << resp.status();
}

// Redirects are returned to the caller, never followed: a token must not travel to a Location.
TEST(ClientTest, DoesNotFollowRedirects) {
  std::atomic<int> calls{0};
  auto server = StartServer([&](const Request& r) {
    ++calls;
    Response resp = Response::Text(302, "");
    resp.headers.Set("Location", "/elsewhere");
    return resp;
  });
  ASSERT_NE(server, nullptr);
  auto resp = Send(GetRequest(server->BaseUrl() + "/start"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 302);
  EXPECT_EQ(resp->headers.Get("location"), "/elsewhere");
  EXPECT_EQ(calls.load(), 1);
}

// Response headers are those of the final response, not of an interim 100.
TEST(ClientTest, HeadersComeFromTheFinalResponse) {
  testing::RawResponder responder(
      "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
      "HTTP/1.1 201 Created\r\nX-Final: yes\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  auto resp = Send(GetRequest(responder.url()));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->body, "ok");
  EXPECT_EQ(resp->headers.Get("x-final"), "yes");
  EXPECT_FALSE(resp->headers.Has("x-interim"));
}

// Non-http(s) schemes, userinfo, bad methods and CR/LF in headers are refused before any I/O.
TEST(ClientTest, RejectsBadRequests) {
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/",
                          "http://user:pw@127.0.0.1/", "not a url"}) {
    auto resp = Send(GetRequest(url));
    ASSERT_FALSE(resp.ok()) << url;
    EXPECT_EQ(resp.status().code(), StatusCode::kInvalidArgument) << url;
  }
  ClientRequest bad_method = GetRequest("http://127.0.0.1:1/");
  bad_method.method = "GET /x HTTP/1.1\r\n";
  EXPECT_EQ(Send(bad_method).status().code(), StatusCode::kInvalidArgument);

  ClientRequest injected = GetRequest("http://127.0.0.1:1/");
  injected.headers.Add("X-Note", "a\r\nAuthorization: Bearer stolen");
  EXPECT_EQ(Send(injected).status().code(), StatusCode::kInvalidArgument);
  ClientRequest bad_name = GetRequest("http://127.0.0.1:1/");
  bad_name.headers.Add("Bad Name", "v");
  EXPECT_EQ(Send(bad_name).status().code(), StatusCode::kInvalidArgument);
}

// GetJson parses a 2xx JSON body; non-2xx, malformed JSON and duplicate names are errors.
TEST(ClientTest, GetJson) {
  auto server = StartServer([](const Request& r) {
    if (r.path == "/jwks") return Response::Json(200, Json{{"keys", Json::array()}});
    if (r.path == "/dup") return Response::Text(200, R"({"a":1,"a":2})");
    if (r.path == "/bad") return Response::Text(200, "{not json");
    if (r.path == "/accept")
      return Response::Json(200, Json{{"accept", r.headers.Get("accept").value_or("")}});
    return Response::Json(404, Json{{"error", "not_found"}});
  });
  ASSERT_NE(server, nullptr);
  auto jwks = GetJson(server->BaseUrl() + "/jwks");
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  EXPECT_TRUE((*jwks)["keys"].is_array());

  auto accept = GetJson(server->BaseUrl() + "/accept");
  ASSERT_TRUE(accept.ok()) << accept.status();
  EXPECT_EQ((*accept)["accept"], "application/json");

  auto missing = GetJson(server->BaseUrl() + "/missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(missing.status().message().find("HTTP 404 from " + server->BaseUrl() + "/missing"),
            std::string::npos)
      << missing.status();

  EXPECT_FALSE(GetJson(server->BaseUrl() + "/dup").ok());
  EXPECT_FALSE(GetJson(server->BaseUrl() + "/bad").ok());

  RefusingPort refusing;
  auto refused = GetJson("http://127.0.0.1:" + std::to_string(refusing.port()) + "/");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace zta::http
