// The audit log's on-disk event form: canonical JSON (what is hashed), the hash chain, and RFC
// 3339 timestamps. docs/audit-events.md documents every field; this file is the one place that
// decides the bytes a third party must reproduce to check the chain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "zta/core/audit_sink.h"
#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::audit {

// SHA-256 output size; also the size of the all-zero hash that precedes event 1.
inline constexpr size_t kHashBytes = 32;

// An event rendered to canonical JSON except for its sequence number, which only the log's
// writer knows. Canonical JSON is the object's members sorted by name (byte order) with no
// whitespace: exactly nlohmann::json::dump() of an object. "seq" sorts between
// "scopes_requested" and "subject", so the text is kept as the members before "seq" (`head`,
// without its closing brace) and after it (`tail`, without its opening brace). Rendering is the
// expensive part, so each caller does it on its own thread; the writer only splices in the seq.
struct RenderedEvent {
  std::string id;
  int64_t time_micros = 0;
  std::string head;  // {"action":...,"scopes_requested":[...]
  std::string tail;  // "subject":...,"trace_id":"..."}
};

// Renders `event` (id and time_micros must be set). Never fails: invalid UTF-8 is replaced.
RenderedEvent RenderEvent(const AuditEvent& event);

// The canonical JSON text of event number `seq` (1-based): the bytes that are stored and hashed.
std::string CanonicalText(const RenderedEvent& rendered, uint64_t seq);

// The canonical JSON object of an event (same members as CanonicalText; for tests and tools).
Json CanonicalJson(const AuditEvent& event, uint64_t seq);

// An event read back from the log.
struct LoggedEvent {
  uint64_t seq = 0;
  AuditEvent event;
};

// Parses canonical JSON back into an event. Unknown members are refused (kDataLoss): the log
// only ever holds what RenderEvent wrote.
Result<LoggedEvent> ParseLoggedEvent(std::string_view canonical_text);
Result<LoggedEvent> LoggedEventFromJson(const Json& json);

// Computes chain hashes: hash(n) = SHA-256(hash(n-1) ‖ canonical text of event n), with
// hash(0) = 32 zero bytes. Not thread-safe; reuses one OpenSSL digest context.
class ChainHasher {
 public:
  ChainHasher();
  ~ChainHasher();
  ChainHasher(const ChainHasher&) = delete;
  ChainHasher& operator=(const ChainHasher&) = delete;

  // Writes the 32-byte hash of `prev_hash` ‖ `canonical_text` into `out`.
  void Hash(std::string_view prev_hash, std::string_view canonical_text, unsigned char* out);
  std::string Hash(std::string_view prev_hash, std::string_view canonical_text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The hash that precedes event 1.
std::string GenesisHash();

// Lower-case hex, and back (kInvalidArgument for odd length or a non-hex digit).
std::string HexEncode(std::string_view bytes);
Result<std::string> HexDecode(std::string_view hex);

// "2024-05-01T12:34:56.123456Z": RFC 3339 §5.6, UTC, always six fractional digits so that
// timestamps sort as text and the canonical form has one spelling.
std::string FormatTime(int64_t unix_micros);

// Parses an RFC 3339 date-time ("2024-05-01T12:34:56Z", optional fraction up to microseconds,
// "Z" or "+hh:mm"/"-hh:mm" offset) or a plain date ("2024-05-01", midnight UTC), for --since.
Result<int64_t> ParseTime(std::string_view text);

}  // namespace zta::audit
