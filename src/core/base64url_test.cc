// Tests for the strict base64url codec (RFC 4648 §5 without padding).
#include "zta/core/base64url.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>

namespace zta {
namespace {

// RFC 4648 §10 vectors round-trip through the unpadded URL alphabet.
TEST(Base64Url, Rfc4648VectorsRoundTrip) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64UrlEncode(plain), encoded);
    auto decoded = Base64UrlDecode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

// The URL alphabet uses '-' and '_' where standard base64 uses '+' and '/'.
TEST(Base64Url, UsesUrlAlphabet) {
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
  EXPECT_FALSE(Base64UrlDecode("+_8").ok());
  EXPECT_FALSE(Base64UrlDecode("-/8").ok());
}

// Padding, stray characters and impossible lengths are refused.
TEST(Base64Url, RejectsPaddingAndJunk) {
  for (const char* bad : {"Zg==", "Zm8=", "Zm9v\n", "Zm 9v", "Z", "Zm9vY", "Zm9v.", "\xff\xfe"}) {
    auto r = Base64UrlDecode(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().reason(), "malformed");
  }
}

// Each byte string has exactly one accepted encoding: unused trailing bits must be zero.
TEST(Base64Url, RejectsNonCanonicalTrailingBits) {
  EXPECT_TRUE(Base64UrlDecode("Zg").ok());
  EXPECT_FALSE(Base64UrlDecode("Zh").ok());  // 'h' sets a low bit that carries no data
  EXPECT_TRUE(Base64UrlDecode("Zm8").ok());
  EXPECT_FALSE(Base64UrlDecode("Zm9").ok());
}

// Standard padded base64 (HTTP Basic) round-trips and rejects bad padding.
TEST(Base64, PaddedRoundTrip) {
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  auto r = Base64Decode("Zm8=");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "fo");
  EXPECT_FALSE(Base64Decode("Zm8").ok());
  EXPECT_FALSE(Base64Decode("Z===").ok());
}

// Every length 0..200 of random bytes encodes as OpenSSL's EVP_EncodeBlock does (padded), and
// as that without '=' and with the URL alphabet (base64url); both decode back.
TEST(Base64, MatchesOpenSslOnEveryLength) {
  std::mt19937 rng(4648);
  for (size_t n = 0; n <= 200; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string expected(4 * ((n + 2) / 3), '\0');
    int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(n));
    ASSERT_EQ(static_cast<size_t>(written), expected.size());
    EXPECT_EQ(Base64Encode(bytes), expected) << n;
    std::string url = expected.substr(0, expected.find('='));
    for (char& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
    EXPECT_EQ(Base64UrlEncode(bytes), url) << n;
    Result<std::string> padded = Base64Decode(expected), unpadded = Base64UrlDecode(url);
    ASSERT_TRUE(padded.ok() && unpadded.ok()) << n;
    EXPECT_EQ(*padded, bytes);
    EXPECT_EQ(*unpadded, bytes);
  }
}

}  // namespace
}  // namespace zta
