// Internal to zta::audit: where a DurableAuditSink's chain lives. One chain is a run of events
// seq 1, 2, 3, … each hashed over its predecessor, plus the signed checkpoints of its head. The
// sink does the chaining, batching and signing; a ChainStore only keeps rows, on SQLite (the
// data folder's audit.db, one chain) or PostgreSQL (one chain per node beside the others,
// docs/scale.md "The audit trail on PostgreSQL").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/status.h"
#include "zta/jose/jwk.h"

namespace zta::audit::internal {

// Where the chain stands when the sink opens it.
struct ChainStart {
  std::string log_id;  // random, fixed at creation; checkpoints name it
  uint64_t head_seq = 0;
  std::string head_hash;  // GenesisHash() when head_seq == 0
  uint64_t checkpoint_count = 0;
  std::optional<int64_t> checkpoint_micros;
};

// The chain head read inside a commit's transaction.
struct ChainHead {
  uint64_t seq = 0;
  std::string hash;
};

// One event row as the sink chained it.
struct EventRow {
  uint64_t seq = 0;
  std::string_view id;
  int64_t time_micros = 0;
  std::string_view text;
  std::string_view hash;  // raw 32 bytes
};

// Used by the sink's writer thread only. A commit is Begin → InsertEvents (or InsertEvent…) →
// InsertCheckpoint? → Commit, or Rollback at any point. Begin waits for any other writer of the
// chain, so a commit never races one.
class ChainStore {
 public:
  virtual ~ChainStore() = default;

  // Creates the schema and the chain when missing; kDataLoss when the store holds something
  // that is not a zta audit log or a chain head that is visibly damaged.
  virtual Result<ChainStart> Open() = 0;
  // Adds the checkpoint key's public half where `zta audit verify` finds it.
  virtual Status PublishPublicKey(const jose::Jwk& key) = 0;

  // Begins a write transaction that excludes every other writer of this chain (another process
  // may have appended since the last commit) and returns the head inside it.
  virtual Result<ChainHead> Begin() = 0;
  // kAlreadyExists when `id` is already in the log: only this row is left out.
  virtual Status InsertEvent(uint64_t seq, std::string_view id, int64_t time_micros,
                             std::string_view text, std::string_view hash) = 0;
  // All of `rows`, in order, at once where the engine can (PostgreSQL: multi-row INSERTs, one
  // round trip per up to 150 rows). kAlreadyExists when an id is already in the log: some rows
  // may then be in, so the caller rolls back and inserts the batch row by row (InsertEvent).
  virtual Status InsertEvents(const std::vector<EventRow>& rows) {
    for (const EventRow& r : rows) {
      ZTA_RETURN_IF_ERROR(InsertEvent(r.seq, r.id, r.time_micros, r.text, r.hash));
    }
    return Status::Ok();
  }
  virtual Status InsertCheckpoint(uint64_t count, int64_t time_micros, std::string_view jws) = 0;
  // Commits, with `head` as the new head of the chain.
  virtual Status Commit(const ChainHead& head) = 0;
  virtual void Rollback() = 0;

  // After each successful commit (SQLite WAL upkeep).
  virtual void AfterCommit() {}
  // Stops background work; no calls follow.
  virtual void Close() {}
};

// The data folder's audit.db (created owner-only); its public keys in the folder's
// audit-signing-key.pub.json.
std::unique_ptr<ChainStore> SqliteChainStore(std::string data_dir);

// Chain `chain_id` in the PostgreSQL database at `url` (tables audit_*, created when missing).
std::unique_ptr<ChainStore> PostgresChainStore(std::string url, std::string chain_id);

}  // namespace zta::audit::internal
