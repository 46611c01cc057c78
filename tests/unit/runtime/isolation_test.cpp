#include "runtime/isolation.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/fs.h"
#include "common/ids.h"
#include "runtime/dyno_process.h"
#include "runtime/state_files.h"

namespace slipway::runtime {
namespace {

namespace fs = std::filesystem;

class IsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-isolation-test-" + random_hex(6));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }

  fs::path dir_;
};

DesiredApp sample_app() {
  DesiredApp app;
  app.app_id = "0b7d2c3e-app";
  app.app_name = "sample";
  app.release_id = "rel-1";
  app.release_version = 3;
  app.slug_sha256 = std::string(64, 'a');
  app.process_types = {{"web", "python3 web.py"}};
  app.config = {{"SECRET", "s3cr3t"}};
  app.formation["web"] = ProcessFormation{1, "Basic"};
  return app;
}

TEST_F(IsolationTest, DesiredStateCarriesTheAppsUserPrivately) {
  const Paths paths(dir_);
  DesiredApp with = sample_app();
  with.identity = UnixIdentity{200042, 200042};
  DesiredApp without = sample_app();
  without.app_id = "no-identity";
  ASSERT_TRUE(write_desired(paths, with).ok());
  ASSERT_TRUE(write_desired(paths, without).ok());
  std::map<std::string, DesiredApp> read;
  for (auto& app : read_all_desired(paths)) read.emplace(app.app_id, app);
  ASSERT_EQ(read.size(), 2U);
  ASSERT_TRUE(read.at(with.app_id).identity.has_value());
  EXPECT_EQ(*read.at(with.app_id).identity, (UnixIdentity{200042, 200042}));
  EXPECT_EQ(read.at(with.app_id).config, with.config);
  EXPECT_FALSE(read.at("no-identity").identity.has_value());
  // Config vars are secrets: owner-only file in an owner-only directory.
  EXPECT_EQ(mode_of(paths.desired_dir() / (with.app_id + ".json")), 0600U);
  EXPECT_EQ(mode_of(paths.desired_dir()), 0700U);
  ASSERT_TRUE(write_routes(paths, {}).ok());
  EXPECT_EQ(mode_of(paths.routes_file()), 0600U);
}

TEST_F(IsolationTest, UnreadableIdentityMakesTheFileUnreadableNotRoot) {
  const Paths paths(dir_);
  ASSERT_TRUE(make_directories(paths.desired_dir(), 0700).ok());
  ASSERT_TRUE(write_file_atomic(paths.desired_dir() / "bad.json",
                                R"({"app_id":"bad","app_name":"bad","unix_uid":"0","unix_gid":0})")
                  .ok());
  EXPECT_TRUE(read_all_desired(paths).empty());
}

TEST_F(IsolationTest, RootRunsAppsOnlyAsTheirOwnUnprivilegedUsers) {
  // Not root: nothing to switch to, whatever the desired state says.
  auto as_self = dyno_credentials(UnixIdentity{200001, 200001}, false);
  ASSERT_TRUE(as_self.ok());
  EXPECT_FALSE(as_self->has_value());
  EXPECT_TRUE(dyno_credentials(std::nullopt, false).ok());
  // Root: the app's own user, or nothing at all.
  auto own = dyno_credentials(UnixIdentity{200001, 200002}, true);
  ASSERT_TRUE(own.ok());
  ASSERT_TRUE(own->has_value());
  EXPECT_EQ((*own)->uid, 200001U);
  EXPECT_EQ((*own)->gid, 200002U);
  EXPECT_FALSE(dyno_credentials(std::nullopt, true).ok());
  EXPECT_FALSE(dyno_credentials(UnixIdentity{0, 0}, true).ok());
  EXPECT_FALSE(dyno_credentials(UnixIdentity{200001, 0}, true).ok());
  EXPECT_FALSE(dyno_credentials(UnixIdentity{999, 999}, true).ok());
  EXPECT_FALSE(dyno_credentials(UnixIdentity{-1, -1}, true).ok());
  EXPECT_FALSE(dyno_credentials(UnixIdentity{0xFFFFFFFFLL, 200001}, true).ok());
}

// Runs `command` as a dyno and returns what it printed once it exited, and its exit status.
std::pair<std::string, int> run_dyno(const std::string& command, const fs::path& cwd,
                                     const std::optional<UnixIdentity>& identity) {
  auto spawned = spawn_dyno(command, {{"PATH", "/usr/bin:/bin"}}, cwd, identity);
  EXPECT_TRUE(spawned.ok()) << (spawned.ok() ? "" : spawned.error().message);
  if (!spawned.ok()) return {"", -1};
  std::string out;
  char buffer[4096];
  for (;;) {
    pollfd pfd{spawned->output_fd, POLLIN, 0};
    ::poll(&pfd, 1, 10000);
    const ssize_t n = ::read(spawned->output_fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EAGAIN) {
      break;
    }
  }
  ::close(spawned->output_fd);
  int status = 0;
  ::waitpid(spawned->pid, &status, 0);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

TEST_F(IsolationTest, DynoRunsAsTheAppsUserWithNothingOfTheAgents) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  const fs::path home = dir_ / "home";
  fs::create_directories(home);
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::others_exec);
  ASSERT_EQ(::chown(home.c_str(), 200777, 200778), 0);
  // A descriptor the agent forgot to mark close-on-exec must not reach the dyno.
  const int leaky = ::open("/etc/hostname", O_RDONLY);
  ASSERT_GE(leaky, 0);
  const auto [out, status] = run_dyno(
      "echo uid=$(id -u) gid=$(id -g) groups=$(id -G) umask=$(umask); ls /proc/$$/fd; "
      "echo mine > note && cat note",
      home, UnixIdentity{200777, 200778});
  ::close(leaky);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("uid=200777 gid=200778 groups=200778 umask=0077\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("\n" + std::to_string(leaky) + "\n"), std::string::npos) << out;
  EXPECT_NE(out.find("mine"), std::string::npos) << out;
}

TEST_F(IsolationTest, DynoThatCannotReachItsHomeSaysWhyAndNeverRuns) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  const fs::path home = dir_ / "home";
  fs::create_directories(home);
  fs::permissions(dir_, fs::perms::owner_all);  // not searchable by the app's user
  ASSERT_EQ(::chown(home.c_str(), 200777, 200777), 0);
  const auto [out, status] = run_dyno("echo ran", home, UnixIdentity{200777, 200777});
  EXPECT_EQ(status, kExitChdirFailed);
  EXPECT_NE(out.find("cannot enter the app directory"), std::string::npos) << out;
  EXPECT_EQ(out.find("ran"), std::string::npos) << out;
  // And as root with no user for the app, nothing starts at all.
  EXPECT_FALSE(spawn_dyno("echo ran", {}, home, std::nullopt).ok());
}

