// The chain in a data folder's audit.db: SQLite in WAL mode with synchronous=FULL (one fsync per
// commit), BEGIN IMMEDIATE so that a CLI command appending beside a running server never forks
// the chain, and WAL checkpoints on a thread of their own so appends never stall behind one.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <optional>
#include <thread>

#include "chain_store.h"
#include "log_files.h"
#include "zta/audit/durable_sink.h"
#include "zta/audit/event_format.h"
#include "zta/core/mutex.h"
#include "zta/store/sqlite.h"

namespace zta::audit::internal {
namespace {

class SqliteChain final : public ChainStore {
 public:
  explicit SqliteChain(std::string data_dir)
      : data_dir_(std::move(data_dir)), path_(JoinPath(data_dir_, kLogFileName)) {}
  ~SqliteChain() override { Close(); }

  Result<ChainStart> Open() override {
    // Who did what on whose behalf is personal data: create the log owner-only. SQLite gives
    // its -wal and -shm files the same mode as the database.
    int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    ZTA_ASSIGN_OR_RETURN(db_, store::Database::Open(path_));
    Result<std::string> log_id = CreateSchema(*db_);
    if (!log_id.ok()) {
      return Status(StatusCode::kDataLoss,
                    path_ + " is not a zta audit log: " + log_id.status().message());
    }
    ChainStart start;
    start.log_id = *log_id;
    ZTA_RETURN_IF_ERROR(ReadStart(start));
    ZTA_RETURN_IF_ERROR(PrepareWriting());
    return start;
  }

  Status PublishPublicKey(const jose::Jwk& key) override {
    return internal::PublishPublicKey(data_dir_, key);
  }

  Result<ChainHead> Begin() override {
    tx_.emplace(*db_);
    if (!tx_->status().ok()) {
      Status s = tx_->status().WithContext("audit log");
      tx_.reset();
      return s;
    }
    store::Statement& head = select_head_;  // prepared once: this runs on every commit
    Result<bool> has_head = head.Step();
    ChainHead out;
    out.hash = GenesisHash();
    if (has_head.ok() && *has_head) {
      out.seq = static_cast<uint64_t>(head.ColumnInt64(0));
      out.hash = std::string(head.ColumnBlob(1));
    }
    head.Reset();
    if (!has_head.ok()) {
      tx_.reset();
      return has_head.status();
    }
    if (out.hash.size() != kHashBytes) {
      tx_.reset();
      return Status(StatusCode::kDataLoss, "the last audit event's hash is damaged");
    }
    return out;
  }

  Status InsertEvent(uint64_t seq, std::string_view id, int64_t time_micros, std::string_view text,
                     std::string_view hash) override {
    store::Statement& insert = insert_event_;
    Status s = insert.BindInt64(1, static_cast<int64_t>(seq));
    if (s.ok()) s = insert.BindText(2, id);
    if (s.ok()) s = insert.BindInt64(3, time_micros);
    if (s.ok()) s = insert.BindText(4, text);
    if (s.ok()) s = insert.BindBlob(5, hash);
    if (s.ok()) s = insert.Run();
    insert.Reset();
    return s;  // on a constraint, SQLite rolled back only this statement
  }

  Status InsertCheckpoint(uint64_t count, int64_t time_micros, std::string_view jws) override {
    store::Statement& insert = insert_checkpoint_;
    Status s = insert.BindInt64(1, static_cast<int64_t>(count));
    if (s.ok()) s = insert.BindInt64(2, time_micros);
    if (s.ok()) s = insert.BindText(3, jws);
    if (s.ok()) s = insert.Run();
    insert.Reset();
    return s;
  }

  Status Commit(const ChainHead&) override {
    Status s = tx_ ? tx_->Commit() : FailedPrecondition("no audit transaction");
    tx_.reset();
    return s;
  }

  void Rollback() override { tx_.reset(); }

