#include "build/source_archive.h"

#include <gtest/gtest.h>

#include "build/archive_safety.h"
#include "build/slug_archive.h"
#include "build_test_util.h"

namespace slipway::build {
namespace {

using testing::read_file;
using testing::run_program;
using testing::TarEntry;
using testing::TempDir;
using testing::write_tar_gz;
namespace fs = std::filesystem;

TEST(SourceArchive, ExtractsFilesDirectoriesModesAndInnerLinks) {
  TempDir tmp;
  const auto archive = write_tar_gz(
      tmp / "src.tgz", {{"Procfile", AE_IFREG, "web: bin/serve\n"},
                        {"bin/", AE_IFDIR, "", "", "", 0755},
                        {"bin/serve", AE_IFREG, "#!/bin/sh\n", "", "", 04777},
                        {"lib/a.txt", AE_IFREG, "a"},
                        {"lib/link", AE_IFLNK, "", "a.txt"},
                        {"up", AE_IFLNK, "", "lib/../Procfile"},  // refused below: not leading
                        {"lib/hard", AE_IFREG, "", "", "lib/a.txt"}});
  auto refused = extract_source_archive(archive, tmp / "out");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "Invalid source archive: symlink `up` -> `lib/../Procfile` points outside the source "
            "archive (targets must be relative and stay inside)");
  EXPECT_FALSE(fs::exists(tmp / "out"));

  const auto ok =
      write_tar_gz(tmp / "ok.tgz", {{"Procfile", AE_IFREG, "web: bin/serve\n"},
                                    {"bin/serve", AE_IFREG, "#!/bin/sh\n", "", "", 04777},
                                    {"lib/a.txt", AE_IFREG, "a"},
                                    {"lib/link", AE_IFLNK, "", "a.txt"},
                                    {"lib/up", AE_IFLNK, "", "../Procfile"},
                                    {"lib/hard", AE_IFREG, "", "", "lib/a.txt"}});
  auto summary = extract_source_archive(ok, tmp / "out");
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->stripped_dir, "");
  EXPECT_EQ(read_file(tmp / "out/Procfile"), "web: bin/serve\n");
  EXPECT_EQ(fs::status(tmp / "out/bin/serve").permissions(), static_cast<fs::perms>(0755));
  EXPECT_EQ(fs::read_symlink(tmp / "out/lib/link"), "a.txt");
  EXPECT_EQ(read_file(tmp / "out/lib/up"), "web: bin/serve\n");
  EXPECT_EQ(read_file(tmp / "out/lib/hard"), "a");
  EXPECT_FALSE(fs::exists(tmp / "out.partial"));
}

TEST(SourceArchive, StripsASingleTopLevelDirectoryLikeHeroku) {
  TempDir tmp;
  const auto archive =
      write_tar_gz(tmp / "gh.tgz", {{"app-main/", AE_IFDIR},
                                    {"app-main/Procfile", AE_IFREG, "web: x\n"},
                                    {"app-main/lib/up", AE_IFLNK, "", "../Procfile"},
                                    {"app-main/h", AE_IFREG, "", "", "app-main/Procfile"}});
  auto summary = extract_source_archive(archive, tmp / "out");
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->stripped_dir, "app-main");
  EXPECT_EQ(read_file(tmp / "out/Procfile"), "web: x\n");
  EXPECT_EQ(read_file(tmp / "out/lib/up"), "web: x\n");
  EXPECT_EQ(read_file(tmp / "out/h"), "web: x\n");
  EXPECT_FALSE(fs::exists(tmp / "out/app-main"));
}

TEST(SourceArchive, KeepsTheTopLevelWhenThereIsMoreThanOneThingThere) {
  TempDir tmp;
  auto summary = extract_source_archive(
      write_tar_gz(tmp / "a.tgz", {{"app/x", AE_IFREG, "1"}, {"Procfile", AE_IFREG, "web: y"}}),
      tmp / "out");
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->stripped_dir, "");
  EXPECT_TRUE(fs::exists(tmp / "out/app/x"));
  // A single top-level file is not a directory to strip.
  summary = extract_source_archive(write_tar_gz(tmp / "b.tgz", {{"Procfile", AE_IFREG, "w"}}),
                                   tmp / "out2");
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_TRUE(fs::exists(tmp / "out2/Procfile"));
}

