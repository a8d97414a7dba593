// AsyncClient: a queue filled by Send from any thread and one thread that moves queued requests
// into a libcurl multi handle, waits in curl_multi_poll and answers each finished transfer.
// Every transfer is configured by internal::CurlTransfer, exactly as the blocking Send does.
#include "zta/http/async_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "curl_transfer.h"
#include "zta/core/mutex.h"

namespace zta::http {
namespace {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;

// How long curl_multi_poll sleeps with nothing to do. Only a backstop: a Send or the destructor
// wakes it with curl_multi_wakeup, and libcurl shortens the wait to its own next timeout.
constexpr int kIdlePollMs = 1000;

// Finished easy handles kept for reuse; beyond this many they are freed.
constexpr size_t kMaxIdleEasyHandles = 64;

Status Stopped() {
  return Status(StatusCode::kUnavailable, "HTTP client stopped before the response arrived",
                "client_stopped");
}

// One request from Send to its callback.
struct Call {
  ClientRequest request;
  ResponseCallback done;
  std::chrono::steady_clock::time_point sent;  // when Send took it: the timeout counts from here
  // Set when Send refused the request: answered without I/O and not counted as in flight.
  std::optional<Status> refused;
  // Declared before `transfer`, so the transfer unhooks itself before the handle goes.
  EasyHandle easy;
  std::optional<internal::CurlTransfer> transfer;
};

}  // namespace

class AsyncClient::Impl {
 public:
  Impl(AsyncClientOptions options, MultiHandle multi)
      : options_(options), multi_(std::move(multi)) {}

  ~Impl() { Stop(); }

