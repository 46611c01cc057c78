// The build runner driven with the real built-in buildpacks, the fixture apps and the fixture
// buildpacks (tests/fixtures/): real bash, node, npm, python, git, curl; no mocks.
#include "build/buildpack_runner.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <regex>
#include <set>
#include <thread>

#include "build/slug_archive.h"
#include "build_test_util.h"
#include "tiny_http_server.h"

namespace slipway::build {
namespace {

using testing::copy_tree;
using testing::fixture_app;
using testing::fixture_buildpack;
using testing::has_lines_in_order;
using testing::read_file;
using testing::repo_dir;
using testing::run_program;
using testing::TempDir;
using testing::write_file;

namespace fs = std::filesystem;
using Types = std::map<std::string, std::string>;

class BuildRunner : public ::testing::Test {
 protected:
  // An input for building a copy of `app` (a fixture app, or empty for an empty app).
  BuildInput input_for(const std::string& app, const std::string& name = "src") {
    BuildInput input;
    input.source_dir = tmp_ / name;
    if (app.empty()) {
      fs::create_directories(input.source_dir);
    } else {
      copy_tree(fixture_app(app), input.source_dir);
    }
    input.cache_dir = tmp_ / "cache";
    input.work_dir = tmp_ / ("work-" + name);
    input.builtin_buildpacks_dir = repo_dir() / "buildpacks";
    return input;
  }

  Result<BuildOutput> build(const BuildInput& input, const std::atomic<bool>* cancel = nullptr) {
    log_.clear();
    return run_build(
        input, [&](std::string_view line) { log_ += line; }, cancel);
  }

  // Unpacks the slug and returns the app's directory.
  fs::path unpack(const BuildOutput& out, const std::string& name = "slug") {
    auto unpacked = unpack_slug_archive(out.slug_archive, tmp_ / name);
    EXPECT_TRUE(unpacked.ok()) << (unpacked.ok() ? "" : unpacked.error().message);
    return tmp_ / name / "app";
  }

  void expect_failure(const Result<BuildOutput>& result, const std::string& message) {
    ASSERT_FALSE(result.ok()) << log_;
    EXPECT_EQ(result.error().message, message) << log_;
    EXPECT_TRUE(has_lines_in_order(log_, {" !     " + message, "", " !     Push failed"}));
  }

  // SLIPWAY_SHOW_BUILD_LOG=1 prints the last build's output of each test.
  void TearDown() override {
    if (std::getenv("SLIPWAY_SHOW_BUILD_LOG")) std::cerr << log_;
  }

