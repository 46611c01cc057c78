#include "build/tree_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

Error walk_error(const std::vector<std::string>& path, const std::string& what) {
  std::string joined;
  for (const auto& p : path) joined += (joined.empty() ? "" : "/") + p;
  return make_error(ErrorCode::kInternal, "cannot " + what + " " + (joined.empty() ? "." : joined) +
                                              ": " + errno_text(errno));
}

// Takes ownership of `fd` (a directory), lists it sorted, and walks each entry.
Status walk_dir(int fd, std::vector<std::string>& path, const TreeVisitor& visit) {
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return walk_error(path, "list");
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(dir)) {  // NOLINT(concurrency-mt-unsafe): own DIR stream
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  if (errno != 0) {
    ::closedir(dir);
    return walk_error(path, "list");
  }
  std::sort(names.begin(), names.end());
  Status result;
  for (const auto& name : names) {
    path.push_back(name);
    struct stat st {};
    if (::fstatat(::dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      result = walk_error(path, "stat");
    } else if (auto action = visit(TreeEntry{::dirfd(dir), name, st, path}); !action) {
      result = action.error();
    } else if (S_ISDIR(st.st_mode) && *action == WalkAction::kContinue) {
      if (path.size() > kMaxTreeDepth) {
        result = make_error(ErrorCode::kInvalidParams, "directories nested more than " +
                                                           std::to_string(kMaxTreeDepth) + " deep");
      } else {
        const int child =
            ::openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        result = child < 0 ? walk_error(path, "open") : walk_dir(child, path, visit);
      }
    }
    path.pop_back();
    if (!result) break;
  }
  ::closedir(dir);
  return result;
}

}  // namespace

Status walk_tree(const fs::path& root, const TreeVisitor& visit) {
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::kInternal,
                      "cannot open " + root.string() + ": " + errno_text(errno));
  }
  std::vector<std::string> path;
  return walk_dir(fd, path, visit);
}

Status chown_tree(const fs::path& root, uid_t uid, gid_t gid) {
  if (::lchown(root.c_str(), uid, gid) != 0) {
    return make_error(ErrorCode::kInternal,
                      "cannot chown " + root.string() + ": " + errno_text(errno));
  }
  return walk_tree(root, [&](const TreeEntry& e) -> Result<WalkAction> {
    if (::fchownat(e.dir_fd, e.name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return walk_error(e.path, "chown");
    }
    return WalkAction::kContinue;
  });
}

}  // namespace slipway::build