// A link that stays inside the archive but leaves the directory that gets stripped would leave
// the build directory.
TEST(SourceArchive, LinksAreCheckedAgainstTheStrippedRoot) {
  TempDir tmp;
  auto refused = extract_source_archive(
      write_tar_gz(tmp / "a.tgz",
                   {{"top/Procfile", AE_IFREG, "web: x\n"}, {"top/escape", AE_IFLNK, "", "../x"}}),
      tmp / "out");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("symlink `top/escape` -> `../x` points outside"),
            std::string::npos)
      << refused.error().message;
}

TEST(SourceArchive, GitArchiveTarballs) {
  TempDir tmp;
  const auto repo = tmp / "repo";
  testing::write_file(repo / "Procfile", "web: bin/serve\n");
  testing::write_file(repo / "bin/serve", "#!/bin/sh\necho hi\n", 0755);
  fs::create_symlink("serve", repo / "bin/serve-link");
  ASSERT_EQ(run_program({"git", "init", "-q"}, repo), 0);
  ASSERT_EQ(run_program({"git", "add", "."}, repo), 0);
  ASSERT_EQ(
      run_program({"git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "m"}, repo),
      0);
  ASSERT_EQ(
      run_program({"git", "archive", "--format=tar.gz", "-o", (tmp / "plain.tgz").string(), "HEAD"},
                  repo),
      0);
  ASSERT_EQ(run_program({"git", "archive", "--format=tar.gz", "--prefix=myapp-abc123/", "-o",
                         (tmp / "prefixed.tgz").string(), "HEAD"},
                        repo),
            0);
  for (const char* name : {"plain", "prefixed"}) {
    const auto out = tmp / (std::string(name) + "-out");
    auto summary = extract_source_archive(tmp / (std::string(name) + ".tgz"), out);
    ASSERT_TRUE(summary.ok()) << summary.error().message;
    EXPECT_EQ(read_file(out / "Procfile"), "web: bin/serve\n") << name;
    EXPECT_EQ(fs::read_symlink(out / "bin/serve-link"), "serve");
    EXPECT_TRUE((fs::status(out / "bin/serve").permissions() & fs::perms::owner_exec) !=
                fs::perms::none);
    // git's pax global header (the commit id) is not a file.
    EXPECT_FALSE(fs::exists(out / "pax_global_header"));
  }
}

struct Unsafe {
  const char* label;
  std::vector<TarEntry> entries;
  const char* message;
};

TEST(SourceArchive, RefusesUnsafeTarballsAndLeavesNothingBehind) {
  const std::vector<Unsafe> cases = {
      {"absolute", {{"/etc/evil", AE_IFREG, "x"}}, "`/etc/evil` is absolute or contains `..`"},
      {"dot-dot", {{"a/../../evil", AE_IFREG, "x"}}, "`a/../../evil` is absolute or contains `..`"},
      {"absolute symlink",
       {{"ok", AE_IFREG, "x"}, {"link", AE_IFLNK, "", "/etc/passwd"}},
       "symlink `link` -> `/etc/passwd` points outside"},
      {"escaping symlink",
       {{"ok", AE_IFREG, "x"}, {"a/link", AE_IFLNK, "", "../../etc"}},
       "symlink `a/link` -> `../../etc` points outside"},
      {"dot-dot through a link",
       {{"a/b/l", AE_IFLNK, "", ".."}, {"a/y", AE_IFLNK, "", "b/l/../.."}},
       "symlink `a/y` -> `b/l/../..` points outside"},
      {"hard link outside",
       {{"ok", AE_IFREG, "x"}, {"h", AE_IFREG, "", "", "/etc/passwd"}},
       "hard link `h` points outside the source archive"},
      {"device", {{"ok", AE_IFREG, "x"}, {"dev", AE_IFCHR}}, "`dev` is a device, FIFO or socket"},
      {"fifo", {{"ok", AE_IFREG, "x"}, {"fifo", AE_IFIFO}}, "`fifo` is a device, FIFO or socket"},
      {"empty", {}, "it is empty"},
  };
  for (const auto& c : cases) {
    TempDir tmp;
    const auto archive = write_tar_gz(tmp / "bad.tgz", c.entries);
    auto result = extract_source_archive(archive, tmp / "out");
    ASSERT_FALSE(result.ok()) << c.label;
    EXPECT_NE(result.error().message.find(c.message), std::string::npos)
        << c.label << ": " << result.error().message;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidParams);
    EXPECT_FALSE(fs::exists(tmp / "out")) << c.label;
    EXPECT_FALSE(fs::exists(tmp / "out.partial")) << c.label;
    const std::string bytes = read_file(archive);
    EXPECT_FALSE(check_source_archive_bytes(bytes.data(), bytes.size()).ok()) << c.label;
  }
}

TEST(SourceArchive, LimitsAndGarbage) {
  TempDir tmp;
  SourceLimits limits;
  limits.max_entries = 2;
  auto result = extract_source_archive(
      write_tar_gz(tmp / "a.tgz", {{"a", AE_IFREG}, {"b", AE_IFREG}, {"c", AE_IFREG}}), tmp / "out",
      limits);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "Invalid source archive: too many entries");
  limits = {};
  limits.max_unpacked_bytes = 10;
  result = extract_source_archive(
      write_tar_gz(tmp / "b.tgz", {{"a", AE_IFREG, std::string(11, 'x')}}), tmp / "out", limits);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "Invalid source archive: larger than 10 bytes unpacked");
  testing::write_file(tmp / "garbage.tgz", "\x1f\x8b\x08\x00garbage");
  result = extract_source_archive(tmp / "garbage.tgz", tmp / "out");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message.rfind("Invalid source archive: not a readable tar.gz", 0), 0U)
      << result.error().message;
  // The destination must be new.
  fs::create_directories(tmp / "exists");
  result = extract_source_archive(write_tar_gz(tmp / "c.tgz", {{"a", AE_IFREG}}), tmp / "exists");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("already exists"), std::string::npos);
}

