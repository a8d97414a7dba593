// Log verification: one streaming pass over the chain with its links checked in parallel (no
// JSON parsing on the happy path), checkpoint signatures, and a slower diagnosis only once
// something is wrong, to say what happened.
#include "zta/audit/verify.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <optional>
#include <thread>
#include <vector>

#include "chain_rows.h"
#include "log_files.h"
#include "pg_audit_schema.h"
#include "zta/audit/durable_sink.h"
#include "zta/audit/event_format.h"
#include "zta/core/mutex.h"
#include "zta/jose/jws.h"

namespace zta::audit {

std::string_view ChainErrorName(ChainError error) {
  switch (error) {
    case ChainError::kEdited:
      return "edited";
    case ChainError::kDeleted:
      return "deleted";
    case ChainError::kReordered:
      return "reordered";
    case ChainError::kTruncated:
      return "truncated";
    case ChainError::kBadCheckpointSignature:
      return "bad_checkpoint_signature";
    case ChainError::kCheckpointMismatch:
      return "checkpoint_mismatch";
    case ChainError::kMalformedRow:
      return "malformed_row";
  }
  return "malformed_row";
}

namespace {

using internal::ChainRows;
using internal::CheckpointPayload;

VerifyReport Broken(VerifyReport report, ChainError error, std::string bad_event,
                    std::string detail) {
  report.ok = false;
  report.error = error;
  report.bad_event = std::move(bad_event);
  report.detail = std::move(detail);
  return report;
}

std::string Position(uint64_t seq) { return "#" + std::to_string(seq); }

// The id of the event at chain position `seq`, or "#seq" when there is no such row.
std::string EventName(ChainRows& rows, uint64_t seq) {
  auto row = rows.EventAt(seq);
  return row ? row->first : Position(seq);
}

// Where (by row seq) the event whose own "seq" member is `wanted` is stored, if anywhere.
std::optional<uint64_t> FindEventBySeq(ChainRows& rows, uint64_t wanted) {
  std::optional<uint64_t> found;
  // Canonical text has no whitespace, so the member always reads exactly like this; the parse
  // below confirms it is the top-level member and not text inside an attribute.
  rows.ForEachEventContaining(",\"seq\":" + std::to_string(wanted) + ",",
                              [&](uint64_t seq, std::string_view text) {
                                Result<LoggedEvent> event = ParseLoggedEvent(text);
                                if (event.ok() && event->seq == wanted) found = seq;
                                return !found;
                              });
  return found;
}

// The row at position `seq` does not chain from its predecessor: say why.
VerifyReport DiagnoseMismatch(ChainRows& db, VerifyReport report, uint64_t seq,
                              std::string_view row_id, std::string_view text) {
  Result<LoggedEvent> event = ParseLoggedEvent(text);
  if (!event.ok()) {
    return Broken(
        std::move(report), ChainError::kEdited, std::string(row_id),
        "its content was changed (no longer a valid event: " + event.status().message() + ")");
  }
  std::string name = event->event.id.empty() ? std::string(row_id) : event->event.id;
  if (event->seq == seq) {
    return Broken(std::move(report), ChainError::kEdited, name,
                  "its content no longer matches its hash (event " + Position(seq) + ")");
  }
  std::optional<uint64_t> home = FindEventBySeq(db, seq);
  if (home) {
    return Broken(std::move(report), ChainError::kReordered, name,
                  "event " + Position(event->seq) + " is stored at position " + Position(seq) +
                      ", and event " + Position(seq) + " at position " + Position(*home));
  }
  return Broken(std::move(report), ChainError::kDeleted, name,
                "event " + Position(seq) + " is missing: position " + Position(seq) +
                    " holds event " + Position(event->seq));
}

// A run of consecutive rows whose links are checked together: texts packed into one buffer,
// stored hashes side by side, and the stored hash of the row before the first.
struct LinkBatch {
  static constexpr size_t kRows = 2048;
  uint64_t first_seq = 0;
  std::string prev;
  std::string texts;
  std::vector<size_t> ends;  // ends[i]: end offset of row i's text in `texts`
  std::string hashes;        // kHashBytes per row

