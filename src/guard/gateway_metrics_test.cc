// Tests of the gateway's metrics listener on loopback: a FakeIssuer, an echoing upstream, the
// gateway answering asynchronously (as `zta gateway` does) on port 0, its metrics listener on
// another port 0; counters read back from GET /metrics. Also metrics_listen parsing.
#include <gtest/gtest.h>

#include "test_util.h"
#include "zta/guard/gateway.h"
#include "zta/http/client.h"

namespace zta::guard {
namespace {

using testing::FakeIssuer;

class GatewayMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto upstream = http::HttpServer::Start({}, [](const http::Request& r) {
      return http::Response::Json(200, Json{{"upstream_saw", r.target}});
    });
    ASSERT_TRUE(upstream.ok());
    upstream_ = std::move(upstream).value();

    GatewayOptions o = testing::GatewayOptionsFor(
        issuer_, upstream_->BaseUrl(),
        {"GET /api/hotels* read_hotels", "GET /metrics read_hotels", "GET /down* read_hotels"});
    o.routes.back().upstream = "http://127.0.0.1:1";  // nothing listens: the call fails
    o.listen_port = 0;
    o.metrics_listen_host = "127.0.0.1";
    o.metrics_listen_port = 0;
    auto gateway = Gateway::Create(std::move(o), clock_, audit_);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = std::move(gateway).value();
    Gateway* g = gateway_.get();
    auto server =
        http::HttpServer::StartAsync({}, [g](const http::Request& r, http::Respond respond) {
          g->HandleAsync(r, std::move(respond));
        });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    auto metrics = gateway_->StartMetricsListener();
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    metrics_server_ = std::move(metrics).value();
    ASSERT_NE(metrics_server_->port(), 0);
    ASSERT_NE(metrics_server_->port(), server_->port());
  }

  static http::Response Send(const std::string& method, const std::string& url,
                             const std::string& token = "") {
    http::ClientRequest r;
    r.method = method;
    r.url = url;
    if (!token.empty()) r.headers.Set("Authorization", "Bearer " + token);
    auto response = http::Send(r);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }
  http::Response Call(const std::string& method, const std::string& target,
                      const std::string& token = "") {
    return Send(method, server_->BaseUrl() + target, token);
  }
  std::string Scrape() {
    auto r = Send("GET", metrics_server_->BaseUrl() + "/metrics");
    EXPECT_EQ(r.status, 200);
    return r.body;
  }
  // The sample line of `series` (name and labels exactly), e.g. "x{a=\"1\"} 2" → "2".
  static std::string Sample(const std::string& text, const std::string& series) {
    const std::string start = series + " ";
    size_t at = text.starts_with(start) ? 0 : text.find("\n" + start);
    if (at == std::string::npos) return "";
    if (at != 0) ++at;
    at += start.size();
    return text.substr(at, text.find('\n', at) - at);
  }

  std::string Token() { return issuer_.Sign(issuer_.Token(clock_)); }

  SystemClock& clock_ = SystemClock::Instance();
  InMemoryAuditSink audit_;
  FakeIssuer issuer_;
  std::unique_ptr<http::HttpServer> upstream_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<http::HttpServer> metrics_server_;  // destroyed first: it calls the gateway
};

// One allowed and one refused request move requests_total by exactly one each, under the
// configured route's label, and the refusal's reason code is counted; the duration histogram
// and the in-flight gauge are there.
TEST_F(GatewayMetricsTest, CountsAllowAndDenyByRouteWithTheReason) {
  ASSERT_EQ(Call("GET", "/api/hotels/42", Token()).status, 200);
  std::string no_scope = issuer_.Sign(issuer_.Token(clock_).Claim("scope", "create_bookings"));
  ASSERT_EQ(Call("GET", "/api/hotels/42", no_scope).status, 403);

  const std::string text = Scrape();
  EXPECT_EQ(
      Sample(text, R"(zta_gateway_requests_total{route="GET /api/hotels*",decision="allow"})"), "1")
      << text;
  EXPECT_EQ(Sample(text, R"(zta_gateway_requests_total{route="GET /api/hotels*",decision="deny"})"),
            "1");
  EXPECT_EQ(Sample(text, R"(zta_gateway_refusals_total{reason="insufficient_scope"})"), "1");
  EXPECT_EQ(Sample(text, R"(zta_gateway_request_duration_seconds_count{route="GET /api/hotels*"})"),
            "2");
  EXPECT_EQ(Sample(text, "zta_gateway_requests_in_flight"), "0");
  EXPECT_NE(text.find("# TYPE zta_gateway_request_duration_seconds histogram\n"),
            std::string::npos);
  EXPECT_EQ(text.find("zta_gateway_upstream_errors_total{"), std::string::npos);
}