  TempDir tmp_;
  std::string log_;
};

TEST_F(BuildRunner, ProcfileAppIsDetectedAndPackedWithItsDotfilesAndLinks) {
  BuildInput input = input_for("procfile-app");
  write_file(input.source_dir / ".git/HEAD", "ref: refs/heads/main\n");
  write_file(input.source_dir / ".profile.d/app.sh", "export FROM_PROFILE=1\n");
  fs::create_directories(input.source_dir / "sub");
  fs::create_symlink("../Procfile", input.source_dir / "sub/Procfile-link");
  auto out = build(input);
  ASSERT_TRUE(out.ok()) << out.error().message << "\n" << log_;
  EXPECT_TRUE(has_lines_in_order(
      log_,
      {"-----> Building on the debian-12 stack",
       "-----> Determining which buildpack to use for this app", "-----> Procfile app detected",
       "-----> Nothing to build: the app runs as pushed, with the "
       "commands in its Procfile",
       "-----> Discovering process types", "       Procfile declares types -> web",
       "-----> Compressing..."}));
  EXPECT_TRUE(std::regex_search(log_, std::regex("\n       Done: [0-9]+K\n$"))) << log_;
  EXPECT_EQ(out->process_types, (Types{{"web", "bin/serve"}}));
  EXPECT_EQ(out->buildpack_description, "Procfile");
  EXPECT_EQ(
      out->buildpacks,
      (std::vector<std::pair<std::string, std::string>>{{"heroku/procfile", "heroku/procfile"}}));
  EXPECT_EQ(out->slug_archive, input.work_dir / "slug.tgz");
  EXPECT_EQ(out->slug_size, fs::file_size(out->slug_archive));
  ASSERT_TRUE(check_slug_archive(out->slug_archive).ok());

  const fs::path app = unpack(*out);
  EXPECT_EQ(read_file(app / "Procfile"), read_file(fixture_app("procfile-app") / "Procfile"));
  EXPECT_NE(fs::status(app / "bin/serve").permissions() & fs::perms::owner_exec, fs::perms::none);
  EXPECT_EQ(read_file(app / ".profile.d/app.sh"), "export FROM_PROFILE=1\n");
  EXPECT_TRUE(fs::is_symlink(app / "sub/Procfile-link"));
  EXPECT_EQ(fs::read_symlink(app / "sub/Procfile-link"), "../Procfile");
  EXPECT_FALSE(fs::exists(app / ".git"));
}

TEST_F(BuildRunner, NodeAppBuildsThenReusesItsCache) {
  BuildInput input = input_for("node-app");
  auto out = build(input);
  ASSERT_TRUE(out.ok()) << out.error().message << "\n" << log_;
  EXPECT_TRUE(has_lines_in_order(
      log_, {"-----> Building on the debian-12 stack", "-----> Node.js app detected",
             "-----> Restoring cache", "       Nothing cached yet (first build with this cache)",
             "-----> Installing dependencies", "-----> Caching build", "       - node_modules",
             "-----> Discovering process types", "       Procfile declares types -> web",
             "-----> Compressing..."}));
  EXPECT_EQ(out->process_types, (Types{{"web", "node server.js"}}));
  EXPECT_EQ(out->buildpack_description, "Node.js");
  const fs::path app = unpack(*out);
  EXPECT_TRUE(fs::is_regular_file(app / "public/build.json"));
  EXPECT_TRUE(fs::is_regular_file(app / "node_modules/greeting-format/index.js"));
  EXPECT_TRUE(fs::is_regular_file(app / ".profile.d/nodejs.sh"));

  // Second build of the same app, with the same cache, and without a Procfile: node_modules
  // comes from the cache, and the buildpack's `web: npm start` is the default.
  BuildInput again = input_for("node-app", "src2");
  fs::remove(again.source_dir / "Procfile");
  auto second = build(again);
  ASSERT_TRUE(second.ok()) << second.error().message << "\n" << log_;
  EXPECT_TRUE(has_lines_in_order(
      log_, {"-----> Restoring cache", "       - node_modules", "-----> Discovering process types",
             "       Procfile declares types     -> (none)",
             "       Default types for buildpack -> web"}));
  EXPECT_EQ(second->process_types, (Types{{"web", "npm start"}}));
}

TEST_F(BuildRunner, DjangoAppBuildsAVenvAndCollectsStatic) {
  BuildInput input = input_for("django-app");
  auto out = build(input);
  ASSERT_TRUE(out.ok()) << out.error().message << "\n" << log_;
  EXPECT_TRUE(has_lines_in_order(
      log_,
      {"-----> Python app detected", "-----> Creating virtualenv .venv",
       "-----> Installing requirements with pip",
       "-----> $ python manage.py collectstatic --noinput", "-----> Discovering process types",
       "       Procfile declares types -> release, web", "-----> Compressing..."}));
  EXPECT_EQ(out->process_types.at("release"), "python manage.py migrate --noinput");
  EXPECT_NE(out->process_types.at("web").find("exec gunicorn slipwaydemo.wsgi"), std::string::npos);
  EXPECT_EQ(out->process_types.size(), 2U);
  const fs::path app = unpack(*out);
  EXPECT_TRUE(fs::is_regular_file(app / ".venv/bin/python3") ||
              fs::is_symlink(app / ".venv/bin/python3"));
  EXPECT_TRUE(fs::is_regular_file(app / "staticfiles/css/site.css"));
  EXPECT_TRUE(fs::is_regular_file(app / ".profile.d/python.sh"));
}

TEST_F(BuildRunner, NothingDetectedFailsWithHerokusMessage) {
  BuildInput input = input_for("");
  write_file(input.source_dir / "README", "no code here\n");
  auto out = build(input);
  expect_failure(out, "No default language could be detected for this app.");
  EXPECT_EQ(out.error().code, ErrorCode::kInvalidParams);
  EXPECT_TRUE(has_lines_in_order(log_, {"-----> Determining which buildpack to use for this app",
                                        " !     No default language could be detected for this "
                                        "app."}));
  EXPECT_FALSE(fs::exists(input.work_dir / "slug.tgz"));
}

TEST_F(BuildRunner, MalformedProcfileFailsBeforeAnyBuildpackRuns) {
  BuildInput input = input_for("procfile-app");
  write_file(input.source_dir / "Procfile", "web: bin/serve\n# ok\nnot a process line\n");
  auto out = build(input);
  expect_failure(out, "Procfile line 3: `not a process line` is not `type: command`");
  EXPECT_EQ(log_.find("app detected"), std::string::npos) << log_;
}

TEST_F(BuildRunner, SymlinkedProcfileIsRefused) {
  BuildInput input = input_for("procfile-app");
  fs::rename(input.source_dir / "Procfile", input.source_dir / "Procfile.real");
  fs::create_symlink("/etc/passwd", input.source_dir / "Procfile");
  expect_failure(build(input), "Procfile is a symlink; it must be a regular file");
}

TEST_F(BuildRunner, CompileFailureRejectsThePush) {
  BuildInput input = input_for("procfile-app");
  input.buildpacks = {fixture_buildpack("failing").string()};
  auto out = build(input);
  expect_failure(out, "Push rejected, failed to compile Failing app.");
  EXPECT_TRUE(has_lines_in_order(
      log_,
      {"-----> Using buildpack: " + fixture_buildpack("failing").string(),
       "-----> Failing app detected", "-----> Failing buildpack", "       about to fail on purpose",
       " !     This buildpack always fails (a test fixture): the build must stop here.",
       " !     Push rejected, failed to compile Failing app.", " !     Push failed"}));
  EXPECT_EQ(log_.find("Discovering process types"), std::string::npos);
}

TEST_F(BuildRunner, ExplicitBuildpackThatDoesNotDetectTheApp) {
  BuildInput input = input_for("procfile-app");
  write_file(input.source_dir / ".no-probe", "");
  const std::string probe = fixture_buildpack("probe").string();
  input.buildpacks = {probe};
  auto out = build(input);
  expect_failure(out, "App not compatible with buildpack: " + probe);
  EXPECT_TRUE(has_lines_in_order(log_, {"-----> Using buildpack: " + probe,
                                        "-----> App not compatible with buildpack: " + probe}));
}

TEST_F(BuildRunner, UnknownBuildpackNamesAreRefused) {
  BuildInput input = input_for("procfile-app");
  input.buildpacks = {"heroku/ruby"};
  auto out = build(input);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("Slipway has no buildpack registry"), std::string::npos);
}

// The build contract: argv, directory, clean environment, ENV_DIR, limits, merged output.
TEST_F(BuildRunner, BuildpacksGetTheContractsEnvironmentAndLimits) {
  BuildInput input = input_for("procfile-app");
  input.buildpacks = {fixture_buildpack("probe").string()};
  input.config_vars = {{"GREETING", "hi there"}, {"PATH", "/evil"}, {"bad/name", "x"}};
  input.source_version = "0123abcd";
  input.nice_increment = 7;
  input.memory_limit_bytes = std::uint64_t{512} * 1024 * 1024;
  ::setenv("SLIPWAY_TEST_LEAK", "leaked", 1);
  auto out = build(input);
  ::unsetenv("SLIPWAY_TEST_LEAK");
  ASSERT_TRUE(out.ok()) << out.error().message << "\n" << log_;
  errno = 0;
  const int base_nice = ::getpriority(PRIO_PROCESS, 0);
  const std::string src = input.source_dir.string();
  EXPECT_TRUE(has_lines_in_order(
      log_, {" !     Config var `bad/name` cannot be passed to the build (not a file name)",
             "-----> Probe app detected", "-----> Probe buildpack",
             "       nice=" + std::to_string(std::min(19, base_nice + 7)),
             "       ulimit-d=524288 ulimit-v=unlimited ulimit-c=0", "       cwd=" + src,
             "       args=" + src + " " + input.cache_dir.string() + " " +
                 (input.work_dir / "env").string(),
             "       exported=unset", "       env: HOME=" + (input.work_dir / "home").string(),
             "       env: LANG=C.UTF-8", "       env: PATH=/usr/local/bin:/usr/bin:/bin",
             "       env: SOURCE_VERSION=0123abcd", "       env: STACK=debian-12",
             "       env-dir: GREETING=hi there", "       env-dir: PATH=/evil", "       to stderr",
             "       back to stdout"}));
  // Nothing else in the environment but what bash itself sets.
  const std::set<std::string> allowed{"HOME", "LANG",  "PATH", "SOURCE_VERSION", "STACK",
                                      "PWD",  "SHLVL", "_",    "OLDPWD"};
  const std::regex env_line("\n       env: ([A-Za-z_][A-Za-z0-9_]*)=");
  for (std::sregex_iterator it(log_.begin(), log_.end(), env_line), end; it != end; ++it) {
    EXPECT_TRUE(allowed.count((*it)[1].str())) << "unexpected variable " << (*it)[1].str();
  }
  EXPECT_EQ(read_file(input.work_dir / "env/GREETING"), "hi there");  // no newline added
  EXPECT_EQ(fs::status(input.work_dir / "env").permissions(), fs::perms::owner_all);
}

// Heroku's multi-buildpack rules: every one runs in order, the `export` of each is sourced for
// the next, the last one's release gives the default process types.
TEST_F(BuildRunner, SeveralBuildpacksRunInOrderAndTheLastReleaseWins) {
  BuildInput input = input_for("");
  const std::string probe = fixture_buildpack("probe").string();
  const std::string hello = fixture_buildpack("hello").string();
  input.buildpacks = {probe, probe, hello};
  input.config_vars = {{"GREETING", "bonjour"}};
  auto out = build(input);
  ASSERT_TRUE(out.ok()) << out.error().message << "\n" << log_;
  EXPECT_TRUE(has_lines_in_order(
      log_,
      {"-----> Using buildpacks:", "       1. " + probe, "       2. " + probe, "       3. " + hello,
       "-----> Probe app detected", "       exported=unset", "-----> Probe app detected",
       "       exported=yes-from-probe", "-----> Hello app detected", "-----> Hello buildpack",
       "       wrote hello.txt (build 1 with this cache)", "-----> Discovering process types",
       "       Procfile declares types     -> (none)",
       "       Default types for buildpack -> web"}));
  EXPECT_EQ(out->process_types, (Types{{"web", "python3 -m http.server $PORT"}}));
  EXPECT_EQ(out->config_vars, (Types{{"HELLO_BUILDPACK", "yes"}, {"PROBE_VAR", "from probe"}}));
  EXPECT_EQ(out->addons, (std::vector<std::string>{"probe-addon"}));
  EXPECT_EQ(out->buildpack_description, "Hello");
  ASSERT_EQ(out->buildpacks.size(), 3U);
  EXPECT_EQ(out->buildpacks[2], std::make_pair(hello, hello));
  const fs::path app = unpack(*out);
  EXPECT_EQ(read_file(app / "hello.txt"),
            "hello from the hello buildpack\ngreeting: bonjour\nbuild: 1\n");
  EXPECT_EQ(read_file(app / "probe.txt"), "built by probe\n");
}

TEST_F(BuildRunner, TheCacheIsKeptBetweenBuildsAndProcfileWinsOverDefaults) {
  BuildInput input = input_for("procfile-app");
  input.buildpacks = {fixture_buildpack("hello").string()};
  ASSERT_TRUE(build(input).ok()) << log_;
  BuildInput again = input_for("procfile-app", "src2");
  again.buildpacks = input.buildpacks;
  auto out = build(again);
  ASSERT_TRUE(out.ok()) << log_;
  EXPECT_TRUE(has_lines_in_order(log_, {"       wrote hello.txt (build 2 with this cache)",
                                        "       Procfile declares types     -> web",
                                        "       Default types for buildpack -> web"}));
  EXPECT_EQ(out->process_types, (Types{{"web", "bin/serve"}}));
}

TEST_F(BuildRunner, GitBuildpacksAreClonedAtTheirRef) {
  const fs::path repo = tmp_ / "hello-buildpack";
  copy_tree(fixture_buildpack("hello"), repo);
  const std::vector<std::string> git{"git", "-c", "user.name=t", "-c", "user.email=t@t"};
  auto git_run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = git;
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, repo);
  };
  ASSERT_EQ(git_run({"init", "-q", "-b", "main"}), 0);
  ASSERT_EQ(git_run({"add", "."}), 0);
  ASSERT_EQ(git_run({"commit", "-qm", "v1"}), 0);
  ASSERT_EQ(git_run({"tag", "v1"}), 0);
  write_file(repo / "bin/detect", "#!/usr/bin/env bash\necho Hello2\n", 0755);
  ASSERT_EQ(git_run({"commit", "-qam", "v2"}), 0);
  ASSERT_EQ(run_program({"sh", "-c", "git rev-parse v1 > ../v1.sha"}, repo), 0);
  const std::string v1_sha = read_file(tmp_ / "v1.sha").substr(0, 40);
  const std::string url = "file://" + repo.string();

  const std::vector<std::pair<std::string, std::string>> cases{{url, "Hello2"},
                                                               {url + "#v1", "Hello"},
                                                               {url + "#main", "Hello2"},
                                                               {url + "#" + v1_sha, "Hello"}};
  int n = 0;
  for (const auto& [buildpack, detected] : cases) {
    BuildInput input = input_for("procfile-app", "src" + std::to_string(++n));
    input.buildpacks = {buildpack};
    auto out = build(input);
    ASSERT_TRUE(out.ok()) << buildpack << ": " << out.error().message << "\n" << log_;
    EXPECT_TRUE(has_lines_in_order(
        log_, {"-----> Using buildpack: " + buildpack, "-----> Fetching buildpack " + buildpack,
               "-----> " + detected + " app detected"}));
    EXPECT_EQ(out->buildpacks.front(), std::make_pair(buildpack, buildpack));
  }
  BuildInput input = input_for("procfile-app", "src-missing");
  input.buildpacks = {url + "#no-such-branch"};
  auto out = build(input);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message.rfind(
                "Failed to fetch buildpack " + url + "#no-such-branch: cannot clone " + url, 0),
            0U)
      << out.error().message;
}

