// The Prometheus text of counters, gauges, histograms and collectors.
#include "zta/core/metrics.h"

#include <gtest/gtest.h>

namespace zta {
namespace {

TEST(MetricsTest, RendersCountersGaugesAndHistogramsInTheTextFormat) {
  Metrics m;
  m.Describe("zta_requests_total", "counter", "Requests answered.");
  m.Count("zta_requests_total", {{"endpoint", "/token"}, {"code", "200"}});
  m.Count("zta_requests_total", {{"endpoint", "/token"}, {"code", "200"}}, 2);
  m.Count("zta_requests_total", {{"endpoint", "/token"}, {"code", "401"}});
  m.SetGauge("zta_store_up", {}, 1);
  m.ObserveSeconds("zta_latency_seconds", {{"endpoint", "/token"}}, 0.003);
  m.ObserveSeconds("zta_latency_seconds", {{"endpoint", "/token"}}, 7);
  std::string text = m.Render();
  EXPECT_NE(text.find("# HELP zta_requests_total Requests answered.\n"
                      "# TYPE zta_requests_total counter\n"),
            std::string::npos);
  EXPECT_NE(text.find("zta_requests_total{endpoint=\"/token\",code=\"200\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("zta_requests_total{endpoint=\"/token\",code=\"401\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE zta_store_up gauge\nzta_store_up 1\n"), std::string::npos);
  EXPECT_NE(text.find("zta_latency_seconds_bucket{endpoint=\"/token\",le=\"0.0025\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("zta_latency_seconds_bucket{endpoint=\"/token\",le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("zta_latency_seconds_bucket{endpoint=\"/token\",le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("zta_latency_seconds_count{endpoint=\"/token\"} 2\n"), std::string::npos);
}

TEST(MetricsTest, EscapesLabelValuesAndRunsCollectorsAtRender) {
  EXPECT_EQ(RenderMetricLabels({{"r", "a\"b\\c\nd"}}), "{r=\"a\\\"b\\\\c\\nd\"}");
  Metrics m;
  int depth = 4;
  m.AddCollector([&](Metrics& self) { self.SetGauge("zta_queue_depth", {}, depth); });
  EXPECT_NE(m.Render().find("zta_queue_depth 4\n"), std::string::npos);
  depth = 0;
  EXPECT_NE(m.Render().find("zta_queue_depth 0\n"), std::string::npos);
}

}  // namespace
}  // namespace zta
