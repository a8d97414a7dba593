// Tests for the SQLite wrapper: round trips, transactions, and clear errors for missing or
// corrupt files.
#include "zta/store/sqlite.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace zta::store {
namespace {

class StoreSqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zta-store-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

// Values bound to a prepared statement come back unchanged, including blobs with NUL bytes.
TEST_F(StoreSqliteTest, BindAndReadBack) {
  auto db = Database::Open(Path("a.db"));
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, n TEXT)").ok());
  auto insert = (*db)->Prepare("INSERT INTO t VALUES(?1, ?2, ?3, ?4)");
  ASSERT_TRUE(insert.ok()) << insert.status();
  std::string blob("a\0b", 3);
  ASSERT_TRUE(insert->BindInt64(1, -42).ok());
  ASSERT_TRUE(insert->BindText(2, "héllo").ok());
  ASSERT_TRUE(insert->BindBlob(3, blob).ok());
  ASSERT_TRUE(insert->BindNull(4).ok());
  ASSERT_TRUE(insert->Run().ok());

  auto select = (*db)->Prepare("SELECT i, s, b, n FROM t");
  ASSERT_TRUE(select.ok());
  auto row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->ColumnInt64(0), -42);
  EXPECT_EQ(select->ColumnText(1), "héllo");
  EXPECT_EQ(select->ColumnBlob(2), blob);
  EXPECT_TRUE(select->ColumnIsNull(3));
  row = select->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

// A database opened for writing is in WAL mode with synchronous=FULL (durable commits).
TEST_F(StoreSqliteTest, OpensInWalModeWithFullSync) {
  auto db = Database::Open(Path("w.db"));
  ASSERT_TRUE(db.ok());
  auto mode = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
  auto sync = (*db)->Prepare("PRAGMA synchronous");
  ASSERT_TRUE(sync.ok());
  ASSERT_TRUE(*sync->Step());
  EXPECT_EQ(sync->ColumnInt64(0), 2);  // FULL
}

// A transaction that is not committed leaves nothing behind.
TEST_F(StoreSqliteTest, TransactionRollsBackUnlessCommitted) {
  auto db = Database::Open(Path("t.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t(i INTEGER)").ok());
  {
    Transaction tx(**db);
    ASSERT_TRUE(tx.status().ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES(1)").ok());
  }
  {
    Transaction tx(**db);
    ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES(2)").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  auto sum = (*db)->Prepare("SELECT count(*), sum(i) FROM t");
  ASSERT_TRUE(sum.ok());
  ASSERT_TRUE(*sum->Step());
  EXPECT_EQ(sum->ColumnInt64(0), 1);
  EXPECT_EQ(sum->ColumnInt64(1), 2);
}

// A missing file opened read-only is kNotFound; a file of garbage is kDataLoss; bad SQL is an
// error with SQLite's message, not a crash.
TEST_F(StoreSqliteTest, ClearErrors) {
  SqliteOptions ro;
  ro.read_only = true;
  auto missing = Database::Open(Path("missing.db"), ro);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  {
    std::ofstream out(Path("junk.db"), std::ios::binary);
    out << std::string(4096, 'x');
  }
  auto junk = Database::Open(Path("junk.db"));
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), StatusCode::kDataLoss) << junk.status();

  auto db = Database::Open(Path("ok.db"));
  ASSERT_TRUE(db.ok());
  auto bad = (*db)->Prepare("SELEKT 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("syntax"), std::string::npos) << bad.status();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE u(k TEXT UNIQUE)").ok());
  ASSERT_TRUE((*db)->Exec("INSERT INTO u VALUES('a')").ok());
  EXPECT_EQ((*db)->Exec("INSERT INTO u VALUES('a')").code(), StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace zta::store