TEST_F(IsolationTest, StartupPassMakesTheDataDirPrivateButTraversable) {
  const fs::path data = dir_ / "data";
  for (const auto* d : {"tls", "blobs/aa", "logs", "run", "runtime/desired", "runtime/status"}) {
    fs::create_directories(data / d);
  }
  for (const auto* f :
       {"slipway.db", "admin-token", "api-url", "runtime/routes.json", "tls/server.key"}) {
    std::ofstream(data / f) << "x";
  }
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    fs::permissions(entry.path(), entry.is_directory() ? fs::perms(0755) : fs::perms(0644));
  }
  fs::permissions(data, fs::perms(0755));
  secure_data_dir(data);
  const unsigned traverse = ::geteuid() == 0 ? 0711U : 0700U;
  EXPECT_EQ(mode_of(data), traverse);
  EXPECT_EQ(mode_of(data / "runtime"), traverse);
  EXPECT_EQ(mode_of(data / "runtime" / "releases"), traverse);
  for (const auto* d : {"tls", "blobs", "logs", "run", "runtime/desired", "runtime/status"}) {
    EXPECT_EQ(mode_of(data / d), 0700U) << d;
  }
  for (const auto* f : {"slipway.db", "admin-token", "api-url", "runtime/routes.json"}) {
    EXPECT_EQ(mode_of(data / f), 0600U) << f;
  }
}

