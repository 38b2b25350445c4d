// ids::Sha256Hex against the FIPS 180-2 test vectors.
#include "common/ids/digest.h"

#include "gtest/gtest.h"

namespace stellenwerk::ids {
namespace {

TEST(Digest, Sha256HexOfTheStandardVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(std::string("a\0b", 3)).size(), 64u);  // binary input, not C strings
}

}  // namespace
}  // namespace stellenwerk::ids
