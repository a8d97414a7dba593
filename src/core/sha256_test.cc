// Tests of zta::Sha256 against the FIPS 180-4 example vectors.
#include "zta/core/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace zta {
namespace {

// "abc" (FIPS 180-4 / NIST CSRC example) and the empty string give the published digests.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// The raw form is the 32 bytes the hex form spells, and embedded NULs are hashed too.
TEST(Sha256Test, RawBytesMatchHex) {
  const std::string raw = Sha256("abc");
  ASSERT_EQ(raw.size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(raw[0]), 0xba);
  EXPECT_EQ(static_cast<unsigned char>(raw[31]), 0xad);
  EXPECT_NE(Sha256(std::string("a\0b", 3)), Sha256("a"));
}

}  // namespace
}  // namespace zta
