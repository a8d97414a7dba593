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

#include "log_files.h"
#include "zta/audit/event_format.h"
#include "zta/core/mutex.h"
#include "zta/core/random.h"
#include "zta/jose/jws.h"
#include "zta/store/sqlite.h"

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
    std::string path = internal::JoinPath(options_.data_dir, kLogFileName);
    ZTA_RETURN_IF_ERROR(OpenLog(path));
    ZTA_RETURN_IF_ERROR(ResumeChain(path));
    return StartWriting(path);
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
    {
      MutexLock lock(wal_mu_);
      wal_stop_ = true;
      wal_cv_.notify_one();
    }
    if (checkpointer_.joinable()) checkpointer_.join();
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
    ZTA_RETURN_IF_ERROR(internal::PublishPublicKey(options_.data_dir, *key_));

    return Status::Ok();
  }

  // The log database at `path`, created owner-only with its schema when new.
  Status OpenLog(const std::string& path) {
    // Who did what on whose behalf is personal data: create the log owner-only. SQLite gives
    // its -wal and -shm files the same mode as the database.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    ZTA_ASSIGN_OR_RETURN(db_, store::Database::Open(path));
    Result<std::string> log_id = internal::CreateSchema(*db_);
    if (!log_id.ok()) {
      return Status(StatusCode::kDataLoss,
                    path + " is not a zta audit log: " + log_id.status().message());
    }
    log_id_ = *log_id;

    return Status::Ok();
  }

  // Resume the chain from the last row. Opening does not re-verify the whole log (that is
  // `zta audit verify`), but it refuses to extend a head that is visibly damaged.
  Status ResumeChain(const std::string& path) {
    ZTA_ASSIGN_OR_RETURN(store::Statement head,
                         db_->Prepare("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"));
    ZTA_ASSIGN_OR_RETURN(bool has_head, head.Step());
    head_hash_ = GenesisHash();
    if (has_head) {
      head_seq_ = static_cast<uint64_t>(head.ColumnInt64(0));
      head_hash_ = std::string(head.ColumnBlob(1));
      if (head_hash_.size() != kHashBytes) {
        return Status(StatusCode::kDataLoss, path + ": the last event's hash is damaged");
      }
    }
    ZTA_ASSIGN_OR_RETURN(
        store::Statement last_checkpoint,
        db_->Prepare("SELECT count, time_micros FROM checkpoints ORDER BY count DESC LIMIT 1"));
    ZTA_ASSIGN_OR_RETURN(bool has_checkpoint, last_checkpoint.Step());
    last_checkpoint_micros_ = clock_.NowMicros();
    if (has_checkpoint) {
      last_checkpoint_count_ = static_cast<uint64_t>(last_checkpoint.ColumnInt64(0));
      last_checkpoint_micros_ = last_checkpoint.ColumnInt64(1);
    }
    events_.store(head_seq_);

    return Status::Ok();
  }

  // The statements appends use, then the writer and WAL checkpointer threads.
  Status StartWriting(const std::string& path) {
    ZTA_ASSIGN_OR_RETURN(insert_event_,
                         db_->Prepare("INSERT INTO events(seq, id, time_micros, event, hash)"
                                      " VALUES (?1, ?2, ?3, ?4, ?5)"));
    ZTA_ASSIGN_OR_RETURN(select_head_,
                         db_->Prepare("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"));
    ZTA_ASSIGN_OR_RETURN(insert_checkpoint_,
                         db_->Prepare("INSERT INTO checkpoints(count, time_micros, jws)"
                                      " VALUES (?1, ?2, ?3)"));
    ZTA_ASSIGN_OR_RETURN(id_prefix_, RandomToken(9));
    // WAL checkpoints (copying committed pages into the database file, then an fsync of it) run
    // on their own connection and thread, so appends never stall behind one; see
    // CheckpointerLoop. The writer's connection never checkpoints on its own.
    ZTA_RETURN_IF_ERROR(db_->Exec("PRAGMA wal_autocheckpoint=0"));
    store::SqliteOptions checkpoint_options;
    checkpoint_options.create = false;
    ZTA_ASSIGN_OR_RETURN(checkpoint_db_, store::Database::Open(path, checkpoint_options));
    wal_path_ = path + "-wal";
    writer_ = std::thread([this] {
      RunAsBatchThread();
      WriterLoop();
    });
    checkpointer_ = std::thread([this] {
      RunAsBatchThread();
      CheckpointerLoop();
    });
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

  // Re-reads the chain head from the log (inside the writer's transaction).
  Status ReloadHead() {
    store::Statement& head = select_head_;  // prepared once: this runs on every commit
    Result<bool> has_head = head.Step();
    if (!has_head.ok() || !*has_head) {
      head.Reset();
      return has_head.status();
    }
    uint64_t seq = static_cast<uint64_t>(head.ColumnInt64(0));
    std::string hash(head.ColumnBlob(1));
    head.Reset();
    if (seq == head_seq_) return Status::Ok();
    if (hash.size() != kHashBytes) {
      return Status(StatusCode::kDataLoss, "the last audit event's hash is damaged");
    }
    head_seq_ = seq;
    head_hash_ = std::move(hash);
    events_.store(head_seq_);
    return Status::Ok();
  }

  // WAL upkeep, writer thread, after each commit: wake the checkpointer every
  // kCommitsPerCheckpoint commits; if the WAL has still grown past kMaxWalBytes (under steady
  // load a concurrent checkpoint rarely catches up with the last frame, and only then can SQLite
  // start the WAL over), checkpoint here with RESTART so it is reused from the start. That
  // stall is rare: about once per kMaxWalBytes of appends.
  void AfterCommit() {
    if (++commits_since_wake_ >= kCommitsPerCheckpoint) {
      commits_since_wake_ = 0;
      MutexLock lock(wal_mu_);
      ++wal_wanted_;
      wal_cv_.notify_one();
    }
    // stat() costs a microsecond against a commit's fsync: check after every commit, so one
    // large batch (asynchronous appends commit up to max_batch events at once) or a RESTART
    // refused because the checkpointer was busy is retried at once.
    struct stat st {};
    if (::stat(wal_path_.c_str(), &st) == 0 && st.st_size > kMaxWalBytes &&
        st.st_size > wal_bytes_after_restart_) {
      if (RestartWal()) {
        // The file keeps its size (SQLite overwrites it from the start); don't restart again
        // until it grows past that.
        wal_bytes_after_restart_ = st.st_size;
      }
    }
  }

  // A RESTART checkpoint on the writer's connection; true when it completed (its first result
  // column, "busy", is 0: every frame copied and the next commit starts the WAL over).
  bool RestartWal() {
    Result<store::Statement> restart = db_->Prepare("PRAGMA wal_checkpoint(RESTART)");
    if (!restart.ok()) return false;
    Result<bool> row = restart->Step();
    return row.ok() && *row && restart->ColumnInt64(0) == 0;
  }

  // The checkpointer thread: a PASSIVE checkpoint (never blocks the writer, copies what it can)
  // whenever the writer asks, and once at exit.
  void CheckpointerLoop() {
    MutexLock lock(wal_mu_);
    uint64_t done = 0;
    for (;;) {
      while (wal_wanted_ == done && !wal_stop_) lock.Wait(wal_cv_);
      if (wal_stop_) break;
      done = wal_wanted_;
      lock.Unlock();
      (void)checkpoint_db_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
      lock.Lock();
    }
    lock.Unlock();
    (void)checkpoint_db_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
  }

  // Chains and inserts `batch` in one transaction with one commit (one fsync). Returns one
  // status per event. Writer thread only.
  std::vector<Status> CommitBatch(const std::vector<Pending*>& batch) {
    std::vector<Status> results(batch.size());
    auto fail_all = [&](const Status& status) {
      for (Status& r : results) r = status;
      return results;
    };
    store::Transaction tx(*db_);
    if (!tx.status().ok()) return fail_all(tx.status().WithContext("audit log"));
    // Another process (a CLI command beside a running server) may have appended since our last
    // commit. BEGIN IMMEDIATE holds the write lock, so the head read here is the one we extend.
    if (Status s = ReloadHead(); !s.ok()) return fail_all(s);

    uint64_t seq = head_seq_;
    std::string hash = head_hash_;
    std::string next_hash(kHashBytes, '\0');
    std::string text;
    for (size_t i = 0; i < batch.size(); ++i) {
      const RenderedEvent& r = batch[i]->rendered;
      text = CanonicalText(r, seq + 1);
      hasher_.Hash(hash, text, reinterpret_cast<unsigned char*>(next_hash.data()));
      store::Statement& insert = insert_event_;
      Status s = insert.BindInt64(1, static_cast<int64_t>(seq + 1));
      if (s.ok()) s = insert.BindText(2, r.id);
      if (s.ok()) s = insert.BindInt64(3, r.time_micros);
      if (s.ok()) s = insert.BindText(4, text);
      if (s.ok()) s = insert.BindBlob(5, next_hash);
      if (s.ok()) s = insert.Run();
      insert.Reset();
      if (s.code() == StatusCode::kAlreadyExists) {
        // Only this statement was rolled back; the rest of the batch goes on.
        results[i] = Status(StatusCode::kAlreadyExists,
                            "audit event id \"" + r.id + "\" is already in the log");
        continue;
      }
      if (!s.ok()) return fail_all(s.WithContext("appending to the audit log"));
      ++seq;
      hash.swap(next_hash);
    }

    bool checkpoint = seq > head_seq_ && (CountCheckpointDue(seq) || TimeCheckpointDue());
    int64_t checkpoint_micros = 0;
    if (checkpoint) {
      checkpoint_micros = clock_.NowMicros();
      Status s = InsertCheckpoint(seq, hash, checkpoint_micros);
      if (!s.ok()) return fail_all(s);
    }
    Status committed = tx.Commit();
    if (!committed.ok()) return fail_all(committed.WithContext("committing the audit log"));
    commits_.fetch_add(1);
    AfterCommit();
    head_seq_ = seq;
    head_hash_ = hash;
    events_.store(seq);
    if (checkpoint) NoteCheckpoint(seq, checkpoint_micros);
    return results;
  }

  // Signs the head and inserts the checkpoint row (inside the caller's transaction).
  Status InsertCheckpoint(uint64_t count, const std::string& hash, int64_t now_micros) {
    CheckpointPayload payload{count, hash, now_micros, log_id_};
    Json header = Json{{"typ", internal::kCheckpointTyp}};
    Result<std::string> jws =
        jose::SignCompact(alg_, *key_, DumpJson(internal::CheckpointToJson(payload)), header);
    if (!jws.ok()) return jws.status().WithContext("signing an audit checkpoint");
    store::Statement& insert = insert_checkpoint_;
    Status s = insert.BindInt64(1, static_cast<int64_t>(count));
    if (s.ok()) s = insert.BindInt64(2, now_micros);
    if (s.ok()) s = insert.BindText(3, *jws);
    if (s.ok()) s = insert.Run();
    insert.Reset();
    return s.WithContext("writing an audit checkpoint");
  }

  void NoteCheckpoint(uint64_t count, int64_t micros) {
    last_checkpoint_count_ = count;
    last_checkpoint_micros_ = micros;
    checkpoints_.fetch_add(1);
  }

  Status CheckpointInOwnTransaction() {
    if (head_seq_ == last_checkpoint_count_) return Status::Ok();  // nothing new to sign
    store::Transaction tx(*db_);
    ZTA_RETURN_IF_ERROR(tx.status());
    int64_t now = clock_.NowMicros();
    ZTA_RETURN_IF_ERROR(InsertCheckpoint(head_seq_, head_hash_, now));
    ZTA_RETURN_IF_ERROR(tx.Commit());
    commits_.fetch_add(1);
    NoteCheckpoint(head_seq_, now);
    return Status::Ok();
  }

  const DurableAuditSinkOptions options_;
  Clock& clock_;
  std::string id_prefix_;
  std::atomic<uint64_t> next_id_{0};

  // Writer thread only (after Init).
  std::unique_ptr<store::Database> db_;
  store::Statement insert_event_;
  store::Statement insert_checkpoint_;
  store::Statement select_head_;
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

  // WAL checkpoints (see AfterCommit, CheckpointerLoop).
  static constexpr int kCommitsPerCheckpoint = 32;
  static constexpr off_t kMaxWalBytes = 8 << 20;
  std::unique_ptr<store::Database> checkpoint_db_;  // checkpointer thread only
  std::string wal_path_;
  int commits_since_wake_ = 0;        // writer thread only
  off_t wal_bytes_after_restart_ = 0;  // writer thread only
  Mutex wal_mu_;
  std::condition_variable wal_cv_;
  uint64_t wal_wanted_ ZTA_GUARDED_BY(wal_mu_) = 0;
  bool wal_stop_ ZTA_GUARDED_BY(wal_mu_) = false;
  std::thread checkpointer_;
};

DurableAuditSink::DurableAuditSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DurableAuditSink::~DurableAuditSink() { (void)Close(); }

Result<std::unique_ptr<DurableAuditSink>> DurableAuditSink::Open(
    const DurableAuditSinkOptions& options, Clock& clock) {
  if (options.data_dir.empty()) return InvalidArgument("the audit sink needs a data folder");
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
