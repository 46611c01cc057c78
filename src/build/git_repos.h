// The apps' bare git repositories, DATA_DIR/git/<app id>.git: named by id so that apps:rename
// keeps them, created on first use, removed with the app.
#pragma once

#include <filesystem>
#include <mutex>
#include <set>
#include <string>

#include "common/result.h"

namespace slipway::build {

class GitRepos {
 public:
  // `hook_executable` is the slipway binary each repository's pre-receive hook runs.
  GitRepos(std::filesystem::path root, std::filesystem::path hook_executable);

  const std::filesystem::path& root() const { return root_; }
  // "<app id>.git": the repository's directory name under root().
  static std::string directory_name(const std::string& app_id);

  // The app's repository, created if missing (`receive.denyDeletes` and
  // `receive.denyNonFastForwards` off: force pushes are allowed, as on Heroku). Its pre-receive
  // hook is rewritten when it does not run hook_executable (the binary moved).
  Result<std::filesystem::path> ensure(const std::string& app_id);
  // Removes the app's repository (nothing if it has none).
  Status remove(const std::string& app_id);
  // Removes the repositories of apps not in `app_ids` (apps destroyed while the server was down).
  void remove_all_but(const std::set<std::string>& app_ids);

  // The hook script for `executable`: a /bin/sh exec of it, its path single-quoted.
  static std::string hook_script(const std::filesystem::path& executable);

 private:
  Status install_hook(const std::filesystem::path& repo) const;

  std::filesystem::path root_;
  std::filesystem::path hook_executable_;
  std::mutex mutex_;  // one creation at a time
};

}  // namespace slipway::build
