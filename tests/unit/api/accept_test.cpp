#include "api/accept.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

TEST(ParseAccept, VersionThreeAndVariants) {
  auto plain = parse_accept("application/vnd.heroku+json; version=3");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->variant, "");
  EXPECT_FALSE(plain->defaulted);
  auto sdk = parse_accept("application/vnd.heroku+json; version=3.sdk");
  ASSERT_TRUE(sdk.ok());
  EXPECT_EQ(sdk->variant, "sdk");
}

TEST(ParseAccept, GenericAcceptDefaultsToThree) {
  for (const auto* header : {"", "*/*", "application/json"}) {
    auto r = parse_accept(header);
    ASSERT_TRUE(r.ok()) << header;
    EXPECT_TRUE(r->defaulted) << header;
  }
}

TEST(ParseAccept, RefusesMissingOrOtherVersions) {
  EXPECT_FALSE(parse_accept("application/vnd.heroku+json").ok());
  EXPECT_FALSE(parse_accept("application/vnd.heroku+json; version=2").ok());
  EXPECT_FALSE(parse_accept("application/vnd.heroku+json; version=").ok());
}

}  // namespace
}  // namespace slipway::api
