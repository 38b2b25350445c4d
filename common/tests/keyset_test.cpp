#include "common/pg/keyset.h"

#include "gtest/gtest.h"

namespace stellenwerk::pg {
namespace {

TEST(KeysetTest, TokensRoundTripAndTheFirstPageHasNoCursor) {
  const absl::Time t = absl::FromUnixMicros(1'700'000'000'123'456);
  const std::string id = "6a1f0c7e-1111-4a4a-8b8b-000000000296";
  auto cursor = DecodeKeysetToken(EncodeKeysetToken(t, id));
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor->after_time, "2023-11-14 22:13:20.123456+00");
  EXPECT_EQ(*cursor->after_id, id);
  auto first = DecodeKeysetToken("");
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->after_time.has_value());
}

TEST(KeysetTest, ForgedTokensAreInvalidArguments) {
  for (const char* token : {"garbage", "MTIzfG5vdC1hLXV1aWQ", "fHw", "' OR 1=1 --"}) {
    auto cursor = DecodeKeysetToken(token);
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument) << token;
  }
}

}  // namespace
}  // namespace stellenwerk::pg
