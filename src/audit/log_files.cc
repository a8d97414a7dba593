// The audit log's schema, read-only opening with clear errors, checkpoint payloads and key files.
#include "log_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "zta/audit/durable_sink.h"
#include "zta/audit/event_format.h"
#include "zta/core/random.h"

namespace zta::audit::internal {
namespace {

// `seq` is the chain position (1, 2, 3, …); `event` holds exactly the bytes that were hashed, so
// verification never re-serializes. time_micros duplicates the event's time for range scans.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  time_micros INTEGER NOT NULL,
  event TEXT NOT NULL,
  hash BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_time ON events(time_micros);
CREATE TABLE IF NOT EXISTS checkpoints(
  count INTEGER PRIMARY KEY,
  time_micros INTEGER NOT NULL,
  jws TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
)sql";

Status NotAnAuditLog(const std::string& path, const std::string& why) {
  return Status(StatusCode::kDataLoss, path + " is not a zta audit log (" + why + ")",
                "corrupt_log");
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `text` to `path` created with `mode` from the start (never briefly more readable), via
// a temporary file and rename so a crash leaves either the old or the new file.
Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode,
                           bool exclusive) {
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Internal("cannot create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Internal("cannot write " + tmp + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Internal("cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (exclusive) {
    // link() fails if `path` appeared meanwhile: two processes never both create a key.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      if (err == EEXIST) return Status(StatusCode::kAlreadyExists, path + " exists");
      return Internal("cannot create " + path + ": " + std::strerror(err));
    }
    ::unlink(tmp.c_str());
    return Status::Ok();
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Internal("cannot replace " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

std::string JoinPath(const std::string& dir, const char* name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

Result<std::string> CreateSchema(store::Database& db) {
  store::Transaction tx(db);
  ZTA_RETURN_IF_ERROR(tx.status());
  ZTA_RETURN_IF_ERROR(db.Exec(kSchema).WithContext("creating the audit schema"));
  ZTA_ASSIGN_OR_RETURN(store::Statement get,
                       db.Prepare("SELECT value FROM meta WHERE key = 'log_id'"));
  ZTA_ASSIGN_OR_RETURN(bool row, get.Step());
  std::string log_id;
  if (row) {
    log_id = std::string(get.ColumnText(0));
  } else {
    ZTA_ASSIGN_OR_RETURN(log_id, RandomToken(16));
    ZTA_ASSIGN_OR_RETURN(store::Statement put,
                         db.Prepare("INSERT INTO meta(key, value) VALUES (?1, ?2)"));
    ZTA_RETURN_IF_ERROR(put.BindText(1, "log_id"));
    ZTA_RETURN_IF_ERROR(put.BindText(2, log_id));
    ZTA_RETURN_IF_ERROR(put.Run());
    put.Reset();
    ZTA_RETURN_IF_ERROR(put.BindText(1, "schema_version"));
    ZTA_RETURN_IF_ERROR(put.BindText(2, std::to_string(kSchemaVersion)));
    ZTA_RETURN_IF_ERROR(put.Run());
  }
  ZTA_RETURN_IF_ERROR(tx.Commit());
  return log_id;
}

Result<std::unique_ptr<store::Database>> OpenLogForReading(const std::string& data_dir) {
  std::string path = JoinPath(data_dir, kLogFileName);
  struct stat st;
  if (::stat(data_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return NotFound("no data folder " + data_dir);
  }
  if (::stat(path.c_str(), &st) != 0) return NotFound("no audit log at " + path);
  store::SqliteOptions options;
  options.read_only = true;
  Result<std::unique_ptr<store::Database>> db = store::Database::Open(path, options);
  if (!db.ok()) {
    if (db.status().code() == StatusCode::kDataLoss) {
      return NotAnAuditLog(path, "not a readable SQLite database");
    }
    return db.status();
  }
  Result<std::string> log_id = ReadLogId(**db);
  if (!log_id.ok()) return NotAnAuditLog(path, log_id.status().message());
  // Readers scan the whole log: map it instead of copying each page through read(2). SQLite
  // falls back to reads beyond the limit.
  ZTA_RETURN_IF_ERROR((*db)->Exec("PRAGMA mmap_size = 1073741824"));
  return db;
}

Result<std::string> ReadLogId(store::Database& db) {
  Result<store::Statement> get = db.Prepare(
      "SELECT (SELECT value FROM meta WHERE key = 'log_id'),"
      " (SELECT value FROM meta WHERE key = 'schema_version'),"
      " (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
      "  name IN ('events', 'checkpoints'))");
  if (!get.ok()) return Status(StatusCode::kDataLoss, "no meta table");
  ZTA_ASSIGN_OR_RETURN(bool row, get->Step());
  if (!row || get->ColumnIsNull(0) || get->ColumnInt64(2) != 2) {
    return Status(StatusCode::kDataLoss, "tables missing");
  }
  if (get->ColumnText(1) != std::to_string(kSchemaVersion)) {
    return Status(StatusCode::kDataLoss,
                  "unsupported schema version " + std::string(get->ColumnText(1)));
  }
  return std::string(get->ColumnText(0));
}

Json CheckpointToJson(const CheckpointPayload& payload) {
  return Json{{"count", payload.count},
              {"hash", HexEncode(payload.hash)},
              {"time", FormatTime(payload.time_micros)},
              {"log_id", payload.log_id}};
}

Result<CheckpointPayload> CheckpointFromJson(const Json& json) {
  auto bad = [](const std::string& why) {
    return Status(StatusCode::kDataLoss, "checkpoint payload: " + why);
  };
  if (!json.is_object()) return bad("not an object");
  CheckpointPayload out;
  auto count = json.find("count");
  auto hash = json.find("hash");
  auto time = json.find("time");
  auto log_id = json.find("log_id");
  if (count == json.end() || !count->is_number_unsigned()) return bad("bad count");
  if (hash == json.end() || !hash->is_string()) return bad("bad hash");
  if (time == json.end() || !time->is_string()) return bad("bad time");
  if (log_id == json.end() || !log_id->is_string()) return bad("bad log_id");
  out.count = count->get<uint64_t>();
  Result<std::string> raw = HexDecode(hash->get<std::string>());
  if (!raw.ok() || raw->size() != kHashBytes) return bad("bad hash");
  out.hash = *raw;
  Result<int64_t> t = ParseTime(time->get<std::string>());
  if (!t.ok()) return bad("bad time");
  out.time_micros = *t;
  out.log_id = log_id->get<std::string>();
  return out;
}

Result<jose::Jwk> LoadOrCreateSigningKey(const std::string& dir) {
  std::string path = JoinPath(dir, kSigningKeyFileName);
  jose::JwkParseOptions options;
  options.role = jose::KeyRole::kSign;
  for (int attempt = 0; attempt < 2; ++attempt) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      if ((st.st_mode & 077) != 0) {
        return FailedPrecondition(path + " is readable by others; chmod 600 it");
      }
      ZTA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
      Result<jose::Jwk> key = jose::Jwk::ParseText(text, options);
      if (!key.ok())
        return FailedPrecondition("cannot use " + path + ": " + key.status().message());
      return key;
    }
    ZTA_ASSIGN_OR_RETURN(jose::Jwk key, jose::Jwk::Generate(jose::Algorithm::kES256));
    Status written = WriteFileAtomically(path, DumpJson(key.ToPrivateJson(), 2) + "\n", 0600,
                                         /*exclusive=*/true);
    if (written.ok()) return key;
    if (written.code() != StatusCode::kAlreadyExists) return written;
    // Another process created it first: load theirs.
  }
  return Internal("cannot create " + path);
}

Status PublishPublicKey(const std::string& dir, const jose::Jwk& key) {
  std::string path = JoinPath(dir, kPublicKeyFileName);
  Json keys = Json::array();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    ZTA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    Result<Json> json = ParseJsonStrict(text);
    if (json.ok() && json->is_object() && json->contains("keys") && (*json)["keys"].is_array()) {
      keys = (*json)["keys"];
    }
    for (const Json& k : keys) {
      if (k.is_object() && k.value("kid", "") == key.kid()) return Status::Ok();
    }
  }
  keys.push_back(key.ToPublicJson());
  return WriteFileAtomically(path, DumpJson(Json{{"keys", keys}}, 2) + "\n", 0644,
                             /*exclusive=*/false);
}

Result<jose::Jwks> LoadPublicKeys(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return NotFound("no checkpoint public key at " + path);
  Result<jose::Jwks> keys = jose::Jwks::ParseKeyOrSet(*text);
  if (!keys.ok()) {
    return InvalidArgument("cannot use public key " + path + ": " + keys.status().message());
  }
  return keys;
}

}  // namespace zta::audit::internal
