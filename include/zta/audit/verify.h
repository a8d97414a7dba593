// Verification of an audit log: the hash chain from the first event to the last, and every
// signed checkpoint against it, so edits, deletions, reordering and truncation are all caught.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/status.h"
#include "zta/jose/jwk.h"

namespace zta::audit {

// Why a log failed verification. Each value has a fixed snake_case name (ChainErrorName).
enum class ChainError {
  kEdited,                  // an event's content no longer matches its hash
  kDeleted,                 // an event is missing from the middle of the chain
  kReordered,               // events are out of chain order
  kTruncated,               // events after a signed checkpoint are gone
  kBadCheckpointSignature,  // a checkpoint's JWS does not verify with the public key
  kCheckpointMismatch,      // the chain differs from what a checkpoint signed (re-hashed edit)
  kMalformedRow,            // a row's hash or checkpoint payload is not even well-formed
};
std::string_view ChainErrorName(ChainError error);

struct VerifyOptions {
  // The data folder holding audit.db (VerifyLog).
  std::string data_dir;
  // The PostgreSQL database holding the nodes' chains (VerifyStore).
  std::string store_url;
  // Keys that may have signed checkpoints. Default: data_dir/audit-signing-key.pub.json (on
  // PostgreSQL: the keys the nodes published in audit_keys). A
  // third party should pass its own trusted copy: keys in the data folder are only as
  // trustworthy as the folder.
  std::optional<jose::Jwks> public_keys;
};

struct VerifyReport {
  bool ok = false;
  uint64_t events = 0;       // rows checked before the first failure (all of them when ok)
  uint64_t checkpoints = 0;  // checkpoints whose signature verified
  // Time and count of the newest checkpoint, if any.
  std::optional<int64_t> last_checkpoint_micros;
  uint64_t last_checkpoint_count = 0;
  // When !ok: the first bad event (its id, or "#<seq>" when the event itself is gone), the kind
  // of failure, and a sentence saying what was found.
  std::string bad_event;
  ChainError error = ChainError::kEdited;
  std::string detail;
};

// Checks the whole log. A non-ok Status means the log could not be checked at all (no data
// folder or log: kNotFound; not a SQLite database or not an audit log: kDataLoss; unreadable
// public key: kInvalidArgument/kNotFound). A log that was checked and found broken is an ok
// Result with report.ok == false.
Result<VerifyReport> VerifyLog(const VerifyOptions& options);

// One chain of a PostgreSQL audit log (one per node) and what its verification found.
struct ChainVerifyReport {
  std::string chain_id;
  VerifyReport report;
};

// Checks every chain in options.store_url, in one snapshot, each as VerifyLog checks a data
// folder's log. kNotFound when the database has no audit tables.
Result<std::vector<ChainVerifyReport>> VerifyStore(const VerifyOptions& options);

}  // namespace zta::audit
