// Tests for AsyncClient against a loopback HttpServer: many requests in flight on one thread,
// the same errors as the blocking Send (timeout, refused, oversize, bad request), bodies and
// headers intact, connection reuse, the max_in_flight bound and answers owed at destruction.
#include "zta/http/async_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_util.h"
#include "zta/http/server.h"

namespace zta::http {
namespace {

using namespace std::chrono_literals;

// Generous bound for anything that should take milliseconds; only a hang reaches it.
constexpr auto kPatience = 20s;

std::unique_ptr<AsyncClient> NewClient(AsyncClientOptions options = {}) {
  auto client = AsyncClient::Create(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(client).value() : nullptr;
}

ClientRequest GetRequest(std::string url) {
  ClientRequest request;
  request.url = std::move(url);
  return request;
}

// Collects callback results by request index, and the threads they ran on. Thread-safe.
class Results {
 public:
  explicit Results(size_t n) : results_(n), calls_(n, 0), threads_(n) {}

  ResponseCallback For(size_t i) {
    return [this, i](Result<Response> result) {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_[i];
      threads_[i] = std::this_thread::get_id();
      results_[i].emplace(std::move(result));
      order_.push_back(i);
      cv_.notify_all();
    };
  }

  // True once request `i` has been answered.
  bool WaitFor(size_t i, std::chrono::milliseconds patience = kPatience) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, patience, [&] { return results_[i].has_value(); });
  }

  // True once every request has been answered at least once.
  bool WaitAll(std::chrono::milliseconds patience = kPatience) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, patience, [&] { return order_.size() >= results_.size(); });
  }

  const Result<Response>& operator[](size_t i) const { return *results_[i]; }
  int calls(size_t i) const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[i];
  }
  std::thread::id thread(size_t i) const { return threads_[i]; }
  std::vector<size_t> order() const {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::optional<Result<Response>>> results_;
  std::vector<int> calls_;
  std::vector<std::thread::id> threads_;
  std::vector<size_t> order_;
};

// An asynchronous server that holds every request to /slow until the test lets go, answers
// anything else at once with its target, and counts what has arrived. Thread-safe.
class HoldingServer {
 public:
  HoldingServer() {
    auto server = HttpServer::StartAsync({}, [this](const Request& r, Respond respond) {
      std::lock_guard<std::mutex> lock(mu_);
      if (r.path != "/slow") {
        respond(Response::Text(200, r.target));
        return;
      }
      held_.push_back(std::move(respond));
      cv_.notify_all();
    });
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = std::move(server).value();
  }
  // Answers what is still held first: the server waits up to 5 s for owed answers on stop.
  ~HoldingServer() { ReleaseAll(); }

  bool ok() const { return server_ != nullptr; }
  std::string Url(std::string_view target) const {
    return server_->BaseUrl() + std::string(target);
  }

  // True once `n` requests to /slow are being held at the same time.
  bool WaitHeld(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kPatience, [&] { return held_.size() >= n; });
  }

  void ReleaseAll() {
    std::vector<Respond> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      held.swap(held_);
    }
    for (auto& respond : held) respond(Response::Text(200, "slow"));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Respond> held_;
  std::unique_ptr<HttpServer> server_;
};

// Many slow requests are in flight at once on the client's one thread: the server holds all of
// them together, a fast request sent after them is answered first, and the whole batch takes
// about one handler delay rather than the sum. Callbacks run on the client's thread.
TEST(AsyncClientTest, ManyRequestsInFlightAtOnce) {
  constexpr size_t kSlow = 40;
  constexpr auto kDelay = 250ms;
  HoldingServer server;
  ASSERT_TRUE(server.ok());
  auto client = NewClient();
  ASSERT_NE(client, nullptr);

  Results results(kSlow + 1);
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < kSlow; ++i) client->Send(GetRequest(server.Url("/slow")), results.For(i));
  client->Send(GetRequest(server.Url("/fast")), results.For(kSlow));
  // A client that ran requests one after another would never get all of them to the server, nor
  // the fast one through while they are held.
  ASSERT_TRUE(server.WaitHeld(kSlow));
  ASSERT_TRUE(results.WaitFor(kSlow));
  std::this_thread::sleep_for(kDelay);
  server.ReleaseAll();
  ASSERT_TRUE(results.WaitAll());
  auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(results.order().front(), kSlow) << "the fast request waited behind the slow ones";
  for (size_t i = 0; i <= kSlow; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    EXPECT_EQ(results[i]->status, 200);
    EXPECT_EQ(results[i]->body, i == kSlow ? "/fast" : "slow");
    EXPECT_EQ(results.calls(i), 1);
    EXPECT_EQ(results.thread(i), results.thread(0));
  }
  EXPECT_NE(results.thread(0), std::this_thread::get_id());
  // Sanity only: one after another would take kSlow * kDelay = 10 s.
  EXPECT_LT(elapsed, kSlow * kDelay / 2);
  EXPECT_EQ(client->in_flight(), 0u);
}

