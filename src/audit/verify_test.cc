// Tests for log verification: every kind of tampering, done to the SQLite file directly as an
// attacker would (after dropping the append-only triggers), is detected and named.
#include "zta/audit/verify.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_util.h"
#include "zta/audit/durable_sink.h"
#include "zta/audit/event_format.h"
#include "zta/jose/jws.h"
#include "zta/store/sqlite.h"

namespace zta::audit {
namespace {

using testing::SampleEvent;
using testing::TempDir;

class AuditVerifyTest : public ::testing::Test {
 protected:
  // 20 events evt-1..evt-20, checkpoints at 5, 10, 15 and 20.
  void SetUp() override {
    DurableAuditSinkOptions options;
    options.data_dir = dir_.path();
    options.checkpoint_every_events = 5;
    auto sink = DurableAuditSink::Open(options, clock_);
    ASSERT_TRUE(sink.ok()) << sink.status();
    for (int i = 1; i <= 20; ++i) {
      clock_.AdvanceSeconds(1);
      ASSERT_TRUE((*sink)->Append(SampleEvent(i)).ok());
    }
    ASSERT_TRUE((*sink)->Close().ok());
  }

  // Runs SQL against the log with the append-only guard removed.
  void Tamper(const std::string& sql) {
    auto db = store::Database::Open(dir_.File("audit.db"));
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)
                    ->Exec("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;"
                           "DROP TRIGGER checkpoints_no_update;"
                           "DROP TRIGGER checkpoints_no_delete;")
                    .ok());
    Status s = (*db)->Exec(sql);
    ASSERT_TRUE(s.ok()) << s;
  }

  // Recomputes every stored hash from the content, as an attacker covering an edit would.
  void RehashChain() {
    auto db = store::Database::Open(dir_.File("audit.db"));
    ASSERT_TRUE(db.ok());
    auto rows = (*db)->Prepare("SELECT seq, event FROM events ORDER BY seq");
    ASSERT_TRUE(rows.ok());
    std::vector<std::pair<int64_t, std::string>> all;
    while (*rows->Step()) all.emplace_back(rows->ColumnInt64(0), rows->ColumnText(1));
    ChainHasher hasher;
    std::string prev = GenesisHash();
    auto update = (*db)->Prepare("UPDATE events SET hash = ?1 WHERE seq = ?2");
    ASSERT_TRUE(update.ok());
    for (auto& [seq, text] : all) {
      prev = hasher.Hash(prev, text);
      ASSERT_TRUE(update->BindBlob(1, prev).ok());
      ASSERT_TRUE(update->BindInt64(2, seq).ok());
      ASSERT_TRUE(update->Run().ok());
      update->Reset();
    }
  }

  VerifyReport Verify() {
    auto report = VerifyLog({.data_dir = dir_.path()});
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : VerifyReport{};
  }

  TempDir dir_;
  FakeClock clock_;
};

// The untouched log verifies: all events, all four checkpoints, the last one's time.
TEST_F(AuditVerifyTest, IntactLogVerifies) {
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.events, 20u);
  EXPECT_EQ(r.checkpoints, 4u);
  EXPECT_EQ(r.last_checkpoint_count, 20u);
  EXPECT_EQ(*r.last_checkpoint_micros, clock_.NowMicros());
}

// The append-only triggers stop zta (or a careless admin) from changing rows.
TEST_F(AuditVerifyTest, TriggersRefuseUpdateAndDelete) {
  auto db = store::Database::Open(dir_.File("audit.db"));
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE((*db)->Exec("UPDATE events SET id = 'x' WHERE seq = 1").ok());
  EXPECT_FALSE((*db)->Exec("DELETE FROM events WHERE seq = 1").ok());
  EXPECT_FALSE((*db)->Exec("DELETE FROM checkpoints").ok());
}

// Editing an event's content breaks its hash: reported as edited, naming that event.
TEST_F(AuditVerifyTest, EditedEvent) {
  Tamper("UPDATE events SET event = replace(event, '\"deny\"', '\"allow\"') WHERE seq = 10");
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ChainError::kEdited);
  EXPECT_EQ(r.bad_event, "evt-10");
  EXPECT_EQ(r.events, 9u);
}

// Garbage in place of an event is an edit too.
TEST_F(AuditVerifyTest, EventReplacedByGarbage) {
  Tamper("UPDATE events SET event = 'garbage' WHERE seq = 3");
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ChainError::kEdited);
  EXPECT_EQ(r.bad_event, "evt-3");
}

// Deleting a row leaves a gap: reported as deleted, naming the event after the gap.
TEST_F(AuditVerifyTest, DeletedEvent) {
  Tamper("DELETE FROM events WHERE seq = 7");
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ChainError::kDeleted);
  EXPECT_EQ(r.bad_event, "evt-8");
  EXPECT_NE(r.detail.find("#7"), std::string::npos) << r.detail;
}

// Deleting a row and renumbering the rest to hide the gap is still a deletion.
TEST_F(AuditVerifyTest, DeletedEventWithRenumbering) {
  Tamper("DELETE FROM events WHERE seq = 7; UPDATE events SET seq = seq - 1 WHERE seq > 7");
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ChainError::kDeleted);
  EXPECT_EQ(r.bad_event, "evt-8");
}

