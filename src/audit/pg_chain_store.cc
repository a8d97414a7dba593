// A node's chain in PostgreSQL (docs/scale.md, "The audit trail on PostgreSQL"). Each node
// appends to its own chain (chain id = node id) beside the others, so nodes never wait for each
// other; `zta audit verify --store` checks every chain and the readers merge them by time.
//
// A commit is one READ COMMITTED transaction that first locks the chain's row (SELECT … FOR
// UPDATE), so two processes that share a chain id (a CLI command beside its node's server) take
// turns and the chain never forks: the second waits for the first, then reads the head the
// first committed and chains its batch onto it. The commit returns only when PostgreSQL has made it
// durable (synchronous_commit), before the action it records is acknowledged.
#include <algorithm>
#include <optional>

#include "chain_store.h"
#include "pg_audit_schema.h"
#include "zta/audit/event_format.h"
#include "zta/core/json.h"
#include "zta/core/random.h"
#include "zta/store/postgres.h"

namespace zta::audit::internal {
namespace {

class PostgresChain final : public ChainStore {
 public:
  PostgresChain(std::string url, std::string chain_id)
      : url_(std::move(url)), chain_id_(std::move(chain_id)) {}

  Result<ChainStart> Open() override {
    if (chain_id_.empty()) return InvalidArgument("an audit chain on PostgreSQL needs a node id");
    ZTA_ASSIGN_OR_RETURN(db_,
                         store::ConnectPostgres({.url = url_, .application_name = "zta-audit"}));
    ZTA_RETURN_IF_ERROR(CreatePostgresAuditSchema(*db_));
    // Two nodes creating their chains at once may conflict (SERIALIZABLE): try again.
    for (int attempt = 0; attempt < 10; ++attempt) {
      Result<ChainStart> got = ReadOrCreateChain();
      if (got.ok()) return got;
      if (!store::IsSerializationFailure(got.status())) return got.status();
    }
    return Unavailable("cannot create audit chain " + chain_id_ + ": too many conflicts");
  }

  Status PublishPublicKey(const jose::Jwk& key) override {
    ZTA_ASSIGN_OR_RETURN(store::SqlQuery put,
                         db_->Prepare("INSERT INTO audit_keys(kid, jwk, chain_id) VALUES (?, ?, ?)"
                                      " ON CONFLICT (kid) DO NOTHING"));
    ZTA_RETURN_IF_ERROR(put.BindText(1, key.kid()));
    ZTA_RETURN_IF_ERROR(put.BindText(2, DumpJson(key.ToPublicJson())));
    ZTA_RETURN_IF_ERROR(put.BindText(3, chain_id_));
    return put.Run().WithContext("publishing the audit checkpoint key");
  }

  Result<ChainHead> Begin() override {
    head_written_.reset();
    ZTA_RETURN_IF_ERROR(db_->BeginLocking().WithContext("audit log"));
    Result<ChainHead> head = LockHead();
    if (!head.ok()) (void)db_->Rollback();
    return head;
  }

  Status InsertEvent(uint64_t seq, std::string_view id, int64_t time_micros, std::string_view text,
                     std::string_view hash) override {
    // A duplicate id must not abort the transaction (PostgreSQL would, on a unique violation):
    // ON CONFLICT leaves the row out, and no changed row says so.
    ZTA_ASSIGN_OR_RETURN(store::SqlQuery insert,
                         db_->Prepare("INSERT INTO audit_events(chain_id, seq, id, time_micros,"
                                      " event, hash) VALUES (?, ?, ?, ?, ?, ?)"
                                      " ON CONFLICT (id) DO NOTHING"));
    ZTA_RETURN_IF_ERROR(insert.BindText(1, chain_id_));
    ZTA_RETURN_IF_ERROR(insert.BindInt64(2, static_cast<int64_t>(seq)));
    ZTA_RETURN_IF_ERROR(insert.BindText(3, id));
    ZTA_RETURN_IF_ERROR(insert.BindInt64(4, time_micros));
    ZTA_RETURN_IF_ERROR(insert.BindText(5, text));
    ZTA_RETURN_IF_ERROR(insert.BindText(6, HexEncode(hash)));
    ZTA_RETURN_IF_ERROR(insert.Run());
    if (insert.Changes() == 0) return Status(StatusCode::kAlreadyExists, "duplicate event id");
    return Status::Ok();
  }