// The metrics carry route labels and reason codes only: junk in the path (quotes and braces
// that would break a label, a control byte) and a junk token, all chosen by the caller, appear
// nowhere; requests no route matched are counted under route "none".
TEST_F(GatewayMetricsTest, NeverLabelsWithWhatTheCallerSent) {
  ASSERT_EQ(Call("GET", "/zzjunk-7f3a/%22%7D?x=zzquery", Token()).status, 404);
  ASSERT_EQ(Call("GET", "/zzjunk-%0A-1d", Token()).status, 400);
  ASSERT_EQ(Call("GET", "/api/hotels/zzjunk-9b2c", "zzjunktoken.abc.def").status, 401);

  const std::string text = Scrape();
  EXPECT_EQ(text.find("zzjunk"), std::string::npos) << text;
  EXPECT_EQ(text.find("zzquery"), std::string::npos);
  EXPECT_EQ(Sample(text, R"(zta_gateway_requests_total{route="none",decision="deny"})"), "2")
      << text;
  EXPECT_EQ(Sample(text, R"(zta_gateway_refusals_total{reason="no_route"})"), "1");
  EXPECT_EQ(Sample(text, R"(zta_gateway_refusals_total{reason="ambiguous_path"})"), "1");
  EXPECT_EQ(Sample(text, R"(zta_gateway_requests_total{route="GET /api/hotels*",decision="deny"})"),
            "1");
  EXPECT_EQ(Sample(text, R"(zta_gateway_refusals_total{reason="malformed"})"), "1") << text;
}

// An upstream that does not answer is counted under its route, and the request still counts
// as allowed (the guard let it through).
TEST_F(GatewayMetricsTest, CountsUpstreamErrors) {
  ASSERT_EQ(Call("GET", "/down/x", Token()).status, 502);
  const std::string text = Scrape();
  EXPECT_EQ(Sample(text, R"(zta_gateway_upstream_errors_total{route="GET /down*"})"), "1") << text;
  EXPECT_EQ(Sample(text, R"(zta_gateway_requests_total{route="GET /down*",decision="allow"})"),
            "1");
}

// /metrics and /healthz on the main listener belong to the upstream: /metrics is proxied to it
// through its route, refused without a token, and /healthz (no route) is a 404, as any path.
TEST_F(GatewayMetricsTest, MainListenerDoesNotServeMetrics) {
  auto proxied = Call("GET", "/metrics", Token());
  EXPECT_EQ(proxied.status, 200);
  EXPECT_EQ(proxied.body, R"({"upstream_saw":"/metrics"})");
  auto refused = Call("GET", "/metrics");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body.find("zta_gateway_"), std::string::npos);
  auto health = Call("GET", "/healthz", Token());
  EXPECT_EQ(health.status, 404);
  EXPECT_EQ(health.body, R"({"error":"not_found"})");

  const std::string text = Scrape();
  EXPECT_EQ(Sample(text, R"(zta_gateway_requests_total{route="GET /metrics",decision="allow"})"),
            "1");
  EXPECT_EQ(Sample(text, R"(zta_gateway_refusals_total{reason="missing_token"})"), "1") << text;
}

