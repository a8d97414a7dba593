// Tests for registry administration of users, apps and resources' scope words and details types.
#include "zta/idp/identity_provider.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "redirect_uri.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/password.h"

namespace zta::idp {
namespace {

constexpr char kHotel[] = "https://hotel.example/api";

class RegistryAdmin : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zta-idp-admin-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto idp = IdentityProvider::Open(dir_, KeyManagerOptions{}, audit_, clock_);
    ASSERT_TRUE(idp.ok()) << idp.status();
    idp_ = std::move(idp).value();
  }
  void TearDown() override {
    idp_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Every audit event as one string, to look for what must never be in it.
  std::string AuditText() const {
    std::string all;
    for (const auto& e : audit_.Events()) all += e.ToJson().dump() + "\n";
    return all;
  }
  std::string LastAction() const {
    auto events = audit_.Events();
    return events.empty() ? "" : events.back().action;
  }

  FakeClock clock_;
  InMemoryAuditSink audit_;
  std::string dir_;
  std::unique_ptr<IdentityProvider> idp_;
};

// A user is added with a stable "u-" id and an Argon2id hash of the password; the view and the
// audit never hold the password or its hash; a second user with the same name is refused.
TEST_F(RegistryAdmin, AddUserHashesPasswordAndRefusesDuplicateName) {
  auto out = idp_->AddUser("alice", "alice@example.test", "Alice Example",
                           Secret("correct horse battery staple"));
  ASSERT_TRUE(out.ok()) << out.status();
  std::string id = (*out)["id"];
  EXPECT_EQ(id.rfind("u-", 0), 0u);
  EXPECT_EQ(id.size(), 2u + 22u);  // 128 bits in base64url
  EXPECT_EQ((*out)["username"], "alice");
  EXPECT_EQ((*out)["status"], "active");
  EXPECT_FALSE(out->contains("password_hash"));
  EXPECT_EQ(LastAction(), "registry.user.add");
  EXPECT_EQ(audit_.Events().back().subject, id);

  auto snap = idp_->store().LoadRegistry();
  ASSERT_TRUE(snap.ok());
  const User* u = (*snap)->FindUser(id);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(*VerifyPassword(Secret("correct horse battery staple"), u->password_hash));
  EXPECT_EQ(AuditText().find("correct horse"), std::string::npos);
  EXPECT_EQ(AuditText().find("argon2id"), std::string::npos);

  auto dup = idp_->AddUser("alice", "", "", Secret("another password"));
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("alice"), std::string::npos);
}