  Status InsertEvents(const std::vector<EventRow>& rows) override {
    // A statement per kRowsPerInsert rows: fewer round trips and one plan for a whole batch
    // (a statement per row costs PostgreSQL ~90 µs of CPU per event). The last one also moves
    // the chain's head, saving Commit its UPDATE. ON CONFLICT leaves duplicates out; fewer rows
    // inserted than given means one was there already.
    constexpr size_t kRowsPerInsert = 150;  // 6 parameters each, under the 1,000 the client binds
    for (size_t begin = 0; begin < rows.size(); begin += kRowsPerInsert) {
      const size_t end = std::min(rows.size(), begin + kRowsPerInsert);
      const bool last = end == rows.size();
      std::string sql =
          "WITH ins AS (INSERT INTO audit_events(chain_id, seq, id, time_micros,"
          " event, hash) VALUES ";
      for (size_t i = begin; i < end; ++i)
        sql += i == begin ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)";
      sql += " ON CONFLICT (id) DO NOTHING RETURNING 1) ";
      sql += last ? "UPDATE audit_chains SET head_seq = ?, head_hash = ? WHERE chain_id = ?"
                    " RETURNING (SELECT count(*) FROM ins)"
                  : "SELECT count(*) FROM ins";
      ZTA_ASSIGN_OR_RETURN(store::SqlQuery insert, db_->Prepare(sql));
      int p = 1;
      for (size_t i = begin; i < end; ++i) {
        const EventRow& r = rows[i];
        ZTA_RETURN_IF_ERROR(insert.BindText(p++, chain_id_));
        ZTA_RETURN_IF_ERROR(insert.BindInt64(p++, static_cast<int64_t>(r.seq)));
        ZTA_RETURN_IF_ERROR(insert.BindText(p++, r.id));
        ZTA_RETURN_IF_ERROR(insert.BindInt64(p++, r.time_micros));
        ZTA_RETURN_IF_ERROR(insert.BindText(p++, r.text));
        ZTA_RETURN_IF_ERROR(insert.BindText(p++, HexEncode(r.hash)));
      }
      if (last) {
        ZTA_RETURN_IF_ERROR(insert.BindInt64(p++, static_cast<int64_t>(rows.back().seq)));
        ZTA_RETURN_IF_ERROR(insert.BindText(p++, HexEncode(rows.back().hash)));
        ZTA_RETURN_IF_ERROR(insert.BindText(p++, chain_id_));
      }
      ZTA_ASSIGN_OR_RETURN(bool row, insert.Step());
      if (!row) return Status(StatusCode::kDataLoss, "audit chain " + chain_id_ + " vanished");
      if (insert.ColumnInt64(0) != static_cast<int64_t>(end - begin)) {
        return Status(StatusCode::kAlreadyExists, "duplicate event id in the batch");
      }
      if (last) head_written_ = rows.back().seq;
    }
    return Status::Ok();
  }

  Status InsertCheckpoint(uint64_t count, int64_t time_micros, std::string_view jws) override {
    ZTA_ASSIGN_OR_RETURN(store::SqlQuery insert,
                         db_->Prepare("INSERT INTO audit_checkpoints(chain_id, count,"
                                      " time_micros, jws) VALUES (?, ?, ?, ?)"));
    ZTA_RETURN_IF_ERROR(insert.BindText(1, chain_id_));
    ZTA_RETURN_IF_ERROR(insert.BindInt64(2, static_cast<int64_t>(count)));
    ZTA_RETURN_IF_ERROR(insert.BindInt64(3, time_micros));
    ZTA_RETURN_IF_ERROR(insert.BindText(4, jws));
    return insert.Run();
  }

  Status Commit(const ChainHead& head) override {
    Status s = [&]() -> Status {
      if (head_written_ == head.seq) return db_->Commit();  // InsertEvents moved it
      ZTA_ASSIGN_OR_RETURN(store::SqlQuery update,
                           db_->Prepare("UPDATE audit_chains SET head_seq = ?, head_hash = ?"
                                        " WHERE chain_id = ?"));
      ZTA_RETURN_IF_ERROR(update.BindInt64(1, static_cast<int64_t>(head.seq)));
      ZTA_RETURN_IF_ERROR(update.BindText(2, HexEncode(head.hash)));
      ZTA_RETURN_IF_ERROR(update.BindText(3, chain_id_));
      ZTA_RETURN_IF_ERROR(update.Run());
      return db_->Commit();
    }();
    if (!s.ok()) (void)db_->Rollback();
    return s;
  }

