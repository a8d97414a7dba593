// A console reporter that also keeps each benchmark's mean real time per iteration, so a
// bench's main can print its SUMMARY lines (scripts/bench.sh) after the run.
#pragma once

#include <benchmark/benchmark.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace zta::bench {

class RunTimeRecorder : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.run_type == Run::RT_Iteration && !run.error_occurred) {
        ns_[run.benchmark_name()] = run.GetAdjustedRealTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  // benchmark name (with its "/iterations:N" suffix, if any) → ns per iteration
  std::unordered_map<std::string, double> ns_;
};

}  // namespace zta::bench
