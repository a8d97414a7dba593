// Prometheus text exposition: https://prometheus.io/docs/instrumenting/exposition_formats/
#include "zta/core/metrics.h"

#include <cstdio>

namespace zta {

std::string RenderMetricLabels(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first;
    out += "=\"";
    for (char c : labels[i].second) {
      if (c == '\\') out += "\\\\";
      else if (c == '"') out += "\\\"";
      else if (c == '\n') out += "\\n";
      else out += c;
    }
    out += '"';
  }
  return out + "}";
}

Metrics::Family& Metrics::FamilyLocked(std::string_view name, std::string_view type) {
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(std::string(name), Family{}).first;
  if (it->second.type.empty()) it->second.type = std::string(type);
  return it->second;
}

void Metrics::Describe(std::string_view name, std::string_view type, std::string_view help) {
  MutexLock lock(mu_);
  Family& f = FamilyLocked(name, type);
  f.type = std::string(type);
  f.help = std::string(help);
}

void Metrics::Count(std::string_view name, const MetricLabels& labels, uint64_t n) {
  std::string key = RenderMetricLabels(labels);
  MutexLock lock(mu_);
  FamilyLocked(name, "counter").values[key] += static_cast<double>(n);
}

void Metrics::SetGauge(std::string_view name, const MetricLabels& labels, double value) {
  std::string key = RenderMetricLabels(labels);
  MutexLock lock(mu_);
  FamilyLocked(name, "gauge").values[key] = value;
}

void Metrics::ObserveSeconds(std::string_view name, const MetricLabels& labels, double seconds) {
  std::string key = RenderMetricLabels(labels);
  MutexLock lock(mu_);
  Histogram& h = FamilyLocked(name, "histogram").histograms[key];
  for (size_t i = 0; i < std::size(kBuckets); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::AddCollector(std::function<void(Metrics&)> collect) {
  MutexLock lock(mu_);
  collectors_.push_back(std::move(collect));
}

namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.12g", v);  // 0.0025, not 0.0025000000000000001
  return buf;
}

// `{a="1"}` + le → `{a="1",le="0.5"}`.
std::string WithLe(const std::string& key, const std::string& le) {
  std::string label = "le=\"" + le + "\"";
  if (key.empty()) return "{" + label + "}";
  return key.substr(0, key.size() - 1) + "," + label + "}";
}

}  // namespace

std::string Metrics::Render() {
  std::vector<std::function<void(Metrics&)>> collectors;
  {
    MutexLock lock(mu_);
    collectors = collectors_;
  }
  for (auto& collect : collectors) collect(*this);
  MutexLock lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    for (const auto& [key, v] : f.values) out += name + key + " " + Number(v) + "\n";
    for (const auto& [key, h] : f.histograms) {
      for (size_t i = 0; i < std::size(kBuckets); ++i) {
        out += name + "_bucket" + WithLe(key, Number(kBuckets[i])) + " " +
               std::to_string(h.buckets[i]) + "\n";
      }
      out += name + "_bucket" + WithLe(key, "+Inf") + " " + std::to_string(h.count) + "\n";
      out += name + "_sum" + key + " " + Number(h.sum) + "\n";
      out += name + "_count" + key + " " + std::to_string(h.count) + "\n";
    }
  }
  return out;
}

}  // namespace zta