// The Postgres add-on's directory stays passable for the postgres system user (its instance
// directories inside are that user's own, 0700); what is inside is not touched.
TEST_F(IsolationTest, StartupPassKeepsThePostgresDirTraversable) {
  const fs::path data = dir_ / "data";
  fs::create_directories(data / "postgres" / "shared");
  fs::create_directories(data / "logs");
  fs::permissions(data / "postgres", fs::perms(0755));
  fs::permissions(data / "postgres" / "shared", fs::perms(0700));
  fs::permissions(data / "logs", fs::perms(0755));
  secure_data_dir(data);
  const unsigned traverse = ::geteuid() == 0 ? 0711U : 0700U;
  EXPECT_EQ(mode_of(data / "postgres"), traverse);
  EXPECT_EQ(mode_of(data / "postgres" / "shared"), 0700U);
  EXPECT_EQ(mode_of(data / "logs"), 0700U);
  // A file (or link) named postgres is not a directory to open up: it becomes private.
  fs::remove_all(data / "postgres");
  std::ofstream(data / "postgres") << "x";
  fs::permissions(data / "postgres", fs::perms(0644));
  secure_data_dir(data);
  EXPECT_EQ(mode_of(data / "postgres"), 0600U);
}

TEST_F(IsolationTest, StartupPassDropsReleaseDirsNotHandedOver) {
  if (::geteuid() != 0) GTEST_SKIP() << "handing directories over needs root";
  const Paths paths(dir_);
  DesiredApp app = sample_app();
  app.identity = UnixIdentity{200500, 200500};
  const fs::path mine = paths.releases_dir() / app.app_id;
  fs::create_directories(mine / "handed" / "app");
  fs::create_directories(mine / "legacy" / "app");        // unpacked as root by an older Slipway
  fs::create_directories(mine / "half.partial" / "app");  // an interrupted unpack
  ASSERT_EQ(::chown((mine / "handed" / "app").c_str(), 200500, 200500), 0);
  fs::permissions(mine / "handed" / "app", fs::perms(0755));
  const fs::path gone = paths.releases_dir() / "destroyed-app";
  fs::create_directories(gone / "r" / "app");
  fs::permissions(gone, fs::perms(0755));
  secure_releases(paths, {app});
  EXPECT_TRUE(fs::exists(mine / "handed" / "app"));
  EXPECT_EQ(mode_of(mine / "handed" / "app"), 0700U);
  EXPECT_EQ(mode_of(mine / "handed"), 0711U);
  EXPECT_FALSE(fs::exists(mine / "legacy"));
  EXPECT_FALSE(fs::exists(mine / "half.partial"));
  struct stat st {};
  ASSERT_EQ(::stat(mine.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0710U);
  EXPECT_EQ(st.st_uid, 0U);
  EXPECT_EQ(st.st_gid, 200500U);
  EXPECT_EQ(mode_of(gone), 0700U);  // no app's user gets into a destroyed app's files
}

TEST_F(IsolationTest, UnsearchableAncestorsAreNamed) {
  const fs::path shut = dir_ / "shut";
  fs::create_directories(shut / "open" / "data");
  fs::permissions(dir_, fs::perms(0711));
  fs::permissions(shut, fs::perms(0700));
  fs::permissions(shut / "open", fs::perms(0755));
  const auto blocked = unsearchable_ancestors(shut / "open" / "data");
  ASSERT_EQ(blocked.size(), 1U);
  EXPECT_EQ(blocked[0], shut.string() + " (mode 0700)");
  fs::permissions(shut, fs::perms(0711));
  EXPECT_TRUE(unsearchable_ancestors(shut / "open" / "data").empty());
}

}  // namespace
}  // namespace slipway::runtime
