#include <gtest/gtest.h>

#include "addons/postgres/pq.h"

namespace slipway::addons::postgres {
namespace {

TEST(PostgresConnectParams, UrlEncodesEveryPart) {
  ConnectParams params;
  params.set("user", "u@x")
      .set("password", "p:/?#@%")
      .set("host", "localhost")
      .set("port", "5433")
      .set("dbname", "d b");
  EXPECT_EQ(params.url(), "postgres://u%40x:p%3A%2F%3F%23%40%25@localhost:5433/d%20b");
  auto parsed = ConnectParams::parse(params.url());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->get("password"), "p:/?#@%");
  EXPECT_EQ(parsed->get("dbname"), "d b");
  EXPECT_EQ(parsed->get("user"), "u@x");
  params.set("host", "::1").set("sslmode", "require");
  EXPECT_EQ(params.url(), "postgres://u%40x:p%3A%2F%3F%23%40%25@[::1]:5433/d%20b?sslmode=require");
}

TEST(PostgresConnectParams, ParseErrorsKeepThePasswordOut) {
  auto parsed = ConnectParams::parse("postgres://admin:hunter2@[::1/postgres");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(parsed.error().message.find("hunter2"), std::string::npos) << parsed.error().message;
}

TEST(PostgresConnection, RefusedConnectionIsAnError) {
  ConnectParams params;
  params.set("host", "127.0.0.1").set("port", "1").set("dbname", "x").set("user", "u");
  auto conn = Connection::open(params, std::chrono::seconds(2));
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(conn.error().message.find("127.0.0.1"), std::string::npos) << conn.error().message;
  EXPECT_FALSE(server_accepts(params));
}

}  // namespace
}  // namespace slipway::addons::postgres
