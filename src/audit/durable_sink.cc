// DurableAuditSink: group commit of hash-chained events into SQLite, and signed checkpoints.
#include "zta/audit/durable_sink.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <limits>
#include <thread>
#include <vector>

#include "chain_store.h"
#include "log_files.h"
#include "zta/audit/event_format.h"
#include "zta/core/mutex.h"
#include "zta/core/random.h"
#include "zta/jose/jws.h"

namespace zta::audit {

using internal::CheckpointPayload;

namespace {

// Background threads of the sink run as SCHED_BATCH (sched(7)): the scheduler does not let them
// preempt the running thread when they wake. When appenders and the writer share a core, a
// writer woken by the first event of a batch would otherwise take the core at once and commit
// that one event; this way the appender goes on serving its other requests until it waits, and
// the writer then commits them together. Best effort: if refused, nothing else changes.
void RunAsBatchThread() {
  sched_param param{};
  param.sched_priority = 0;
  (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
}

// The algorithm a checkpoint key signs with: its own alg member, else the usual one for its
// type. Symmetric keys are refused: whoever can verify an HMAC checkpoint could also forge one.
Result<jose::Algorithm> CheckpointAlgorithm(const jose::Jwk& key) {
  if (!key.has_private()) return FailedPrecondition("checkpoint signing key has no private part");
  if (key.kty() == jose::KeyType::kOct) {
    return FailedPrecondition("checkpoint signing key must be asymmetric");
  }
  if (key.alg()) return *key.alg();
  switch (key.kty()) {
    case jose::KeyType::kEC:
      if (key.crv() == jose::Curve::kP384) return jose::Algorithm::kES384;
      if (key.crv() == jose::Curve::kP521) return jose::Algorithm::kES512;
      return jose::Algorithm::kES256;
    case jose::KeyType::kRSA:
      return jose::Algorithm::kPS256;
    case jose::KeyType::kOKP:
      return jose::Algorithm::kEdDSA;
    case jose::KeyType::kOct:
      break;
  }
  return FailedPrecondition("unsupported checkpoint signing key");
}

}  // namespace

class DurableAuditSink::Impl {
 public:
  Impl(const DurableAuditSinkOptions& options, Clock& clock) : options_(options), clock_(clock) {}

  ~Impl() { (void)Close(); }

  Status Init() {
    ZTA_RETURN_IF_ERROR(PrepareFolderAndKey());
    chain_ = options_.store_url.empty()
                 ? internal::SqliteChainStore(options_.data_dir)
                 : internal::PostgresChainStore(options_.store_url, options_.chain_id);
    ZTA_ASSIGN_OR_RETURN(internal::ChainStart start, chain_->Open());
    ZTA_RETURN_IF_ERROR(chain_->PublishPublicKey(*key_));
    log_id_ = start.log_id;
    head_seq_ = start.head_seq;
    head_hash_ = start.head_hash;
    last_checkpoint_count_ = start.checkpoint_count;
    last_checkpoint_micros_ = start.checkpoint_micros.value_or(clock_.NowMicros());
    events_.store(head_seq_);
    ZTA_ASSIGN_OR_RETURN(id_prefix_, RandomToken(9));
    writer_ = std::thread([this] {
      RunAsBatchThread();
      WriterLoop();
    });
    return Status::Ok();
  }

  Status Append(AuditEvent event) {
    Pending pending;
    pending.rendered = Render(std::move(event));  // the costly part, on the caller's thread
    MutexLock lock(mu_);
    WaitForRoom(lock);
    if (closed_) return FailedPrecondition("the audit sink is closed");
    queue_.push_back(&pending);
    WakeWriterIfDue();
    while (!pending.done) lock.Wait(done_cv_);
    return pending.status;
  }

  void AppendAsync(AuditEvent event, AppendCallback done) {
    auto pending = std::make_unique<Pending>();
    pending->rendered = Render(std::move(event));
    pending->callback = std::move(done);
    {
      MutexLock lock(mu_);
      WaitForRoom(lock);
      if (!closed_) {
        queue_.push_back(pending.release());  // the writer owns it from here
        WakeWriterIfDue();
        return;
      }
    }
    pending->callback(FailedPrecondition("the audit sink is closed"));
  }