// Swapping two events' positions is reported as reordered.
TEST_F(AuditVerifyTest, ReorderedEvents) {
  Tamper(
      "UPDATE events SET seq = -1 WHERE seq = 12; UPDATE events SET seq = 12 WHERE seq = 13;"
      "UPDATE events SET seq = 13 WHERE seq = -1");
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ChainError::kReordered);
  EXPECT_EQ(r.bad_event, "evt-13");
}

// Cutting events off the end after a signed checkpoint is caught by that checkpoint.
TEST_F(AuditVerifyTest, TailTruncatedAfterCheckpoint) {
  Tamper("DELETE FROM events WHERE seq > 17");
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ChainError::kTruncated);
  EXPECT_EQ(r.bad_event, "#18");
  EXPECT_EQ(r.events, 17u);
}

// An edit covered by re-hashing the whole chain still disagrees with the signed checkpoint.
TEST_F(AuditVerifyTest, EditCoveredByRehashingFailsAtCheckpoint) {
  Tamper("UPDATE events SET event = replace(event, '\"bob\"', '\"carol\"') WHERE seq = 7");
  RehashChain();
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ChainError::kCheckpointMismatch);
  EXPECT_EQ(r.bad_event, "evt-10");  // the first checkpoint after the edit
}

// A checkpoint whose signature was altered is reported as a bad signature.
TEST_F(AuditVerifyTest, BadCheckpointSignature) {
  // Flip one character in the middle of the signature part of the checkpoint at 10.
  Tamper(
      "UPDATE checkpoints SET jws = substr(jws, 1, length(jws) - 10) ||"
      " (CASE substr(jws, length(jws) - 9, 1) WHEN 'A' THEN 'B' ELSE 'A' END) ||"
      " substr(jws, length(jws) - 8) WHERE count = 10");
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ChainError::kBadCheckpointSignature);
  EXPECT_EQ(r.bad_event, "evt-10");
}

// A checkpoint forged with another key — even over the right hash — does not verify, and a
// third party's own trusted key rejects checkpoints signed by the data folder's key.
TEST_F(AuditVerifyTest, CheckpointFromAnotherKey) {
  auto other = jose::Jwk::Generate(jose::Algorithm::kES256);
  ASSERT_TRUE(other.ok());
  VerifyOptions options{.data_dir = dir_.path(), .public_keys = jose::Jwks({other->PublicKey()})};
  auto r = VerifyLog(options);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->error, ChainError::kBadCheckpointSignature);

  auto forged = jose::SignCompact(jose::Algorithm::kES256, *other, "{}");
  ASSERT_TRUE(forged.ok());
  Tamper("UPDATE checkpoints SET jws = '" + *forged + "' WHERE count = 5");
  VerifyReport r2 = Verify();
  EXPECT_FALSE(r2.ok);
  EXPECT_EQ(r2.error, ChainError::kBadCheckpointSignature);
  EXPECT_EQ(r2.bad_event, "evt-5");
}

// No folder, no log, a file that is not a database, and a database that is not an audit log
// are errors (not a failed check), each with a clear message.
TEST(AuditVerify, MissingOrCorruptLogIsAnError) {
  TempDir dir;
  auto none = VerifyLog({.data_dir = dir.File("nope")});
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  auto missing = VerifyLog({.data_dir = dir.path()});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no audit log"), std::string::npos);

  {
    std::ofstream out(dir.File("audit.db"), std::ios::binary);
    out << std::string(8192, '\x5a');
  }
  auto junk = VerifyLog({.data_dir = dir.path()});
  EXPECT_EQ(junk.status().code(), StatusCode::kDataLoss) << junk.status();
  EXPECT_NE(junk.status().message().find("not a zta audit log"), std::string::npos);

  std::filesystem::remove(dir.File("audit.db"));
  {
    auto db = store::Database::Open(dir.File("audit.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("CREATE TABLE other(x)").ok());
  }
  auto foreign = VerifyLog({.data_dir = dir.path()});
  EXPECT_EQ(foreign.status().code(), StatusCode::kDataLoss) << foreign.status();
}

// A log whose file was cut short (a damaged copy) is reported as corrupt, not as intact.
TEST(AuditVerify, TruncatedDatabaseFileIsCorrupt) {
  TempDir dir;
  FakeClock clock;
  {
    DurableAuditSinkOptions options;
    options.data_dir = dir.path();
    auto sink = DurableAuditSink::Open(options, clock);
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 500; ++i) ASSERT_TRUE((*sink)->Append(SampleEvent(i)).ok());
  }
  // Closing the last connection checkpoints the WAL into audit.db; now cut that file in half.
  std::string path = dir.File("audit.db");
  auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 8192u);
  std::filesystem::resize_file(path, size / 2);
  auto r = VerifyLog({.data_dir = dir.path()});
  if (r.ok()) {
    EXPECT_FALSE(r->ok) << "a half database verified as intact";
  } else {
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status();
  }
}

}  // namespace
}  // namespace zta::audit
