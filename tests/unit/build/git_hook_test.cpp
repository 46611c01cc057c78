#include "build/git_hook.h"

#include <gtest/gtest.h>

#include <sstream>

#include "build/git_repos.h"

namespace slipway::build {
namespace {

const std::string kZero(40, '0');
const std::string kA = "1111111111111111111111111111111111111111";
const std::string kB = "2222222222222222222222222222222222222222";

TEST(ParseRefUpdates, ReadsOneLinePerRef) {
  auto updates = parse_ref_updates(kA + " " + kB + " refs/heads/main\n" + kZero + " " + kA +
                                   " refs/heads/feature\n");
  ASSERT_TRUE(updates);
  ASSERT_EQ(updates->size(), 2U);
  EXPECT_EQ((*updates)[0].old_sha, kA);
  EXPECT_EQ((*updates)[0].new_sha, kB);
  EXPECT_EQ((*updates)[0].ref, "refs/heads/main");
  EXPECT_EQ((*updates)[1].ref, "refs/heads/feature");
}

TEST(ParseRefUpdates, RefusesMalformedLines) {
  EXPECT_FALSE(parse_ref_updates("garbage\n"));
  EXPECT_FALSE(parse_ref_updates(kA + " " + kB + "\n"));
  EXPECT_FALSE(parse_ref_updates(kA + " xyz refs/heads/main\n"));
  EXPECT_FALSE(parse_ref_updates(kA + " " + kB + " \n"));
}

TEST(ChooseDeployableUpdate, MainOrMasterIsBuilt) {
  for (const char* ref : {"refs/heads/main", "refs/heads/master"}) {
    auto chosen = choose_deployable_update({{kA, kB, ref}});
    ASSERT_TRUE(chosen);
    EXPECT_EQ(chosen->ref, ref);
  }
  EXPECT_TRUE(choose_deployable_update({{kZero, kB, "refs/heads/main"}}));  // first push
}

TEST(ChooseDeployableUpdate, OtherBranchesAreRefusedWithTheWayOut) {
  auto chosen = choose_deployable_update({{kA, kB, "refs/heads/feature"}});
  ASSERT_FALSE(chosen);
  EXPECT_NE(chosen.error().message.find("branch `feature` is not supported"), std::string::npos);
  EXPECT_NE(chosen.error().message.find("git push heroku feature:main"), std::string::npos);
  EXPECT_FALSE(choose_deployable_update({{kA, kB, "refs/tags/v1"}}));
  // One refused ref refuses the whole push.
  EXPECT_FALSE(choose_deployable_update({{kA, kB, "refs/heads/main"}, {kA, kB, "refs/heads/x"}}));
}

TEST(ChooseDeployableUpdate, DeletingOrPushingBothIsRefused) {
  auto deleted = choose_deployable_update({{kA, kZero, "refs/heads/main"}});
  ASSERT_FALSE(deleted);
  EXPECT_NE(deleted.error().message.find("Deleting"), std::string::npos);
  EXPECT_FALSE(
      choose_deployable_update({{kA, kB, "refs/heads/main"}, {kA, kB, "refs/heads/master"}}));
  EXPECT_FALSE(choose_deployable_update({}));
}

TEST(RunGitHook, RefusesABranchBeforeContactingAnything) {
  std::istringstream in(kA + " " + kB + " refs/heads/feature\n");
  std::ostringstream out;
  EXPECT_EQ(run_git_hook({"pre-receive"}, {}, in, out), 1);
  EXPECT_NE(out.str().find(" !     Pushing to the branch `feature`"), std::string::npos);
}

TEST(RunGitHook, RefusesAPushThatDidNotComeThroughSlipway) {
  std::istringstream in(kA + " " + kB + " refs/heads/main\n");
  std::ostringstream out;
  EXPECT_EQ(run_git_hook({"pre-receive"}, {}, in, out), 1);
  EXPECT_NE(out.str().find("only through Slipway's git server"), std::string::npos);
}

TEST(RunGitHook, OnlyKnowsPreReceive) {
  std::istringstream in;
  std::ostringstream out;
  EXPECT_EQ(run_git_hook({"post-receive"}, {}, in, out), 2);
}

TEST(GitRepos, HookScriptExecsTheBinaryWithItsPathQuoted) {
  EXPECT_EQ(GitRepos::hook_script("/opt/slip way/it's/slipway"),
            "#!/bin/sh\n# Written by Slipway: pushes are checked and built by the control "
            "plane.\nexec '/opt/slip way/it'\\''s/slipway' git-hook pre-receive\n");
}

}  // namespace
}  // namespace slipway::build