TEST_F(BuildRunner, TarballBuildpacksAreDownloadedAndUnpacked) {
  // GitHub-style: everything under one top-level directory, which is stripped.
  ASSERT_EQ(
      run_program({"tar", "-czf", (tmp_ / "bp.tgz").string(), "-C", fixture_buildpack("").string(),
                   "--transform", "s,^hello,hello-main,", "hello"}),
      0);
  testing::TinyHttpServer server({{"/releases/hello.tgz", read_file(tmp_ / "bp.tgz")}});
  const std::string url = server.url("/releases/hello.tgz");
  BuildInput input = input_for("procfile-app");
  input.buildpacks = {url};
  auto out = build(input);
  ASSERT_TRUE(out.ok()) << out.error().message << "\n" << log_;
  EXPECT_TRUE(has_lines_in_order(log_, {"-----> Fetching buildpack " + url,
                                        "-----> Hello app detected", "-----> Hello buildpack"}));
  EXPECT_EQ(server.requests(), 1);

  BuildInput missing = input_for("procfile-app", "src2");
  const std::string missing_url = server.url("/missing.tgz");
  missing.buildpacks = {missing_url};
  out = build(missing);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "Failed to fetch buildpack " + missing_url + ": cannot download " +
                                     missing_url + ": HTTP 404");
}

