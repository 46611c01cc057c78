// The pg:backups:schedule body: the hour as the CLI sends it, zone names, schedule names.
#include "api/schedule_bodies.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

TEST(ScheduleBodiesTest, TheCliBody) {
  auto body = parse_schedule_body(
      R"({"hour":"02","timezone":"America/New_York","schedule_name":"DATABASE_URL"})");
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(body->hour, 2);
  EXPECT_EQ(body->timezone, "America/New_York");
  EXPECT_EQ(body->schedule_name, "DATABASE_URL");
}

TEST(ScheduleBodiesTest, HoursWithAndWithoutLeadingZero) {
  for (const auto& [text, hour] : std::vector<std::pair<const char*, int>>{
           {"0", 0}, {"00", 0}, {"2", 2}, {"02", 2}, {"09", 9}, {"10", 10}, {"23", 23}}) {
    EXPECT_EQ(parse_hour(text), hour) << text;
  }
  for (const char* bad : {"", "24", "25", "-1", "002", "2.0", " 2", "2 ", "+2", "x", "99", "1a"}) {
    EXPECT_FALSE(parse_hour(bad)) << bad;
  }
  auto number = parse_schedule_body(R"({"hour":7,"schedule_name":"DATABASE_URL"})");
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number->hour, 7);
  EXPECT_EQ(number->timezone, "UTC");  // the CLI's default
}

TEST(ScheduleBodiesTest, BadBodiesNameTheProblem) {
  auto bad_hour = parse_schedule_body(R"({"hour":"24","schedule_name":"DATABASE_URL"})");
  ASSERT_FALSE(bad_hour.ok());
  EXPECT_EQ(bad_hour.error().code, ErrorCode::kInvalidParams);
  EXPECT_NE(bad_hour.error().message.find("`24`"), std::string::npos);

  auto bad_zone = parse_schedule_body(
      R"({"hour":"2","timezone":"../../etc/passwd","schedule_name":"DATABASE_URL"})");
  ASSERT_FALSE(bad_zone.ok());
  EXPECT_EQ(bad_zone.error().code, ErrorCode::kInvalidParams);
  EXPECT_NE(bad_zone.error().message.find("../../etc/passwd"), std::string::npos);

  for (const char* body :
       {R"({"hour":"2"})", R"({"hour":"2","schedule_name":"database_url"})",
        R"({"hour":"2","schedule_name":"DATABASE"})", R"({"hour":true,"schedule_name":"X_URL"})",
        R"({"hour":"2","timezone":5,"schedule_name":"X_URL"})", R"({"schedule_name":"X_URL"})",
        R"({"hour":24,"schedule_name":"X_URL"})"}) {
    auto parsed = parse_schedule_body(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidParams) << body;
  }
  EXPECT_EQ(parse_schedule_body("[1]").error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(parse_schedule_body("{").error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace slipway::api
