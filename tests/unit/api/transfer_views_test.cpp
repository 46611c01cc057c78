#include "api/transfer_views.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

store::Transfer backup(std::int64_t num) {
  store::Transfer t;
  t.id = "0f0e0d0c-0000-4000-8000-000000000001";
  t.num = num;
  t.from_type = "pg_dump";
  t.to_type = "gof3r";
  t.created_at = "2025-01-01T00:00:00Z";
  return t;
}

TEST(TransferName, FollowsTheTypePair) {
  auto t = backup(1);
  EXPECT_EQ(transfer_name(t), "b001");
  t.schedule = "DATABASE_URL";
  EXPECT_EQ(transfer_name(t), "a001");
  t = backup(12);
  t.to_type = "pg_restore";
  EXPECT_EQ(transfer_name(t), "c012");
  t.from_type = "gof3r";
  EXPECT_EQ(transfer_name(t), "r012");
  t.num = 1234;
  EXPECT_EQ(transfer_name(t), "r1234");
}

constexpr const char* kApi = "https://127.0.0.1:5000";

TEST(TransferJson, HasTheFieldsTheCliReads) {
  auto t = backup(3);
  t.job_json = R"({"num_keep":5,"kind":"backup"})";
  const auto j = transfer_json(t, kApi);
  EXPECT_EQ(j["num"], 3);
  EXPECT_EQ(j["created_at"], "2025-01-01T00:00:00Z");
  EXPECT_TRUE(j["logs"].is_array());
  EXPECT_TRUE(j["finished_at"].is_null());
  EXPECT_TRUE(j["succeeded"].is_null());
  EXPECT_TRUE(j["schedule"].is_null());
  EXPECT_EQ(j["num_keep"], 5);
  // A backup's URL is on the API's address now, whatever it was when it was taken.
  EXPECT_EQ(j["to_url"], std::string(kApi) + "/backups/" + t.id + ".dump");
  EXPECT_FALSE(j.contains("job_json"));
  EXPECT_EQ(j.dump().find("kind"), std::string::npos);  // the private record stays private
  t.succeeded = true;
  t.logs.push_back({"2025-01-01T00:00:01Z", "info", "Verified: 1 tables, 2 rows match"});
  EXPECT_EQ(transfer_json(t, kApi)["succeeded"], true);
  EXPECT_EQ(transfer_json(t, kApi)["logs"][0]["message"], "Verified: 1 tables, 2 rows match");
}

TEST(RedactUrl, DropsPasswordsAndSecrets) {
  EXPECT_EQ(redact_url("postgres://u:pw@localhost:5432/d1"), "postgres://u@localhost:5432/d1");
  EXPECT_EQ(redact_url("postgres://u:p@ss@h/d?sslmode=require"), "postgres://u@h/d");
  EXPECT_EQ(redact_url("postgres://h/d"), "postgres://h/d");
  EXPECT_EQ(redact_url("https://a:b@s3.example/x.dump?X-Amz-Signature=abc"),
            "https://s3.example/x.dump");
  EXPECT_EQ(redact_url("not a url"), "");
}

TEST(AttachmentNameFor, PrefersDatabase) {
  store::Addon addon;
  EXPECT_EQ(attachment_name_for(addon), "DATABASE");
  addon.config_vars = {"HEROKU_POSTGRESQL_GOLD_URL", "DATABASE_URL"};
  EXPECT_EQ(attachment_name_for(addon), "DATABASE");
  addon.config_vars = {"HEROKU_POSTGRESQL_GOLD_URL"};
  EXPECT_EQ(attachment_name_for(addon), "HEROKU_POSTGRESQL_GOLD");
}

TEST(TransferBodies, ParseAndRefuse) {
  EXPECT_EQ(parse_restore_body(R"({"backup_url":"https://h/b.dump"})")->backup_url,
            "https://h/b.dump");
  EXPECT_FALSE(parse_restore_body(R"({"backup_url":"file:///etc/passwd"})").ok());
  EXPECT_FALSE(parse_restore_body("{}").ok());
  EXPECT_FALSE(parse_restore_body("[").ok());
  const auto copy = parse_copy_body(
      R"({"from_name":"DATABASE","from_url":"postgres://u:p@h/a","to_name":"GOLD","to_url":"postgres://v:q@h/b"})");
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->to_name, "GOLD");
  EXPECT_FALSE(parse_copy_body(R"({"from_url":"postgres://u@h/a","to_url":"mysql://h/b"})").ok());
  EXPECT_FALSE(parse_copy_body(R"({"from_url":"postgres://u@h/a"})").ok());
}

}  // namespace
}  // namespace slipway::api
