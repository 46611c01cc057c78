#include "build/build_workspace.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "build/tree_walk.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxFileNameBytes = 255;

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

Error cannot(const std::string& what, const fs::path& path, const std::string& why) {
  return make_error(ErrorCode::kInternal, "cannot " + what + " " + path.string() + ": " + why);
}

Status own(const fs::path& path, const BuildInput& input) {
  if (!input.run_as) return {};
  if (::lchown(path.c_str(), input.run_as->first, input.run_as->second) != 0) {
    return cannot("chown", path, errno_text(errno));
  }
  return {};
}

// A fresh, empty directory only the build's uid can use.
Status fresh_dir(const fs::path& dir, const BuildInput& input) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return cannot("remove", dir, ec.message());
  if (::mkdir(dir.c_str(), 0700) != 0) return cannot("create", dir, errno_text(errno));
  return own(dir, input);
}

bool usable_file_name(const std::string& name) {
  return !name.empty() && name.size() <= kMaxFileNameBytes && name != "." && name != ".." &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

Status write_config_var(const fs::path& file, const std::string& value, const BuildInput& input) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return cannot("create", file, errno_text(errno));
  std::size_t done = 0;
  while (done < value.size()) {
    const ssize_t n = ::write(fd, value.data() + done, value.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return cannot("write", file, errno_text(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return own(file, input);
}

}  // namespace

Result<Workspace> prepare_workspace(const BuildInput& input,
                                    const std::function<void(const std::string&)>& skipped) {
  std::error_code ec;
  if (!fs::is_directory(input.source_dir, ec)) {
    return make_error(ErrorCode::kInternal,
                      "the source directory " + input.source_dir.string() + " does not exist");
  }
  fs::create_directories(input.work_dir, ec);
  if (ec) return cannot("create", input.work_dir, ec.message());
  // Searchable (not listable) by the build's uid, which owns what is inside but not this: the
  // slug is written here by this process.
  fs::permissions(input.work_dir,
                  input.run_as
                      ? fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec
                      : fs::perms::owner_all,
                  ec);
  if (ec) return cannot("chmod", input.work_dir, ec.message());
  Workspace ws{input.work_dir / "home", input.work_dir / "env", input.work_dir / "buildpacks",
               input.work_dir / "slug.tgz"};
  for (const auto* dir : {&ws.home, &ws.env_dir, &ws.buildpacks_dir}) {
    if (auto s = fresh_dir(*dir, input); !s) return s.error();
  }
  fs::remove(ws.slug, ec);
  for (const auto& [name, value] : input.config_vars) {
    if (!usable_file_name(name)) {
      if (skipped) skipped(name);
      continue;
    }
    if (auto s = write_config_var(ws.env_dir / name, value, input); !s) return s.error();
  }

  fs::create_directories(input.cache_dir, ec);
  if (ec) return cannot("create", input.cache_dir, ec.message());
  if (input.run_as) {
    const auto [uid, gid] = *input.run_as;
    // The cache is the uid's from its earlier builds; only a new (or re-assigned) one is handed
    // over, so that a big cache is not walked on every build.
    struct stat st {};
    if (::lstat(input.cache_dir.c_str(), &st) != 0) {
      return cannot("stat", input.cache_dir, errno_text(errno));
    }
    if (st.st_uid != uid || st.st_gid != gid) {
      if (auto s = chown_tree(input.cache_dir, uid, gid); !s) return s.error();
    }
    if (auto s = chown_tree(input.source_dir, uid, gid); !s) return s.error();
  }
  return ws;
}

Result<std::optional<std::string>> read_build_file(const fs::path& dir, std::string_view name,
                                                   std::size_t max_bytes) {
  const fs::path path = dir / name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    if (errno == ELOOP) {
      return make_error(ErrorCode::kInvalidParams,
                        std::string(name) + " is a symlink; it must be a regular file");
    }
    return cannot("read", path, errno_text(errno));
  }
  struct stat st {};
  std::string content;
  Status result;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    result = make_error(ErrorCode::kInvalidParams, std::string(name) + " is not a regular file");
  } else if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    result = make_error(ErrorCode::kInvalidParams, std::string(name) + " is larger than " +
                                                       std::to_string(max_bytes / 1024) + " KiB");
  } else {
    content.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::read(fd, content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    content.resize(done);
  }
  ::close(fd);
  if (!result) return result.error();
  return std::optional<std::string>(std::move(content));
}

}  // namespace slipway::build
