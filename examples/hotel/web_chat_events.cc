// EventFeed: numbered events and long polls (web_chat_events.h). Responds are called with the
// mutex released: an answer may run the connection's write on this thread.
#include "web_chat_events.h"

#include <utility>

namespace zta::hotel {

int64_t EventFeed::Append(Json event) {
  int64_t seq = 0;
  std::vector<Waiter> waiters;
  {
    MutexLock lock(mu_);
    seq = ++last_seq_;
    event["seq"] = seq;
    events_.push_back(std::move(event));
    while (events_.size() > capacity_) events_.pop_front();
    waiters.swap(waiters_);
  }
  for (Waiter& w : waiters) {
    std::vector<Json> events = After(w.after);
    w.respond(
        Answer(events, events.empty() ? w.after : events.back()["seq"].get<int64_t>(), false));
  }
  return seq;
}

void EventFeed::Poll(int64_t after, TimePoint deadline, http::Respond respond) {
  std::vector<Json> events;
  bool closed = false;
  {
    MutexLock lock(mu_);
    events = AfterLocked(after);
    closed = closed_;
    if (events.empty() && !closed) {
      waiters_.push_back(Waiter{after, deadline, std::move(respond)});
      return;
    }
  }
  int64_t next = events.empty() ? after : events.back()["seq"].get<int64_t>();
  respond(Answer(events, next, closed));
}

void EventFeed::Expire(TimePoint now) {
  std::vector<Waiter> expired;
  {
    MutexLock lock(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->deadline <= now) {
        expired.push_back(std::move(*it));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Waiter& w : expired) w.respond(Answer({}, w.after, false));
}

void EventFeed::Close() {
  std::vector<Waiter> waiters;
  {
    MutexLock lock(mu_);
    closed_ = true;
    waiters.swap(waiters_);
  }
  for (Waiter& w : waiters) w.respond(Answer({}, w.after, true));
}

int64_t EventFeed::last_seq() const {
  MutexLock lock(mu_);
  return last_seq_;
}

std::vector<Json> EventFeed::After(int64_t after) const {
  MutexLock lock(mu_);
  return AfterLocked(after);
}

std::vector<Json> EventFeed::AfterLocked(int64_t after) const {
  std::vector<Json> out;
  for (const Json& e : events_) {
    if (e["seq"].get<int64_t>() > after) out.push_back(e);
  }
  return out;
}

size_t EventFeed::waiting() const {
  MutexLock lock(mu_);
  return waiters_.size();
}

http::Response EventFeed::Answer(const std::vector<Json>& events, int64_t next, bool closed) {
  Json body = {{"events", events}, {"next", next}, {"closed", closed}};
  http::Response r = http::Response::Json(200, body);
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace zta::hotel
