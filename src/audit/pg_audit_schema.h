// Internal to zta::audit: the audit tables in a PostgreSQL database shared by several idp nodes
// (docs/scale.md, "The audit trail on PostgreSQL"), and opening them for reading.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "zta/core/status.h"
#include "zta/store/sql.h"

namespace zta::audit::internal {

// The version of the audit tables this binary writes and reads (audit_meta.schema_version).
inline constexpr int kPostgresAuditSchemaVersion = 1;

// Creates the audit_* tables and their append-only triggers when missing, in one transaction
// under an advisory lock (nodes starting together create them once). kFailedPrecondition when
// the database holds a newer audit schema than this binary knows.
Status CreatePostgresAuditSchema(store::SqlConnection& db);

// Connects for reading: kNotFound when the database has no audit tables, kFailedPrecondition
// for a newer schema, kUnavailable when it cannot be reached.
Result<std::unique_ptr<store::SqlConnection>> OpenPostgresAuditForReading(const std::string& url);

struct ChainInfo {
  std::string chain_id;
  std::string log_id;
};
// Every chain in the database, by chain id.
Result<std::vector<ChainInfo>> ListChains(store::SqlConnection& db);

}  // namespace zta::audit::internal
