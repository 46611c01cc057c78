#include "api/routing.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

TEST(ParseTarget, DecodesSegmentsAndQuery) {
  auto t = parse_target("/apps/my%2Dapp/releases?extended=true&a=b%20c&x");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->segments, (std::vector<std::string>{"apps", "my-app", "releases"}));
  EXPECT_EQ(t->query["extended"], "true");
  EXPECT_EQ(t->query["a"], "b c");
  EXPECT_EQ(t->query["x"], "");
}

TEST(ParseTarget, RefusesMalformed) {
  EXPECT_FALSE(parse_target(""));
  EXPECT_FALSE(parse_target("apps"));
  EXPECT_FALSE(parse_target("/apps/%"));
  EXPECT_FALSE(parse_target("/apps/%zz"));
  EXPECT_FALSE(parse_target("/apps?q=%4"));
}

TEST(Routes, MatchesParamsAndReportsKnownPaths) {
  Routes routes;
  routes.add(http::verb::get, "/apps/{app}/releases/{release}",
             [](RequestContext&) -> Result<Reply> { return Reply{}; });
  auto m = routes.match(http::verb::get, {"apps", "x", "releases", "3"});
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params["app"], "x");
  EXPECT_EQ(m.params["release"], "3");
  auto wrong_method = routes.match(http::verb::post, {"apps", "x", "releases", "3"});
  EXPECT_EQ(wrong_method.handler, nullptr);
  EXPECT_TRUE(wrong_method.path_known);
  auto unknown = routes.match(http::verb::get, {"apps", "x"});
  EXPECT_EQ(unknown.handler, nullptr);
  EXPECT_FALSE(unknown.path_known);
}

}  // namespace
}  // namespace slipway::api