// A server slower than the request's timeout gives kDeadlineExceeded, reason "timeout", as Send
// does; a request with no time left fails without being sent.
TEST(AsyncClientTest, TimeoutIsDeadlineExceeded) {
  HoldingServer server;
  ASSERT_TRUE(server.ok());
  auto client = NewClient();
  ASSERT_NE(client, nullptr);
  Results results(2);
  ClientRequest slow = GetRequest(server.Url("/slow"));
  slow.timeout = 200ms;
  client->Send(slow, results.For(0));
  slow.timeout = 0ms;
  client->Send(slow, results.For(1));
  ASSERT_TRUE(results.WaitAll());
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_FALSE(results[i].ok()) << i;
    EXPECT_EQ(results[i].status().code(), StatusCode::kDeadlineExceeded) << results[i].status();
    EXPECT_EQ(results[i].status().reason(), "timeout");
  }
}

// Connecting to a port nobody listens on is kUnavailable; a malformed request is
// kInvalidArgument before any I/O, as with Send.
TEST(AsyncClientTest, RefusedIsUnavailableAndBadRequestsAreInvalid) {
  testing::RefusingPort refusing;
  auto client = NewClient();
  ASSERT_NE(client, nullptr);
  Results results(3);
  client->Send(GetRequest(refusing.url()), results.For(0));
  client->Send(GetRequest("file:///etc/passwd"), results.For(1));
  ClientRequest injected = GetRequest(refusing.url());
  injected.headers.Add("X-Note", "a\r\nAuthorization: Bearer stolen");
  client->Send(injected, results.For(2));
  ASSERT_TRUE(results.WaitAll());
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].status().code(), StatusCode::kUnavailable) << results[0].status();
  EXPECT_NE(results[0].status().message().find("127.0.0.1"), std::string::npos);
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].status().code(), StatusCode::kInvalidArgument) << results[1].status();
  ASSERT_FALSE(results[2].ok());
  EXPECT_EQ(results[2].status().code(), StatusCode::kInvalidArgument) << results[2].status();
}

// A body over max_response_bytes is an error, announced by Content-Length or not (chunked).
TEST(AsyncClientTest, OversizedResponseIsError) {
  auto server = HttpServer::Start(
      {}, [](const Request&) { return Response::Text(200, std::string(10000, 'z')); });
  ASSERT_TRUE(server.ok()) << server.status();
  std::string chunk(4096, 'q');
  std::string reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (int i = 0; i < 4; ++i) reply += "1000\r\n" + chunk + "\r\n";
  reply += "0\r\n\r\n";
  testing::RawResponder chunked(reply);

  auto client = NewClient();
  ASSERT_NE(client, nullptr);
  Results results(3);
  ClientRequest big = GetRequest((*server)->BaseUrl() + "/big");
  big.max_response_bytes = 1000;
  client->Send(big, results.For(0));
  big.max_response_bytes = 10000;  // exactly the limit is fine
  client->Send(big, results.For(1));
  ClientRequest streamed = GetRequest(chunked.url());
  streamed.max_response_bytes = 5000;
  client->Send(streamed, results.For(2));
  ASSERT_TRUE(results.WaitAll());
  for (size_t i : {0u, 2u}) {
    ASSERT_FALSE(results[i].ok()) << i;
    EXPECT_EQ(results[i].status().code(), StatusCode::kUnavailable) << results[i].status();
    EXPECT_EQ(results[i].status().reason(), "response_too_large");
  }
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  EXPECT_EQ(results[1]->body.size(), 10000u);
}

