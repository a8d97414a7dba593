// The web chat's events feed (docs/hotel.md, "The web chat"): what one signed-in session's page
// is told — its messages, tool calls and their outcome, consent requests, booking confirmations —
// numbered in order and delivered by long polling (GET /api/events?after=N).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/mutex.h"
#include "zta/http/server.h"

namespace zta::hotel {

// One session's events and the polls waiting for new ones. Thread-safe: the turn's threads
// append, the HTTP threads poll, the server's ticker expires polls.
class EventFeed {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // REQUIRES: capacity > 0. The oldest events are dropped past it (a page that polls from
  // before the oldest kept one gets what is kept).
  explicit EventFeed(size_t capacity = 1000) : capacity_(capacity) {}

  // Numbers `event` (its "seq", from 1), keeps it, and answers every poll waiting for it.
  int64_t Append(Json event);
  // Answers at once with the events after `after` when there are any (or when the feed is
  // closed); else holds `respond` until one comes or `deadline` passes (then an empty answer).
  void Poll(int64_t after, TimePoint deadline, http::Respond respond);
  // Answers the polls whose deadline passed with no events.
  void Expire(TimePoint now);
  // Answers every waiting poll and every later one at once (the server is stopping, or the
  // session ended).
  void Close();

  int64_t last_seq() const;
  // The events after `after`, oldest first (for tests and the first answer of a poll).
  std::vector<Json> After(int64_t after) const;
  size_t waiting() const;

  // The answer to a poll: {"events": [...], "next": N, "closed": bool}.
  static http::Response Answer(const std::vector<Json>& events, int64_t next, bool closed);

 private:
  struct Waiter {
    int64_t after;
    TimePoint deadline;
    http::Respond respond;
  };
  std::vector<Json> AfterLocked(int64_t after) const ZTA_REQUIRES(mu_);

  const size_t capacity_;
  mutable Mutex mu_;
  std::deque<Json> events_ ZTA_GUARDED_BY(mu_);
  int64_t last_seq_ ZTA_GUARDED_BY(mu_) = 0;
  bool closed_ ZTA_GUARDED_BY(mu_) = false;
  std::vector<Waiter> waiters_ ZTA_GUARDED_BY(mu_);
};

}  // namespace zta::hotel
