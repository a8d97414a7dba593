// AuditLogReader: query, trace and export over the audit log, read-only.
#include "zta/audit/reader.h"

#include <algorithm>
#include <set>

#include "log_files.h"
#include "pg_audit_schema.h"
#include "zta/audit/event_format.h"

namespace zta::audit {

bool EventFilter::Matches(const AuditEvent& e) const {
  if (!subject.empty() && e.subject != subject) return false;
  if (!actor.empty() &&
      std::find(e.actor_chain.begin(), e.actor_chain.end(), actor) == e.actor_chain.end()) {
    return false;
  }
  if (!action.empty()) {
    if (action.back() == '*') {
      if (e.action.compare(0, action.size() - 1, action, 0, action.size() - 1) != 0) return false;
    } else if (e.action != action) {
      return false;
    }
  }
  if (decision && e.decision != *decision) return false;
  if (since_micros && e.time_micros < *since_micros) return false;
  if (until_micros && e.time_micros >= *until_micros) return false;
  if (!jti.empty() && e.jti != jti) return false;
  if (!trace_id.empty() && e.trace_id != trace_id) return false;
  return true;
}

AuditLogReader::AuditLogReader(std::unique_ptr<store::Database> db,
                               std::unique_ptr<store::SqlConnection> pg)
    : db_(std::move(db)), pg_(std::move(pg)) {}
AuditLogReader::~AuditLogReader() = default;

Result<std::unique_ptr<AuditLogReader>> AuditLogReader::Open(const std::string& data_dir) {
  ZTA_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db, internal::OpenLogForReading(data_dir));
  return std::unique_ptr<AuditLogReader>(new AuditLogReader(std::move(db), nullptr));
}

Result<std::unique_ptr<AuditLogReader>> AuditLogReader::OpenStore(const std::string& url) {
  ZTA_ASSIGN_OR_RETURN(std::unique_ptr<store::SqlConnection> pg,
                       internal::OpenPostgresAuditForReading(url));
  return std::unique_ptr<AuditLogReader>(new AuditLogReader(nullptr, std::move(pg)));
}

// The chains merged by (time, chain, seq), a page at a time (keyset pagination), so a long log
// is never held in memory at once.
Status AuditLogReader::ScanStore(const EventFilter& filter,
                                 const std::function<bool(const StoredEvent&)>& visit) {
  constexpr int64_t kPage = 5000;
  int64_t after_time = filter.since_micros.value_or(INT64_MIN);
  std::string after_chain;
  int64_t after_seq = -1;
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(
        store::SqlQuery scan,
        pg_->Prepare("SELECT chain_id, seq, event, hash, time_micros FROM audit_events"
                     " WHERE (time_micros, chain_id, seq) > (?, ?, ?) AND time_micros < ?"
                     " ORDER BY time_micros, chain_id, seq LIMIT ?"));
    ZTA_RETURN_IF_ERROR(scan.BindInt64(1, after_time));
    ZTA_RETURN_IF_ERROR(scan.BindText(2, after_chain));
    ZTA_RETURN_IF_ERROR(scan.BindInt64(3, after_seq));
    ZTA_RETURN_IF_ERROR(scan.BindInt64(4, filter.until_micros.value_or(INT64_MAX)));
    ZTA_RETURN_IF_ERROR(scan.BindInt64(5, kPage));
    int64_t rows = 0;
    for (;; ++rows) {
      ZTA_ASSIGN_OR_RETURN(bool row, scan.Step());
      if (!row) break;
      after_chain = std::string(scan.ColumnText(0));
      after_seq = scan.ColumnInt64(1);
      after_time = scan.ColumnInt64(4);
      Result<LoggedEvent> parsed = ParseLoggedEvent(scan.ColumnText(2));
      if (!parsed.ok()) {
        return parsed.status().WithContext("audit event " + after_chain + "#" +
                                           std::to_string(after_seq));
      }
      if (!filter.Matches(parsed->event)) continue;
      StoredEvent stored;
      stored.chain = after_chain;
      stored.seq = static_cast<uint64_t>(after_seq);
      stored.event = std::move(parsed->event);
      stored.canonical = std::string(scan.ColumnText(2));
      Result<std::string> hash = HexDecode(scan.ColumnText(3));
      if (hash.ok()) stored.hash = std::move(*hash);
      if (!visit(stored)) return Status::Ok();
    }
    if (rows < kPage) return Status::Ok();
  }
}