  LinkBatch() {
    texts.reserve(kRows * 512);  // canonical events are typically 300-600 bytes
    ends.reserve(kRows);
    hashes.reserve(kRows * kHashBytes);
  }
  size_t size() const { return ends.size(); }
  void Clear() {
    texts.clear();
    ends.clear();
    hashes.clear();
  }
  void Add(std::string_view text, std::string_view hash) {
    texts.append(text);
    ends.push_back(texts.size());
    hashes.append(hash);
  }
  // Index of the first row whose link does not hold, if any.
  std::optional<size_t> FirstBadLink(ChainHasher& hasher) const {
    unsigned char computed[kHashBytes];
    std::string_view prev_hash = prev;
    size_t begin = 0;
    for (size_t i = 0; i < ends.size(); ++i) {
      std::string_view stored(hashes.data() + i * kHashBytes, kHashBytes);
      hasher.Hash(prev_hash, std::string_view(texts.data() + begin, ends[i] - begin), computed);
      if (std::memcmp(computed, stored.data(), kHashBytes) != 0) return i;
      prev_hash = stored;
      begin = ends[i];
    }
    return std::nullopt;
  }
};

// Checks LinkBatches on worker threads (one per core) while the caller reads the next rows.
// Used by one thread; not shareable.
class ParallelLinkChecker {
 public:
  ParallelLinkChecker() {
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < std::min(cores, 8u); ++i) workers_.emplace_back([this] { Work(); });
  }
  ~ParallelLinkChecker() { (void)Finish(); }

  // An empty batch, recycled when one is free: fresh megabyte buffers would cost a page fault
  // per 4 KiB, as much as the hashing they hold.
  std::unique_ptr<LinkBatch> EmptyBatch() {
    MutexLock lock(mu_);
    if (free_.empty()) return std::make_unique<LinkBatch>();
    std::unique_ptr<LinkBatch> batch = std::move(free_.back());
    free_.pop_back();
    return batch;
  }

  // Queues a batch; waits while too many are queued, so memory stays bounded.
  void Submit(std::unique_ptr<LinkBatch> batch) {
    MutexLock lock(mu_);
    while (queue_.size() >= 2 * workers_.size() + 2) lock.Wait(space_cv_);
    queue_.push_back(std::move(batch));
    work_cv_.notify_one();
  }

  // Waits for every batch; the lowest position whose link does not hold, if any.
  std::optional<uint64_t> Finish() {
    {
      MutexLock lock(mu_);
      done_ = true;
      work_cv_.notify_all();
    }
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
    MutexLock lock(mu_);
    return bad_;
  }

 private:
  void Work() {
    ChainHasher hasher;
    for (;;) {
      std::unique_ptr<LinkBatch> batch;
      {
        MutexLock lock(mu_);
        while (queue_.empty() && !done_) lock.Wait(work_cv_);
        if (queue_.empty()) return;
        batch = std::move(queue_.front());
        queue_.pop_front();
        space_cv_.notify_one();
        // Past a known bad link nothing more needs checking.
        if (bad_ && batch->first_seq > *bad_) {
          batch->Clear();
          free_.push_back(std::move(batch));
          continue;
        }
      }
      std::optional<size_t> bad = batch->FirstBadLink(hasher);
      MutexLock lock(mu_);
      if (bad) {
        uint64_t seq = batch->first_seq + *bad;
        if (!bad_ || seq < *bad_) bad_ = seq;
      }
      batch->Clear();
      free_.push_back(std::move(batch));
    }
  }

  Mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable space_cv_;
  std::deque<std::unique_ptr<LinkBatch>> queue_ ZTA_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<LinkBatch>> free_ ZTA_GUARDED_BY(mu_);
  bool done_ ZTA_GUARDED_BY(mu_) = false;
  std::optional<uint64_t> bad_ ZTA_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
};

// The checkpoints of the log, each a valid signature by a trusted key over this log's chain
// head, sorted by the count they cover; or, in `broken`, the report of the first that is not.
struct CheckpointScan {
  std::vector<CheckpointPayload> checkpoints;
  std::optional<VerifyReport> broken;
};

// `keys` loads the trusted keys on first need (a log without checkpoints needs none).
Result<CheckpointScan> ReadCheckpoints(ChainRows& db,
                                       const std::function<Result<jose::Jwks>()>& keys_source,
                                       std::string_view log_id, VerifyReport& report) {
  CheckpointScan result;
  std::optional<jose::Jwks> keys;
  jose::JwsVerifyOptions jws_options;
  jws_options.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  ZTA_RETURN_IF_ERROR(db.ForEachCheckpoint([&](uint64_t count, std::string_view jws) -> Status {
    if (result.broken) return Status::Ok();
    if (!keys) {
      ZTA_ASSIGN_OR_RETURN(keys, keys_source());
    }
    Result<jose::ParsedJws> verified = jose::VerifyCompact(jws, *keys, jws_options);
    if (!verified.ok()) {
      result.broken =
          Broken(report, ChainError::kBadCheckpointSignature, EventName(db, count),
                 "the checkpoint of " + std::to_string(count) + " events has a bad signature (" +
                     verified.status().ToString() + ")");
      return Status::Ok();
    }
    Result<Json> json = ParseJsonStrict(verified->payload);
    Result<CheckpointPayload> payload =
        json.ok() ? internal::CheckpointFromJson(*json) : Result<CheckpointPayload>(json.status());
    if (!payload.ok() || verified->header.value("typ", "") != internal::kCheckpointTyp) {
      result.broken = Broken(report, ChainError::kMalformedRow, EventName(db, count),
                             "the checkpoint of " + std::to_string(count) +
                                 " events is signed but is not an audit checkpoint");
      return Status::Ok();
    }
    if (payload->log_id != log_id) {
      result.broken = Broken(report, ChainError::kCheckpointMismatch, EventName(db, count),
                             "the checkpoint of " + std::to_string(count) +
                                 " events was signed for another log (" + payload->log_id + ")");
      return Status::Ok();
    }
    // The signed payload, not the unsigned row, says what the checkpoint covers.
    result.checkpoints.push_back(std::move(*payload));
    ++report.checkpoints;
    return Status::Ok();
  }));
  if (result.broken) return result;
  std::sort(
      result.checkpoints.begin(), result.checkpoints.end(),
      [](const CheckpointPayload& a, const CheckpointPayload& b) { return a.count < b.count; });
  return result;
}

// What one pass over the chain found: the first failure of each kind, and the rows read.
struct ChainScan {
  std::optional<uint64_t> bad_link;             // first row that does not chain
  std::optional<uint64_t> checkpoint_mismatch;  // lowest position whose checkpoint disagrees
  std::optional<uint64_t> gap_at;               // first missing position
  uint64_t gap_row = 0;                         // the row found there instead
  std::optional<uint64_t> malformed_at;         // first row with a damaged hash
  uint64_t total = 0;                           // rows read when nothing stopped the pass
};

// The chain. This thread reads rows; workers check each row's link. Checking every link
// hash(n) == SHA-256(stored hash(n-1) ‖ text(n)) is, by induction from the zero hash, the same
// as recomputing the chain, but the links are independent, so they can be checked in
// parallel: verification runs at SQLite's read speed rather than one core's SHA-256 speed.
Result<ChainScan> ScanChain(ChainRows& db, const std::vector<CheckpointPayload>& checkpoints) {
  ChainScan found;
  ParallelLinkChecker checker;
  std::unique_ptr<LinkBatch> batch = checker.EmptyBatch();
  batch->prev = GenesisHash();
  size_t next_checkpoint = 0;
  uint64_t expected = 1;
  ZTA_RETURN_IF_ERROR(
      db.ForEachEvent([&](uint64_t seq, std::string_view text, std::string_view stored) {
        if (seq != expected) {
          found.gap_at = expected;
          found.gap_row = seq;
          return false;
        }
        if (stored.size() != kHashBytes) {
          found.malformed_at = seq;
          return false;
        }
        ++expected;
        if (batch->size() == 0) batch->first_seq = seq;
        batch->Add(text, stored);
        while (next_checkpoint < checkpoints.size() && checkpoints[next_checkpoint].count <= seq) {
          const CheckpointPayload& c = checkpoints[next_checkpoint++];
          // Valid once every link up to `seq` is checked; a lower bad link is reported first.
          if (c.count == seq && c.hash != stored && !found.checkpoint_mismatch) {
            found.checkpoint_mismatch = seq;
          }
        }
        if (batch->size() == LinkBatch::kRows) {
          std::string last(stored);
          checker.Submit(std::move(batch));
          batch = checker.EmptyBatch();
          batch->prev = std::move(last);
        }
        return true;
      }));
  if (batch->size() > 0) checker.Submit(std::move(batch));
  found.bad_link = checker.Finish();
  found.total = expected - 1;
  return found;
}

// The report of a finished pass: the lowest failure wins (a bad link, then a checkpoint that
// disagrees, then a gap), then a tail shorter than the last checkpoint.
Result<VerifyReport> Judge(ChainRows& db, VerifyReport report, const ChainScan& found,
                           const std::vector<CheckpointPayload>& checkpoints) {
  if (found.bad_link) {
    auto row = db.EventAt(*found.bad_link);
    if (!row) return Internal("audit row vanished during verification");
    report.events = *found.bad_link - 1;
    return DiagnoseMismatch(db, std::move(report), *found.bad_link, row->first, row->second);
  }
  if (found.checkpoint_mismatch) {
    report.events = *found.checkpoint_mismatch - 1;
    return Broken(std::move(report), ChainError::kCheckpointMismatch,
                  EventName(db, *found.checkpoint_mismatch),
                  "the chain up to this event differs from the checkpoint signed over it: an "
                  "event at or before it was changed and the chain re-hashed");
  }
  if (found.malformed_at) {
    report.events = *found.malformed_at - 1;
    return Broken(std::move(report), ChainError::kMalformedRow, EventName(db, *found.malformed_at),
                  "its stored hash is damaged");
  }
  if (found.gap_at) {
    report.events = *found.gap_at - 1;
    return Broken(std::move(report), ChainError::kDeleted, EventName(db, found.gap_row),
                  "event(s) " + Position(*found.gap_at) + ".." + Position(found.gap_row - 1) +
                      " before it are missing");
  }
  report.events = found.total;
  if (!checkpoints.empty() && checkpoints.back().count > found.total) {
    const CheckpointPayload& c = checkpoints.back();
    return Broken(std::move(report), ChainError::kTruncated, Position(found.total + 1),
                  "the checkpoint signed at " + FormatTime(c.time_micros) + " covers " +
                      std::to_string(c.count) + " events but the log has " +
                      std::to_string(found.total) + ": the tail was truncated");
  }
  report.ok = true;
  return report;
}

}  // namespace