  void Rollback() override { (void)db_->Rollback(); }

 private:
  // The head as the chain's row records it, locked for this transaction. The row is the lock
  // and a shortcut; `zta audit verify` trusts only the events and the signed checkpoints.
  Result<ChainHead> LockHead() {
    ZTA_ASSIGN_OR_RETURN(store::SqlQuery get,
                         db_->Prepare("SELECT head_seq, head_hash FROM audit_chains"
                                      " WHERE chain_id = ? FOR UPDATE"));
    ZTA_RETURN_IF_ERROR(get.BindText(1, chain_id_));
    ZTA_ASSIGN_OR_RETURN(bool row, get.Step());
    if (!row) return Status(StatusCode::kDataLoss, "audit chain " + chain_id_ + " vanished");
    ChainHead head;
    head.seq = static_cast<uint64_t>(get.ColumnInt64(0));
    Result<std::string> hash = HexDecode(get.ColumnText(1));
    if (!hash.ok() || hash->size() != kHashBytes) {
      return Status(StatusCode::kDataLoss, "audit chain " + chain_id_ + ": its head is damaged");
    }
    head.hash = std::move(*hash);
    return head;
  }

  Result<ChainStart> ReadOrCreateChain() {
    store::SqlTransaction tx(*db_);
    ZTA_RETURN_IF_ERROR(tx.status());
    ZTA_ASSIGN_OR_RETURN(store::SqlQuery insert,
                         db_->Prepare("INSERT INTO audit_chains(chain_id, log_id, head_seq,"
                                      " head_hash, created_micros) VALUES (?, ?, 0, ?, ?)"
                                      " ON CONFLICT (chain_id) DO NOTHING"));
    ZTA_ASSIGN_OR_RETURN(std::string fresh_id, RandomToken(16));
    ZTA_RETURN_IF_ERROR(insert.BindText(1, chain_id_));
    ZTA_RETURN_IF_ERROR(insert.BindText(2, fresh_id));
    ZTA_RETURN_IF_ERROR(insert.BindText(3, HexEncode(GenesisHash())));
    ZTA_RETURN_IF_ERROR(insert.BindInt64(4, 0));
    ZTA_RETURN_IF_ERROR(insert.Run());
    ZTA_ASSIGN_OR_RETURN(store::SqlQuery get,
                         db_->Prepare("SELECT c.log_id, c.head_seq, c.head_hash,"
                                      " (SELECT max(count) FROM audit_checkpoints k"
                                      "  WHERE k.chain_id = c.chain_id),"
                                      " (SELECT max(time_micros) FROM audit_checkpoints k"
                                      "  WHERE k.chain_id = c.chain_id)"
                                      " FROM audit_chains c WHERE c.chain_id = ?"));
    ZTA_RETURN_IF_ERROR(get.BindText(1, chain_id_));
    ZTA_ASSIGN_OR_RETURN(bool row, get.Step());
    if (!row) return Internal("audit chain " + chain_id_ + " was not created");
    ChainStart start;
    start.log_id = std::string(get.ColumnText(0));
    start.head_seq = static_cast<uint64_t>(get.ColumnInt64(1));
    Result<std::string> hash = HexDecode(get.ColumnText(2));
    if (!hash.ok() || hash->size() != kHashBytes) {
      return Status(StatusCode::kDataLoss, "audit chain " + chain_id_ + ": its head is damaged");
    }
    start.head_hash = std::move(*hash);
    if (!get.ColumnText(3).empty()) {
      start.checkpoint_count = static_cast<uint64_t>(get.ColumnInt64(3));
      start.checkpoint_micros = get.ColumnInt64(4);
    }
    ZTA_RETURN_IF_ERROR(tx.Commit());
    return start;
  }

  const std::string url_;
  const std::string chain_id_;
  std::unique_ptr<store::SqlConnection> db_;
  // The head InsertEvents already wrote in this transaction, if any.
  std::optional<uint64_t> head_written_;
};

}  // namespace

std::unique_ptr<ChainStore> PostgresChainStore(std::string url, std::string chain_id) {
  return std::make_unique<PostgresChain>(std::move(url), std::move(chain_id));
}

}  // namespace zta::audit::internal
