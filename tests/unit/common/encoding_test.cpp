#include "common/encoding.h"

#include <gtest/gtest.h>

#include "common/crypto.h"
#include "common/ids.h"

namespace slipway {
namespace {

TEST(Base64, RoundTripsEveryLengthRemainder) {
  const std::vector<std::string> samples = {"",     "f",     "fo",     "foo",
                                            "foob", "fooba", "foobar", std::string("\0\xff", 2)};
  for (const auto& s : samples) {
    auto back = base64_decode(base64_encode(s));
    ASSERT_TRUE(back.has_value()) << s;
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
}

TEST(Base64, RefusesMalformed) {
  for (const auto* bad : {"Zm9", "Zm9v=", "Z===", "=Zm9", "Zm=v", "Zm9v!A==", "Zg=a"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(Hex, Encodes) { EXPECT_EQ(hex_encode(std::string("\x00\x7f\xff", 3)), "007fff"); }

TEST(Sha256, KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(Ids, UuidShapeAndUniqueness) {
  const auto a = new_uuid();
  EXPECT_TRUE(is_uuid(a)) << a;
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(a, new_uuid());
  EXPECT_FALSE(is_uuid("not-a-uuid"));
  EXPECT_EQ(random_hex(8).size(), 16U);
  for (int i = 0; i < 100; ++i) EXPECT_LT(random_below(7), 7U);
}

}  // namespace
}  // namespace slipway