namespace {

// One chain, inside the caller's read snapshot.
Result<VerifyReport> VerifyChain(ChainRows& rows, std::string_view log_id,
                                 const std::function<Result<jose::Jwks>()>& keys) {
  VerifyReport report;
  ZTA_ASSIGN_OR_RETURN(CheckpointScan signed_heads, ReadCheckpoints(rows, keys, log_id, report));
  if (signed_heads.broken) return std::move(*signed_heads.broken);
  if (!signed_heads.checkpoints.empty()) {
    report.last_checkpoint_micros = signed_heads.checkpoints.back().time_micros;
    report.last_checkpoint_count = signed_heads.checkpoints.back().count;
  }
  ZTA_ASSIGN_OR_RETURN(ChainScan found, ScanChain(rows, signed_heads.checkpoints));
  return Judge(rows, std::move(report), found, signed_heads.checkpoints);
}

}  // namespace

Result<VerifyReport> VerifyLog(const VerifyOptions& options) {
  ZTA_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db,
                       internal::OpenLogForReading(options.data_dir));
  ZTA_ASSIGN_OR_RETURN(std::string log_id, internal::ReadLogId(*db));
  // One read transaction: a snapshot, so a writer appending meanwhile cannot show us a chain
  // that is newer than the checkpoints we read (or the reverse).
  ZTA_RETURN_IF_ERROR(db->Exec("BEGIN"));
  std::unique_ptr<ChainRows> rows = internal::SqliteChainRows(*db);
  return VerifyChain(*rows, log_id, [&]() -> Result<jose::Jwks> {
    if (options.public_keys) return *options.public_keys;
    return internal::LoadPublicKeys(internal::JoinPath(options.data_dir, kPublicKeyFileName));
  });
}

Result<std::vector<ChainVerifyReport>> VerifyStore(const VerifyOptions& options) {
  ZTA_ASSIGN_OR_RETURN(std::unique_ptr<store::SqlConnection> db,
                       internal::OpenPostgresAuditForReading(options.store_url));
  // One snapshot for every chain and its checkpoints.
  store::SqlTransaction tx(*db, store::SqlTransaction::Kind::kRead);
  ZTA_RETURN_IF_ERROR(tx.status());
  ZTA_ASSIGN_OR_RETURN(std::vector<internal::ChainInfo> chains, internal::ListChains(*db));
  std::optional<jose::Jwks> stored_keys;
  auto keys = [&]() -> Result<jose::Jwks> {
    if (options.public_keys) return *options.public_keys;
    if (!stored_keys) {
      ZTA_ASSIGN_OR_RETURN(stored_keys, internal::PostgresAuditKeys(*db));
    }
    return *stored_keys;
  };
  std::vector<ChainVerifyReport> reports;
  for (const internal::ChainInfo& chain : chains) {
    std::unique_ptr<ChainRows> rows = internal::PostgresChainRows(*db, chain.chain_id);
    ZTA_ASSIGN_OR_RETURN(VerifyReport report, VerifyChain(*rows, chain.log_id, keys));
    reports.push_back({chain.chain_id, std::move(report)});
  }
  return reports;
}

}  // namespace zta::audit
