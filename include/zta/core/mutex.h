// Clang thread-safety annotations and an annotated mutex, so "GUARDED_BY(mu_)" is checked by the
// compiler (-Wthread-safety; scripts/thread-safety.sh, part of `make test`) instead of a comment.
// https://clang.llvm.org/docs/ThreadSafetyAnalysis.html — the macros follow its mutex.h.
// libstdc++'s std::mutex carries no annotations, hence zta::Mutex and zta::MutexLock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define ZTA_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define ZTA_THREAD_ANNOTATION_(x)  // GCC has no thread-safety analysis
#endif

#define ZTA_CAPABILITY(x) ZTA_THREAD_ANNOTATION_(capability(x))
#define ZTA_SCOPED_CAPABILITY ZTA_THREAD_ANNOTATION_(scoped_lockable)
#define ZTA_GUARDED_BY(x) ZTA_THREAD_ANNOTATION_(guarded_by(x))
#define ZTA_PT_GUARDED_BY(x) ZTA_THREAD_ANNOTATION_(pt_guarded_by(x))
#define ZTA_REQUIRES(...) ZTA_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define ZTA_EXCLUDES(...) ZTA_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define ZTA_ACQUIRE(...) ZTA_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define ZTA_RELEASE(...) ZTA_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define ZTA_TRY_ACQUIRE(...) ZTA_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#define ZTA_ASSERT_CAPABILITY(x) ZTA_THREAD_ANNOTATION_(assert_capability(x))
#define ZTA_NO_THREAD_SAFETY_ANALYSIS ZTA_THREAD_ANNOTATION_(no_thread_safety_analysis)

namespace zta {

// std::mutex, annotated. Lock it with MutexLock; the bare Lock/Unlock are for the rare place a
// scope does not fit. Also BasicLockable (lock/unlock), like std::mutex.
class ZTA_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ZTA_ACQUIRE() { mu_.lock(); }
  void Unlock() ZTA_RELEASE() { mu_.unlock(); }
  [[nodiscard]] bool TryLock() ZTA_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  void lock() ZTA_ACQUIRE() { mu_.lock(); }
  void unlock() ZTA_RELEASE() { mu_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

// Holds a Mutex for its scope (std::unique_lock underneath), and waits on a
// std::condition_variable with it. A wait releases the mutex while blocked and holds it again
// on return, so to the analysis it is held throughout: write waits as loops around the guarded
// condition (`while (!done_) lock.Wait(cv_);`), which the analysis checks, rather than with a
// predicate lambda, which it cannot see is called with the lock held.
class ZTA_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ZTA_ACQUIRE(mu) : lock_(mu.mu_) {}
  // Adopts a mutex the caller already holds (after a successful TryLock).
  MutexLock(Mutex& mu, std::adopt_lock_t) ZTA_REQUIRES(mu) : lock_(mu.mu_, std::adopt_lock) {}
  ~MutexLock() ZTA_RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Lets go for a stretch of work that must not hold the mutex, then takes it again.
  void Unlock() ZTA_RELEASE() { lock_.unlock(); }
  void Lock() ZTA_ACQUIRE() { lock_.lock(); }

  void Wait(std::condition_variable& cv) { cv.wait(lock_); }
  // False when `deadline` passed first (the mutex is held again either way).
  template <class Clock, class Duration>
  bool WaitUntil(std::condition_variable& cv,
                 const std::chrono::time_point<Clock, Duration>& deadline) {
    return cv.wait_until(lock_, deadline) == std::cv_status::no_timeout;
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace zta
