// Tests for the bounded verified-token cache.
#include "zta/jose/verified_token_cache.h"

#include <gtest/gtest.h>

namespace zta::jose {
namespace {

std::shared_ptr<const VerifiedJwt> Entry(int64_t exp, std::string sub = "s") {
  auto v = std::make_shared<VerifiedJwt>();
  v->expires_at = exp;
  v->subject = std::move(sub);
  return v;
}

// A lookup matches only the exact token string.
TEST(VerifiedTokenCache, ExactMatchOnly) {
  VerifiedTokenCache cache(100);
  cache.Insert("aaa.bbb.ccc", Entry(100), 0, cache.epoch());
  EXPECT_NE(cache.Lookup("aaa.bbb.ccc", 1), nullptr);
  EXPECT_EQ(cache.Lookup("aaa.bbb.ccd", 1), nullptr);
  EXPECT_EQ(cache.Lookup("xaa.bbb.ccc", 1), nullptr);  // same tail, different token
  EXPECT_EQ(cache.Lookup("aaa.bbb.cc", 1), nullptr);
}

// An entry is gone the second its token expires, and expired tokens are not inserted.
TEST(VerifiedTokenCache, NeverOutlivesExp) {
  VerifiedTokenCache cache(100);
  cache.Insert("t1", Entry(100), 0, cache.epoch());
  EXPECT_NE(cache.Lookup("t1", 99), nullptr);
  EXPECT_EQ(cache.Lookup("t1", 100), nullptr);
  cache.Insert("t2", Entry(100), 100, cache.epoch());
  EXPECT_EQ(cache.size(), 0u);
}

// The cache never holds more than its capacity.
TEST(VerifiedTokenCache, IsBounded) {
  VerifiedTokenCache cache(64);
  for (int i = 0; i < 1000; ++i) {
    cache.Insert("token-" + std::to_string(i), Entry(1000), 0, cache.epoch());
  }
  EXPECT_LE(cache.size(), 64u);
  EXPECT_GT(cache.size(), 0u);
  // The newest entry survives eviction.
  EXPECT_NE(cache.Lookup("token-999", 1), nullptr);
}

// Clear empties the cache and a verification from the old epoch is refused.
TEST(VerifiedTokenCache, ClearStartsNewEpoch) {
  VerifiedTokenCache cache(100);
  uint64_t old_epoch = cache.epoch();
  cache.Insert("t", Entry(100), 0, old_epoch);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  cache.Insert("t", Entry(100), 0, old_epoch);  // raced with the key change
  EXPECT_EQ(cache.Lookup("t", 1), nullptr);
  cache.Insert("t", Entry(100), 0, cache.epoch());
  EXPECT_NE(cache.Lookup("t", 1), nullptr);
}

}  // namespace
}  // namespace zta::jose