TEST_F(BuildRunner, SlugsOverTheLimitFailTheBuild) {
  BuildInput input = input_for("procfile-app");
  std::string noise;
  for (int i = 0; i < 20000; ++i) noise += std::to_string(i * 7919 % 104729);
  write_file(input.source_dir / "noise.txt", noise);
  input.max_slug_bytes = 4096;
  auto out = build(input);
  expect_failure(out,
                 "Compiled slug size: over 4K is too large (max is 4K). Leave what the app does "
                 "not need at runtime out of the build.");
  EXPECT_FALSE(fs::exists(input.work_dir / "slug.tgz"));
}

TEST_F(BuildRunner, LinksLeavingTheAppFailTheBuild) {
  BuildInput input = input_for("procfile-app");
  fs::create_symlink("/etc/passwd", input.source_dir / "passwd");
  auto out = build(input);
  expect_failure(out,
                 "The symlink app/passwd -> /etc/passwd points outside the app: a slug keeps only "
                 "relative links that stay inside it.");
}

TEST_F(BuildRunner, CancellingKillsTheBuildpackProcessGroup) {
  BuildInput input = input_for("procfile-app");
  input.buildpacks = {fixture_buildpack("probe").string()};
  input.config_vars = {{"PROBE_SLEEP", "1"}};
  std::atomic<bool> cancel{false};
  const auto started = std::chrono::steady_clock::now();
  auto out = run_build(
      input,
      [&](std::string_view line) {
        log_ += line;
        if (line == "       sleeping\n") cancel = true;
      },
      &cancel);
  expect_failure(out, "Build cancelled.");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  const std::string pid = read_file(input.cache_dir / "sleeper.pid");
  ASSERT_FALSE(pid.empty());
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    const std::string stat = read_file("/proc/" + pid.substr(0, pid.size() - 1) + "/stat");
    gone = stat.empty() || stat.find(") Z ") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone);
}