Status AuditLogReader::Scan(const EventFilter& filter,
                            const std::function<bool(const StoredEvent&)>& visit) {
  if (pg_) return ScanStore(filter, visit);
  // The time column narrows the scan through its index; the parsed event (the hashed bytes)
  // decides, so an edited column can hide rows from a query but never change what is shown.
  ZTA_ASSIGN_OR_RETURN(store::Statement scan,
                       db_->Prepare("SELECT seq, event, hash FROM events"
                                    " WHERE time_micros >= ?1 AND time_micros < ?2"
                                    " ORDER BY seq"));
  ZTA_RETURN_IF_ERROR(scan.BindInt64(1, filter.since_micros.value_or(INT64_MIN)));
  ZTA_RETURN_IF_ERROR(scan.BindInt64(2, filter.until_micros.value_or(INT64_MAX)));
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) return Status::Ok();
    Result<LoggedEvent> parsed = ParseLoggedEvent(scan.ColumnText(1));
    if (!parsed.ok()) {
      return parsed.status().WithContext("audit event #" + std::to_string(scan.ColumnInt64(0)));
    }
    if (!filter.Matches(parsed->event)) continue;
    StoredEvent stored;
    stored.seq = static_cast<uint64_t>(scan.ColumnInt64(0));
    stored.event = std::move(parsed->event);
    stored.canonical = std::string(scan.ColumnText(1));
    stored.hash = std::string(scan.ColumnBlob(2));
    if (!visit(stored)) return Status::Ok();
  }
}

Result<std::vector<StoredEvent>> AuditLogReader::Query(const EventFilter& filter, size_t limit) {
  std::vector<StoredEvent> out;
  ZTA_RETURN_IF_ERROR(Scan(filter, [&](const StoredEvent& e) {
    out.push_back(e);
    return limit == 0 || out.size() < limit;
  }));
  return out;
}

Result<std::vector<StoredEvent>> AuditLogReader::Trace(const std::string& jti,
                                                       const std::string& resource_id) {
  if (jti.empty() == resource_id.empty()) {
    return InvalidArgument("trace needs exactly one of a token id (jti) or a resource id");
  }
  // Grow the set of trace ids and token ids until no scan adds one: the consent that produced
  // the token, the tool call that used it and the API decision on it each share one of them.
  std::set<std::string> traces, jtis;
  if (!jti.empty()) jtis.insert(jti);
  std::vector<StoredEvent> found;
  constexpr int kMaxRounds = 4;  // each round is a full scan; real stories settle in two
  for (int round = 0; round < kMaxRounds; ++round) {
    size_t before = traces.size() + jtis.size();
    found.clear();
    ZTA_RETURN_IF_ERROR(Scan(EventFilter{}, [&](const StoredEvent& stored) {
      const AuditEvent& e = stored.event;
      bool seed = false;
      if (!resource_id.empty()) {
        auto it = e.attributes.find(kResourceIdAttribute);
        seed = it != e.attributes.end() && it->is_string() && *it == resource_id;
      }
      if (seed || (!e.jti.empty() && jtis.count(e.jti)) ||
          (!e.trace_id.empty() && traces.count(e.trace_id))) {
        if (!e.trace_id.empty()) traces.insert(e.trace_id);
        if (!e.jti.empty()) jtis.insert(e.jti);
        found.push_back(stored);
      }
      return true;
    }));
    if (traces.size() + jtis.size() == before) break;
  }
  std::stable_sort(found.begin(), found.end(), [](const StoredEvent& a, const StoredEvent& b) {
    if (a.event.time_micros != b.event.time_micros)
      return a.event.time_micros < b.event.time_micros;
    return a.chain != b.chain ? a.chain < b.chain : a.seq < b.seq;
  });
  return found;
}

std::string FormatEventLine(const AuditEvent& e) {
  std::string line = FormatTime(e.time_micros);
  line += "  " + e.component + "  " + e.action + "  " + std::string(AuditDecisionName(e.decision));
  if (!e.reason.empty()) line += "/" + e.reason;
  auto field = [&](const char* name, const std::string& value) {
    if (!value.empty()) line += std::string("  ") + name + "=" + value;
  };
  auto join = [](const std::vector<std::string>& values, const char* sep) {
    std::string out;
    for (const std::string& v : values) out += (out.empty() ? "" : sep) + v;
    return out;
  };
  field("subject", e.subject);
  field("actor", join(e.actor_chain, ","));
  field("client", e.client_id);
  field("resource", e.resource);
  field("scopes", join(e.scopes_granted.empty() ? e.scopes_requested : e.scopes_granted, " "));
  field("jti", e.jti);
  for (const char* attribute : {"gen_ai.tool.name", kResourceIdAttribute}) {
    auto it = e.attributes.find(attribute);
    if (it != e.attributes.end() && it->is_string()) field(attribute, it->get<std::string>());
  }
  field("trace", e.trace_id);
  field("id", e.id);
  return line;
}

std::string ExportLine(const StoredEvent& stored) {
  // Parsed and re-dumped, so the record is sorted-key JSON like the canonical text itself.
  Result<Json> json =
      ParseJsonStrict(stored.canonical, JsonLimits{.max_depth = 64, .max_bytes = 1 << 24});
  Json out = json.ok() ? *json : Json::object();
  out["chain_hash"] = HexEncode(stored.hash);
  if (!stored.chain.empty()) out["chain_id"] = stored.chain;
  return DumpJson(out);
}

}  // namespace zta::audit
