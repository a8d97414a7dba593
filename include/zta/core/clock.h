// Time comes from an injected Clock so every time-dependent check can be tested deterministically.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace zta {

// Wall-clock time source. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (what JWT NumericDate counts, RFC 7519 §2).
  virtual int64_t NowSeconds() const = 0;
  // Microseconds since the Unix epoch (audit timestamps).
  virtual int64_t NowMicros() const = 0;
};

// The real clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  int64_t NowSeconds() const override;
  int64_t NowMicros() const override;
  // A process-wide instance for code that has no clock injected (the CLI).
  static SystemClock& Instance();
};

// A clock tests set and advance by hand. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_seconds = 1'700'000'000) : micros_(now_seconds * 1'000'000) {}
  int64_t NowSeconds() const override { return micros_.load() / 1'000'000; }
  int64_t NowMicros() const override { return micros_.load(); }
  void SetSeconds(int64_t seconds) { micros_.store(seconds * 1'000'000); }
  void AdvanceSeconds(int64_t seconds) { micros_.fetch_add(seconds * 1'000'000); }
  void AdvanceMicros(int64_t micros) { micros_.fetch_add(micros); }

 private:
  std::atomic<int64_t> micros_;
};

}  // namespace zta