  // Ends the thread once it has answered everything owed. Idempotent.
  void Stop() {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_.get());
    if (thread_.joinable()) thread_.join();
  }

  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }

  void Send(ClientRequest request, ResponseCallback done) {
    auto call = std::make_unique<Call>();
    call->sent = std::chrono::steady_clock::now();
    call->done = std::move(done);
    MutexLock lock(mu_);
    if (stopping_) {
      // Only a callback can get here (the destructor is running); nobody will drain the queue.
      lock.Unlock();
      if (call->done) call->done(Stopped());
      return;
    }
    if (in_flight_ >= options_.max_in_flight) {
      call->refused = Status(StatusCode::kResourceExhausted,
                             "HTTP client has " + std::to_string(in_flight_) +
                                 " requests in flight, the most it takes",
                             "too_many_requests");
    } else {
      call->request = std::move(request);
      ++in_flight_;
    }
    queue_.push_back(std::move(call));
    // Under the lock: once the destructor has set stopping_, nobody touches the multi handle.
    curl_multi_wakeup(multi_.get());
  }

  size_t in_flight() const {
    MutexLock lock(mu_);
    return in_flight_;
  }

 private:
  void Run() {
    std::vector<std::unique_ptr<Call>> incoming;
    for (;;) {
      {
        MutexLock lock(mu_);
        incoming.swap(queue_);
        if (stopping_) break;
      }
      for (auto& call : incoming) Start(std::move(call));
      incoming.clear();
      int running = 0;
      curl_multi_perform(multi_.get(), &running);
      AnswerFinished();
      curl_multi_poll(multi_.get(), nullptr, 0, kIdlePollMs, nullptr);
    }
    // Stopping: Send no longer queues, so `incoming` and active_ are all that is left.
    for (auto& [easy, call] : active_) {
      curl_multi_remove_handle(multi_.get(), easy);
      Answer(std::move(call), Stopped());
    }
    active_.clear();
    for (auto& call : incoming) {
      Status status = call->refused ? *call->refused : Stopped();
      Answer(std::move(call), std::move(status));
    }
  }

  // Hands a queued request to libcurl, or answers it at once when it cannot start.
  void Start(std::unique_ptr<Call> call) {
    if (call->refused) {
      Status status = *call->refused;
      Answer(std::move(call), std::move(status));
      return;
    }
    // The timeout counts from Send: time spent queued is gone. With none left, Prepare says so.
    auto queued = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - call->sent);
    call->request.timeout -= std::min(queued, call->request.timeout);
    if (!idle_easy_.empty()) {
      call->easy = std::move(idle_easy_.back());
      idle_easy_.pop_back();
    } else {
      call->easy.reset(curl_easy_init());
    }
    auto transfer = internal::CurlTransfer::Prepare(call->request, call->easy.get());
    if (!transfer.ok()) {
      Answer(std::move(call), transfer.status());
      return;
    }
    call->transfer.emplace(std::move(transfer).value());
    CURL* easy = call->easy.get();
    if (curl_multi_add_handle(multi_.get(), easy) != CURLM_OK) {
      Answer(std::move(call), Internal("curl_multi_add_handle failed"));
      return;
    }
    active_.emplace(easy, std::move(call));
  }

  void AnswerFinished() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      // The message is freed by curl_multi_remove_handle: copy it first.
      CURL* easy = msg->easy_handle;
      CURLcode code = msg->data.result;
      auto it = active_.find(easy);
      if (it == active_.end()) continue;
      std::unique_ptr<Call> call = std::move(it->second);
      active_.erase(it);
      curl_multi_remove_handle(multi_.get(), easy);
      Result<Response> result = call->transfer->Finish(code);
      Answer(std::move(call), std::move(result));
    }
  }

  // Frees the transfer and its slot first, so the callback may Send again (a retry) and find room.
  void Answer(std::unique_ptr<Call> call, Result<Response> result) {
    ResponseCallback done = std::move(call->done);
    bool counted = !call->refused.has_value();
    // A finished handle is kept for the next request: curl_easy_reset clears its options but
    // keeps its buffers, which saves allocating and initializing a handle per request.
    call->transfer.reset();
    if (call->easy && idle_easy_.size() < kMaxIdleEasyHandles) {
      curl_easy_reset(call->easy.get());
      idle_easy_.push_back(std::move(call->easy));
    }
    call.reset();
    if (counted) {
      MutexLock lock(mu_);
      --in_flight_;
    }
    if (done) done(std::move(result));
  }

  const AsyncClientOptions options_;
  const MultiHandle multi_;

  mutable Mutex mu_;
  std::vector<std::unique_ptr<Call>> queue_ ZTA_GUARDED_BY(mu_);
  size_t in_flight_ ZTA_GUARDED_BY(mu_) = 0;  // queued or active, not refused
  bool stopping_ ZTA_GUARDED_BY(mu_) = false;

  // The client's thread only: transfers added to the multi handle, by their easy handle.
  std::unordered_map<CURL*, std::unique_ptr<Call>> active_;
  std::vector<EasyHandle> idle_easy_;  // finished handles, reset, for reuse
  std::thread thread_;
};

Result<std::unique_ptr<AsyncClient>> AsyncClient::Create(AsyncClientOptions options) {
  if (options.max_in_flight == 0) return InvalidArgument("max_in_flight must be positive");
  ZTA_RETURN_IF_ERROR(internal::CurlTransfer::GlobalInit());
  MultiHandle multi(curl_multi_init());
  if (multi == nullptr) return Internal("curl_multi_init failed");
  auto impl = std::make_unique<Impl>(options, std::move(multi));
  impl->StartThread();
  return std::unique_ptr<AsyncClient>(new AsyncClient(std::move(impl)));
}

AsyncClient::AsyncClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
// Stops before impl_ goes, so a callback that Sends during the final answers finds it whole.
AsyncClient::~AsyncClient() { impl_->Stop(); }

void AsyncClient::Send(ClientRequest request, ResponseCallback done) {
  impl_->Send(std::move(request), std::move(done));
}

size_t AsyncClient::in_flight() const { return impl_->in_flight(); }

}  // namespace zta::http
