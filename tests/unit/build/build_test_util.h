// Helpers for the build module's tests: temporary directories (../temp_dir.h), tarballs written
// with libarchive (including unsafe ones), running a program, reading a slug back.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../temp_dir.h"

extern char** environ;

namespace slipway::build::testing {

namespace fs = std::filesystem;

inline fs::path repo_dir() { return fs::path(SLIPWAY_SOURCE_DIR); }
inline fs::path fixture_app(const std::string& name) {
  return repo_dir() / "tests/fixtures/apps" / name;
}
inline fs::path fixture_buildpack(const std::string& name) {
  return repo_dir() / "tests/fixtures/buildpacks" / name;
}

using slipway::testing::TempDir;

inline void write_file(const fs::path& path, const std::string& content, unsigned mode = 0644) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  fs::permissions(path, static_cast<fs::perms>(mode));
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void copy_tree(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

// Runs a program (found on PATH) and waits; its exit status, or -1.
inline int run_program(const std::vector<std::string>& argv, const fs::path& cwd = {}) {
  std::vector<std::string> args = argv;
  if (!cwd.empty()) args.insert(args.begin(), {"/usr/bin/env", "-C", cwd.string()});
  std::vector<char*> raw;
  for (auto& a : args) raw.push_back(a.data());
  raw.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, raw[0], nullptr, nullptr, raw.data(), environ) != 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// One entry of a test tarball.
struct TarEntry {
  std::string path;
  mode_t type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFIFO, AE_IFCHR
  std::string content;     // regular files
  std::string link;        // symlink target
  std::string hardlink;    // hard link target (type ignored)
  unsigned mode = 0644;
};

inline std::string tar_gz_bytes(const std::vector<TarEntry>& entries) {
  std::string out;
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(),
                                                            &archive_write_free);
  archive_write_add_filter_gzip(a.get());
  archive_write_set_format_pax_restricted(a.get());
  auto write_cb = [](archive*, void* user, const void* buf, size_t n) -> la_ssize_t {
    static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  };
  archive_write_open(a.get(), &out, nullptr, write_cb, nullptr);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, e.mode);
    if (!e.hardlink.empty()) archive_entry_set_hardlink(entry, e.hardlink.c_str());
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    if (e.type == AE_IFREG && e.hardlink.empty()) {
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    }
    archive_write_header(a.get(), entry);
    if (e.type == AE_IFREG && !e.content.empty()) {
      archive_write_data(a.get(), e.content.data(), e.content.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(a.get());
  return out;
}

inline fs::path write_tar_gz(const fs::path& path, const std::vector<TarEntry>& entries) {
  write_file(path, tar_gz_bytes(entries));
  return path;
}

// What a tarball holds: path -> "file:<content>", "dir", "link:<target>".
inline std::map<std::string, std::string> list_tar_gz(const fs::path& path) {
  std::map<std::string, std::string> listing;
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), &archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 65536) != ARCHIVE_OK) return listing;
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
    const std::string name = archive_entry_pathname(entry);
    switch (archive_entry_filetype(entry)) {
      case AE_IFDIR:
        listing[name] = "dir";
        break;
      case AE_IFLNK:
        listing[name] = std::string("link:") + archive_entry_symlink(entry);
        break;
      default: {
        std::string content(static_cast<std::size_t>(archive_entry_size(entry)), '\0');
        archive_read_data(a.get(), content.data(), content.size());
        listing[name] = "file:" + content;
      }
    }
  }
  return listing;
}

// Whether `text` contains each of `lines` (as whole lines), in this order.
inline ::testing::AssertionResult has_lines_in_order(const std::string& text,
                                                     const std::vector<std::string>& lines) {
  std::size_t from = 0;
  for (const auto& line : lines) {
    std::size_t at = from;
    for (;;) {
      at = text.find(line, at);
      if (at == std::string::npos) {
        return ::testing::AssertionFailure() << "missing (in order) line `" << line << "` in:\n"
                                             << text;
      }
      const bool starts = at == 0 || text[at - 1] == '\n';
      const bool ends = at + line.size() == text.size() || text[at + line.size()] == '\n';
      if (starts && ends) break;
      ++at;
    }
    from = at + line.size();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace slipway::build::testing