TEST_F(BuildRunner, RunsBuildpacksAsTheGivenUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  constexpr uid_t kNobody = 65534;
  BuildInput input = input_for("procfile-app");
  input.buildpacks = {fixture_buildpack("probe").string(), "heroku/procfile"};
  input.run_as = std::make_pair(kNobody, static_cast<gid_t>(kNobody));
  input.config_vars = {{"SECRET", "s3cret"}};
  auto out = build(input);
  ASSERT_TRUE(out.ok()) << out.error().message << "\n" << log_;
  EXPECT_TRUE(
      has_lines_in_order(log_, {"-----> Probe buildpack", "       uid=65534 gid=65534 groups=65534",
                                "       env-dir: SECRET=s3cret"}));
  struct stat st {};
  ASSERT_EQ(::stat((input.source_dir / "probe.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  ASSERT_EQ(::stat((input.work_dir / "env/SECRET").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat(input.work_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0U);  // the slug's directory stays ours
  ASSERT_EQ(::stat(input.cache_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  EXPECT_TRUE(check_slug_archive(out->slug_archive).ok());
  EXPECT_EQ(out->process_types, (Types{{"web", "bin/serve"}}));
}

TEST(BuildSize, FormatsLikeTheBuildOutput) {
  EXPECT_EQ(format_build_size(0), "0K");
  EXPECT_EQ(format_build_size(1), "1K");
  EXPECT_EQ(format_build_size(845 * 1024), "845K");
  EXPECT_EQ(format_build_size(std::uint64_t{500} * 1024 * 1024), "500M");
  EXPECT_EQ(format_build_size(12'900'000), "12.3M");
}

}  // namespace
}  // namespace slipway::build
