// The idp's SQL store on both engines (one suite, instantiated for SQLite and PostgreSQL): codes,
// refresh tokens, assertion ids and backchannel requests are single use across connections
// (across nodes, on PostgreSQL), a used refresh token reports its reuse, revoking a grant ends
// its refresh family, users, apps, resource extras and sealed keys survive a reopen, and
// PostgreSQL's schema is migrated once and refused when newer than the binary.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "zta/idp/sql_idp_store.h"
#include "zta/store/pg_testing.h"
#include "zta/store/postgres.h"

namespace zta::idp {
namespace {

using store::SqlDialect;

class SqlTokenStateTest : public ::testing::TestWithParam<SqlDialect> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zta-token-state-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    if (GetParam() == SqlDialect::kPostgres) {
      std::string why;
      url_ = store::FreshPostgresDatabase(&why);
      if (url_.empty()) GTEST_SKIP() << why;
    }
    store_ = Open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Another connection to the same database: a second process, or on PostgreSQL a second node.
  std::unique_ptr<SqlIdpStore> Open() {
    auto s = url_.empty() ? SqlIdpStore::Open(dir_ + "/idp.db") : SqlIdpStore::OpenPostgres(url_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  // Runs `use` on four threads over two connections at once; how many returned true.
  int RaceOnTwoConnections(const std::function<bool(SqlIdpStore&)>& use) {
    auto other = Open();
    std::atomic<int> wins{0};
    std::vector<std::thread> threads;
    for (SqlIdpStore* s : {store_.get(), other.get(), store_.get(), other.get()}) {
      threads.emplace_back([s, &wins, &use] {
        if (use(*s)) ++wins;
      });
    }
    for (auto& t : threads) t.join();
    return wins.load();
  }
  std::string dir_, url_;
  std::unique_ptr<SqlIdpStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Engines, SqlTokenStateTest,
                         ::testing::Values(SqlDialect::kSqlite, SqlDialect::kPostgres),
                         [](const auto& info) {
                           return info.param == SqlDialect::kSqlite ? "Sqlite" : "Postgres";
                         });

TEST_P(SqlTokenStateTest, ACodeIsConsumedOnceAcrossConnections) {
  AuthorizationCode code;
  code.digest = "sha256:c1";
  code.app_id = "app-1";
  code.user_id = "u-1";
  code.agent_id = "agent-1";
  code.scopes = {"bookings:create"};
  code.authorization_details = Json::array({{{"type", "hotel_booking"}, {"room_id", "r-12"}}});
  code.expires_at = 1000;
  ASSERT_TRUE(store_->PutCode(code).ok());

  auto other = Open();  // a second process's connection
  std::atomic<int> first_uses{0};
  std::vector<std::thread> threads;
  for (SqlIdpStore* s : {store_.get(), other.get(), store_.get(), other.get()}) {
    threads.emplace_back([s, &first_uses] {
      bool first = false;
      auto got = s->ConsumeCode("sha256:c1", &first);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_TRUE(got->has_value());
      if (first) ++first_uses;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(first_uses.load(), 1);

  ASSERT_TRUE(store_->SetCodeGrant("sha256:c1", "g-1").ok());
  bool first = true;
  auto replay = other->ConsumeCode("sha256:c1", &first);
  ASSERT_TRUE(replay.ok() && replay->has_value());
  EXPECT_FALSE(first);
  EXPECT_EQ((*replay)->grant_id, "g-1");
  EXPECT_EQ((*replay)->authorization_details, code.authorization_details);
  EXPECT_EQ((*replay)->scopes, code.scopes);

  auto unknown = store_->ConsumeCode("sha256:nope", &first);
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(SqlTokenStateTest, RevokingAGrantEndsItsRefreshFamily) {
  DelegatedGrant g;
  g.id = "g-1";
  g.user_id = "u-1";
  g.app_id = "app-1";
  g.scopes = {"hotels:read"};
  ASSERT_TRUE(store_->PutGrant(g).ok());
  ASSERT_TRUE(store_->PutRefreshToken({"sha256:r1", "g-1", 5000, false}).ok());
  ASSERT_TRUE(store_->PutRefreshToken({"sha256:r2", "g-1", 5000, false}).ok());

  auto used = store_->UseRefreshToken("sha256:r1");
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_FALSE((*used)->used);
  EXPECT_EQ((*used)->grant_id, "g-1");
  auto reuse = store_->UseRefreshToken("sha256:r1");
  ASSERT_TRUE(reuse.ok() && reuse->has_value());
  EXPECT_TRUE((*reuse)->used) << "a second use must be visible as a replay";

  ASSERT_TRUE(store_->RevokeGrant("g-1", 77, "refresh_reuse").ok());
  ASSERT_TRUE(store_->RevokeGrant("g-1", 99, "again").ok());  // idempotent: first time kept
  auto r2 = store_->UseRefreshToken("sha256:r2");
  ASSERT_TRUE(r2.ok() && r2->has_value());
  EXPECT_TRUE((*r2)->used) << "revoking the grant uses up every refresh token of it";
  auto found = store_->FindGrant("g-1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->revoked_at, 77);
  EXPECT_EQ((*found)->revoked_reason, "refresh_reuse");
  EXPECT_EQ(store_->RevokeGrant("g-none", 1, "x").code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_->TouchGrant("g-1", 123).ok());
  auto listed = store_->ListGrants("u-1");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].last_used_at, 123);
  EXPECT_TRUE(store_->ListGrants("u-2")->empty());
}

TEST_P(SqlTokenStateTest, ConsentsAndSessions) {
  RememberedConsent c{"u-1", "app-1", "agent-1", "https://hotel.example/api", {"hotels:read"}, 5};
  ASSERT_TRUE(store_->PutConsent(c).ok());
  c.scopes = {"hotels:read", "bookings:create"};
  ASSERT_TRUE(store_->PutConsent(c).ok());  // replaces
  auto consents = store_->ListConsents("u-1");
  ASSERT_TRUE(consents.ok());
  ASSERT_EQ(consents->size(), 1u);
  EXPECT_EQ((*consents)[0].scopes, c.scopes);
  ASSERT_TRUE(store_->DeleteConsent("u-1", "app-1", "agent-1", c.resource).ok());
  EXPECT_TRUE(store_->ListConsents("u-1")->empty());

  LoginSession s{"sha256:s1", "u-1", 10, 10, 1000, "csrf"};
  ASSERT_TRUE(store_->PutSession(s).ok());
  auto found = store_->FindSession("sha256:s1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->user_id, "u-1");
  EXPECT_EQ((*found)->csrf_secret, "csrf");
  ASSERT_TRUE(store_->DeleteSession("sha256:s1").ok());
  EXPECT_FALSE(store_->FindSession("sha256:s1")->has_value());
}

TEST_P(SqlTokenStateTest, UsersAppsAndResourceExtrasSurviveAReopen) {
  Resource r;
  r.uri = "https://hotel.example/api";
  r.scopes = {"bookings:create"};
  r.scope_descriptions = {{"bookings:create", "book rooms for you"}};
  r.details_types["hotel_booking"] = {Json{{"type", "object"}}, "book room {room_id}"};
  ASSERT_TRUE(store_->PutResource(r).ok());
  User u{"u-1", "alice", "alice@example.test", "Alice", "$argon2id$...", true, 3};
  ASSERT_TRUE(store_->PutUser(u).ok());
  User taken{"u-2", "alice", "", "", "", true, 4};
  EXPECT_EQ(store_->PutUser(taken).code(), StatusCode::kAlreadyExists);
  App a;
  a.client_id = "app-1";
  a.name = "chat";
  a.redirect_uris = {"http://127.0.0.1/cb"};
  a.is_public = true;
  ASSERT_TRUE(store_->PutApp(a).ok());
  uint64_t before = *store_->RegistryVersion();

  store_ = Open();
  auto snap = store_->LoadRegistry();
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ((*snap)->version, before);
  const Resource* res = (*snap)->FindResource(r.uri);
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->scope_descriptions.at("bookings:create"), "book rooms for you");
  EXPECT_EQ(res->details_types.at("hotel_booking").text, "book room {room_id}");
  const User* alice = (*snap)->FindUserByName("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->id, "u-1");
  EXPECT_EQ((*snap)->FindUser("u-1")->email, "alice@example.test");
  EXPECT_EQ((*snap)->FindUserByName("bob"), nullptr);
  ASSERT_NE((*snap)->FindApp("app-1"), nullptr);
  EXPECT_TRUE((*snap)->FindApp("app-1")->is_public);

  ASSERT_TRUE(store_->DeleteUser("u-1").ok());
  ASSERT_TRUE(store_->DeleteApp("app-1").ok());
  EXPECT_GT(*store_->RegistryVersion(), before);
  snap = store_->LoadRegistry();
  EXPECT_EQ((*snap)->FindUser("u-1"), nullptr);
  EXPECT_EQ((*snap)->FindApp("app-1"), nullptr);
}

TEST_P(SqlTokenStateTest, ARefreshTokenIsUsedOnceAcrossConnections) {
  ASSERT_TRUE(store_->PutRefreshToken({"sha256:r1", "g-1", 5000, false}).ok());
  int fresh = RaceOnTwoConnections([](SqlIdpStore& s) {
    auto got = s.UseRefreshToken("sha256:r1");
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() && got->has_value() && !(*got)->used;
  });
  EXPECT_EQ(fresh, 1);  // the other three see `used`: a reuse, which revokes the family
}

TEST_P(SqlTokenStateTest, AnAssertionIdAndADpopProofIdAreAcceptedOnceAcrossConnections) {
  int fresh = RaceOnTwoConnections([](SqlIdpStore& s) {
    auto got = s.RecordAssertionJti("agt_1", "jti-1", 5000);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() && *got;
  });
  EXPECT_EQ(fresh, 1);
  // Another client may use the same jti; a DPoP key's namespace is its own.
  EXPECT_TRUE(*store_->RecordAssertionJti("agt_2", "jti-1", 5000));
  EXPECT_TRUE(*store_->RecordDpopProofJti("jkt-a", "jti-1", 5000));
  EXPECT_FALSE(*Open()->RecordDpopProofJti("jkt-a", "jti-1", 5000));
}

TEST_P(SqlTokenStateTest, AnApprovedBackchannelRequestIsRedeemedOnceAcrossConnections) {
  BackchannelRequest r;
  r.digest = "sha256:b1";
  r.agent_id = "agt_1";
  r.user_id = "u-1";
  r.created_at = 100;
  r.expires_at = 700;
  ASSERT_TRUE(store_->PutBackchannel(r, 5, 5).ok());
  int approvals = RaceOnTwoConnections([](SqlIdpStore& s) {
    auto moved = s.DecideBackchannel("sha256:b1", BackchannelStatus::kApproved, 150, 140);
    return moved.ok() && *moved;
  });
  EXPECT_EQ(approvals, 1);
  int redemptions = RaceOnTwoConnections([](SqlIdpStore& s) {
    auto moved = s.RedeemBackchannel("sha256:b1", "g-7", 160);
    EXPECT_TRUE(moved.ok()) << moved.status();
    return moved.ok() && *moved;
  });
  EXPECT_EQ(redemptions, 1);
  auto after = Open()->FindBackchannel("sha256:b1");
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->status, BackchannelStatus::kRedeemed);
  EXPECT_EQ((*after)->grant_id, "g-7");
}

TEST_P(SqlTokenStateTest, FailedAuthenticationsAreCountedExactlyAcrossConnections) {
  std::atomic<int> calls{0};
  RaceOnTwoConnections([&](SqlIdpStore& s) {
    for (int i = 0; i < 5; ++i) {
      auto w = s.CountAuthFailure("a:10.0.0.9", 1000 + i, 60);
      EXPECT_TRUE(w.ok()) << w.status();
      ++calls;
    }
    return true;
  });
  ASSERT_EQ(calls.load(), 20);
  auto w = Open()->CountAuthFailure("a:10.0.0.9", 1010, 60);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->failures, 21);  // none lost to a race
  EXPECT_EQ(w->start, 1000);
  EXPECT_EQ(store_->CountAuthFailure("a:10.0.0.8", 1010, 60)->failures, 1);  // its own key
  auto next = store_->CountAuthFailure("a:10.0.0.9", 1060, 60);  // the window has ended
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->failures, 1);
  EXPECT_EQ(next->start, 1060);
}

TEST_P(SqlTokenStateTest, SealedKeyMaterialAndKeyRowsSurviveAReopen) {
  ASSERT_TRUE(store_->PutKeyMaterial("kid-1", R"({"enc":"A256GCM","ct":"..."})").ok());
  ASSERT_TRUE(store_->PutKey({"kid-1", "ES256", 10, 10, 0, false}).ok());
  store_ = Open();
  auto sealed = store_->FindKeyMaterial("kid-1");
  ASSERT_TRUE(sealed.ok() && sealed->has_value());
  EXPECT_EQ(**sealed, R"({"enc":"A256GCM","ct":"..."})");
  EXPECT_FALSE(store_->FindKeyMaterial("kid-2")->has_value());
  auto keys = store_->ListKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].alg, "ES256");
  EXPECT_TRUE(store_->Ping().ok());
}

TEST_P(SqlTokenStateTest, PostgresMigratesOnceAndRefusesANewerSchema) {
  if (GetParam() != SqlDialect::kPostgres) GTEST_SKIP() << "SQLite creates its tables in place";
  auto conn = store::ConnectPostgres({.url = url_});
  ASSERT_TRUE(conn.ok());
  auto again = SqlIdpStore::MigratePostgres(**conn);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, LatestPostgresSchema());  // already current: nothing applied
  ASSERT_TRUE((*conn)->Exec("UPDATE meta SET value = value + 1 WHERE key = 'schema'").ok());
  auto newer = SqlIdpStore::OpenPostgres(url_);
  EXPECT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("newer than this zta"), std::string::npos);
  EXPECT_EQ(SqlIdpStore::OpenPostgres(url_, false).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_P(SqlTokenStateTest, PostgresNodesStartingTogetherMigrateOnce) {
  if (GetParam() != SqlDialect::kPostgres) GTEST_SKIP() << "SQLite creates its tables in place";
  std::string why;
  const std::string fresh = store::FreshPostgresDatabase(&why);
  ASSERT_FALSE(fresh.empty()) << why;
  std::atomic<int> opened{0};
  std::vector<std::thread> nodes;
  for (int i = 0; i < 3; ++i) {
    nodes.emplace_back([&] {
      auto s = SqlIdpStore::OpenPostgres(fresh);
      EXPECT_TRUE(s.ok()) << s.status();
      if (s.ok()) ++opened;
    });
  }
  for (auto& t : nodes) t.join();
  EXPECT_EQ(opened.load(), 3);
}

}  // namespace
}  // namespace zta::idp