  // WAL upkeep, writer thread, after each commit: wake the checkpointer every
  // kCommitsPerCheckpoint commits; if the WAL has still grown past kMaxWalBytes (under steady
  // load a concurrent checkpoint rarely catches up with the last frame, and only then can SQLite
  // start the WAL over), checkpoint here with RESTART so it is reused from the start. That
  // stall is rare: about once per kMaxWalBytes of appends.
  void AfterCommit() override {
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

  void Close() override {
    {
      MutexLock lock(wal_mu_);
      wal_stop_ = true;
      wal_cv_.notify_one();
    }
    if (checkpointer_.joinable()) checkpointer_.join();
  }

 private:
  // The head and the newest checkpoint. Opening does not re-verify the whole log (that is
  // `zta audit verify`), but it refuses to extend a head that is visibly damaged.
  Status ReadStart(ChainStart& start) {
    ZTA_ASSIGN_OR_RETURN(store::Statement head,
                         db_->Prepare("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"));
    ZTA_ASSIGN_OR_RETURN(bool has_head, head.Step());
    start.head_hash = GenesisHash();
    if (has_head) {
      start.head_seq = static_cast<uint64_t>(head.ColumnInt64(0));
      start.head_hash = std::string(head.ColumnBlob(1));
      if (start.head_hash.size() != kHashBytes) {
        return Status(StatusCode::kDataLoss, path_ + ": the last event's hash is damaged");
      }
    }
    ZTA_ASSIGN_OR_RETURN(
        store::Statement last_checkpoint,
        db_->Prepare("SELECT count, time_micros FROM checkpoints ORDER BY count DESC LIMIT 1"));
    ZTA_ASSIGN_OR_RETURN(bool has_checkpoint, last_checkpoint.Step());
    if (has_checkpoint) {
      start.checkpoint_count = static_cast<uint64_t>(last_checkpoint.ColumnInt64(0));
      start.checkpoint_micros = last_checkpoint.ColumnInt64(1);
    }
    return Status::Ok();
  }

  // The statements appends use, then the WAL checkpointer thread.
  Status PrepareWriting() {
    ZTA_ASSIGN_OR_RETURN(insert_event_,
                         db_->Prepare("INSERT INTO events(seq, id, time_micros, event, hash)"
                                      " VALUES (?1, ?2, ?3, ?4, ?5)"));
    ZTA_ASSIGN_OR_RETURN(select_head_,
                         db_->Prepare("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"));
    ZTA_ASSIGN_OR_RETURN(insert_checkpoint_,
                         db_->Prepare("INSERT INTO checkpoints(count, time_micros, jws)"
                                      " VALUES (?1, ?2, ?3)"));
    // WAL checkpoints (copying committed pages into the database file, then an fsync of it) run
    // on their own connection and thread, so appends never stall behind one; see
    // CheckpointerLoop. The writer's connection never checkpoints on its own.
    ZTA_RETURN_IF_ERROR(db_->Exec("PRAGMA wal_autocheckpoint=0"));
    store::SqliteOptions checkpoint_options;
    checkpoint_options.create = false;
    ZTA_ASSIGN_OR_RETURN(checkpoint_db_, store::Database::Open(path_, checkpoint_options));
    wal_path_ = path_ + "-wal";
    checkpointer_ = std::thread([this] {
      // SCHED_BATCH like the sink's writer (see RunAsBatchThread in durable_sink.cc).
      sched_param param{};
      (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
      CheckpointerLoop();
    });
    return Status::Ok();
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

  const std::string data_dir_;
  const std::string path_;
  std::unique_ptr<store::Database> db_;
  std::optional<store::Transaction> tx_;
  store::Statement insert_event_;
  store::Statement insert_checkpoint_;
  store::Statement select_head_;

  static constexpr int kCommitsPerCheckpoint = 32;
  static constexpr off_t kMaxWalBytes = 8 << 20;
  std::unique_ptr<store::Database> checkpoint_db_;  // checkpointer thread only
  std::string wal_path_;
  int commits_since_wake_ = 0;         // writer thread only
  off_t wal_bytes_after_restart_ = 0;  // writer thread only
  Mutex wal_mu_;
  std::condition_variable wal_cv_;
  uint64_t wal_wanted_ ZTA_GUARDED_BY(wal_mu_) = 0;
  bool wal_stop_ ZTA_GUARDED_BY(wal_mu_) = false;
  std::thread checkpointer_;
};

}  // namespace

std::unique_ptr<ChainStore> SqliteChainStore(std::string data_dir) {
  return std::make_unique<SqliteChain>(std::move(data_dir));
}

}  // namespace zta::audit::internal
