#include "api/credentials.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

namespace slipway::api {
namespace {

TEST(TokenFromAuthorization, Bearer) {
  EXPECT_EQ(token_from_authorization("Bearer HRKU-abc"), "HRKU-abc");
  EXPECT_EQ(token_from_authorization("bearer  HRKU-abc "), "HRKU-abc");
}

TEST(TokenFromAuthorization, BasicTakesThePasswordWithAnyUsername) {
  EXPECT_EQ(token_from_authorization("Basic " + base64_encode("heroku:HRKU-xyz")), "HRKU-xyz");
  EXPECT_EQ(token_from_authorization("Basic " + base64_encode(":HRKU-xyz")), "HRKU-xyz");
  EXPECT_EQ(token_from_authorization("Basic " + base64_encode("me@x:pa:ss")), "pa:ss");
}

TEST(TokenFromAuthorization, RefusesPlaceholdersAndMalformedHeaders) {
  EXPECT_FALSE(token_from_authorization("Bearer undefined"));
  EXPECT_FALSE(token_from_authorization("Bearer "));
  EXPECT_FALSE(token_from_authorization(""));
  EXPECT_FALSE(token_from_authorization("Token abc"));
  EXPECT_FALSE(token_from_authorization("Basic !!!!"));
  EXPECT_FALSE(token_from_authorization("Basic " + base64_encode("no-colon")));
  EXPECT_FALSE(token_from_authorization("Basic " + base64_encode("heroku:")));
}

}  // namespace
}  // namespace slipway::api