// Methods, bodies, repeated and empty headers arrive as sent, the path keeps its dot segments,
// and response headers come back trimmed, as with Send.
TEST(AsyncClientTest, SendsMethodsHeadersAndBodies) {
  auto server = HttpServer::Start({}, testing::EchoRequest);
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = NewClient();
  ASSERT_NE(client, nullptr);
  const std::vector<std::string> methods = {"GET", "POST", "PUT", "DELETE", "PATCH"};
  std::vector<std::string> bodies;
  Results results(methods.size());
  for (size_t i = 0; i < methods.size(); ++i) {
    ClientRequest req;
    req.method = methods[i];
    req.url = (*server)->BaseUrl() + "/a/../" + std::to_string(i) + "/./b";
    req.headers.Add("Authorization", "Bearer one");
    req.headers.Add("Authorization", "Bearer two");
    req.headers.Add("X-Empty", "");
    if (methods[i] != "GET" && methods[i] != "DELETE") {
      req.body = "payload-" + methods[i] + std::string(30'000, '.');
    }
    bodies.push_back(req.body);
    client->Send(std::move(req), results.For(i));
  }
  ASSERT_TRUE(results.WaitAll());
  for (size_t i = 0; i < methods.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << methods[i] << ": " << results[i].status();
    EXPECT_EQ(results[i]->status, 200);
    auto json = ParseJsonStrict(results[i]->body);
    ASSERT_TRUE(json.ok()) << json.status();
    EXPECT_EQ((*json)["method"], methods[i]);
    EXPECT_EQ((*json)["target"], "/a/../" + std::to_string(i) + "/./b");
    EXPECT_EQ((*json)["body"], bodies[i]);
    EXPECT_EQ((*json)["auth"], Json({"Bearer one", "Bearer two"}));
    EXPECT_EQ((*json)["empty"], "");
    EXPECT_EQ((*json)["expect"], false);  // no 100-continue round trip
    EXPECT_EQ(results[i]->headers.Get("x-reply"), "padded value");
  }
}

// Requests one after another reuse one connection (the multi handle's cache), and a callback may
// Send the next request.
TEST(AsyncClientTest, ReusesConnectionsAndAcceptsSendFromCallbacks) {
  auto server =
      HttpServer::Start({}, [](const Request& r) { return Response::Text(200, r.target); });
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = NewClient();
  ASSERT_NE(client, nullptr);
  constexpr size_t kChain = 5;
  Results results(kChain);
  std::function<void(size_t)> send = [&](size_t i) {
    client->Send(GetRequest((*server)->BaseUrl() + "/" + std::to_string(i)),
                 [&, i, record = results.For(i)](Result<Response> result) {
                   record(std::move(result));
                   if (i + 1 < kChain) send(i + 1);
                 });
  };
  send(0);
  ASSERT_TRUE(results.WaitAll());
  for (size_t i = 0; i < kChain; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    EXPECT_EQ(results[i]->body, "/" + std::to_string(i));
  }
  EXPECT_EQ((*server)->accepted_connections(), 1);
}

// Beyond max_in_flight a request is refused at once with kResourceExhausted and sends nothing;
// once an answer frees a slot, requests are taken again.
TEST(AsyncClientTest, MaxInFlightExceededIsResourceExhausted) {
  HoldingServer server;
  ASSERT_TRUE(server.ok());
  AsyncClientOptions options;
  options.max_in_flight = 2;
  auto client = NewClient(options);
  ASSERT_NE(client, nullptr);
  Results held(2);
  client->Send(GetRequest(server.Url("/slow")), held.For(0));
  client->Send(GetRequest(server.Url("/slow")), held.For(1));
  ASSERT_TRUE(server.WaitHeld(2));
  EXPECT_EQ(client->in_flight(), 2u);

  Results refused(1);
  client->Send(GetRequest(server.Url("/fast")), refused.For(0));
  ASSERT_TRUE(refused.WaitAll());
  ASSERT_FALSE(refused[0].ok());
  EXPECT_EQ(refused[0].status().code(), StatusCode::kResourceExhausted) << refused[0].status();
  EXPECT_EQ(refused[0].status().reason(), "too_many_requests");
  EXPECT_EQ(client->in_flight(), 2u);

  server.ReleaseAll();
  ASSERT_TRUE(held.WaitAll());
  Results later(1);
  client->Send(GetRequest(server.Url("/fast")), later.For(0));
  ASSERT_TRUE(later.WaitAll());
  ASSERT_TRUE(later[0].ok()) << later[0].status();
  EXPECT_EQ(later[0]->body, "/fast");
  EXPECT_EQ(AsyncClient::Create({.max_in_flight = 0}).status().code(),
            StatusCode::kInvalidArgument);
}

// Destroying the client with requests in flight (and queued) runs each callback exactly once
// with kUnavailable "client_stopped"; a Send from such a callback is answered the same way.
TEST(AsyncClientTest, DestructionAnswersEveryPendingRequestOnce) {
  HoldingServer server;
  ASSERT_TRUE(server.ok());
  constexpr size_t kHeld = 5;
  constexpr size_t kMore = 20;  // sent just before destruction: queued or just started
  Results results(kHeld + kMore);
  Results resent(1);
  auto client = NewClient();
  ASSERT_NE(client, nullptr);
  AsyncClient* raw = client.get();
  for (size_t i = 0; i < kHeld; ++i) {
    ResponseCallback done = results.For(i);
    if (i == 0) {
      done = [&, record = std::move(done)](Result<Response> result) {
        record(std::move(result));
        raw->Send(GetRequest(server.Url("/fast")), resent.For(0));
      };
    }
    client->Send(GetRequest(server.Url("/slow")), std::move(done));
  }
  ASSERT_TRUE(server.WaitHeld(kHeld));
  for (size_t i = kHeld; i < kHeld + kMore; ++i) {
    client->Send(GetRequest(server.Url("/slow")), results.For(i));
  }
  client.reset();

  // Every callback has run by the time the destructor returns.
  ASSERT_TRUE(results.WaitAll(0ms));
  ASSERT_TRUE(resent.WaitAll(0ms));
  for (size_t i = 0; i < kHeld + kMore; ++i) {
    EXPECT_EQ(results.calls(i), 1) << i;
    ASSERT_FALSE(results[i].ok()) << i;
    EXPECT_EQ(results[i].status().code(), StatusCode::kUnavailable) << results[i].status();
    EXPECT_EQ(results[i].status().reason(), "client_stopped") << results[i].status();
  }
  EXPECT_EQ(resent.calls(0), 1);
  EXPECT_EQ(resent[0].status().reason(), "client_stopped") << resent[0].status();
}

}  // namespace
}  // namespace zta::http
