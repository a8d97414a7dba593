// Counters, gauges and latency histograms, rendered in the Prometheus text exposition format
// (version 0.0.4), for the /metrics of `zta idp serve` and `zta gateway` (docs/scale.md,
// "Health and metrics"). Label values are escaped as the format says; never put a token,
// secret or user-typed string in one (endpoints, reasons and codes only).
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zta/core/mutex.h"

namespace zta {

// The Content-Type of Metrics::Render()'s text (Prometheus exposition format 0.0.4).
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Thread-safe.
class Metrics {
 public:
  // `help` is shown once per family; call before the first sample of it (or never).
  void Describe(std::string_view name, std::string_view type, std::string_view help);

  void Count(std::string_view name, const MetricLabels& labels, uint64_t n = 1);
  void SetGauge(std::string_view name, const MetricLabels& labels, double value);
  // One observation of a duration, into buckets from 0.5 ms to 2.5 s (and +Inf).
  void ObserveSeconds(std::string_view name, const MetricLabels& labels, double seconds);

  // Gauges read at render time (a queue depth, whether the store answers).
  void AddCollector(std::function<void(Metrics&)> collect);

  // The text exposition, families in name order.
  std::string Render();

  static constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct Histogram {
    uint64_t buckets[std::size(kBuckets)] = {};
    uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string type, help;
    std::map<std::string, double> values;        // rendered label set → counter or gauge
    std::map<std::string, Histogram> histograms;  // rendered label set → histogram
  };
  Family& FamilyLocked(std::string_view name, std::string_view type) ZTA_REQUIRES(mu_);

  Mutex mu_;
  std::map<std::string, Family, std::less<>> families_ ZTA_GUARDED_BY(mu_);
  std::vector<std::function<void(Metrics&)>> collectors_ ZTA_GUARDED_BY(mu_);
};

// `{a="1",b="2"}` ("" for no labels), values escaped (\\, \", \n).
std::string RenderMetricLabels(const MetricLabels& labels);

}  // namespace zta