// The metrics listener answers GET /metrics in the Prometheus text format and GET /healthz as
// the idp's does; any other path is 404 and any other method 405, and none of it is counted.
TEST_F(GatewayMetricsTest, MetricsListenerAnswersOnlyItsTwoPaths) {
  const std::string base = metrics_server_->BaseUrl();
  auto metrics = Send("GET", base + "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers.Get("Content-Type").value_or(""),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metrics.headers.Get("Cache-Control").value_or(""), "no-store");
  auto health = Send("GET", base + "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  EXPECT_EQ(Send("HEAD", base + "/healthz").status, 200);
  EXPECT_EQ(Send("GET", base + "/api/hotels").status, 404);
  EXPECT_EQ(Send("GET", base + "/").status, 404);
  auto post = Send("POST", base + "/metrics");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.headers.Get("Allow").value_or(""), "GET, HEAD");
  EXPECT_EQ(Send("DELETE", base + "/healthz").status, 405);

  const std::string text = Scrape();
  EXPECT_EQ(text.find("zta_gateway_requests_total{"), std::string::npos) << text;
}

// The blocking Handle (what tests and embedders use) counts the same way as HandleAsync.
TEST(GatewayMetricsBlockingTest, HandleCountsToo) {
  FakeIssuer issuer;
  InMemoryAuditSink audit;
  auto upstream = http::HttpServer::Start(
      {}, [](const http::Request&) { return http::Response::Json(200, Json::object()); });
  ASSERT_TRUE(upstream.ok());
  GatewayOptions o =
      testing::GatewayOptionsFor(issuer, (*upstream)->BaseUrl(), {"GET /api/* read_hotels"});
  o.metrics_listen_host = "127.0.0.1";
  o.metrics_listen_port = 0;
  auto served = testing::ServeGateway(std::move(o), SystemClock::Instance(), audit);
  ASSERT_NE(served.metrics_server, nullptr);
  http::ClientRequest r;
  r.url = served.server->BaseUrl() + "/api/x";
  r.headers.Set("Authorization", "Bearer " + issuer.Sign(issuer.Token(SystemClock::Instance())));
  ASSERT_EQ(http::Send(r)->status, 200);
  http::ClientRequest scrape;
  scrape.url = served.metrics_server->BaseUrl() + "/metrics";
  auto text = http::Send(scrape);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(
      text->body.find("zta_gateway_requests_total{route=\"GET /api/*\",decision=\"allow\"} 1\n"),
      std::string::npos)
      << text->body;
}

// metrics_listen = "HOST:PORT" is parsed like listen; a bad value is refused with an error
// naming the key, and the listener is off unless the key is given.
TEST(GatewayMetricsConfigTest, ParsesMetricsListenAndRefusesBadValues) {
  auto o = ParseGatewayConfig("listen = \"127.0.0.1:8080\"\nmetrics_listen = \"127.0.0.1:0\"\n");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->metrics_listen_host, "127.0.0.1");
  EXPECT_EQ(o->metrics_listen_port, 0);
  auto v6 = ParseGatewayConfig("metrics_listen = \"[::1]:9464\"\n");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->metrics_listen_host, "::1");
  EXPECT_EQ(v6->metrics_listen_port, 9464);
  auto off = ParseGatewayConfig("listen = \"127.0.0.1:8080\"\n");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->metrics_listen_host, "");

  for (const char* bad :
       {"metrics_listen = \"127.0.0.1\"\n", "metrics_listen = \"9464\"\n",
        "metrics_listen = \"127.0.0.1:99999\"\n", "metrics_listen = \"127.0.0.1:abc\"\n",
        "metrics_listen = \":9464\"\n", "metrics_listen = \"\"\n", "metrics_listen = 9464\n"}) {
    auto refused = ParseGatewayConfig(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().ToString().find("metrics_listen"), std::string::npos)
        << bad << ": " << refused.status();
  }

  // The flag's parser says the same.
  std::string host;
  int port = -1;
  Status flag = ParseMetricsListen("localhost", &host, &port);
  EXPECT_FALSE(flag.ok());
  EXPECT_NE(flag.ToString().find("metrics_listen"), std::string::npos) << flag;
}

// Validate refuses the main listener's own address as metrics_listen (port 0 aside: each
// listener then gets its own free port).
TEST(GatewayMetricsConfigTest, ValidateRefusesTheMainListenAddress) {
  FakeIssuer issuer;
  GatewayOptions o = testing::GatewayOptionsFor(issuer, "http://127.0.0.1:9", {"GET /a x"});
  o.listen_host = "127.0.0.1";
  o.listen_port = 8080;
  o.metrics_listen_host = "127.0.0.1";
  o.metrics_listen_port = 8080;
  Status same = o.Validate();
  EXPECT_FALSE(same.ok());
  EXPECT_NE(same.message().find("metrics_listen must differ from listen"), std::string::npos)
      << same;
  o.metrics_listen_port = 9464;
  EXPECT_TRUE(o.Validate().ok()) << o.Validate();
  o.metrics_listen_port = 70000;
  EXPECT_FALSE(o.Validate().ok());
  o.listen_port = 0;
  o.metrics_listen_port = 0;
  EXPECT_TRUE(o.Validate().ok()) << o.Validate();
}

}  // namespace
}  // namespace zta::guard
