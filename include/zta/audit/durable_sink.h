// The durable audit sink: an append-only, hash-chained log in the data folder (SQLite) or, for
// idp nodes sharing PostgreSQL, one chain per node there; written with group commit, with
// signed checkpoints of the chain head (after CloudTrail digest files and Certificate
// Transparency signed tree heads).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/status.h"
#include "zta/jose/jwk.h"

namespace zta::audit {

// File names inside the data folder.
inline constexpr char kLogFileName[] = "audit.db";
// The checkpoint signing key (private JWK, mode 0600) and its public half (a JWKS, 0644), which
// `zta audit verify` uses unless given a trusted copy with --public-key.
inline constexpr char kSigningKeyFileName[] = "audit-signing-key.json";
inline constexpr char kPublicKeyFileName[] = "audit-signing-key.pub.json";

struct DurableAuditSinkOptions {
  // REQUIRED: the data folder. Created (mode 0700) when missing. Holds the log (audit.db) unless
  // store_url is set, and the checkpoint signing key either way.
  std::string data_dir;
  // A PostgreSQL URL (postgresql://…): the log goes there instead, as chain `chain_id` beside the
  // chains of the other nodes (docs/scale.md, "The audit trail on PostgreSQL"). Default: "".
  std::string store_url;
  // The chain this sink appends to in store_url: the node id. REQUIRED with store_url. Two
  // processes with one chain id take turns (never fork the chain) but wait for each other.
  std::string chain_id;
  // Sign a checkpoint after this many events since the last one. 0 disables count-based
  // checkpoints. Default: 10000.
  uint64_t checkpoint_every_events = 10000;
  // Sign a checkpoint when this many seconds have passed since the last one and events arrived
  // since. 0 disables time-based checkpoints. Default: 60.
  int64_t checkpoint_every_seconds = 60;
  // Sign the head when the sink is closed, so a clean shutdown leaves no unsigned tail.
  // Default: true.
  bool checkpoint_on_close = true;
  // The most events committed in one transaction; more wait for the next one. Default: 4096.
  size_t max_batch = 4096;
  // Events queued for the writer beyond this make Append and AppendAsync wait (backpressure),
  // so a flood of asynchronous appends cannot grow memory without bound. Default: 65536.
  size_t max_queued_events = 65536;
  // Group commit delay: when recent batches held several events (so there are concurrent
  // writers), the writer waits up to this long for as many events as the largest recent batch
  // before committing, instead of committing the first arrivals alone. Trades a little latency
  // for fewer fsyncs (PostgreSQL's commit_delay, MySQL's binlog_group_commit_sync_delay). Once the
  // last 8 batches held one event each (a lone writer), nobody waits. 0 disables.
  // Default: 100 µs (time for woken writers to come back; less than one fsync on most disks).
  int64_t group_commit_delay_micros = 100;
  // The key that signs checkpoints (ES256/RS256/PS256/EdDSA private JWK), e.g. the identity
  // provider's. Default: the key in data_dir/audit-signing-key.json, generated (ES256) on first
  // use. Its public half is added to data_dir/audit-signing-key.pub.json.
  std::optional<jose::Jwk> signing_key;
};

// AuditSink that makes every event durable before Append returns.
//
// Append hands the event to one writer thread; the writer takes every event waiting at that
// moment, chains and inserts them in one transaction, and commits once (WAL with
// synchronous=FULL: one fsync per batch), then wakes their callers. So concurrent writers share
// fsyncs, and an event is on disk before the action it records is acknowledged. Rows are only
// ever inserted; SQLite triggers refuse UPDATE and DELETE as a guard against accidents (not
// against an attacker, whom the chain and the signed checkpoints catch).
//
// Thread-safe: Append may be called from any number of threads. Several processes may append
// to one data folder (a CLI command beside a running server): each commit re-reads the chain
// head under SQLite's write lock, so the chain never forks.
class DurableAuditSink final : public AuditSink {
 public:
  // Opens or creates the log in options.data_dir and starts the writer thread. Fails with
  // kDataLoss when audit.db is not a zta audit log, kFailedPrecondition when the key is unusable.
  static Result<std::unique_ptr<DurableAuditSink>> Open(const DurableAuditSinkOptions& options,
                                                        Clock& clock);
  ~DurableAuditSink() override;  // Close()

  // Records `event` durably. Fills an empty id (unique per log) and a zero time_micros (from the
  // clock). Fails with kAlreadyExists when the id is already in the log, kFailedPrecondition after
  // Close, or the store's error when the commit failed (the event is then not recorded).
  Status Append(AuditEvent event) override;

  // As Append, but returns at once; `done` runs on the writer thread right after the commit
  // that made the event durable (or with the error that kept it out of the log). Events from
  // one thread are chained in the order of the calls. After Close, `done` runs inline with
  // kFailedPrecondition.
  void AppendAsync(AuditEvent event, AppendCallback done) override;

  // Signs a checkpoint of the current head now (no-op when nothing new since the last one).
  Status Checkpoint();

  // Writes what is queued, signs a final checkpoint (checkpoint_on_close) and stops the writer.
  // Later Appends fail. Idempotent.
  Status Close();

  struct Stats {
    uint64_t events = 0;       // events in the log (the chain length)
    uint64_t commits = 0;      // transactions committed by this sink (= WAL fsyncs)
    uint64_t checkpoints = 0;  // checkpoints signed by this sink
  };
  Stats stats() const;

 private:
  class Impl;
  explicit DurableAuditSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zta::audit
