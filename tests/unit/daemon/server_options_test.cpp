#include "daemon/server_options.h"

#include <gtest/gtest.h>

namespace slipway::daemon {
namespace {

TEST(ParseHostPort, Forms) {
  auto v4 = parse_host_port("127.0.0.1:5000");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 5000);
  auto v6 = parse_host_port("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(parse_host_port("localhost:80")->host, "127.0.0.1");
}

TEST(ParseHostPort, Refuses) {
  for (const auto* bad : {"", "5000", ":5000", "host:", "host:99999", "host:50a", "host:-1"}) {
    EXPECT_FALSE(parse_host_port(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace slipway::daemon
