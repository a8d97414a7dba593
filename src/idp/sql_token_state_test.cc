// The delegation state in SQLite: codes are single use across connections, a used refresh
// token reports its reuse, revoking a grant ends its refresh family, and users, apps and
// resource extras survive a reopen.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "zta/idp/sql_idp_store.h"

namespace zta::idp {
namespace {

class SqliteTokenStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zta-token-state-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = Open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<SqlIdpStore> Open() {
    auto s = SqlIdpStore::Open(dir_ + "/idp.db");
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::string dir_;
  std::unique_ptr<SqlIdpStore> store_;
};

TEST_F(SqliteTokenStateTest, ACodeIsConsumedOnceAcrossConnections) {
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

TEST_F(SqliteTokenStateTest, RevokingAGrantEndsItsRefreshFamily) {
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

TEST_F(SqliteTokenStateTest, ConsentsAndSessions) {
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

TEST_F(SqliteTokenStateTest, UsersAppsAndResourceExtrasSurviveAReopen) {
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

}  // namespace
}  // namespace zta::idp
