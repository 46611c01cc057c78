#include "api/request_bodies.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

TEST(ParseAppCreate, EmptyBodyAndFields) {
  auto empty = parse_app_create("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->name);
  auto full = parse_app_create(R"({"name":"x1y","region":"us","stack":"heroku-24","extra":1})");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->name, "x1y");
  EXPECT_EQ(full->region, "us");
  EXPECT_EQ(full->stack, "heroku-24");
}

TEST(ParseAppCreate, WrongTypesAndMalformedJson) {
  auto bad_type = parse_app_create(R"({"name":5})");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.error().code, ErrorCode::kInvalidParams);
  auto malformed = parse_app_create(R"({"name":)");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, ErrorCode::kBadRequest);
  EXPECT_FALSE(parse_app_create("[1,2]").ok());
  EXPECT_FALSE(parse_app_create("\"name\"").ok());
}

TEST(ParseAppUpdate, MaintenanceMustBeBoolean) {
  auto on = parse_app_update(R"({"maintenance":true})");
  ASSERT_TRUE(on.ok());
  EXPECT_EQ(on->maintenance, true);
  EXPECT_FALSE(parse_app_update(R"({"maintenance":"yes"})").ok());
  EXPECT_FALSE(parse_app_update(R"({"name":["a"]})").ok());
}

TEST(ParseConfigPatch, SetsAndRemoves) {
  auto changes = parse_config_patch(R"({"A":"1","B_2":null,"_c":""})");
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 3U);
  EXPECT_EQ(changes->at("A"), "1");
  EXPECT_FALSE(changes->at("B_2").has_value());
  EXPECT_EQ(changes->at("_c"), "");
}

TEST(ParseConfigPatch, RefusesBadNamesAndValues) {
  for (const auto* body :
       {R"({"1A":"x"})", R"({"A-B":"x"})", R"({"":"x"})", R"({"A B":"x"})", R"({"__X":"x"})",
        R"({"A":1})", R"({"A":true})", R"({"A":{"b":1}})", R"({"A":["x"]})"}) {
    auto r = parse_config_patch(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams) << body;
  }
  EXPECT_FALSE(parse_config_patch("{").ok());
}

}  // namespace
}  // namespace slipway::api