  Status Checkpoint() {
    MutexLock lock(mu_);
    if (closed_) return FailedPrecondition("the audit sink is closed");
    uint64_t ticket = ++checkpoint_requested_;
    work_cv_.notify_one();
    while (checkpoint_done_ < ticket) lock.Wait(done_cv_);
    return checkpoint_status_;
  }

  Status Close() {
    {
      MutexLock lock(mu_);
      if (closed_) return close_status_;
      closed_ = true;
      work_cv_.notify_one();
      room_cv_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
    if (chain_) chain_->Close();
    MutexLock lock(mu_);
    return close_status_;
  }

  Stats stats() const {
    Stats s;
    s.events = events_.load();
    s.commits = commits_.load();
    s.checkpoints = checkpoints_.load();
    return s;
  }

 private:
  // The data folder (owner-only when created here), the signing key and its published half.
  Status PrepareFolderAndKey() {
    std::error_code ec;
    if (!std::filesystem::exists(options_.data_dir, ec)) {
      if (!std::filesystem::create_directories(options_.data_dir, ec)) {
        return FailedPrecondition("cannot create data folder " + options_.data_dir + ": " +
                                  ec.message());
      }
      ::chmod(options_.data_dir.c_str(), 0700);
    }
    if (options_.signing_key) {
      key_ = *options_.signing_key;
    } else {
      ZTA_ASSIGN_OR_RETURN(key_, internal::LoadOrCreateSigningKey(options_.data_dir));
    }
    ZTA_ASSIGN_OR_RETURN(alg_, CheckpointAlgorithm(*key_));

    return Status::Ok();
  }

  // One event waiting for its batch. An Append's lives on the caller's stack until `done`; an
  // AppendAsync's is owned by the queue, then the writer, which calls `callback` and frees it.
  struct Pending {
    RenderedEvent rendered;
    AppendCallback callback;  // empty for Append
    // Guarded by Impl::mu_ once queued (an annotation cannot name another object's mutex).
    Status status;
    bool done = false;
  };

  RenderedEvent Render(AuditEvent event) {
    if (event.id.empty()) {
      event.id = id_prefix_ + "-" + std::to_string(next_id_.fetch_add(1) + 1);
    }
    if (event.time_micros == 0) event.time_micros = clock_.NowMicros();
    return RenderEvent(event);
  }

  // Backpressure: callers wait while the queue is full, so a flood cannot grow it unbounded.
  void WaitForRoom(MutexLock& lock) ZTA_REQUIRES(mu_) {
    size_t limit = std::max<size_t>(options_.max_queued_events, 1);
    while (queue_.size() >= limit && !closed_) lock.Wait(room_cv_);
  }

  // Appenders wake the writer only when it waits for exactly this: the first event when idle,
  // the batch target while gathering, never while it commits (it looks at the queue again before
  // it sleeps). A wake-up per event would cost a context switch per event and, when appenders
  // and writer share a core, preempt the appender after every event: batches of one.
  void WakeWriterIfDue() ZTA_REQUIRES(mu_) {
    if (queue_.size() >= wake_at_) work_cv_.notify_one();
  }

  void WriterLoop() {
    MutexLock lock(mu_);
    auto tick = std::chrono::seconds(1);
    if (options_.checkpoint_every_seconds > 0) {
      tick = std::min(tick, std::chrono::seconds(options_.checkpoint_every_seconds));
    }
    for (;;) {
      wake_at_ = 1;
      auto wake_by = std::chrono::steady_clock::now() + tick;
      while (queue_.empty() && !closed_ && checkpoint_requested_ == checkpoint_done_ &&
             lock.WaitUntil(work_cv_, wake_by)) {
      }
      if (!queue_.empty()) {
        size_t target = std::min(RecentPeakBatch(), std::max<size_t>(options_.max_batch, 1));
        if (options_.group_commit_delay_micros > 0 && target > 1 && queue_.size() < target) {
          wake_at_ = target;
          auto gathered_by = std::chrono::steady_clock::now() +
                             std::chrono::microseconds(options_.group_commit_delay_micros);
          while (queue_.size() < target && !closed_ && lock.WaitUntil(work_cv_, gathered_by)) {
          }
        }
        wake_at_ = std::numeric_limits<size_t>::max();  // committing: no wake-ups needed
        // Take everything that is waiting: this is the group in group commit.
        std::vector<Pending*> batch;
        size_t n = std::min(queue_.size(), std::max<size_t>(options_.max_batch, 1));
        batch.assign(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
        recent_batches_[batch_counter_++ % recent_batches_.size()] = batch.size();
        room_cv_.notify_all();
        lock.Unlock();
        std::vector<Status> results = CommitBatch(batch);
        // Asynchronous appends hear their outcome first, outside the lock: a callback typically
        // hands an HTTP response to its connection. Their Pending is freed here; only the
        // synchronous ones (still on their callers' stacks) stay in `batch`.
        bool any_waiting = false;
        for (size_t i = 0; i < batch.size(); ++i) {
          if (!batch[i]->callback) {
            any_waiting = true;
            continue;
          }
          std::unique_ptr<Pending> owned(batch[i]);
          batch[i] = nullptr;
          owned->callback(std::move(results[i]));
        }
        lock.Lock();
        for (size_t i = 0; i < batch.size(); ++i) {
          if (batch[i] == nullptr) continue;
          batch[i]->status = std::move(results[i]);
          batch[i]->done = true;
        }
        if (any_waiting) done_cv_.notify_all();
        continue;  // drain the queue before anything else
      }
      if (checkpoint_requested_ != checkpoint_done_) {
        uint64_t ticket = checkpoint_requested_;
        lock.Unlock();
        Status status = CheckpointInOwnTransaction();
        lock.Lock();
        checkpoint_done_ = ticket;
        checkpoint_status_ = status;
        done_cv_.notify_all();
        continue;
      }
      if (closed_) break;
      if (TimeCheckpointDue()) {
        lock.Unlock();
        (void)CheckpointInOwnTransaction();  // retried on the next tick when it fails
        lock.Lock();
      }
    }
    lock.Unlock();
    Status final_status;
    if (options_.checkpoint_on_close) final_status = CheckpointInOwnTransaction();
    lock.Lock();
    close_status_ = final_status;
  }

  // The largest of the last few batches: how many writers are appending concurrently.
  size_t RecentPeakBatch() const {
    return *std::max_element(recent_batches_.begin(), recent_batches_.end());
  }

  bool TimeCheckpointDue() const {
    return options_.checkpoint_every_seconds > 0 && head_seq_ > last_checkpoint_count_ &&
           clock_.NowMicros() - last_checkpoint_micros_ >=
               options_.checkpoint_every_seconds * 1'000'000;
  }

  bool CountCheckpointDue(uint64_t seq) const {
    return options_.checkpoint_every_events > 0 &&
           seq - last_checkpoint_count_ >= options_.checkpoint_every_events;
  }

  // Chains and inserts `batch` in one transaction with one commit (one fsync). Returns one
  // status per event. Writer thread only.
  std::vector<Status> CommitBatch(const std::vector<Pending*>& batch) {
    std::vector<Status> results(batch.size());
    auto fail_all = [&](const Status& status) {
      for (Status& r : results) r = status;
      return results;
    };
    // Another process (a CLI command beside a running server) may have appended since our last
    // commit. Begin excludes other writers of the chain, so the head read here is the one we
    // extend.
    Result<internal::ChainHead> head = chain_->Begin();
    if (!head.ok()) return fail_all(head.status().WithContext("audit log"));
    if (head->seq != head_seq_) {
      head_seq_ = head->seq;
      head_hash_ = head->hash;
      events_.store(head_seq_);
    }
    // All at once first; an id already in the log (rare: a caller's own id used twice) makes
    // that fail, and then the batch goes in row by row so that only that event is refused.
    internal::ChainHead end{head_seq_, head_hash_};
    Status inserted = InsertAll(batch, end);
    if (inserted.code() == StatusCode::kAlreadyExists) {
      chain_->Rollback();
      head = chain_->Begin();
      if (!head.ok()) return fail_all(head.status().WithContext("audit log"));
      end = internal::ChainHead{head->seq, head->hash};
      inserted = InsertOneByOne(batch, end, results);
    }
    if (!inserted.ok()) {
      chain_->Rollback();
      return fail_all(inserted.WithContext("appending to the audit log"));
    }

    const uint64_t seq = end.seq;
    bool checkpoint = seq > head->seq && (CountCheckpointDue(seq) || TimeCheckpointDue());
    int64_t checkpoint_micros = 0;
    if (checkpoint) {
      checkpoint_micros = clock_.NowMicros();
      Status s = InsertCheckpoint(seq, end.hash, checkpoint_micros);
      if (!s.ok()) {
        chain_->Rollback();
        return fail_all(s);
      }
    }
    Status committed = chain_->Commit(end);
    if (!committed.ok()) return fail_all(committed.WithContext("committing the audit log"));
    commits_.fetch_add(1);
    chain_->AfterCommit();
    head_seq_ = seq;
    head_hash_ = end.hash;
    events_.store(seq);
    if (checkpoint) NoteCheckpoint(seq, checkpoint_micros);
    return results;
  }

  // Chains every event of `batch` onto `head` and inserts them in one call; `head` ends as the
  // new head.
  Status InsertAll(const std::vector<Pending*>& batch, internal::ChainHead& head) {
    std::vector<std::string> texts(batch.size()), hashes(batch.size());
    std::vector<internal::EventRow> rows(batch.size());
    std::string_view prev = head.hash;
    for (size_t i = 0; i < batch.size(); ++i) {
      const RenderedEvent& r = batch[i]->rendered;
      texts[i] = CanonicalText(r, head.seq + i + 1);
      hashes[i].resize(kHashBytes);
      hasher_.Hash(prev, texts[i], reinterpret_cast<unsigned char*>(hashes[i].data()));
      prev = hashes[i];
      rows[i] = internal::EventRow{head.seq + i + 1, r.id, r.time_micros, texts[i], hashes[i]};
    }
    ZTA_RETURN_IF_ERROR(chain_->InsertEvents(rows));
    if (!batch.empty()) {
      head.seq += batch.size();
      head.hash = hashes.back();
    }
    return Status::Ok();
  }

  // The same row by row, leaving out (with kAlreadyExists in `results`) each event whose id is
  // already in the log.
  Status InsertOneByOne(const std::vector<Pending*>& batch, internal::ChainHead& head,
                        std::vector<Status>& results) {
    std::string next_hash(kHashBytes, '\0');
    for (size_t i = 0; i < batch.size(); ++i) {
      const RenderedEvent& r = batch[i]->rendered;
      std::string text = CanonicalText(r, head.seq + 1);
      hasher_.Hash(head.hash, text, reinterpret_cast<unsigned char*>(next_hash.data()));
      Status s = chain_->InsertEvent(head.seq + 1, r.id, r.time_micros, text, next_hash);
      if (s.code() == StatusCode::kAlreadyExists) {
        results[i] = Status(StatusCode::kAlreadyExists,
                            "audit event id \"" + r.id + "\" is already in the log");
        continue;
      }
      ZTA_RETURN_IF_ERROR(s);
      ++head.seq;
      head.hash = next_hash;
    }
    return Status::Ok();
  }

  // Signs the head and inserts the checkpoint row (inside the caller's transaction).
  Status InsertCheckpoint(uint64_t count, const std::string& hash, int64_t now_micros) {
    CheckpointPayload payload{count, hash, now_micros, log_id_};
    Json header = Json{{"typ", internal::kCheckpointTyp}};
    Result<std::string> jws =
        jose::SignCompact(alg_, *key_, DumpJson(internal::CheckpointToJson(payload)), header);
    if (!jws.ok()) return jws.status().WithContext("signing an audit checkpoint");
    return chain_->InsertCheckpoint(count, now_micros, *jws)
        .WithContext("writing an audit checkpoint");
  }

  void NoteCheckpoint(uint64_t count, int64_t micros) {
    last_checkpoint_count_ = count;
    last_checkpoint_micros_ = micros;
    checkpoints_.fetch_add(1);
  }

  // A checkpoint of the head as this sink knows it, in a transaction of its own. When another
  // writer of the chain appended meanwhile, the head moved: sign the new one.
  Status CheckpointInOwnTransaction() {
    if (head_seq_ == last_checkpoint_count_) return Status::Ok();  // nothing new to sign
    ZTA_ASSIGN_OR_RETURN(internal::ChainHead head, chain_->Begin());
    int64_t now = clock_.NowMicros();
    Status s = InsertCheckpoint(head.seq, head.hash, now);
    if (!s.ok()) {
      chain_->Rollback();
      return s;
    }
    ZTA_RETURN_IF_ERROR(chain_->Commit(head));
    commits_.fetch_add(1);
    head_seq_ = head.seq;
    head_hash_ = head.hash;
    NoteCheckpoint(head.seq, now);
    return Status::Ok();
  }

  const DurableAuditSinkOptions options_;
  Clock& clock_;
  std::string id_prefix_;
  std::atomic<uint64_t> next_id_{0};

  // Writer thread only (after Init).
  std::unique_ptr<internal::ChainStore> chain_;
  ChainHasher hasher_;
  std::optional<jose::Jwk> key_;
  jose::Algorithm alg_ = jose::Algorithm::kES256;
  std::string log_id_;
  uint64_t head_seq_ = 0;
  std::string head_hash_;
  uint64_t last_checkpoint_count_ = 0;
  int64_t last_checkpoint_micros_ = 0;

  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> checkpoints_{0};

  Mutex mu_;
  std::condition_variable work_cv_;  // the writer waits here for work
  std::condition_variable done_cv_;  // callers wait here for their batch
  std::condition_variable room_cv_;  // callers wait here while the queue is full
  std::deque<Pending*> queue_ ZTA_GUARDED_BY(mu_);
  bool closed_ ZTA_GUARDED_BY(mu_) = false;
  Status close_status_ ZTA_GUARDED_BY(mu_);
  uint64_t checkpoint_requested_ ZTA_GUARDED_BY(mu_) = 0;
  uint64_t checkpoint_done_ ZTA_GUARDED_BY(mu_) = 0;
  Status checkpoint_status_ ZTA_GUARDED_BY(mu_);
  // Queue length at which an appender wakes the writer (see WakeWriterIfDue).
  size_t wake_at_ ZTA_GUARDED_BY(mu_) = 1;
  std::array<size_t, 8> recent_batches_{};  // writer thread only
  uint64_t batch_counter_ = 0;              // writer thread only
  std::thread writer_;
};

DurableAuditSink::DurableAuditSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DurableAuditSink::~DurableAuditSink() { (void)Close(); }

Result<std::unique_ptr<DurableAuditSink>> DurableAuditSink::Open(
    const DurableAuditSinkOptions& options, Clock& clock) {
  if (options.data_dir.empty()) return InvalidArgument("the audit sink needs a data folder");
  if (!options.store_url.empty() && options.chain_id.empty()) {
    return InvalidArgument("an audit log on PostgreSQL needs a node id (the chain id)");
  }
  auto impl = std::make_unique<Impl>(options, clock);
  ZTA_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<DurableAuditSink>(new DurableAuditSink(std::move(impl)));
}

Status DurableAuditSink::Append(AuditEvent event) { return impl_->Append(std::move(event)); }
void DurableAuditSink::AppendAsync(AuditEvent event, AppendCallback done) {
  impl_->AppendAsync(std::move(event), std::move(done));
}
Status DurableAuditSink::Checkpoint() { return impl_->Checkpoint(); }
Status DurableAuditSink::Close() { return impl_->Close(); }
DurableAuditSink::Stats DurableAuditSink::stats() const { return impl_->stats(); }

}  // namespace zta::audit
