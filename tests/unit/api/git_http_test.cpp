#include "api/git_http.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

TEST(ParseGitTarget, SplitsAppPathAndQuery) {
  auto t = parse_git_target("/myapp.git/info/refs?service=git-receive-pack");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->app, "myapp");
  EXPECT_EQ(t->path, "info/refs");
  EXPECT_EQ(t->query, "service=git-receive-pack");
  t = parse_git_target("/myapp.git/git-upload-pack");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "git-upload-pack");
  EXPECT_EQ(t->query, "");
}

TEST(ParseGitTarget, LeavesPlatformApiPathsAlone) {
  EXPECT_FALSE(parse_git_target("/apps/myapp"));
  EXPECT_FALSE(parse_git_target("/myapp.git"));
  EXPECT_FALSE(parse_git_target("/.git/info/refs"));
  EXPECT_FALSE(parse_git_target("/apps/x.git/info"));  // first segment must be the repository
  EXPECT_FALSE(parse_git_target("/a%zz.git/info/refs"));
}

TEST(HumanSize, MegabytesAsGitUsersReadThem) {
  EXPECT_EQ(human_size(std::uint64_t{500} * 1024 * 1024), "500 MB");
  EXPECT_EQ(human_size(std::uint64_t{3} * 1024 * 1024 / 2), "1.5 MB");
  EXPECT_EQ(human_size(1024 * 1024), "1 MB");
  EXPECT_EQ(human_size(0), "0 MB");
}

}  // namespace
}  // namespace slipway::api
