// Internal to zta::audit: reading the rows of one chain for `zta audit verify`, from a data
// folder's audit.db or from one node's chain in PostgreSQL, inside the caller's read snapshot.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "zta/core/status.h"
#include "zta/jose/jwk.h"
#include "zta/store/sql.h"
#include "zta/store/sqlite.h"

namespace zta::audit::internal {

// The rows of one chain, wherever they are kept (a data folder's audit.db, or one node's chain
// in PostgreSQL).
class ChainRows {
 public:
  virtual ~ChainRows() = default;
  // The checkpoint rows, as (count, jws).
  virtual Status ForEachCheckpoint(
      const std::function<Status(uint64_t count, std::string_view jws)>& visit) = 0;
  // The event rows in chain order, as (seq, hashed text, raw stored hash), until `visit`
  // returns false. The views live until `visit` returns.
  virtual Status ForEachEvent(const std::function<bool(uint64_t seq, std::string_view text,
                                                       std::string_view hash)>& visit) = 0;
  // The id and text of the row at `seq`.
  virtual std::optional<std::pair<std::string, std::string>> EventAt(uint64_t seq) = 0;
  // The rows whose text mentions `needle`, as (seq, text), until `visit` returns false.
  virtual void ForEachEventContaining(
      std::string_view needle,
      const std::function<bool(uint64_t seq, std::string_view text)>& visit) = 0;
};

// The one chain of an audit.db. `db` must outlive the result.
std::unique_ptr<ChainRows> SqliteChainRows(store::Database& db);
// Chain `chain_id` of the audit tables in PostgreSQL. `db` must outlive the result.
std::unique_ptr<ChainRows> PostgresChainRows(store::SqlConnection& db, std::string chain_id);
// The checkpoint keys the nodes published in the database (audit_keys). Only as trustworthy as
// the database: a third party passes its own copy (--public-key).
Result<jose::Jwks> PostgresAuditKeys(store::SqlConnection& db);

}  // namespace zta::audit::internal
