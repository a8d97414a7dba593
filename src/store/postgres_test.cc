// The PostgreSQL SqlConnection against a real server (ctest's postgres fixture).
#include "zta/store/postgres.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "zta/store/pg_testing.h"

namespace zta::store {
namespace {

TEST(NumberPlaceholdersTest, NumbersQuestionMarksOutsideQuotesAndComments) {
  EXPECT_EQ(NumberPlaceholders("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2");
  EXPECT_EQ(NumberPlaceholders("SELECT '?', \"?\" -- ?\n, ?"), "SELECT '?', \"?\" -- ?\n, $1");
  EXPECT_EQ(NumberPlaceholders("SELECT 'it''s ?' || ?"), "SELECT 'it''s ?' || $1");
  EXPECT_EQ(NumberPlaceholders("SELECT 'unterminated ?"), "SELECT 'unterminated ?");
}

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    url_ = FreshPostgresDatabase(&why);
    if (url_.empty()) GTEST_SKIP() << why;
    auto conn = ConnectPostgres({.url = url_});
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::move(conn).value();
    ASSERT_TRUE(conn_->Exec("CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT NOT NULL)").ok());
  }
  std::string url_;
  std::unique_ptr<SqlConnection> conn_;
};

TEST_F(PostgresTest, BindsRunsAndReadsRowsAndChanges) {
  EXPECT_EQ(conn_->dialect(), SqlDialect::kPostgres);
  for (int i = 0; i < 3; ++i) {
    auto ins = conn_->Prepare("INSERT INTO t(k, v) VALUES (?, ?)");
    ASSERT_TRUE(ins.ok());
    ASSERT_TRUE(ins->BindText(1, "k" + std::to_string(i)).ok());
    ASSERT_TRUE(ins->BindInt64(2, int64_t{1} << (40 + i)).ok());  // beyond 32 bits
    ASSERT_TRUE(ins->Run().ok());
    EXPECT_EQ(ins->Changes(), 1);
  }
  auto upd = conn_->Prepare("UPDATE t SET v = v + 1 WHERE k <> ?");
  ASSERT_TRUE(upd.ok());
  ASSERT_TRUE(upd->BindText(1, "k0").ok());
  ASSERT_TRUE(upd->Run().ok());
  EXPECT_EQ(upd->Changes(), 2);
  auto sel = conn_->Prepare("SELECT k, v FROM t ORDER BY k");
  ASSERT_TRUE(sel.ok());
  std::vector<std::pair<std::string, int64_t>> rows;
  for (;;) {
    auto row = sel->Step();
    ASSERT_TRUE(row.ok()) << row.status();
    if (!*row) break;
    rows.emplace_back(std::string(sel->ColumnText(0)), sel->ColumnInt64(1));
  }
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], std::make_pair(std::string("k0"), int64_t{1} << 40));
  EXPECT_EQ(rows[2], std::make_pair(std::string("k2"), (int64_t{1} << 42) + 1));
}

TEST_F(PostgresTest, AConstraintIsAlreadyExistsAndASyntaxErrorInternal) {
  ASSERT_TRUE(conn_->Exec("INSERT INTO t VALUES ('a', 1)").ok());
  Status dup = conn_->Exec("INSERT INTO t VALUES ('a', 2)");
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists) << dup;
  EXPECT_EQ(conn_->Exec("SELEKT").code(), StatusCode::kInternal);
}

TEST_F(PostgresTest, ARolledBackTransactionLeavesNothing) {
  {
    SqlTransaction tx(*conn_);
    ASSERT_TRUE(tx.status().ok());
    ASSERT_TRUE(conn_->Exec("INSERT INTO t VALUES ('gone', 1)").ok());
  }  // no Commit
  auto sel = conn_->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(sel.ok());
  ASSERT_TRUE(sel->Step().value());
  EXPECT_EQ(sel->ColumnInt64(0), 0);
}

// Two connections change the same row in SERIALIZABLE transactions at once: the second to
// commit fails with the retryable reason, never silently.
TEST_F(PostgresTest, AConcurrentWriteIsASerializationFailure) {
  ASSERT_TRUE(conn_->Exec("INSERT INTO t VALUES ('n', 0)").ok());
  auto other = ConnectPostgres({.url = url_});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(conn_->Begin().ok());
  ASSERT_TRUE((*other)->Begin().ok());
  auto read = [](SqlConnection& c) {
    auto q = c.Prepare("SELECT v FROM t WHERE k = 'n'");
    if (!q.ok()) return int64_t{-1};
    auto row = q->Step();
    return row.ok() && *row ? q->ColumnInt64(0) : int64_t{-1};
  };
  EXPECT_EQ(read(*conn_), 0);
  EXPECT_EQ(read(**other), 0);
  ASSERT_TRUE(conn_->Exec("UPDATE t SET v = 1 WHERE k = 'n'").ok());
  ASSERT_TRUE(conn_->Commit().ok());
  Status second = (*other)->Exec("UPDATE t SET v = 2 WHERE k = 'n'");
  if (second.ok()) second = (*other)->Commit();
  else (void)(*other)->Rollback();
  EXPECT_TRUE(IsSerializationFailure(second)) << second;
  EXPECT_EQ(read(*conn_), 1);
}

TEST_F(PostgresTest, AWrongServerIsUnavailableWithoutThePassword) {
  auto bad = ConnectPostgres(
      {.url = "postgresql://zta:hunter2secret@/nodb?host=/nonexistent-zta&connect_timeout=2"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(bad.status().message().find("hunter2secret"), std::string::npos);
  EXPECT_EQ(ConnectPostgres({.url = "mysql://x"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(conn_->Describe().find("postgresql://postgres@"), 0u) << conn_->Describe();
}

TEST_F(PostgresTest, AListenerHearsNotificationsAndSignalsOnConnect) {
  std::atomic<int> heard{0};
  auto listener = PgListener::Start({.url = url_}, "zta_test", [&] { heard.fetch_add(1); });
  ASSERT_TRUE(listener.ok());
  auto wait_for = [&](int n) {
    for (int i = 0; i < 200 && heard.load() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return heard.load();
  };
  EXPECT_EQ(wait_for(1), 1);  // the connect signal
  ASSERT_TRUE(conn_->Exec("NOTIFY zta_test").ok());
  EXPECT_EQ(wait_for(2), 2);
  ASSERT_TRUE(conn_->Exec("NOTIFY other_channel").ok());
  ASSERT_TRUE(conn_->Exec("NOTIFY zta_test").ok());
  EXPECT_EQ(wait_for(3), 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // nothing more arrives
  EXPECT_EQ((*listener)->signals(), 3u);
}

}  // namespace
}  // namespace zta::store
