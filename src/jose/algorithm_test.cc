// Tests for the algorithm table and allow-lists.
#include "zta/jose/algorithm.h"

#include <gtest/gtest.h>

namespace zta::jose {
namespace {

// Every algorithm round-trips through its name and the table binds it to one key type.
TEST(Algorithm, TableIsConsistent) {
  for (int i = 0; i < kAlgorithmCount; ++i) {
    auto alg = static_cast<Algorithm>(i);
    EXPECT_EQ(Spec(alg).alg, alg);
    auto back = AlgorithmFromName(AlgorithmName(alg));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, alg);
  }
  EXPECT_EQ(Spec(Algorithm::kES256).curve, Curve::kP256);
  EXPECT_EQ(Spec(Algorithm::kPS256).padding, Padding::kPss);
  EXPECT_EQ(Spec(Algorithm::kEdDSA).key_type, KeyType::kOKP);
  EXPECT_EQ(Spec(Algorithm::kHS256).min_key_bytes, 32);
}

// "none", wrong case and unknown names are never algorithms.
TEST(Algorithm, RejectsNoneAndUnknown) {
  EXPECT_FALSE(AlgorithmFromName("none").has_value());
  EXPECT_FALSE(AlgorithmFromName("es256").has_value());
  EXPECT_FALSE(AlgorithmFromName("ES224").has_value());
  EXPECT_FALSE(AlgorithmSet::Parse("ES256,none").ok());
  EXPECT_EQ(AlgorithmSet::Parse("ES256,none").status().reason(), "alg_not_allowed");
}

// Allow-lists parse from comma/space lists and the asymmetric default excludes HMAC.
TEST(AlgorithmSet, ParsesAndDefaults) {
  auto set = AlgorithmSet::Parse("ES256, RS256");
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->Contains(Algorithm::kES256));
  EXPECT_TRUE(set->Contains(Algorithm::kRS256));
  EXPECT_FALSE(set->Contains(Algorithm::kPS256));
  EXPECT_EQ(set->ToString(), "RS256,ES256");
  auto asym = AlgorithmSet::Asymmetric();
  EXPECT_FALSE(asym.Contains(Algorithm::kHS256));
  EXPECT_TRUE(asym.Contains(Algorithm::kEdDSA));
  EXPECT_TRUE(AlgorithmSet().empty());
  EXPECT_FALSE(AlgorithmSet::Parse("").ok());
}

}  // namespace
}  // namespace zta::jose
