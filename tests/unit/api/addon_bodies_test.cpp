#include "api/addon_bodies.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

TEST(AddonBodies, CreateAsTheCliSendsIt) {
  auto body = parse_addon_create(
      R"({"attachment":{"name":"OLD_DB"},"config":{"version":"15","wait":true},"name":"mydb2",)"
      R"("plan":{"name":"heroku-postgresql:hobby-dev"}})");
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(body->plan, "heroku-postgresql:hobby-dev");
  EXPECT_EQ(body->name, "mydb2");
  EXPECT_EQ(body->attachment_name, "OLD_DB");
  EXPECT_EQ(body->config.at("version"), "15");
  EXPECT_EQ(body->config.at("wait"), "true");
  auto plain = parse_addon_create(R"({"attachment":{},"config":{},"plan":"heroku-postgresql"})");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->attachment_name);
}

TEST(AddonBodies, CreateRefusesBadInputWithAReason) {
  EXPECT_EQ(parse_addon_create("{}").error().message, "Missing `plan`.");
  EXPECT_EQ(parse_addon_create(R"({"plan":{"name":"x"},"name":"Bad"})").error().code,
            ErrorCode::kInvalidParams);
  EXPECT_FALSE(parse_addon_create(R"({"plan":{"name":"x"},"attachment":{"name":"db"}})").ok());
  EXPECT_FALSE(parse_addon_create(R"({"plan":{"name":"x"},"config":{"a":1}})").ok());
  EXPECT_EQ(parse_addon_create("[").error().code, ErrorCode::kBadRequest);
}

TEST(AddonBodies, AttachmentCreate) {
  auto body = parse_attachment_create(
      R"({"addon":{"name":"old"},"app":{"name":"app"},"confirm":"app","namespace":null})");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->addon, "old");
  EXPECT_EQ(body->app, "app");
  EXPECT_FALSE(body->name);
  EXPECT_EQ(body->confirm, "app");
  EXPECT_FALSE(parse_attachment_create(R"({"addon":{"name":"x"}})").ok());
  EXPECT_FALSE(parse_attachment_create(R"({"addon":"x","app":"a","name":"lower"})").ok());
}

TEST(AddonBodies, NamesFollowHerokusRules) {
  EXPECT_TRUE(validate_addon_name("postgresql-shaped-12345").ok());
  EXPECT_FALSE(validate_addon_name("1db").ok());
  EXPECT_FALSE(validate_addon_name("db_1").ok());
  EXPECT_TRUE(validate_attachment_name("HEROKU_POSTGRESQL_GOLD").ok());
  EXPECT_FALSE(validate_attachment_name("_DB").ok());
  EXPECT_FALSE(validate_attachment_name("Db").ok());
  EXPECT_FALSE(validate_attachment_name(std::string(257, 'A')).ok());
}

TEST(AddonBodies, UpdateAndResolve) {
  EXPECT_EQ(parse_addon_update(R"({"name":"new-name"})")->name, "new-name");
  EXPECT_EQ(parse_addon_update(R"({"plan":{"name":"heroku-postgresql:standard-0"}})")->plan,
            "heroku-postgresql:standard-0");
  EXPECT_FALSE(parse_addon_update("{}").ok());
  auto resolve =
      parse_resolve(R"({"addon_attachment":"DATABASE_URL","app":"shop"})", "addon_attachment");
  ASSERT_TRUE(resolve.ok());
  EXPECT_EQ(resolve->ref, "DATABASE_URL");
  EXPECT_EQ(resolve->app, "shop");
  EXPECT_FALSE(parse_resolve(R"({"addon":"x"})", "addon_attachment").ok());
}

}  // namespace
}  // namespace slipway::api
