// Private to zta::auth: the requests waiting for their authorization redirect, keyed by state,
// shared by LoopbackConsentHandler and WebConsentHandler.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "zta/core/status.h"
#include "zta/http/message.h"

namespace zta::auth {

// Thread-safe.
class RedirectWaiters {
 public:
  // Registers `state` before the person is shown the URL, so a redirect arriving at once is kept.
  void Add(const std::string& state) {
    std::lock_guard lock(mu_);
    waiting_[state];
  }

  // Blocks until Deliver(state, ...) or `timeout`; removes the entry either way.
  Result<std::string> Wait(const std::string& state, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    const bool arrived = cv_.wait_for(lock, timeout, [&] {
      auto it = waiting_.find(state);
      return it == waiting_.end() || it->second.has_value();
    });
    auto it = waiting_.find(state);
    std::optional<std::string> query;
    if (it != waiting_.end()) {
      query = std::move(it->second);
      waiting_.erase(it);
    }
    if (!arrived || !query) {
      return Status(StatusCode::kDeadlineExceeded, "no authorization response in time");
    }
    return *query;
  }

  // Gives `query` to the request waiting under `state`; false when none is, or it has its answer.
  bool Deliver(std::string_view state, std::string_view query) {
    {
      std::lock_guard lock(mu_);
      auto it = waiting_.find(std::string(state));
      if (it == waiting_.end() || it->second.has_value()) return false;
      it->second = std::string(query);
    }
    cv_.notify_all();
    return true;
  }

  // Deliver by the query's own state; when it names no waiting request and exactly one request
  // waits (and `to_only_waiter`), to that one, whose state check then fails.
  bool DeliverByQuery(std::string_view query, bool to_only_waiter) {
    std::string state;
    if (auto fields = http::ParseForm(query); fields.ok()) {
      for (const auto& [name, value] : *fields) {
        if (name == "state") state = value;
      }
    }
    if (Deliver(state, query)) return true;
    if (!to_only_waiter) return false;
    std::string only;
    {
      std::lock_guard lock(mu_);
      size_t open = 0;
      for (const auto& [s, answer] : waiting_) {
        if (!answer) {
          ++open;
          only = s;
        }
      }
      if (open != 1) return false;
    }
    return Deliver(only, query);
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return waiting_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::optional<std::string>, std::less<>> waiting_;  // GUARDED_BY(mu_)
};

}  // namespace zta::auth