// Bad names, e-mail addresses and passwords are refused before anything is stored.
TEST_F(RegistryAdmin, AddUserRefusesBadInput) {
  EXPECT_EQ(idp_->AddUser("", "", "", Secret("pw123456")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(idp_->AddUser("al ice", "", "", Secret("pw123456")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(idp_->AddUser("u-alice", "", "", Secret("pw123456")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(idp_->AddUser("alice", "not-an-email", "", Secret("pw123456")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(idp_->AddUser("alice", "", "", Secret("")).status().code(),
            StatusCode::kInvalidArgument);
  auto list = idp_->ListUsers();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

// Show, disable, enable, change the password and delete, by id or by name, each audited.
TEST_F(RegistryAdmin, UserLifecycle) {
  auto out = idp_->AddUser("bob", "", "Bob", Secret("first password"));
  ASSERT_TRUE(out.ok()) << out.status();
  std::string id = (*out)["id"];
  ASSERT_TRUE(idp_->ShowUser("bob").ok());
  EXPECT_EQ((*idp_->ShowUser(id))["username"], "bob");

  ASSERT_TRUE(idp_->SetUserEnabled("bob", false).ok());
  EXPECT_EQ(LastAction(), "registry.user.disable");
  EXPECT_EQ((*idp_->ShowUser(id))["status"], "disabled");
  ASSERT_TRUE(idp_->SetUserEnabled(id, true).ok());
  EXPECT_EQ(LastAction(), "registry.user.enable");
  EXPECT_EQ((*idp_->ShowUser(id))["status"], "active");

  ASSERT_TRUE(idp_->SetUserPassword("bob", Secret("second password")).ok());
  EXPECT_EQ(LastAction(), "registry.user.passwd");
  auto snap = idp_->store().LoadRegistry();
  ASSERT_TRUE(snap.ok());
  const User* u = (*snap)->FindUser(id);
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(*VerifyPassword(Secret("second password"), u->password_hash));
  EXPECT_FALSE(*VerifyPassword(Secret("first password"), u->password_hash));
  EXPECT_EQ(idp_->SetUserPassword("bob", Secret("")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AuditText().find("password\""), std::string::npos);

  ASSERT_TRUE(idp_->DeleteUser("bob").ok());
  EXPECT_EQ(LastAction(), "registry.user.delete");
  EXPECT_EQ(idp_->ShowUser(id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(idp_->DeleteUser("bob").code(), StatusCode::kNotFound);
  EXPECT_EQ(idp_->SetUserEnabled("nobody", false).code(), StatusCode::kNotFound);
}

// Deleting a user revokes their live delegated grants.
TEST_F(RegistryAdmin, DeleteUserRevokesGrants) {
  auto out = idp_->AddUser("carol", "", "", Secret("carol's password"));
  ASSERT_TRUE(out.ok());
  DelegatedGrant g;
  g.id = "g-1";
  g.user_id = (*out)["id"];
  g.app_id = "app-x";
  g.resource = kHotel;
  g.created_at = clock_.NowSeconds();
  ASSERT_TRUE(idp_->store().PutGrant(g).ok());
  ASSERT_TRUE(idp_->DeleteUser("carol").ok());
  auto after = idp_->store().FindGrant("g-1");
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_NE((*after)->revoked_at, 0);
  EXPECT_EQ((*after)->revoked_reason, "user_deleted");
}

// A confidential app gets a secret once (its digest stored); a public app none; both are
// listed, shown and deleted; the secret is never in the audit log.
TEST_F(RegistryAdmin, AppsConfidentialAndPublic) {
  AppSpec spec;
  spec.name = "Web chat";
  spec.redirect_uris = {"https://chat.example.test/cb"};
  spec.post_logout_redirect_uris = {"https://chat.example.test/"};
  spec.require_par = true;
  auto web = idp_->AddApp(spec);
  ASSERT_TRUE(web.ok()) << web.status();
  std::string web_id = (*web)["client_id"];
  EXPECT_EQ(web_id.rfind("app-", 0), 0u);
  ASSERT_TRUE(web->contains("client_secret"));
  std::string secret = (*web)["client_secret"];
  EXPECT_EQ((*web)["client_type"], "confidential");
  EXPECT_EQ((*web)["require_pushed_authorization_requests"], true);
  EXPECT_EQ(LastAction(), "registry.app.add");
  auto snap = idp_->store().LoadRegistry();
  ASSERT_TRUE(snap.ok());
  const App* stored = (*snap)->FindApp(web_id);
  ASSERT_NE(stored, nullptr);
  EXPECT_TRUE(SecretMatchesDigest(secret, stored->secret_digest));
  EXPECT_TRUE(stored->require_par);
  EXPECT_TRUE(RedirectUriMatches(*stored, "https://chat.example.test/cb"));
  EXPECT_EQ(AuditText().find(secret), std::string::npos);

  AppSpec cli;
  cli.name = "CLI";
  cli.redirect_uris = {"http://127.0.0.1/callback"};
  cli.is_public = true;
  auto pub = idp_->AddApp(cli);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_FALSE(pub->contains("client_secret"));
  EXPECT_EQ((*pub)["token_endpoint_auth_method"], "none");
  std::string pub_id = (*pub)["client_id"];

  EXPECT_EQ(idp_->ListApps()->size(), 2u);
  auto shown = idp_->ShowApp(web_id);
  ASSERT_TRUE(shown.ok());
  EXPECT_FALSE(shown->contains("client_secret"));
  ASSERT_TRUE(idp_->DeleteApp(pub_id).ok());
  EXPECT_EQ(LastAction(), "registry.app.delete");
  EXPECT_EQ(idp_->ShowApp(pub_id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(idp_->DeleteApp(pub_id).code(), StatusCode::kNotFound);
}

// Apps with no redirect URI or a disallowed one are refused and nothing is stored.
TEST_F(RegistryAdmin, AppRefusesBadRedirectUris) {
  AppSpec spec;
  spec.name = "bad";
  EXPECT_EQ(idp_->AddApp(spec).status().code(), StatusCode::kInvalidArgument);
  spec.redirect_uris = {"http://chat.example.test/cb"};
  EXPECT_EQ(idp_->AddApp(spec).status().code(), StatusCode::kInvalidArgument);
  spec.redirect_uris = {"https://chat.example.test/cb#x"};
  EXPECT_EQ(idp_->AddApp(spec).status().code(), StatusCode::kInvalidArgument);
  spec.redirect_uris = {"https://chat.example.test/cb"};
  spec.post_logout_redirect_uris = {"javascript:alert(1)"};
  EXPECT_EQ(idp_->AddApp(spec).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(idp_->ListApps()->empty());
}

// A resource declares scope words and authorization_details types with a schema and a
// template; they are stored and shown; the old four-argument AddResource still works.
TEST_F(RegistryAdmin, ResourceWithScopeWordsAndDetailsTypes) {
  ResourceSpec spec;
  spec.uri = kHotel;
  spec.scopes = {"bookings:read", "bookings:create"};
  spec.scope_descriptions = {{"bookings:read", "see your bookings"}};
  spec.details_types.push_back(
      {"hotel_booking",
       R"({"type":"object","properties":{"hotel_id":{"type":"string"},)"
       R"("room_id":{"type":"string"},"max_total":{"type":"number"}},"required":["hotel_id"]})",
       "book room {room_id} at {hotel_id}, up to {max_total}"});
  auto out = idp_->AddResource(spec);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["details_types"]["hotel_booking"]["text"],
            "book room {room_id} at {hotel_id}, up to {max_total}");
  auto snap = idp_->store().LoadRegistry();
  ASSERT_TRUE(snap.ok());
  const Resource* r = (*snap)->FindResource(kHotel);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->scope_descriptions.at("bookings:read"), "see your bookings");
  ASSERT_EQ(r->details_types.count("hotel_booking"), 1u);
  EXPECT_EQ(r->details_types.at("hotel_booking").schema["required"][0], "hotel_id");
  EXPECT_EQ((*idp_->ListResources())[0]["details_types"].size(), 1u);

  ASSERT_TRUE(idp_->AddResource("https://other.example", {"x"}, 0, false).ok());
  EXPECT_EQ(LastAction(), "registry.resource.add");
}

// Descriptions of undeclared scopes, schemas that are not JSON objects, and templates with
// unbalanced braces or fields the schema does not define are refused.
TEST_F(RegistryAdmin, ResourceRefusesBadDetailsTypes) {
  auto with = [&](DetailsTypeSpec d, std::map<std::string, std::string> words = {}) {
    ResourceSpec spec;
    spec.uri = kHotel;
    spec.scopes = {"bookings:create"};
    spec.scope_descriptions = std::move(words);
    if (!d.type.empty() || !d.schema_json.empty()) spec.details_types.push_back(std::move(d));
    return idp_->AddResource(spec).status().code();
  };
  const std::string schema = R"({"type":"object","properties":{"hotel_id":{}}})";
  EXPECT_EQ(with({}, {{"nope", "x"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(with({"hotel_booking", "[1,2]", "t"}), StatusCode::kInvalidArgument);
  EXPECT_EQ(with({"hotel_booking", "{not json", "t"}), StatusCode::kInvalidArgument);
  EXPECT_EQ(with({"hotel_booking", R"({"type":"array"})", "t"}), StatusCode::kInvalidArgument);
  EXPECT_EQ(with({"hotel booking", schema, "t"}), StatusCode::kInvalidArgument);
  EXPECT_EQ(with({"hotel_booking", schema, ""}), StatusCode::kInvalidArgument);
  EXPECT_EQ(with({"hotel_booking", schema, "book {hotel_id"}), StatusCode::kInvalidArgument);
  EXPECT_EQ(with({"hotel_booking", schema, "book {room_id}"}), StatusCode::kInvalidArgument);
  EXPECT_EQ(with({"hotel_booking", schema, "book {hotel_id}"}), StatusCode::kOk);
  EXPECT_EQ(with({"hotel_booking", R"({})", "anything {goes}"}), StatusCode::kOk);
}

}  // namespace
}  // namespace zta::idp