TEST(ArchiveSafety, LinkTargetsStayInsideTheRoot) {
  using V = std::vector<std::string>;
  EXPECT_TRUE(link_stays_inside(V{"a", "l"}, "b"));
  EXPECT_TRUE(link_stays_inside(V{"a", "l"}, "../b/c"));
  EXPECT_TRUE(link_stays_inside(V{"a", "l"}, "./../x/./y"));
  EXPECT_TRUE(link_stays_inside(V{"a", "l"}, ".."));
  EXPECT_FALSE(link_stays_inside(V{"a", "l"}, "../.."));
  EXPECT_FALSE(link_stays_inside(V{"l"}, ".."));
  EXPECT_FALSE(link_stays_inside(V{"a", "l"}, "/etc"));
  EXPECT_FALSE(link_stays_inside(V{"a", "l"}, ""));
  EXPECT_FALSE(link_stays_inside(V{"a", "b", "l"}, "x/../y"));  // ".." only leading
  // With a root directory ("app" for slugs) the link must stay inside it.
  EXPECT_TRUE(link_stays_inside(V{"app", "x", "l"}, "../y", "app"));
  EXPECT_TRUE(link_stays_inside(V{"app", "x", "l"}, "..", "app"));
  EXPECT_FALSE(link_stays_inside(V{"app", "l"}, "../y", "app"));
  EXPECT_FALSE(link_stays_inside(V{"app", "x", "l"}, "../../app/y", "app"));
}

TEST(SlugArchive, SymlinksMustStayInsideApp) {
  TempDir tmp;
  auto bad = check_slug_archive(write_tar_gz(
      tmp / "a.tgz", {{"./app/ok", AE_IFREG, "x"}, {"./app/l", AE_IFLNK, "", "../other"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "Invalid slug archive: symlink `./app/l` -> `../other` points outside the slug "
            "archive (targets must be relative and stay inside)");
  auto good = check_slug_archive(
      write_tar_gz(tmp / "b.tgz", {{"./", AE_IFDIR},
                                   {"./app/node_modules/.bin/x", AE_IFLNK, "", "../pkg/cli.js"},
                                   {"./app/node_modules/pkg/cli.js", AE_IFREG, "x"}}));
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->entries, 3U);
}

}  // namespace
}  // namespace slipway::build
