// Internal to zta::audit: the log's SQLite schema, opening it for reading, checkpoint payloads,
// and the checkpoint key files in the data folder.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/jose/jwk.h"
#include "zta/store/sqlite.h"

namespace zta::audit::internal {

inline constexpr int kSchemaVersion = 1;
// JWS "typ" of a checkpoint, so a checkpoint can never be mistaken for a token (RFC 8725 §3.11).
inline constexpr char kCheckpointTyp[] = "zta-audit-checkpoint+jws";

std::string JoinPath(const std::string& dir, const char* name);

// Creates the tables, indexes and append-only triggers when missing; returns the log's id
// (random, fixed at creation; checkpoints name it so they cannot be moved to another log).
Result<std::string> CreateSchema(store::Database& db);

// Opens data_dir/audit.db read-only for verify/query/export. kNotFound when there is no log,
// kDataLoss when the file is not a database or not a zta audit log.
Result<std::unique_ptr<store::Database>> OpenLogForReading(const std::string& data_dir);

// The log id stored at creation.
Result<std::string> ReadLogId(store::Database& db);

// A signed checkpoint's claims.
struct CheckpointPayload {
  uint64_t count = 0;  // events covered: 1..count
  std::string hash;    // raw 32-byte chain hash of event `count`
  int64_t time_micros = 0;
  std::string log_id;
};
Json CheckpointToJson(const CheckpointPayload& payload);
Result<CheckpointPayload> CheckpointFromJson(const Json& json);

// The private key in dir/audit-signing-key.json, created (ES256, mode 0600) when missing.
Result<jose::Jwk> LoadOrCreateSigningKey(const std::string& dir);
// Adds `key`'s public half to dir/audit-signing-key.pub.json (a JWKS) unless its kid is there.
Status PublishPublicKey(const std::string& dir, const jose::Jwk& key);
// A JWK or JWKS file of checkpoint verification keys.
Result<jose::Jwks> LoadPublicKeys(const std::string& path);

}  // namespace zta::audit::internal
