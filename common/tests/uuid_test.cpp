#include "common/ids/uuid.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace stellenwerk::ids {
namespace {

TEST(UuidTest, IsCanonicalVersion4Rfc4122Variant) {
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewUuid();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;                                          // version 4
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // variant 10xx
    EXPECT_EQ(id.find_first_of("ABCDEF"), std::string::npos) << id;
  }
}

TEST(UuidTest, ThousandIdsAreDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(NewUuid());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(UuidTest, IsUuidRejectsOtherShapes) {
  EXPECT_TRUE(IsUuid("3F2A9C10-0000-4000-8000-00000000000a"));
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("3f2a9c10-0000-4000-8000-00000000000"));   // short
  EXPECT_FALSE(IsUuid("3f2a9c10_0000-4000-8000-00000000000a"));  // separator
  EXPECT_FALSE(IsUuid("3f2a9c10-0000-4000-8000-00000000000g"));  // not hex
}

bool FailingSource(uint8_t*, size_t) { return false; }

TEST(UuidDeathTest, AbortsWhenTheCsprngFailsInsteadOfFallingBack) {
  EXPECT_DEATH(internal::NewUuidFrom(&FailingSource), "CSPRNG failed");
}

bool AllOnesSource(uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(0xff);
  return true;
}

TEST(UuidTest, VersionAndVariantBitsAreForcedWhateverTheSourceGives) {
  EXPECT_EQ(internal::NewUuidFrom(&AllOnesSource), "ffffffff-ffff-4fff-bfff-ffffffffffff");
}

}  // namespace
}  // namespace stellenwerk::ids
