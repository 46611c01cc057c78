#include "build/buildpack_fetch.h"

#include <gtest/gtest.h>

namespace slipway::build {
namespace {

BuildpackRef parse_ok(std::string_view url) {
  auto ref = parse_buildpack_url(url);
  EXPECT_TRUE(ref.ok()) << url << ": " << (ref.ok() ? "" : ref.error().message);
  return ref.ok() ? *ref : BuildpackRef{};
}

std::string error_of(std::string_view url) {
  auto ref = parse_buildpack_url(url);
  EXPECT_FALSE(ref.ok()) << url;
  return ref.ok() ? "" : ref.error().message;
}

TEST(BuildpackUrl, BuiltInNamesAndShorthands) {
  for (const auto* name : {"nodejs", "python", "procfile"}) {
    for (const auto& url : {std::string(name), "heroku/" + std::string(name)}) {
      const auto ref = parse_ok(url);
      EXPECT_EQ(ref.source, BuildpackSource::kBuiltin);
      EXPECT_EQ(ref.url, "heroku/" + std::string(name));
      EXPECT_EQ(ref.name, ref.url);
      EXPECT_EQ(ref.location, name);
    }
  }
}

TEST(BuildpackUrl, LocalPaths) {
  const auto ref = parse_ok("/srv/buildpacks/./custom/");
  EXPECT_EQ(ref.source, BuildpackSource::kLocalPath);
  EXPECT_EQ(ref.location, "/srv/buildpacks/custom");
  EXPECT_EQ(ref.url, "/srv/buildpacks/./custom/");
  EXPECT_EQ(ref.name, ref.url);
}

TEST(BuildpackUrl, TarballsAndGitRepositories) {
  auto ref = parse_ok("https://example.com/bp/v1.2/buildpack.tgz?token=x#ignored");
  EXPECT_EQ(ref.source, BuildpackSource::kTarball);
  EXPECT_EQ(ref.location, "https://example.com/bp/v1.2/buildpack.tgz?token=x");
  EXPECT_EQ(parse_ok("http://127.0.0.1:8080/a.tar.gz").source, BuildpackSource::kTarball);

  ref = parse_ok("https://github.com/heroku/heroku-buildpack-nginx.git#v1.2_x-y/z");
  EXPECT_EQ(ref.source, BuildpackSource::kGit);
  EXPECT_EQ(ref.location, "https://github.com/heroku/heroku-buildpack-nginx.git");
  EXPECT_EQ(ref.git_ref, "v1.2_x-y/z");
  ref = parse_ok("https://github.com/heroku/heroku-buildpack-nginx");
  EXPECT_EQ(ref.source, BuildpackSource::kGit);
  EXPECT_EQ(ref.git_ref, "");
  ref = parse_ok("file:///srv/git/bp.git#0123abc");
  EXPECT_EQ(ref.source, BuildpackSource::kGit);
  EXPECT_EQ(ref.location, "file:///srv/git/bp.git");
  EXPECT_EQ(ref.git_ref, "0123abc");
}

TEST(BuildpackUrl, Refusals) {
  EXPECT_EQ(error_of(""), "Invalid buildpack ``: empty");
  EXPECT_NE(error_of("heroku/ruby").find("Slipway has no buildpack registry"), std::string::npos);
  EXPECT_NE(error_of("git@github.com:org/bp.git").find("use heroku/nodejs"), std::string::npos);
  EXPECT_NE(error_of("ssh://git@github.com/org/bp.git").find("use heroku/nodejs"),
            std::string::npos);
  EXPECT_NE(error_of("ext::sh -c touch% /tmp/x").find("spaces or control characters"),
            std::string::npos);
  EXPECT_NE(error_of("https://x/bp.git#-upload-pack=evil").find("is not a branch, tag or commit"),
            std::string::npos);
  EXPECT_NE(error_of("https://x/bp.git#a/../b").find("is not a branch"), std::string::npos);
  EXPECT_NE(error_of("https://x/bp.git#").find("is not a branch"), std::string::npos);
  EXPECT_NE(error_of("https:///no-host").find("no host"), std::string::npos);
  EXPECT_NE(error_of("https://x/a\nb").find("control characters"), std::string::npos);
  EXPECT_NE(error_of("https://x/" + std::string(kMaxBuildpackUrlLength, 'a')).find("too long"),
            std::string::npos);
}

}  // namespace
}  // namespace slipway::build
