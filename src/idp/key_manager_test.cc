// Tests for signing key storage: encryption at rest with ZTA_IDP_KEY_ENCRYPTION_KEY.
#include "zta/idp/key_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "zta/idp/sql_idp_store.h"

namespace zta::idp {
namespace {

// With an encryption key the file holds no private member in clear, reopens with the right
// key, and fails closed with a wrong one.
TEST(KeyManager, EncryptsKeysAtRest) {
  char tmpl[] = "/tmp/zta-keys-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  FakeClock clock;
  auto store = SqlIdpStore::Open(dir + "/idp.db");
  ASSERT_TRUE(store.ok()) << store.status();
  KeyManagerOptions o;
  o.keys_dir = dir + "/keys";
  o.encryption_key = Secret("correct horse battery staple");
  std::string kid;
  {
    auto km = KeyManager::Open(**store, o, clock);
    ASSERT_TRUE(km.ok()) << km.status();
    auto signing = (*km)->CurrentSigningKey();
    ASSERT_TRUE(signing.ok());
    kid = signing->key.kid();
    std::ifstream in(o.keys_dir + "/" + kid + ".json");
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_NE(ss.str().find("A256GCM"), std::string::npos);
    EXPECT_EQ(ss.str().find("\"d\""), std::string::npos);
  }
  auto again = KeyManager::Open(**store, o, clock);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->CurrentSigningKey()->key.kid(), kid);
  o.encryption_key = Secret("wrong");
  EXPECT_FALSE(KeyManager::Open(**store, o, clock).ok());
  o.encryption_key.reset();
  EXPECT_FALSE(KeyManager::Open(**store, o, clock).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zta::idp
