#include "api/app_names.h"

#include <gtest/gtest.h>

#include <set>

namespace slipway::api {
namespace {

TEST(ValidateAppName, AcceptsHerokuStyleNames) {
  for (const auto* name : {"abc", "my-app", "app2", "a-1-b", "abcdefghijklmnopqrstuvwxyz1234"}) {
    EXPECT_TRUE(validate_app_name(name).ok()) << name;
  }
}

TEST(ValidateAppName, RefusesWithHerokusMessages) {
  auto shorter = validate_app_name("ab");
  ASSERT_FALSE(shorter.ok());
  EXPECT_EQ(shorter.error().message, "Name is too short (minimum is 3 characters)");
  auto longer = validate_app_name("abcdefghijklmnopqrstuvwxyz12345");
  ASSERT_FALSE(longer.ok());
  EXPECT_EQ(longer.error().message, "Name is too long (maximum is 30 characters)");
  for (const auto* name : {"1app", "-app", "app-", "My-App", "my_app", "my app", "app!", "ápp"}) {
    auto r = validate_app_name(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
    EXPECT_NE(r.error().message.find("must start with a letter"), std::string::npos) << name;
  }
}

TEST(GenerateAppName, AlwaysValidAndVaried) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const auto name = generate_app_name();
    EXPECT_TRUE(validate_app_name(name).ok()) << name;
    seen.insert(name);
  }
  EXPECT_GT(seen.size(), 190U);
}

}  // namespace
}  // namespace slipway::api
