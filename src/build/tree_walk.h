// Walking a directory tree that someone else (a build running as another uid) can write to:
// through directory descriptors (openat, fstatat), never following a symlink, so a path swapped
// for a link mid-walk cannot lead the walk (running as root) outside the tree.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"

namespace slipway::build {

inline constexpr std::size_t kMaxTreeDepth = 256;

struct TreeEntry {
  int dir_fd;                            // the directory holding it (for openat & co)
  const std::string& name;               // its name in that directory
  const struct stat& st;                 // lstat-style: a symlink is a symlink
  const std::vector<std::string>& path;  // its components from the root, name included
};

enum class WalkAction { kContinue, kSkip };  // kSkip: do not descend into this directory

using TreeVisitor = std::function<Result<WalkAction>(const TreeEntry&)>;

// Visits every entry below `root` (not the root itself), parents before children, each
// directory's entries in name order. The first error from the visitor stops the walk.
Status walk_tree(const std::filesystem::path& root, const TreeVisitor& visit);

// lchown of `root` and everything below it (links themselves, never their targets).
Status chown_tree(const std::filesystem::path& root, uid_t uid, gid_t gid);

}  // namespace slipway::build
